/* `minivmm rootfs --packages P1,P2,... -o FILE.cgz`: a Debian userland built
 * with debootstrap (minbase) plus the named packages, packed as a gzip'd
 * newc cpio archive and cached by its inputs.  docs/rootfs.md. */
#include "cli/rootfs.h"
#include "cli/fsutil.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "initrd/cpio.h"
#include "cli/kernel.h"

#define ERR(...) fprintf(stderr, "minivmm rootfs: " __VA_ARGS__)
#define PFX "minivmm rootfs: "

/* ---- The command ---- */

static volatile sig_atomic_t caught;
static char copy_tmp[PATH_MAX + 32];      /* the -o copy being written, for the handler */

static void on_signal(int sig)
{
    caught = sig;
    cpio_remove_temp();
    if (copy_tmp[0])
        unlink(copy_tmp);
}

static void usage(FILE *f)
{
    fprintf(f,
"usage: minivmm rootfs [--packages P1,P2,...] -o FILE.cgz [--suite SUITE] [--mirror URL]\n"
"                      [--progress|--no-progress]\n"
"Builds a Debian userland (debootstrap --variant=minbase, amd64) with the named\n"
"packages and packs it as a gzip'd cpio archive for `minivmm run --rootfs FILE.cgz`.\n"
"  --packages P1,P2,...  packages to add (Debian names, comma-separated)\n"
"  -o, --output FILE     the archive (a new path or a regular file, replaced whole)\n"
"  --suite SUITE         Debian release (default " ROOTFS_DEFAULT_SUITE ")\n"
"  --mirror URL          package mirror (default: the host's APT sources for SUITE,\n"
"                        else " ROOTFS_DEFAULT_MIRROR ")\n"
"  --progress            a line on stderr at each stage (default when stderr is a\n"
"                        terminal; --no-progress: never)\n"
"Needs root and debootstrap, except when the same inputs were built before:\n"
"archives are cached in CACHE/rootfs/ (CACHE: $XDG_CACHE_HOME/minivmm, else\n"
"~/.cache/minivmm) by packages, suite, mirror, architecture and minivmm version.\n"
"--help, --version: this text, the version.\n");
}

/* The mirror the host's APT uses for suite, else the default. */
static void host_mirror(const char *suite, char *out, size_t len)
{
    glob_t g;
    snprintf(out, len, "%s", ROOTFS_DEFAULT_MIRROR);
    const char *one[] = { "/etc/apt/sources.list" };
    for (int pass = 0; pass < 3; pass++) {
        const char *pat = pass == 1 ? "/etc/apt/sources.list.d/*.list" :
                          "/etc/apt/sources.list.d/*.sources";
        size_t n = 1;
        char *const *v = (char *const *)one;
        bool globbed = pass > 0 && glob(pat, 0, NULL, &g) == 0;
        if (pass > 0) {
            if (!globbed)
                continue;
            n = g.gl_pathc;
            v = g.gl_pathv;
        }
        bool found = false;
        for (size_t i = 0; i < n && !found; i++) {
            FILE *f = fopen(v[i], "re");
            if (!f)
                continue;
            char buf[65536];
            size_t r = fread(buf, 1, sizeof(buf) - 1, f);
            fclose(f);
            buf[r] = 0;
            found = rootfs_mirror_from_apt(buf, pass == 2, suite, out, len) == 0;
        }
        if (globbed)
            globfree(&g);
        if (found)
            return;
    }
    snprintf(out, len, "%s", ROOTFS_DEFAULT_MIRROR);
}

static bool in_path(const char *name, char *out, size_t len)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        return false;
    for (const char *p = path;;) {
        const char *c = strchr(p, ':');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        if (n && (size_t)snprintf(out, len, "%.*s/%s", (int)n, p, name) < len &&
            access(out, X_OK) == 0)
            return true;
        if (!c)
            return false;
        p = c + 1;
    }
}

