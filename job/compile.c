/* `minivmm compile JOB.yaml [--programs DIR]... [--include-dir DIR]... [--nr-cpu N] [-o DIR]` */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "job/job.h"
#include "job/values.h"

static const char usage[] =
    "usage: minivmm compile JOB.yaml [--programs DIR]... [--include-dir DIR]... [--nr-cpu N]\n"
    "                       [--memory SIZE] [--lkp-src DIR [--no-defaults]] [-o DIR]\n"
    "  Expands JOB.yaml and writes DIR/NAME.yaml and DIR/NAME.sh for each job\n"
    "  (DIR defaults to the current directory and is made if missing), printing\n"
    "  their paths.  Nothing is written over a file the job reads (JOB.yaml,\n"
    "  its includes, a program's meta.yaml), nor into a program's directory.\n"
    "  --programs DIR     look for programs in DIR/NAME/run first (repeatable;\n"
    "                     then in minivmm's programs directory, man minivmm FILES)\n"
    "  --include-dir DIR  (-I DIR) `<<: FILE` may name files below DIR, and a\n"
    "                     relative FILE is looked for there too (repeatable;\n"
    "                     by default only files below JOB.yaml's directory)\n"
    "  --nr-cpu N         guest CPUs, for `nr_threads: N%` (default 1)\n"
    "  --memory SIZE      guest memory, for `setsize: N%` and the like (default\n"
    "                     512M, minivmm run's default)\n"
    "  --lkp-src DIR      an lkp-tests checkout: its programs/NAME/{setup,run,\n"
    "                     daemon,*monitor} are the programs (after --programs,\n"
    "                     instead of minivmm's), typed and named as lkp does,\n"
    "                     with lkp's include/ defaults (default monitors, ...)\n"
    "  --no-defaults      with --lkp-src: without lkp's defaults (lkp's switch)\n"
    "  --help, --version\n";

static int fail(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "minivmm compile: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return 255;
}

/* write_file's work, done while the interrupting signals are held. */
static int write_file_held(const char *path, const char *text, mode_t mode)
{
    char *tmp = NULL;
    if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0)
        return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        free(tmp);
        return -1;
    }
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    int bad = off < len;
    if (close(fd))
        bad = 1;
    if (!bad && fchmodat(AT_FDCWD, tmp, mode, 0))
        bad = 1;
    if (!bad && rename(tmp, path))
        bad = 1;
    if (bad) {
        int e = errno;
        unlink(tmp);
        errno = e ? e : EIO;
    }
    free(tmp);
    return bad ? -1 : 0;
}

/* SIGINT, SIGTERM, SIGHUP: the files already written stay, no temporary
 * file is ever left (write_file holds these signals off while it has one),
 * nothing more is written; exit 128+N. */
static void on_signal(int sig)
{
    static const char msg[] = "minivmm compile: interrupted; the scripts written so far are kept\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
    (void)w;
    _exit(128 + sig);
}

