/* The boot timer: timestamps of VMM start, the end of each setup step,
 * first guest entry, each phase marker the guest writes to PORT_BOOT_TIMER,
 * and the end of the guest. */
#ifndef VMM_TIMING_H
#define VMM_TIMING_H
#include <stdbool.h>
#include <stdio.h>

/* Marker codes with names (docs/devices.md); others print as "marker-N". */
#define MARK_INIT      1   /* guest init reached */
#define MARK_JOB_START 2
#define MARK_JOB_END   3

/* CLOCK_MONOTONIC in ms (what every time here is read from). */
double timing_now_ms(void);
void timing_start(void);                   /* VMM start: call first in main() */
void timing_guest_entry(void);             /* first KVM_RUN; later calls are ignored */
void timing_marker(unsigned code);         /* thread-safe */
/* With a label, the first guest entry and the markers init, job-start and
 * job-end each print one line "minivmm: LABEL: booting (1.2 s)" ("init
 * reached", "job started", "job ended") on stderr as they happen; NULL:
 * none (the default).  Times since timing_start. */
void timing_progress(const char *label);
/* The name of marker code: "init", "job-start", "job-end" or "marker-N" (in buf). */
const char *timing_mark_name(unsigned code, char *buf, size_t len);
/* The end of one VMM setup step (name: a string constant); the report gives
 * each step's duration since the previous step (the first: since start). */
void timing_step(const char *name);
void timing_boot_path(const char *path);   /* "direct" or "bzimage" */
void timing_end(const char *how);
/* Text ("timing: ...") or one JSON object, to f. */
void timing_report(FILE *f, bool json);
#endif