static int rm_errors;
static int rm_cb(const char *p, const struct stat *st, int type, struct FTW *f)
{
    (void)st;
    if (f->level == 0)
        return 0;               /* the top stays: rm_tree removes it */
    if ((type == FTW_DP ? rmdir(p) : unlink(p)) < 0 && errno != ENOENT)
        rm_errors++;
    return 0;
}

/* Removes what is below dir, never crossing into another file system (a
 * /proc debootstrap left mounted) nor following a symlink; then dir itself
 * unless keep_top. */
static int rm_tree(const char *dir, bool keep_top)
{
    rm_errors = 0;
    struct stat st;
    if (lstat(dir, &st) < 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return 0;
    nftw(dir, rm_cb, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
    if (!keep_top && rmdir(dir) < 0)
        rm_errors++;
    return rm_errors ? -1 : 0;
}

/* debootstrap's messages -> our stages. */
static const struct { const char *prefix, *stage; } stages[] = {
    { "I: Retrieving InRelease", "fetching the release file" },
    { "I: Retrieving Release", "fetching the release file" },
    { "I: Checking Release", "checking the release signature" },
    { "I: Retrieving Packages", "fetching the package lists" },
    { "I: Validating Packages", "fetching the package lists" },
    { "I: Resolving dependencies", "resolving dependencies" },
    { "I: Found ", "resolving dependencies" },
    { "I: Retrieving ", "downloading packages" },
    { "I: Validating ", "downloading packages" },
    { "I: Extracting ", "extracting packages" },
    { "I: Installing ", "installing core packages" },
    { "I: Unpacking ", "unpacking packages" },
    { "I: Configuring ", "configuring packages" },
    { "I: Base system installed", "debootstrap done" },
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs debootstrap into dir; its output goes to logpath.  0, or -1 with
 * the reason on stderr. */
static int debootstrap(const char *prog, const struct rootfs_spec *s, const char *dir,
                       const char *logpath, bool progress, double t0)
{
    char include[ROOTFS_MAX_PACKAGES * 130 + 16] = "--include=";
    for (size_t i = 0; i < s->npackages; i++) {
        if (i)
            strcat(include, ",");
        strcat(include, s->packages[i]);
    }
    char arch[32];
    snprintf(arch, sizeof arch, "--arch=%s", s->arch);
    const char *argv[] = { prog, "--variant=minbase", arch, include, s->suite, dir, s->mirror,
                           NULL };
    if (!s->npackages)
        memmove(&argv[3], &argv[4], 4 * sizeof(argv[0]));
    FILE *log = fopen(logpath, "we");
    if (!log) {
        ERR("cannot write %s: %s\n", logpath, strerror(errno));
        return -1;
    }
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0) {
        ERR("pipe: %s\n", strerror(errno));
        fclose(log);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        ERR("fork: %s\n", strerror(errno));
        fclose(log);
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(pfd[1], 1);
        dup2(pfd[1], 2);
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0)
            dup2(nul, 0);
        setenv("LC_ALL", "C", 1);
        setenv("DEBIAN_FRONTEND", "noninteractive", 1);
        execv(prog, (char *const *)argv);
        fprintf(stderr, "E: cannot run %s: %s\n", prog, strerror(errno));
        _exit(127);
    }
    close(pfd[1]);
    FILE *in = fdopen(pfd[0], "r");
    char line[4096], last_e[512] = "", stage[64] = "";
    int npkg = 0;
    while (in) {
        if (!fgets(line, sizeof line, in)) {
            if (ferror(in) && errno == EINTR && !caught) {
                clearerr(in);
                continue;
            }
            break;
        }
        fputs(line, log);
        line[strcspn(line, "\r\n")] = 0;
        if (!strncmp(line, "E: ", 3))
            snprintf(last_e, sizeof last_e, "%.500s", line + 3);
        if (!strncmp(line, "I: Retrieving ", 14) && strncmp(line + 14, "InRelease", 9) &&
            strncmp(line + 14, "Release", 7) && strncmp(line + 14, "Packages", 8))
            npkg++;
        for (size_t k = 0; k < sizeof stages / sizeof stages[0]; k++)
            if (!strncmp(line, stages[k].prefix, strlen(stages[k].prefix))) {
                if (progress && strcmp(stage, stages[k].stage))
                    fprintf(stderr, PFX "%s (%.0f s)\n", stages[k].stage, now_s() - t0);
                snprintf(stage, sizeof stage, "%s", stages[k].stage);
                break;
            }
    }
    if (caught)
        kill(pid, SIGTERM);
    if (in)
        fclose(in);
    else
        close(pfd[0]);
    fclose(log);
    int ws;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    if (caught)
        return -1;
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0) {
        if (progress)
            fprintf(stderr, PFX "%d packages installed (%.0f s)\n", npkg, now_s() - t0);
        return 0;
    }
    for (char *c = last_e; *c; c++)
        if ((unsigned char)*c < 0x20)
            *c = '?';
    if (strstr(last_e, "Failed getting release"))
        ERR("mirror %s unreachable or without suite %s (give a reachable Debian mirror "
            "with --mirror): %s\n", s->mirror, s->suite, last_e);
    else if (strstr(last_e, "Couldn't find these debs"))
        ERR("a package is not in %s at %s (check --packages): %s\n", s->suite, s->mirror,
            last_e);
    else if (WIFSIGNALED(ws))
        ERR("debootstrap killed by signal %d (log: %s)\n", WTERMSIG(ws), logpath);
    else
        ERR("debootstrap failed with status %d: %s (log: %s)\n", WEXITSTATUS(ws),
            *last_e ? last_e : "no error message", logpath);
    return -1;
}

