/* minivmm run: for each job that JOB.yaml expands to, write the job script,
 * pack an initrd (base userland + modules + job), boot the kernel with the
 * result directory shared over virtio-9p, and record how it went. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "boot/bzimage.h"
#include "initrd/assets.h"
#include "initrd/cpio.h"
#include "initrd/lkptree.h"
#include "initrd/modules.h"
#include "job/job.h"
#include "cli/kernel.h"
#include "vmm/kvmhost.h"
#include "cli/machine.h"
#include "cli/rootfs.h"
#include "cli/run.h"
#include "cli/fsutil.h"
#include "cli/run_initrd.h"
#include "cli/disks.h"
#include "cli/runjobs.h"
#include "cli/runstats.h"
#include "cli/sandbox.h"
#include "cli/status.h"
#include "vmm/timing.h"

#define ERR(...) fprintf(stderr, "minivmm run: " __VA_ARGS__)
#define RESULT_TAG "minivmm-result"
/* What the guest may add to the result directory (docs/9p.md, "Limits"). */
#define RESULT_MAX (4ULL << 30)
#define MAX_PROGDIRS 16

struct run_opts {
    const char *job, *kernel, *result_root, *modules, *rootfs, *only, *lkp_src;
    const char *progdirs[MAX_PROGDIRS];
    int nprogdirs;
    const char *incdirs[MAX_PROGDIRS];
    int nincdirs;
    int cpus, jobs;
    bool no_defaults;
    uint64_t memory, console_limit;
    long timeout;               /* -1: the job's, else DEFAULT_TIMEOUT */
    bool keep_going, verbose, no_sandbox, pit;
    int progress;               /* -1: when stderr is a terminal */
    enum boot_path boot_path;
    struct run_disk_opts disk;  /* --disk, --disk-size, --keep-disks (cli/disks.h) */
    struct run_expects expects; /* --expect (cli/runstats.h) */
};

static void usage(FILE *f)
{
    fprintf(f,
"usage: minivmm run JOB.yaml [--kernel BZIMAGE|VMLINUX] [--result-root DIR] [--modules DIR]\n"
"                   [--rootfs FILE.cgz|DIR|host] [--programs DIR]... [--include-dir DIR]...\n"
"                   [--cpus N] [--memory SIZE] [--timeout S] [--console-limit SIZE]\n"
"                   [--keep-going] [--verbose] [--no-sandbox] [--boot-path direct|bzimage]\n"
"                   [--pit] [-j|--jobs N] [--job NAME] [--progress|--no-progress]\n"
"                   [--disk FILE[,ro][,serial=S][,cache=C]]... [--disk-size SIZE] [--keep-disks]\n"
"                   [--expect 'METRIC OP VALUE']... [--lkp-src DIR [--no-defaults]]\n"
"Compiles JOB.yaml, and for each job it expands to packs an initrd, boots the\n"
"kernel, runs the job and leaves its results in\n"
"RESULT_ROOT/TESTCASE/PARAMS/KERNEL_VERSION/N/ (default RESULT_ROOT: ./results).\n"
"`<<: FILE` includes may name files below JOB.yaml's directory and below each\n"
"--include-dir DIR (also searched for relative names).\n"
"Exit status: 0 if every job passed, else the first failed job's (man minivmm).\n"
"--rootfs: the guest's userland instead of busybox: a .cgz (`minivmm rootfs`\n"
"builds one), a directory, or host: this host's / read-only over 9p under a\n"
"tmpfs overlay (docs/rootfs.md).\n"
"--console-limit: console.log keeps at most SIZE (default 64M; 0: no limit).\n"
"--no-sandbox: run each VM without its seccomp filter and capability drop.\n"
"--boot-path: direct (default) unpacks a bzImage on the host, bzimage runs its\n"
"decompressor (man minivmm).\n"
"--pit: give each VM a PIT (i8254 timer); Linux 5.2+ does not need it.\n"
"--progress: a line on stderr as each job is packed, boots, reaches init,\n"
"starts and ends (default when stderr is a terminal; --no-progress: never).\n"
"-j, --jobs N: run up to N jobs at once (1..256, default 1), each in its own VM,\n"
"as many as fit this host's CPUs and memory; results and exit status as run one\n"
"by one; each job's messages and summary line appear together when it ends.\n"
"--job NAME: run only the expanded job NAME (a name `minivmm compile` gives), with\n"
"the result path it has in a whole run (docs/scaling.md).\n"
"--disk: as boot's, after a job's own `disk: NHDD|NSSD` images (--disk-size, default\n"
"the job's disk_size or 16G; removed unless --keep-disks: RESULT/disks/) docs/blk.md\n"
"--expect 'METRIC OP VALUE' (OP: < <= > >= == !=): a job that passed fails (1)\n"
"unless its stats.json satisfies it; a missing metric gives 125 (docs/stats.md).\n"
"--lkp-src DIR: an lkp-tests checkout: its programs are the job's programs (as\n"
"`minivmm compile --lkp-src`) and the tree is packed as /lkp/lkp/src, where the\n"
"job's script runs them (they need bash and more in the guest: --rootfs), with\n"
"lkp's include/ defaults (default monitors, ...) unless --no-defaults.\n"
"--help, --version: this text, the version.\n");
}

