/* Options of `minivmm boot` (and the VM part of `minivmm run`). */
#ifndef CLI_OPTIONS_H
#define CLI_OPTIONS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "virtio/blk.h"

#define MAX_INITRDS 16
#define MAX_SHARES  8
#define MAX_DISKS   VIRTIO_BLK_MAX_DISKS
/* --share and --disk together: one interrupt line each (boot/layout.h). */
#define MAX_VIRTIO_DEVS 9
#define MAX_CPUS    64
#define DEFAULT_MEMORY (512ULL << 20)
#define MIN_MEMORY (32ULL << 20)
#define MAX_MEMORY (1ULL << 40)
#define DEFAULT_TIMEOUT 600
#define MAX_TIMEOUT 1000000
#define DEFAULT_CONSOLE_LIMIT (64ULL << 20)
#define MAX_CONSOLE_LIMIT (1ULL << 40)
#define MAX_JOBS    256         /* run -j: VMs at once */
#define DEFAULT_CMDLINE "console=ttyS0 panic=-1 reboot=acpi pci=off no_timer_check"

enum timing_fmt { TIMING_OFF, TIMING_TEXT, TIMING_JSON };
enum discovery { DISCOVER_BOTH, DISCOVER_ACPI, DISCOVER_CMDLINE };

struct share_opt {
    char dir[4096];
    char tag[32];
    bool readonly;
    uint64_t max;               /* bytes the guest may add (max=); 0: no bound */
};

/* How a bzImage boots (cli/kernel.h): its payload unpacked on the host and
 * the vmlinux entered directly (default), or its own decompressor. */
enum boot_path { BOOT_PATH_DIRECT = 0, BOOT_PATH_BZIMAGE };

struct boot_opts {
    const char *kernel;
    const char *initrds[MAX_INITRDS];
    int ninitrds;
    const char *append;
    uint64_t memory;
    int cpus;
    long timeout;               /* seconds; 0: none */
    const char *console;
    uint64_t console_limit;     /* bytes of console output kept; 0: no limit */
    enum timing_fmt timing;
    bool quiet;
    bool no_sandbox;            /* --no-sandbox: no seccomp filter, no capability drop */
    struct share_opt shares[MAX_SHARES];
    int nshares;
    struct blk_opt disks[MAX_DISKS];   /* --disk (virtio-blk, docs/blk.md) */
    int ndisks;
    enum discovery discovery;
    enum boot_path boot_path;
    long repeat;                /* --repeat N (cli/repeat.h); 0: not given */
    bool pit;                   /* --pit: KVM's in-kernel PIT (i8254) */
    /* Set by minivmm run: o->kernel, opened once for every job (cli/kimage.h). */
    struct kimage *kernel_file;
};

/* "512M", "2G", "1024K", "65536" (MiB when no suffix).  Returns 0 or -1. */
int parse_size(const char *s, uint64_t *out);
/* A decimal number from min to max: digits only (no sign, space, base
 * prefix), nothing after them, no wrap-around.  Returns 0 or -1. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* --cpus, --memory, --timeout, --console-limit for boot and run alike.
 * Return 0, or -1 with a one-line reason naming the option in err. */
int opt_cpus(const char *s, int *out, char *err, size_t errlen);
int opt_memory(const char *s, uint64_t *out, char *err, size_t errlen);
int opt_timeout(const char *s, long *out, char *err, size_t errlen);
int opt_console_limit(const char *s, uint64_t *out, char *err, size_t errlen);
int opt_boot_path(const char *s, enum boot_path *out, char *err, size_t errlen);
/* run -j/--jobs N: 1..MAX_JOBS. */
int opt_jobs(const char *s, int *out, char *err, size_t errlen);
/* "HOSTDIR[,tag=TAG][,ro][,max=SIZE]"; the tag defaults to "share<index>".
 * Returns 0 or -1 with a reason in err. */
int parse_share(const char *s, int index, struct share_opt *sh, char *err, size_t errlen);
/* Adds one --disk to o (count and device limits checked).  0 or -1 + err. */
int opt_disk(const char *s, struct boot_opts *o, char *err, size_t errlen);

/* Parses argv (argv[0] is "boot").  Returns 0 to go on, 1 when --help or
 * --version was handled (exit 0), -1 with a one-line reason in err. */
int boot_parse_args(int argc, char **argv, struct boot_opts *o, char *err, size_t errlen);
void boot_usage(FILE *f);
#endif
