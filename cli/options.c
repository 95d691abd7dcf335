#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/options.h"
#include "cli/repeat.h"

/* Decimal digits only: no sign, space or base prefix.  Returns where the
 * digits end, or NULL when there are none or the value passes UINT64_MAX. */
static const char *scan_u64(const char *s, uint64_t *v)
{
    uint64_t n = 0;
    const char *p = s;
    if (!s)
        return NULL;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (n > (UINT64_MAX - d) / 10)
            return NULL;
        n = n * 10 + d;
    }
    if (p == s)
        return NULL;
    *v = n;
    return p;
}

int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v;
    const char *end = scan_u64(s, &v);
    if (!end || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int parse_size(const char *s, uint64_t *out)
{
    uint64_t v;
    const char *end = scan_u64(s, &v);
    if (!end)
        return -1;
    unsigned shift = 20;
    if (*end) {
        switch (*end) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        default: return -1;
        }
        end++;
        if (*end == 'i')
            end++;
        if (*end == 'B' || *end == 'b')
            end++;
        if (*end)
            return -1;
    }
    if (v > (UINT64_MAX >> shift))
        return -1;
    *out = v << shift;
    return 0;
}

/* The numeric options minivmm boot and minivmm run share: one parser and one
 * message each, so both commands take and refuse exactly the same values. */