/* What nobody runs in a test guest: package caches, lists and docs. */
static void trim(const char *dir)
{
    static const char *const sub[] = {
        "var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man",
        "usr/share/info", "usr/share/locale",
    };
    for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++) {
        char p[PATH_MAX + 128];
        snprintf(p, sizeof p, "%s/%s", dir, sub[i]);
        rm_tree(p, true);
    }
}

/* Copies src to dst through dst.tmp-XXXXXX and rename(). */
static int copy_atomic(const char *src, const char *dst)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        ERR("%s: %s\n", src, strerror(errno));
        return -1;
    }
    snprintf(copy_tmp, sizeof copy_tmp, "%s.tmp-XXXXXX", dst);
    int out = mkostemp(copy_tmp, O_CLOEXEC);
    if (out < 0) {
        ERR("-o %s: %s\n", dst, strerror(errno));
        copy_tmp[0] = 0;
        close(in);
        return -1;
    }
    char buf[65536];
    ssize_t r;
    int rc = 0;
    while ((r = read(in, buf, sizeof buf)) != 0) {
        if (r < 0 && errno == EINTR && !caught)
            continue;
        if (r < 0 || caught) {
            rc = -1;
            break;
        }
        for (ssize_t w = 0; w < r;) {
            ssize_t k = write(out, buf + w, (size_t)(r - w));
            if (k < 0 && errno == EINTR && !caught)
                continue;
            if (k < 0) {
                rc = -1;
                break;
            }
            w += k;
        }
        if (rc)
            break;
    }
    if (!rc && (fchmod(out, 0644) < 0 || fsync(out) < 0))
        rc = -1;
    int e = errno;
    if (close(out) < 0 && !rc)
        rc = -1, e = errno;
    close(in);
    if (!rc && !caught && rename(copy_tmp, dst) < 0)
        rc = -1, e = errno;
    if (rc || caught) {
        unlink(copy_tmp);
        if (!caught)
            ERR("-o %s: %s\n", dst, strerror(e));
    }
    copy_tmp[0] = 0;
    return rc || caught ? -1 : 0;
}