static void sig_setup(sigset_t *set)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    struct sigaction sa = { .sa_handler = on_signal };
    sigfillset(&sa.sa_mask);
    sigemptyset(set);
    for (int k = 0; k < 3; k++) {
        struct sigaction old;     /* an ignored signal (nohup) stays ignored */
        sigaddset(set, sigs[k]);
        if (sigaction(sigs[k], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(sigs[k], &sa, NULL);
    }
}

static sigset_t held;

/* Writes TEXT to PATH through a temporary file and rename, so a failure never
 * leaves a half-written file behind. */
static int write_file(const char *path, const char *text, mode_t mode)
{
    sigset_t old;
    sigprocmask(SIG_BLOCK, &held, &old);
    int r = write_file_held(path, text, mode);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return r;
}

/* mkdir -p DIR: 0, or -1 with errno. */
static int make_dir(const char *dir)
{
    char *p = strdup(dir);
    if (!p)
        return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(p, 0755) && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int r = mkdir(p, 0755) && errno != EEXIST ? -1 : 0;
    free(p);
    struct stat st;
    if (!r && (stat(dir, &st) || !S_ISDIR(st.st_mode))) {
        errno = ENOTDIR;
        r = -1;
    }
    return r;
}

/* REAL (a realpath) is ROOT's realpath or below it. */
static int below(const char *real, const char *root)
{
    char *r = realpath(root, NULL);
    size_t n = r ? strlen(r) : 0;
    int in = r && !strncmp(real, r, n) && (real[n] == '/' || !real[n] || n == 1);
    free(r);
    return in;
}

/* The directory of a program a job runs that OUTDIR is or lies below, or
 * NULL.  A missing OUTDIR is judged by its nearest existing ancestor (where
 * make_dir would create it). */
static const char *in_program_dir(const char *outdir, const struct job_list *l)
{
    char *p = strdup(outdir), *real = NULL;
    while (p) {
        if ((real = realpath(*p ? p : ".", NULL)) || errno != ENOENT || !*p || !strcmp(p, "/"))
            break;
        char *s = strrchr(p, '/');          /* "a/b" -> "a", "/a" -> "/", "a" -> "" (.) */
        if (!s)
            *p = 0;
        else
            s[s == p] = 0;
    }
    free(p);
    const char *hit = NULL;
    for (size_t i = 0; real && i < l->n && !hit; i++)
        for (size_t k = 0; k < job_nprograms(l->v[i]) && !hit; k++)
            if (below(real, job_program_dir(l->v[i], k)))
                hit = job_program_dir(l->v[i], k);
    free(real);
    return hit;
}

/* DIR/NAME.yaml and DIR/NAME.sh for every job, NAME made safe by
 * job_path_component.  None may be a file the job load read (the job file, an
 * include, a meta.yaml: the same file, by name or link), and DIR may not be
 * in the directory of a program a job runs: all is checked before anything is
 * written, DIR is made after (and checked again once it exists). */
static int write_jobs(const char *outdir, const struct job_list *l)
{
    struct stat st, *in = calloc(l->ninputs + 1, sizeof *in);
    char **paths = calloc(2 * l->n + 1, sizeof *paths);
    const char *prog = NULL;
    int rc = 0;
    if (!paths || !in) {
        free(in);
        free(paths);
        return fail("%s%s", "out of memory", "");
    }
    for (size_t k = 0; k < l->ninputs; k++)
        if (stat(l->inputs[k], &in[k]))
            in[k].st_ino = 0;           /* no file has inode 0 */
    for (size_t i = 0; i < 2 * l->n && !rc; i++) {
        char name[JOB_PATH_COMPONENT_MAX + 1];
        job_path_component(job_name(l->v[i / 2]), name);
        if (asprintf(&paths[i], "%s/%s.%s", outdir, name, i % 2 ? "sh" : "yaml") < 0) {
            paths[i] = NULL;
            rc = fail("%s%s", "out of memory", "");
            break;
        }
        if (stat(paths[i], &st))
            continue;                   /* a new file: no input */
        for (size_t k = 0; k < l->ninputs && !rc; k++)
            if (in[k].st_ino && in[k].st_dev == st.st_dev && in[k].st_ino == st.st_ino)
                rc = fail(k ? "refusing to write %s over %s, which the job reads" :
                          "refusing to write %s over the job file %s", paths[i], l->inputs[k]);
    }
    if (!rc && (prog = in_program_dir(outdir, l)))
        rc = fail("refusing to write into %s, in the directory of program %s", outdir, prog);
    if (!rc && make_dir(outdir))
        rc = fail("cannot make output directory %s: %s", outdir, strerror(errno));
    if (!rc && (prog = in_program_dir(outdir, l)))
        rc = fail("refusing to write into %s, in the directory of program %s", outdir, prog);
    free(in);
    for (size_t i = 0; i < l->n && !rc; i++) {
        char *sh = job_to_shell(l->v[i]), *yaml = job_to_yaml(l->v[i]);
        if (!sh || !yaml)
            rc = fail("%s%s", "out of memory", "");
        else if (write_file(paths[2 * i], yaml, 0644))
            rc = fail("cannot write %s: %s", paths[2 * i], strerror(errno));
        else if (write_file(paths[2 * i + 1], sh, 0755))
            rc = fail("cannot write %s: %s", paths[2 * i + 1], strerror(errno));
        else
            printf("%s\n%s\n", paths[2 * i], paths[2 * i + 1]);
        free(sh);
        free(yaml);
    }
    for (size_t i = 0; i < 2 * l->n; i++)
        free(paths[i]);
    free(paths);
    return rc;
}

int job_compile_main(int argc, char **argv)
{
    const char **progs = calloc((size_t)argc + 1, sizeof *progs);
    const char **incs = calloc((size_t)argc + 1, sizeof *incs);
    size_t nprogs = 0, nincs = 0;
    const char *outdir = ".", *jobfile = NULL, *lkp_src = NULL;
    int no_defaults = 0;
    int nr_cpu = 1, rc = 255;
    unsigned long long memory = 512ULL << 20; /* minivmm run's default */
    sig_setup(&held);
    if (!progs || !incs) {
        rc = fail("%s%s", "out of memory", "");
        goto out;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            rc = 0;
            goto out;
        }
        if (!strcmp(a, "--include-dir"))
            a = "-I";
        if (!strcmp(a, "--version")) {
            printf("minivmm %s\n", MINIVMM_VERSION);
            rc = 0;
            goto out;
        }
        if (!strcmp(a, "--no-defaults")) {
            no_defaults = 1;
            continue;
        }
        if (!strcmp(a, "--programs") || !strcmp(a, "-o") || !strcmp(a, "-I") ||
            !strcmp(a, "--nr-cpu") || !strcmp(a, "--memory") || !strcmp(a, "--lkp-src")) {
            if (i + 1 >= argc) {
                rc = fail("%s needs a value%s", a, "");
                goto out;
            }
            val = argv[++i];
        } else if (!strncmp(a, "--programs=", 11)) {
            val = a + 11;
            a = "--programs";
        } else if (!strncmp(a, "--include-dir=", 14)) {
            val = a + 14;
            a = "-I";
        } else if (!strncmp(a, "--lkp-src=", 10)) {
            val = a + 10;
            a = "--lkp-src";
        } else if (!strncmp(a, "--memory=", 9)) {
            val = a + 9;
            a = "--memory";
        } else if (!strncmp(a, "--nr-cpu=", 9)) {
            val = a + 9;
            a = "--nr-cpu";
        } else if (a[0] == '-' && a[1]) {
            rc = fail("unknown option '%s'%s", a, "");
            goto out;
        } else {
            if (jobfile) {
                rc = fail("only one job file, got '%s' and '%s'", jobfile, a);
                goto out;
            }
            jobfile = a;
            continue;
        }
        if (!strcmp(a, "--programs") || !strcmp(a, "-I")) {
            struct stat st;
            int bad = stat(val, &st) ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
            if (bad) {
                rc = fail(!strcmp(a, "-I") ? "--include-dir %s: %s" : "--programs %s: %s", val,
                          strerror(bad));
                goto out;
            }
            if (!strcmp(a, "-I"))
                incs[nincs++] = val;
            else
                progs[nprogs++] = val;
        } else if (!strcmp(a, "-o")) {
            outdir = val;
        } else if (!strcmp(a, "--lkp-src")) {
            char why[512];
            if (job_lkp_src_check(val, why, sizeof why)) {
                rc = fail("--lkp-src %s: %s", val, why);
                goto out;
            }
            lkp_src = val;
        } else if (!strcmp(a, "--memory")) {
            uint64_t bytes = 0;
            int is_size = 0;
            if (jvalue_to_byte(val, &bytes, &is_size) || !is_size || *val < '0' || *val > '9' ||
                bytes < (1ULL << 20) || bytes > (1ULL << 50)) {
                rc = fail("--memory: bad size '%s' (want e.g. 512M or 2G)%s", val, "");
                goto out;
            }
            memory = bytes;
        } else {
            char *e;
            errno = 0;
            long n = strtol(val, &e, 10);
            if (errno || *e || *val < '0' || *val > '9' || n < 1 || n > 4096) {  /* digits only */
                rc = fail("--nr-cpu: bad CPU count '%s'%s", val, "");
                goto out;
            }
            nr_cpu = (int)n;
        }
    }
    if (!jobfile) {
        rc = fail("no job file given%s%s (see minivmm compile --help)", "", "");
        goto out;
    }
    if (no_defaults && !lkp_src) {
        rc = fail("--no-defaults needs --lkp-src (only lkp's tree has defaults)%s%s", "", "");
        goto out;
    }
    char err[1024];
    if (!lkp_src && !(progs[nprogs++] = job_default_program_dir(err, sizeof err))) {
        rc = fail("%s%s", err, "");
        goto out;
    }
    struct job_opts o = {
        .program_dirs = progs,
        .nprogram_dirs = nprogs,
        .include_dirs = incs,
        .ninclude_dirs = nincs,
        .nr_cpu = nr_cpu,
        .memory = memory,
        .require_program = true,
        .lkp_src = lkp_src,
        .no_defaults = no_defaults,
    };
    struct job_list l;
    if (job_load(jobfile, &o, &l, err, sizeof err)) {
        rc = fail("%s%s", err, "");
        goto out;
    }
    rc = write_jobs(outdir, &l);
    job_list_free(&l);
    if (fflush(stdout))
        rc = fail("cannot write to standard output%s%s", "", "");
out:
    free(progs);
    free(incs);
    return rc;
}