int opt_cpus(const char *s, int *out, char *err, size_t errlen)
{
    uint64_t v;
    if (parse_uint(s, 1, MAX_CPUS, &v)) {
        snprintf(err, errlen, "--cpus '%s': give a number from 1 to %d", s, MAX_CPUS);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int opt_memory(const char *s, uint64_t *out, char *err, size_t errlen)
{
    uint64_t v;
    if (parse_size(s, &v) || v < MIN_MEMORY || v > MAX_MEMORY) {
        snprintf(err, errlen, "--memory '%s': give a size from 32M to 1024G, e.g. 512M", s);
        return -1;
    }
    *out = v;
    return 0;
}

int opt_timeout(const char *s, long *out, char *err, size_t errlen)
{
    uint64_t v;
    if (parse_uint(s, 0, MAX_TIMEOUT, &v)) {
        snprintf(err, errlen, "--timeout '%s': give whole seconds from 0 (none) to %d", s,
                 MAX_TIMEOUT);
        return -1;
    }
    *out = (long)v;
    return 0;
}

int opt_console_limit(const char *s, uint64_t *out, char *err, size_t errlen)
{
    uint64_t v;
    if (parse_size(s, &v) || v > MAX_CONSOLE_LIMIT) {
        snprintf(err, errlen, "--console-limit '%s': give a size up to 1024G, e.g. 64M "
                 "(0: no limit)", s);
        return -1;
    }
    *out = v;
    return 0;
}

int opt_jobs(const char *s, int *out, char *err, size_t errlen)
{
    uint64_t v;
    if (parse_uint(s, 1, MAX_JOBS, &v)) {
        snprintf(err, errlen, "-j/--jobs '%s': give a number of jobs at once from 1 to %d", s,
                 MAX_JOBS);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int opt_boot_path(const char *s, enum boot_path *out, char *err, size_t errlen)
{
    if (!strcmp(s, "direct"))
        *out = BOOT_PATH_DIRECT;
    else if (!strcmp(s, "bzimage"))
        *out = BOOT_PATH_BZIMAGE;
    else {
        snprintf(err, errlen, "--boot-path '%s': use direct or bzimage", s);
        return -1;
    }
    return 0;
}

int parse_share(const char *s, int index, struct share_opt *sh, char *err, size_t errlen)
{
    memset(sh, 0, sizeof(*sh));
    const char *comma = strchr(s, ',');
    size_t dlen = comma ? (size_t)(comma - s) : strlen(s);
    if (dlen == 0 || dlen >= sizeof(sh->dir)) {
        snprintf(err, errlen, "--share needs a host directory (HOSTDIR[,tag=TAG][,ro][,max=SIZE])");
        return -1;
    }
    memcpy(sh->dir, s, dlen);
    snprintf(sh->tag, sizeof(sh->tag), "share%d", index);
    while (comma) {
        const char *opt = comma + 1;
        comma = strchr(opt, ',');
        size_t n = comma ? (size_t)(comma - opt) : strlen(opt);
        if (n == 2 && !strncmp(opt, "ro", 2)) {
            sh->readonly = true;
        } else if (n > 4 && !strncmp(opt, "tag=", 4)) {
            if (n - 4 >= sizeof(sh->tag)) {
                snprintf(err, errlen, "--share: tag must be 1 to %zu characters", sizeof(sh->tag) - 1);
                return -1;
            }
            memcpy(sh->tag, opt + 4, n - 4);
            sh->tag[n - 4] = 0;
        } else if (n > 4 && !strncmp(opt, "max=", 4)) {
            char v[32];
            snprintf(v, sizeof(v), "%.*s", (int)(n - 4), opt + 4);
            if (n - 4 >= sizeof(v) || parse_size(v, &sh->max) || !sh->max) {
                snprintf(err, errlen, "--share: 'max=%.*s': give a size above 0, e.g. max=2G", (int)(n - 4), opt + 4);
                return -1;
            }
        } else {
            snprintf(err, errlen, "--share: unknown option '%.*s' (tag=TAG, ro or max=SIZE)", (int)n, opt);
            return -1;
        }
    }
    return 0;
}

int opt_disk(const char *s, struct boot_opts *o, char *err, size_t errlen)
{
    if (o->ndisks == MAX_DISKS) {
        snprintf(err, errlen, "--disk %s: too many disks (at most %d)", s, MAX_DISKS);
        return -1;
    }
    if (o->nshares + o->ndisks + 1 > MAX_VIRTIO_DEVS) {
        snprintf(err, errlen, "--disk %s: too many devices (--share and --disk together: "
                 "at most %d)", s, MAX_VIRTIO_DEVS);
        return -1;
    }
    if (blk_parse_opt(s, o->ndisks, &o->disks[o->ndisks], err, errlen))
        return -1;
    o->ndisks++;
    return 0;
}

void boot_usage(FILE *f)
{
    fprintf(f,
"usage: minivmm boot --kernel BZIMAGE|VMLINUX [--initrd FILE]... [--append CMDLINE]\n"
"                    [--memory SIZE] [--cpus N] [--timeout SECONDS] [--console FILE]\n"
"                    [--console-limit SIZE]\n"
"                    [--share DIR[,tag=TAG][,ro][,max=SIZE]]... [--virtio-discovery acpi|cmdline|both]\n"
"                    [--disk FILE[,ro][,serial=S][,cache=unsafe|writeback|none]]...\n"
"                    [--timing[=text|json]] [--quiet] [--no-sandbox] [--boot-path direct|bzimage]\n"
"                    [--pit] [--repeat N]\n"
"Boots a Linux bzImage in a KVM virtual machine and exits with the guest's\n"
"status (see `man minivmm` for the exit status table).\n"
"  --kernel FILE      kernel to boot: a bzImage (x86 boot protocol 2.12+, 64-bit)\n"
"                     or an uncompressed x86-64 ELF vmlinux\n"
"  --initrd FILE      initrd; several are concatenated in order\n"
"  --append CMDLINE   appended to \"" DEFAULT_CMDLINE "\"\n"
"  --memory SIZE      guest RAM, e.g. 512M or 2G (default 512M)\n"
"  --cpus N           vCPUs, 1..%d (default 1)\n"
"  --timeout SECONDS  kill the VM after this long, exit 124 (default %d; 0: never)\n"
"  --console FILE     also write the guest console to FILE (not an input file)\n"
"  --console-limit SIZE  keep at most SIZE of console output (default 64M; 0: no limit)\n"
"  --share DIR,...    export DIR to the guest over virtio-9p (mount tag TAG; the guest\n"
"                     may add at most SIZE bytes to it, default: no bound)\n"
"  --disk FILE,...    attach the raw image FILE as a virtio-blk disk (/dev/vda, vdb, ...\n"
"                     in order; at most %d, and %d devices with --share); ro: read-only;\n"
"                     cache=writeback (default; a guest flush is an fdatasync),\n"
"                     unsafe (flushes ignored) or none (O_DIRECT); locked while in use\n"
"  --virtio-discovery how the guest finds virtio devices (default both)\n"
"  --timing[=json]    report boot phase times on stderr\n"
"  --quiet            do not copy the guest console to stdout\n"
"  --no-sandbox       run the VM without its seccomp filter and capability drop\n"
"  --boot-path P      direct (default): unpack a bzImage's payload on the host (cached)\n"
"                     and enter the vmlinux; bzimage: run the kernel's own decompressor\n"
"  --repeat N         boot N times (1..%d), each a fresh VM; one line per boot and\n"
"                     min/median/max of each phase on stderr (--timing=json: every\n"
"                     boot as JSON); exit with the worst status; --console needs %%d\n"
"  --pit              give the guest a PIT (i8254 timer); Linux 5.2+ does not need it\n"
"  --help, --version\n",
            MAX_CPUS, DEFAULT_TIMEOUT, MAX_DISKS, MAX_VIRTIO_DEVS, MAX_REPEAT);
}

enum { OPT_KERNEL = 256, OPT_INITRD, OPT_APPEND, OPT_MEMORY, OPT_CPUS, OPT_TIMEOUT,
       OPT_CONSOLE, OPT_TIMING, OPT_QUIET, OPT_SHARE, OPT_DISCOVERY, OPT_HELP, OPT_VERSION,
       OPT_NO_SANDBOX, OPT_CONSOLE_LIMIT, OPT_BOOT_PATH, OPT_REPEAT, OPT_PIT, OPT_DISK };

static const struct option longopts[] = {
    { "kernel", required_argument, NULL, OPT_KERNEL },
    { "initrd", required_argument, NULL, OPT_INITRD },
    { "append", required_argument, NULL, OPT_APPEND },
    { "memory", required_argument, NULL, OPT_MEMORY },
    { "cpus", required_argument, NULL, OPT_CPUS },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "console", required_argument, NULL, OPT_CONSOLE },
    { "console-limit", required_argument, NULL, OPT_CONSOLE_LIMIT },
    { "timing", optional_argument, NULL, OPT_TIMING },
    { "quiet", no_argument, NULL, OPT_QUIET },
    { "share", required_argument, NULL, OPT_SHARE },
    { "disk", required_argument, NULL, OPT_DISK },
    { "virtio-discovery", required_argument, NULL, OPT_DISCOVERY },
    { "no-sandbox", no_argument, NULL, OPT_NO_SANDBOX },
    { "boot-path", required_argument, NULL, OPT_BOOT_PATH },
    { "repeat", required_argument, NULL, OPT_REPEAT },
    { "pit", no_argument, NULL, OPT_PIT },
    { "help", no_argument, NULL, OPT_HELP },
    { "version", no_argument, NULL, OPT_VERSION },
    { 0 },
};

#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

int boot_parse_args(int argc, char **argv, struct boot_opts *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof(*o));
    o->memory = DEFAULT_MEMORY;
    o->cpus = 1;
    o->timeout = DEFAULT_TIMEOUT;
    o->console_limit = DEFAULT_CONSOLE_LIMIT;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_KERNEL: o->kernel = optarg; break;
        case OPT_INITRD:
            if (o->ninitrds == MAX_INITRDS)
                BAD("too many --initrd (at most %d)", MAX_INITRDS);
            o->initrds[o->ninitrds++] = optarg;
            break;
        case OPT_APPEND: o->append = optarg; break;
        case OPT_MEMORY:
            if (opt_memory(optarg, &o->memory, err, errlen))
                return -1;
            break;
        case OPT_CPUS:
            if (opt_cpus(optarg, &o->cpus, err, errlen))
                return -1;
            break;
        case OPT_TIMEOUT:
            if (opt_timeout(optarg, &o->timeout, err, errlen))
                return -1;
            break;
        case OPT_CONSOLE_LIMIT:
            if (opt_console_limit(optarg, &o->console_limit, err, errlen))
                return -1;
            break;
        case OPT_CONSOLE: o->console = optarg; break;
        case OPT_TIMING:
            if (!optarg || !strcmp(optarg, "text"))
                o->timing = TIMING_TEXT;
            else if (!strcmp(optarg, "json"))
                o->timing = TIMING_JSON;
            else
                BAD("--timing='%s': use --timing, --timing=text or --timing=json", optarg);
            break;
        case OPT_QUIET: o->quiet = true; break;
        case OPT_NO_SANDBOX: o->no_sandbox = true; break;
        case OPT_PIT: o->pit = true; break;
        case OPT_BOOT_PATH:
            if (opt_boot_path(optarg, &o->boot_path, err, errlen))
                return -1;
            break;
        case OPT_REPEAT: {
            uint64_t v;
            if (parse_uint(optarg, 1, MAX_REPEAT, &v))
                BAD("--repeat '%s': give a number of boots from 1 to %d", optarg, MAX_REPEAT);
            o->repeat = (long)v;
            break;
        }
        case OPT_DISK:
            if (opt_disk(optarg, o, err, errlen))
                return -1;
            break;
        case OPT_SHARE:
            if (o->nshares + o->ndisks == MAX_VIRTIO_DEVS)
                BAD("--share %s: too many devices (--share and --disk together: at most %d)",
                    optarg, MAX_VIRTIO_DEVS);
            if (o->nshares == MAX_SHARES)
                BAD("too many --share (at most %d)", MAX_SHARES);
            if (parse_share(optarg, o->nshares, &o->shares[o->nshares], err, errlen))
                return -1;
            for (int i = 0; i < o->nshares; i++)
                if (!strcmp(o->shares[i].tag, o->shares[o->nshares].tag))
                    BAD("--share: tag '%s' is used twice", o->shares[i].tag);
            o->nshares++;
            break;
        case OPT_DISCOVERY:
            if (!strcmp(optarg, "both")) o->discovery = DISCOVER_BOTH;
            else if (!strcmp(optarg, "acpi")) o->discovery = DISCOVER_ACPI;
            else if (!strcmp(optarg, "cmdline")) o->discovery = DISCOVER_CMDLINE;
            else BAD("--virtio-discovery '%s': use acpi, cmdline or both", optarg);
            break;
        case OPT_HELP: boot_usage(stdout); return 1;
        case OPT_VERSION: printf("minivmm %s\n", MINIVMM_VERSION); return 1;
        case ':': BAD("option %s needs a value", argv[optind - 1]);
        default: BAD("unknown option '%s' (see minivmm boot --help)", argv[optind - 1]);
        }
    }
    if (optind < argc)
        BAD("unexpected argument '%s'", argv[optind]);
    if (!o->kernel)
        BAD("--kernel BZIMAGE is required");
    return 0;
}