enum { O_PACKAGES = 256, O_SUITE, O_MIRROR, O_PROGRESS, O_NO_PROGRESS, O_HELP, O_VERSION };
static const struct option longopts[] = {
    { "packages", required_argument, NULL, O_PACKAGES },
    { "output", required_argument, NULL, 'o' },
    { "suite", required_argument, NULL, O_SUITE },
    { "mirror", required_argument, NULL, O_MIRROR },
    { "progress", no_argument, NULL, O_PROGRESS },
    { "no-progress", no_argument, NULL, O_NO_PROGRESS },
    { "help", no_argument, NULL, O_HELP },
    { "version", no_argument, NULL, O_VERSION },
    { 0 },
};

/* Checks -o: its directory exists, it is a new name or a regular file. */
static int check_output(const char *out)
{
    char dir[PATH_MAX];
    if (!*out || strlen(out) >= sizeof dir - 32) {
        ERR("-o: give a file name (of at most %zu bytes)\n", sizeof dir - 33);
        return -1;
    }
    memcpy(dir, out, strlen(out) + 1);     /* length checked above */
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = 0;
    else if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof dir, ".");
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        ERR("-o %s: directory %s does not exist\n", out, dir);
        return -1;
    }
    if (lstat(out, &st) == 0 && !S_ISREG(st.st_mode)) {
        ERR("-o %s is not a regular file: it is left alone (give a regular file or a new "
            "path)\n", out);
        return -1;
    }
    if (access(dir, W_OK) < 0) {
        ERR("-o %s: directory %s cannot be written: %s\n", out, dir, strerror(errno));
        return -1;
    }
    return 0;
}

