/* Where minivmm finds its data (programs/, and an optional kernel/): the
 * rule docs/install.md states.  The build stamps MINIVMM_DATADIR into this
 * file only (Makefile: a changed PREFIX or DATADIR rebuilds it). */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "job/job.h"

#ifndef MINIVMM_DATADIR
#define MINIVMM_DATADIR "/usr/local/share/minivmm"
#endif

static bool is_dir(const char *p)
{
    struct stat st;
    return !stat(p, &st) && S_ISDIR(st.st_mode);
}

static bool is_file(const char *p)
{
    struct stat st;
    return !stat(p, &st) && S_ISREG(st.st_mode);
}

/* DIR/NAME into OUT (LEN bytes); false when it does not fit. */
static bool join(char *out, size_t len, const char *dir, const char *name)
{
    int n = snprintf(out, len, "%s/%s", dir, name);
    return n >= 0 && (size_t)n < len;
}

/* DIR is a source checkout: it has programs/ and tests/deps.sh (what
 * `make deps` runs), so messages may point at `make deps`. */
static bool checkout(const char *dir)
{
    char p[PATH_MAX];
    return join(p, sizeof p, dir, "programs") && is_dir(p) &&
           join(p, sizeof p, dir, "tests/deps.sh") && is_file(p);
}

static enum job_data_kind found(struct job_data *d, const char *dir, enum job_data_kind k)
{
    snprintf(d->dir, sizeof d->dir, "%s", dir);
    d->kind = k;
    if (!join(d->programs, sizeof d->programs, dir, "programs"))
        d->programs[0] = 0;
    return k;
}

enum job_data_kind job_data_find(const char *exe, const char *env, const char *builtin,
                                 struct job_data *d)
{
    memset(d, 0, sizeof *d);
    if (env && *env) {                  /* MINIVMM_DATADIR: the only place looked at */
        snprintf(d->looked, sizeof d->looked, "%s (MINIVMM_DATADIR)", env);
        return found(d, env, !is_dir(env) ? JOB_DATA_NONE :
                     checkout(env) ? JOB_DATA_CHECKOUT : JOB_DATA_INSTALLED);
    }
    char bin[PATH_MAX] = "", beside[PATH_MAX] = "";
    if (exe && *exe == '/' && strlen(exe) < sizeof bin) {
        strcpy(bin, exe);
        *strrchr(bin, '/') = 0;                          /* EXEDIR ("" for /minivmm) */
        char p[PATH_MAX];
        if (*bin && join(p, sizeof p, bin, "programs") && is_dir(p))   /* ./minivmm */
            return found(d, bin, checkout(bin) ? JOB_DATA_CHECKOUT : JOB_DATA_INSTALLED);
        char top[PATH_MAX];
        strcpy(top, bin);
        char *s = strrchr(top, '/');
        if (s)
            *s = 0;                                      /* PREFIX of PREFIX/bin */
        if (join(beside, sizeof beside, top, "share/minivmm") && is_dir(beside))
            return found(d, beside, JOB_DATA_INSTALLED);
    }
    if (builtin && *builtin && is_dir(builtin))
        return found(d, builtin, JOB_DATA_INSTALLED);
    /* None: name where an installation beside the binary would put it. */
    if (!*beside || (builtin && !strcmp(beside, builtin)))
        snprintf(d->looked, sizeof d->looked, "%s", builtin ? builtin : "");
    else
        snprintf(d->looked, sizeof d->looked, "%s and %s", beside, builtin ? builtin : "");
    return found(d, *beside ? beside : builtin ? builtin : "", JOB_DATA_NONE);
}

const struct job_data *job_data(void)
{
    static struct job_data d;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0)
        exe[n] = 0;
    job_data_find(n > 0 ? exe : NULL, getenv("MINIVMM_DATADIR"), MINIVMM_DATADIR, &d);
    return &d;
}

const char *job_default_program_dir(char *err, size_t errlen)
{
    const struct job_data *d = job_data();
    if (d->kind == JOB_DATA_NONE) {
        snprintf(err, errlen, "minivmm's data directory is missing (looked for %s): install "
                 "minivmm completely (`make install` puts programs/ there) or set "
                 "MINIVMM_DATADIR", d->looked);
        return NULL;
    }
    struct stat st;
    int e = !*d->programs ? ENAMETOOLONG : stat(d->programs, &st) ? errno :
            !S_ISDIR(st.st_mode) ? ENOTDIR : access(d->programs, R_OK | X_OK) ? errno : 0;
    if (e) {
        snprintf(err, errlen, "minivmm's programs directory %s/programs: %s (install minivmm "
                 "completely: `make install` puts it there)", d->dir, strerror(e));
        return NULL;
    }
    return d->programs;
}
