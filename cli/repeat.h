/* `minivmm boot --repeat N`: the same kernel, initrds and command line
 * booted N times, each in a fresh VM, with per-boot lines and min / median /
 * max of each boot phase (docs/boot.md "Boot loop").  repeat.c runs the
 * loop; repstat.c has the pure parts (verdict order, statistics, reading a
 * boot's timing report) that the unit tests check. */
#ifndef CLI_REPEAT_H
#define CLI_REPEAT_H
#include <stddef.h>
#include "cli/options.h"

#define MAX_REPEAT 100000
#define REP_MAX_MARKS 64

/* How bad an exit status is, for the worst verdict of all boots (higher is
 * worse): 0 < 125 cannot test < 1..123 guest failure (the higher status
 * the worse) < 124 timeout < 127 no status < 126 crash < 128+N signal <
 * 255 host error. */
int rep_rank(int status);
/* The worse of two exit statuses (a when they rank the same). */
int rep_worse(int a, int b);

struct rep_stats {
    int n;
    double min, median, max;   /* the median of an even count is the mean of the middle two */
};
/* Sorts v[0..n) and summarises it; with n == 0 only out->n is set (0). */
void rep_stats(double *v, int n, struct rep_stats *out);

/* What repeat reads from one boot's timing report (vmm/timing.c's JSON
 * object): fields are found by name and unknown ones skipped.  Times are
 * ms from VMM start; < 0 when absent. */
struct rep_timing {
    double entry, end;
    int nmarks;
    struct { unsigned code; double ms; } marks[REP_MAX_MARKS];
};
/* Returns 0, or -1 when json is not one well-formed JSON object (then *t
 * says nothing is known). */
int rep_parse_timing(const char *json, struct rep_timing *t);

/* The console file of boot number `boot`: every "%d" of pattern replaced by
 * it.  Returns 0, or -1 when the result does not fit in len. */
int rep_console_path(char *buf, size_t len, const char *pattern, long boot);

/* Runs the loop for `minivmm boot` with o->repeat > 0; returns the exit
 * status (the worst of all boots). */
int repeat_main(const struct boot_opts *o);
#endif