int rootfs_main(int argc, char **argv)
{
    struct rootfs_spec s = { .suite = ROOTFS_DEFAULT_SUITE, .arch = ROOTFS_ARCH,
                             .version = MINIVMM_VERSION };
    const char *out = NULL, *mirror = NULL;
    char *pkgs = NULL;
    int progress = -1, c;
    char err[512];
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
        switch (c) {
        case O_PACKAGES: pkgs = optarg; break;
        case 'o': out = optarg; break;
        case O_SUITE: s.suite = optarg; break;
        case O_MIRROR: mirror = optarg; break;
        case O_PROGRESS: progress = 1; break;
        case O_NO_PROGRESS: progress = 0; break;
        case O_HELP: usage(stdout); return 0;
        case O_VERSION: printf("minivmm %s\n", MINIVMM_VERSION); return 0;
        case ':': ERR("option %s needs a value\n", argv[optind - 1]); return 255;
        default: ERR("unknown option '%s' (see minivmm rootfs --help)\n", argv[optind - 1]);
            return 255;
        }
    }
    if (optind < argc) {
        ERR("unexpected argument '%s' (packages go in --packages P1,P2,...)\n", argv[optind]);
        return 255;
    }
    if (!out) {
        ERR("missing -o FILE.cgz (see minivmm rootfs --help)\n");
        return 255;
    }
    char pbuf[ROOTFS_MAX_PACKAGES * 130];
    if (pkgs && strlen(pkgs) >= sizeof pbuf) {
        ERR("--packages: list too long\n");
        return 255;
    }
    snprintf(pbuf, sizeof pbuf, "%s", pkgs ? pkgs : "");
    if (pkgs && !*pkgs) {
        ERR("--packages: empty list (leave the option out for minbase alone)\n");
        return 255;
    }
    if (rootfs_parse_packages(pbuf, &s, err, sizeof err) < 0 ||
        rootfs_check_suite(s.suite, err, sizeof err) < 0) {
        ERR("%s\n", err);
        return 255;
    }
    char mbuf[1100];
    if (!mirror)
        host_mirror(s.suite, mbuf, sizeof mbuf);
    s.mirror = mirror ? mirror : mbuf;
    if (rootfs_check_mirror(s.mirror, err, sizeof err) < 0) {
        if (!mirror)
            ERR("the host's APT sources name an unusable mirror; give --mirror URL: %s\n", err);
        else
            ERR("%s\n", err);
        return 255;
    }
    if (check_output(out) < 0)
        return 255;
    if (progress < 0)
        progress = isatty(STDERR_FILENO);

    char key[65], cache[PATH_MAX], cached[PATH_MAX + 80];
    rootfs_cache_key(&s, key);
    kernel_cache_dir(cache, sizeof cache - 16);
    strcat(cache, "/rootfs");
    snprintf(cached, sizeof cached, "%s/%s.cgz", cache, key);

    struct sigaction sa = { .sa_handler = on_signal };
    sigfillset(&sa.sa_mask);
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    for (int k = 0; k < 3; k++) {
        struct sigaction old;
        if (sigaction(sigs[k], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(sigs[k], &sa, NULL);
    }
    double t0 = now_s();
    struct stat st;
    bool hit = lstat(cached, &st) == 0 && S_ISREG(st.st_mode);
    if (!hit) {
        char prog[PATH_MAX];
        if (!in_path("debootstrap", prog, sizeof prog)) {
            ERR("debootstrap not found in PATH: install debootstrap: apt-get install "
                "debootstrap\n");
            return 255;
        }
        if (geteuid() != 0) {
            ERR("building a userland needs root (debootstrap installs packages as root): run "
                "it as root, e.g. sudo minivmm rootfs ...\n");
            return 255;
        }
        if (cli_mkdir_p(cache) < 0) {
            ERR("cannot create cache directory %s: %s\n", cache, strerror(errno));
            return 255;
        }
        char build[PATH_MAX + 80], logpath[PATH_MAX + 80];
        snprintf(build, sizeof build, "%s/build-%.16s-XXXXXX", cache, key);
        snprintf(logpath, sizeof logpath, "%s/%s.log", cache, key);
        if (!mkdtemp(build)) {
            ERR("cannot create a build directory in %s: %s\n", cache, strerror(errno));
            return 255;
        }
        if (progress)
            fprintf(stderr, PFX "debootstrap %s from %s%s%s into %s\n", s.suite, s.mirror,
                    s.npackages ? " with " : "", s.npackages ? pkgs : "", build);
        int rc = debootstrap(prog, &s, build, logpath, progress, t0);
        if (rc == 0) {
            trim(build);
            if (progress)
                fprintf(stderr, PFX "packing %s (%.0f s)\n", cached, now_s() - t0);
            struct cpio_builder *b = cpio_builder_new();
            /* Owners and modes as installed (not --reproducible: _apt, etc.). */
            struct cpio_opts co = { .compress = CPIO_COMPRESS_GZIP, .gzip_level = 6 };
            if (!b || cpio_add_host(b, build, "") < 0 || cpio_write_file(b, cached, &co) < 0) {
                if (!caught)
                    ERR("packing %s: %s\n", build, b ? cpio_error(b) : "out of memory");
                rc = -1;
            }
            cpio_builder_free(b);
        }
        if (rm_tree(build, false) < 0)
            ERR("could not remove all of %s (remove it by hand)\n", build);
        if (caught) {
            fprintf(stderr, PFX "interrupted; nothing written\n");
            return 128 + caught;
        }
        if (rc < 0)
            return 255;
    } else if (progress) {
        fprintf(stderr, PFX "using the cached %s\n", cached);
    }
    if (copy_atomic(cached, out) < 0) {
        if (caught) {
            fprintf(stderr, PFX "interrupted; nothing written\n");
            return 128 + caught;
        }
        return 255;
    }
    if (stat(out, &st) < 0)
        st.st_size = 0;
    printf("minivmm rootfs: %s (%.1f MiB, %s, %.0f s)\n", out, st.st_size / 1048576.0,
           hit ? "from the cache" : "built", now_s() - t0);
    return 0;
}