/* snprintf for paths: -1 with errno ENAMETOOLONG when the result does not fit. */
__attribute__((format(printf, 3, 4)))
static int pathf(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/* --kernel, else the running kernel's image, else one in minivmm's data:
 * build/debian/root/boot/ in a checkout (what `make deps` unpacks), else
 * DATADIR/kernel/boot/ (docs/install.md). */
static const char *default_kernel(char *buf, size_t len)
{
    struct utsname u;
    snprintf(buf, len, "/boot/vmlinuz-%s", uname(&u) == 0 ? u.release : "RELEASE");
    if (cli_readable_file(buf))
        return buf;             /* NULL below leaves this path in buf, for messages */
    const struct job_data *d = job_data();
    char pat[PATH_MAX + 64];
    glob_t g;
    if (pathf(pat, sizeof(pat), "%s/%s/boot/vmlinuz-*", d->dir,
              d->kind == JOB_DATA_CHECKOUT ? "build/debian/root" : "kernel") == 0 &&
        glob(pat, 0, NULL, &g) == 0) {
        if (g.gl_pathc)
            snprintf(buf, len, "%s", g.gl_pathv[g.gl_pathc - 1]);
        size_t n = g.gl_pathc;
        globfree(&g);
        if (n)
            return buf;
    }
    return NULL;
}

/* Module tree: --modules, else /lib/modules/KVER, else beside the kernel
 * (DIR/boot/vmlinuz -> DIR/lib/modules/KVER, the layout of a .deb). */
/* A kernel version read from the image names a module directory (here and
 * as lib/modules/KVER in the guest) only when it is one plain component. */
static bool kver_names_a_dir(const char *kver)
{
    if (!*kver || !strcmp(kver, ".") || !strcmp(kver, ".."))
        return false;
    for (const unsigned char *c = (const unsigned char *)kver; *c; c++)
        if (*c == '/' || *c < 0x20 || *c == 0x7f)
            return false;
    return true;
}

static const char *default_modules(const char *kernel, const char *kver, char *buf, size_t len)
{
    struct stat st;
    if (!kver_names_a_dir(kver))
        return NULL;
    snprintf(buf, len, "/lib/modules/%s", kver);
    if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
        return buf;
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", kernel);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = 0;
        if (pathf(buf, len, "%s/../lib/modules/%s", dir, kver) == 0 &&
            stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
            return buf;
    }
    return NULL;
}

static int write_text(const char *dir, const char *name, const char *text)
{
    char p[PATH_MAX];
    if (pathf(p, sizeof(p), "%s/%s", dir, name) < 0)
        return -1;
    FILE *f = fopen(p, "wx");          /* the directory is new: never overwrite */
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* Writes b, gzip'd and with normalised times and owners, into the cache
 * under a name made from its content; out gets the path. */
/* RESULT_ROOT/TESTCASE/PARAMS/KVER/N with the first N that is free.  The
 * three middle parts come from the job file and the kernel image: each goes
 * through job_path_component, so none can leave RESULT_ROOT or be too long. */
static int result_dir(const char *root, const struct job *j, const char *kver, char *out, size_t len)
{
    char tc[JOB_PATH_COMPONENT_MAX + 1], params[JOB_PATH_COMPONENT_MAX + 1];
    char kv[JOB_PATH_COMPONENT_MAX + 1], base[PATH_MAX];
    const char *p = job_params(j);
    job_path_component(job_testcase(j), tc);
    job_path_component(*p ? p : "defaults", params);
    job_path_component(kver, kv);
    if (pathf(base, sizeof(base), "%s/%s/%s/%s", root, tc, params, kv) < 0 || cli_mkdir_p(base) < 0)
        return -1;
    for (int n = 0; n < 100000; n++) {
        if (pathf(out, len, "%s/%d", base, n) < 0)
            return -1;
        if (mkdir(out, 0755) == 0)
            return 0;
        if (errno != EEXIST)
            return -1;
    }
    errno = ENOSPC;
    return -1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Everything a job needs, for run_one here and in its own process (-j). */
struct run_ctx {
    const struct run_opts *o;
    const struct job_list *jobs;
    const char *kernel, *kver, *cache;
    struct kimage *kf;
    const char *const *parts;
    int nparts;
};

/* Job i's result directory, made now (for -j in job order, before it starts). */
static int job_dir(void *ctx, size_t i, char *dir, size_t len)
{
    const struct run_ctx *c = ctx;
    const struct job *j = c->jobs->v[i];
    if (result_dir(c->o->result_root, j, c->kver, dir, len) == 0)
        return 0;
    ERR("%s: cannot create a result directory under %s: %s\n", job_name(j),
        c->o->result_root, strerror(errno));
    return EXIT_HOST_ERROR;
}

static const char *job_name_at(void *ctx, size_t i)
{
    return job_name(((const struct run_ctx *)ctx)->jobs->v[i]);
}

static int run_one(void *ctx, size_t i, const char *dir)
{
    const struct run_ctx *c = ctx;
    const struct run_opts *o = c->o;
    const struct job *j = c->jobs->v[i];
    const char *kernel = c->kernel, *kver = c->kver, *cache = c->cache;
    char path[PATH_MAX];
    char *yaml = job_to_yaml(j), *script = job_to_shell(j);
    if (!yaml || !script || write_text(dir, "job.yaml", yaml) || write_text(dir, "job.sh", script)) {
        ERR("%s: cannot write the job into %s: %s\n", job_name(j), dir, strerror(errno));
        free(yaml);
        free(script);
        return EXIT_HOST_ERROR;
    }
    if (o->progress)
        fprintf(stderr, "minivmm: %s: packing the initrd\n", job_name(j));
    int jrc = run_job_archive(j, script, cache, path, sizeof(path));
    free(yaml);
    free(script);
    if (jrc < 0)
        return EXIT_HOST_ERROR;

    struct boot_opts b = { 0 };
    b.kernel = kernel;
    b.kernel_file = c->kf;              /* opened once, for every job */
    for (int k = 0; k < c->nparts; k++)
        b.initrds[b.ninitrds++] = c->parts[k];
    b.initrds[b.ninitrds++] = path;
    b.append = job_kernel_cmdline(j);
    b.memory = o->memory;
    b.cpus = o->cpus;
    b.timeout = o->timeout >= 0 ? o->timeout : job_timeout(j) > 0 ? job_timeout(j) : DEFAULT_TIMEOUT;
    char console[PATH_MAX];
    if (pathf(console, sizeof(console), "%s/console.log", dir) < 0) {
        ERR("%s: result directory path too long\n", job_name(j));
        return EXIT_HOST_ERROR;
    }
    b.console = console;
    b.console_limit = o->console_limit;
    b.quiet = !o->verbose;
    b.no_sandbox = o->no_sandbox;
    b.boot_path = o->boot_path;
    b.pit = o->pit;
    snprintf(b.shares[0].dir, sizeof(b.shares[0].dir), "%s", dir);
    snprintf(b.shares[0].tag, sizeof(b.shares[0].tag), RESULT_TAG);
    b.shares[0].max = RESULT_MAX;
    b.nshares = 1;
    rootfs_host_share(o->rootfs, &b);   /* --rootfs host: / read-only (docs/rootfs.md) */
    struct job_disks jd;                /* after every share: counted with them */
    if (job_disks_attach(j, &o->disk, o->result_root, &b, &jd, path, sizeof(path)))
        return ERR("%s\n", path), EXIT_HOST_ERROR;

    struct machine_result res = { 0 };
    double t0 = now_s();
    timing_start();
    timing_progress(o->progress ? job_name(j) : NULL);
    int st = machine_run(&b, &res);
    timing_progress(NULL);
    job_disks_release(&jd, o->disk.keep, dir);
    st = run_stats(dir, j, &o->expects, st);
    double took = now_s() - t0;

    char num[16];
    snprintf(num, sizeof(num), "%d\n", st);
    FILE *f = pathf(path, sizeof(path), "%s/summary.json", dir) < 0 ? NULL : fopen(path, "wx");
    if (write_text(dir, "exit_status", num) || !f) {
        ERR("%s: cannot write results into %s: %s\n", job_name(j), dir, strerror(errno));
        if (f)
            fclose(f);
        free(res.timing_json);
        return EXIT_HOST_ERROR;
    }
    fprintf(f, "{\"job\": ");
    json_str(f, job_name(j));
    fprintf(f, ", \"testcase\": ");
    json_str(f, job_testcase(j));
    fprintf(f, ", \"kernel\": ");
    json_str(f, kernel);
    fprintf(f, ", \"kernel_version\": ");
    json_str(f, kver);
    fprintf(f, ", \"exit_status\": %d, \"verdict\": \"%s\", \"end\": \"%s\"", st,
            exit_status_meaning(st), vm_end_name(res.end));
    if (res.end == VM_END_STATUS)
        fprintf(f, ", \"guest_status\": %d", res.guest_status);
    fprintf(f, ", \"crash\": ");
    json_str(f, res.crash);
    fprintf(f, ", \"wall_seconds\": %.3f, \"timing\": %s}\n", took,
            res.timing_json ? res.timing_json : "null");
    fclose(f);
    free(res.timing_json);

    runjobs_line();
    printf("minivmm: %s: %s (exit %d, %.1f s) -> %s\n", job_name(j), exit_status_meaning(st),
           st, took, dir);
    fflush(stdout);
    return st;
}

enum { O_KERNEL = 256, O_RESULT, O_MODULES, O_ROOTFS, O_PROGRAMS, O_CPUS, O_MEMORY,
       O_TIMEOUT, O_KEEP, O_VERBOSE, O_HELP, O_NO_SANDBOX, O_INCDIR, O_VERSION,
       O_CONSOLE_LIMIT, O_BOOT_PATH, O_PIT, O_JOB, O_PROGRESS, O_NO_PROGRESS, O_DISK,
       O_EXPECT, O_LKP_SRC, O_NO_DEFAULTS };
static const struct option longopts[] = {
    { "kernel", required_argument, NULL, O_KERNEL },
    { "result-root", required_argument, NULL, O_RESULT },
    { "modules", required_argument, NULL, O_MODULES },
    { "rootfs", required_argument, NULL, O_ROOTFS },
    { "programs", required_argument, NULL, O_PROGRAMS },
    { "include-dir", required_argument, NULL, O_INCDIR },
    { "cpus", required_argument, NULL, O_CPUS },
    { "memory", required_argument, NULL, O_MEMORY },
    { "timeout", required_argument, NULL, O_TIMEOUT },
    { "keep-going", no_argument, NULL, O_KEEP },
    { "verbose", no_argument, NULL, O_VERBOSE },
    { "no-sandbox", no_argument, NULL, O_NO_SANDBOX },
    { "console-limit", required_argument, NULL, O_CONSOLE_LIMIT },
    { "boot-path", required_argument, NULL, O_BOOT_PATH },
    { "pit", no_argument, NULL, O_PIT },
    { "progress", no_argument, NULL, O_PROGRESS },
    { "no-progress", no_argument, NULL, O_NO_PROGRESS },
    { "jobs", required_argument, NULL, 'j' },
    { "disk", required_argument, NULL, O_DISK },
    { "disk-size", required_argument, NULL, O_DISK },
    { "keep-disks", no_argument, NULL, O_DISK },
    { "job", required_argument, NULL, O_JOB },
    { "expect", required_argument, NULL, O_EXPECT },
    { "lkp-src", required_argument, NULL, O_LKP_SRC },
    { "no-defaults", no_argument, NULL, O_NO_DEFAULTS },
    { "help", no_argument, NULL, O_HELP },
    { "version", no_argument, NULL, O_VERSION },
    { 0 },
};

static int parse(int argc, char **argv, struct run_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->result_root = "results";
    o->cpus = o->jobs = 1;
    o->memory = DEFAULT_MEMORY;
    o->timeout = -1;
    o->console_limit = DEFAULT_CONSOLE_LIMIT;
    o->progress = -1;
    optind = 1;
    opterr = 0;
    int c;
    char err[256];
    int li;
    while ((c = getopt_long(argc, argv, ":j:", longopts, &li)) != -1) {
        switch (c) {
        case O_DISK:
            if (run_disk_opt(&o->disk, longopts[li].name, optarg, err, sizeof(err)))
                goto bad;
            break;
        case O_KERNEL: o->kernel = optarg; break;
        case O_RESULT: o->result_root = optarg; break;
        case O_MODULES: o->modules = optarg; break;
        case O_ROOTFS: o->rootfs = optarg; break;
        case O_PROGRAMS:
        case O_INCDIR: {
            bool prog = c == O_PROGRAMS;
            struct stat st;
            int e = stat(optarg, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
            if (e) {
                ERR("%s %s: %s\n", prog ? "--programs" : "--include-dir", optarg, strerror(e));
                return -1;
            }
            if ((prog ? o->nprogdirs : o->nincdirs) == MAX_PROGDIRS - 1) {
                ERR("too many %s (at most %d)\n", prog ? "--programs" : "--include-dir",
                    MAX_PROGDIRS - 1);
                return -1;
            }
            if (prog)
                o->progdirs[o->nprogdirs++] = optarg;
            else
                o->incdirs[o->nincdirs++] = optarg;
            break;
        }
        case O_CPUS:
            if (opt_cpus(optarg, &o->cpus, err, sizeof(err)))
                goto bad;
            break;
        case O_MEMORY:
            if (opt_memory(optarg, &o->memory, err, sizeof(err)))
                goto bad;
            break;
        case O_TIMEOUT:
            if (opt_timeout(optarg, &o->timeout, err, sizeof(err)))
                goto bad;
            break;
        case O_CONSOLE_LIMIT:
            if (opt_console_limit(optarg, &o->console_limit, err, sizeof(err)))
                goto bad;
            break;
        case 'j':
            if (opt_jobs(optarg, &o->jobs, err, sizeof(err)))
                goto bad;
            break;
        case O_JOB: o->only = optarg; break;
        case O_EXPECT:
            if (run_expect_add(&o->expects, optarg) < 0)
                return -1;
            break;
        case O_LKP_SRC:
            if (job_lkp_src_check(optarg, err, sizeof(err))) {
                ERR("--lkp-src %s: %s\n", optarg, err);
                return -1;
            }
            o->lkp_src = optarg;
            break;
        case O_NO_DEFAULTS: o->no_defaults = true; break;
        case O_KEEP: o->keep_going = true; break;
        case O_VERBOSE: o->verbose = true; break;
        case O_NO_SANDBOX: o->no_sandbox = true; break;
        case O_PIT: o->pit = true; break;
        case O_PROGRESS: o->progress = 1; break;
        case O_NO_PROGRESS: o->progress = 0; break;
        case O_BOOT_PATH:
            if (opt_boot_path(optarg, &o->boot_path, err, sizeof(err)))
                goto bad;
            break;
        case O_HELP: usage(stdout); return 1;
        case O_VERSION: printf("minivmm %s\n", MINIVMM_VERSION); return 1;
        case ':': ERR("option %s needs a value\n", argv[optind - 1]); return -1;
        default: ERR("unknown option '%s' (see minivmm run --help)\n", argv[optind - 1]); return -1;
        }
    }
    if (optind != argc - 1) {
        if (optind >= argc)
            ERR("no job file given (minivmm run JOB.yaml)\n");
        else
            ERR("give exactly one job file\n");
        return -1;
    }
    o->job = argv[optind];
    if (o->no_defaults && !o->lkp_src) {
        ERR("--no-defaults needs --lkp-src (only lkp's tree has defaults)\n");
        return -1;
    }
    if (o->progress < 0)
        o->progress = isatty(STDERR_FILENO);
    return 0;
bad:
    ERR("%s\n", err);
    return -1;
}

int run_main(int argc, char **argv)
{
    struct run_opts o;
    int r = parse(argc, argv, &o);
    if (r)
        return r > 0 ? 0 : EXIT_HOST_ERROR;
    sig_install();      /* SIGINT/TERM/HUP: finish the job's record, start nothing new */

    /* Everything is checked before anything boots. */
    char kbuf[PATH_MAX];
    const char *kernel = o.kernel ? o.kernel : default_kernel(kbuf, sizeof(kbuf));
    if (!kernel) {
        if (job_data()->kind == JOB_DATA_CHECKOUT)
            ERR("no kernel: give --kernel, or run `make deps` to fetch Debian's\n");
        else
            ERR("no kernel: %s is not readable and %s/kernel/boot has no vmlinuz-*: give "
                "--kernel (or install a kernel package, Debian: linux-image-amd64)\n",
                kbuf, job_data()->dir);
        return EXIT_HOST_ERROR;
    }
    struct kimage kf;
    struct kernel_image k;
    char err[512];
    int kst_rc = kimage_open(&kf, kernel, err, sizeof(err));
    if (kst_rc) {
        ERR("%s\n", err);
        return kst_rc;
    }
    if (!o.kernel)
        fprintf(stderr, "minivmm run: using kernel %s\n", kernel);
    /* Every job boots the same bytes, even if the file is rewritten meanwhile. */
    kst_rc = kimage_snapshot(&kf, err, sizeof(err)) < 0 ? EXIT_HOST_ERROR :
             kernel_parse(&k, &kf, err, sizeof(err));
    if (kst_rc) {
        ERR("%s\n", err);
        kimage_close(&kf);
        return kst_rc;
    }
    if (kvm_host_check("minivmm run: ", &k.bz)) {     /* before anything is packed */
        kimage_close(&kf);
        return EXIT_HOST_ERROR;
    }
    const char *kver = k.bz.version[0] ? k.bz.version : "unknown";

    const char *progdirs[MAX_PROGDIRS];
    int np = 0;
    for (int i = 0; i < o.nprogdirs; i++)
        progdirs[np++] = o.progdirs[i];
    if (!o.lkp_src && !(progdirs[np++] = job_default_program_dir(err, sizeof(err)))) {
        ERR("%s\n", err);
        kimage_close(&kf);
        return EXIT_HOST_ERROR;
    }
    struct job_opts jo = { .require_program = true,
                           .program_dirs = progdirs, .nprogram_dirs = (size_t)np, .nr_cpu = o.cpus, .memory = o.memory,
                           .include_dirs = o.incdirs, .ninclude_dirs = (size_t)o.nincdirs,
                           .lkp_src = o.lkp_src, .no_defaults = o.no_defaults };
    struct job_list jobs = { 0 };
    if (job_load(o.job, &jo, &jobs, err, sizeof(err)) < 0) {
        ERR("%s\n", err);
        kimage_close(&kf);
        return EXIT_HOST_ERROR;
    }
    int status = EXIT_HOST_ERROR;
    struct job *only = NULL;
    struct job_list sel = jobs;         /* the jobs to run: all, or --job's */
    for (size_t i = 0; o.only && i < jobs.n; i++)
        if (!strcmp(job_name(jobs.v[i]), o.only))
            only = jobs.v[i];           /* names are unique in a file */
    if (o.only && !only) {
        ERR("--job %s: %s expands to no job of that name (`minivmm compile` lists its %zu)\n",
            o.only, o.job, jobs.n);
        goto out;
    }
    if (only)
        sel = (struct job_list){ .v = &only, .n = 1 };
    if (cli_mkdir_p(o.result_root) < 0 || access(o.result_root, W_OK) < 0) {
        ERR("result root %s cannot be written: %s\n", o.result_root, strerror(errno));
        goto out;
    }
    char cache[PATH_MAX];
    kernel_cache_dir(cache, sizeof(cache));
    if (cli_mkdir_p(cache) < 0) {
        ERR("cannot create cache directory %s: %s\n", cache, strerror(errno));
        goto out;
    }

    char mbuf[PATH_MAX], base[PATH_MAX], mods[PATH_MAX], tools[PATH_MAX], lkp[PATH_MAX];
    const char *parts[4];          /* base or rootfs, tools, modules, lkp */
    int nparts = 0;
    if (o.rootfs && !rootfs_is_host(o.rootfs) && cli_readable_file(o.rootfs)) {
        parts[nparts++] = o.rootfs;             /* an lkp-style rootfs .cgz, used as it is */
    } else {
        if (run_base_archive(o.rootfs, cache, base, sizeof(base)) < 0)
            goto out;
        parts[nparts++] = base;
    }
    if (o.rootfs) {             /* init's busybox on top of the userland (docs/rootfs.md) */
        if (rootfs_tools_archive(o.rootfs, cache, tools, sizeof(tools)) < 0)
            goto out;
        parts[nparts++] = tools;
    }
    const char *moddir = o.modules ? o.modules : default_modules(kernel, kver, mbuf, sizeof(mbuf));
    if (o.modules) {
        struct stat st;
        if (stat(o.modules, &st) < 0 || !S_ISDIR(st.st_mode)) {
            ERR("--modules %s is not a readable directory\n", o.modules);
            goto out;
        }
    }
    if (moddir && !kver_names_a_dir(kver)) {
        ERR("kernel version '%s' from %s cannot name a module directory\n", kver, kernel);
        goto out;
    }
    if (moddir) {
        if (run_modules_archive(o.rootfs, moddir, kver, cache, &sel, mods, sizeof(mods)) < 0)
            goto out;
        parts[nparts++] = mods;
    } else {
        fprintf(stderr, "minivmm run: no module tree for %s: assuming virtio-mmio and 9p are "
                "built into the kernel (give --modules DIR otherwise)\n", kver);
    }

    if (o.lkp_src) {                            /* one archive for every job */
        if (run_lkp_archive(o.lkp_src, cache, lkp, sizeof(lkp)) < 0)
            goto out;
        parts[nparts++] = lkp;
    }
    struct run_ctx c = { &o, &sel, kernel, kver, cache, &kf, parts, nparts };
    int limit = o.jobs > 1 ? runjobs_limit(o.jobs, sel.n, o.cpus, o.memory) : 1;
    struct runjobs rj = { sel.n, limit, o.keep_going, &c, job_dir, run_one, job_name_at };
    status = runjobs(&rj);
out:
    job_list_free(&jobs);
    kimage_close(&kf);
    return sig_caught() ? 128 + sig_caught() : status;
}
