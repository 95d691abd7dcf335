/* Programs of an lkp-tests checkout (`--lkp-src DIR`), found and typed as
 * lkp finds them: lib/job.rb available_programs and create_programs_hash
 * (lkp-tests bbbc29c4), lib/job2sh.rb parse_one and shell_run_program.
 * docs/jobs.md "--lkp-src" states the rules.
 *
 * lkp globs DIR/programs/ * /SCRIPT for each kind of script; a program is the
 * directory holding an executable regular file (links followed) of that
 * name.  lkp's sets: setup (a `setup` script), workload elements (`setup`,
 * then `run`, then `daemon`: a later kind replaces the path), monitors
 * (`monitor`, `no-stdout-monitor`, `one-shot-monitor`, `plain-monitor`,
 * the later replacing the earlier).  job2sh runs a program of the setup set
 * in its setup pass, one of the other workload elements in its command
 * pass (tests and daemons in file order), and a monitor in between; the
 * script it runs is the workload path (else the monitor path), whose
 * header also declares the options (bin/program-options). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "job/job_internal.h"
#include "job/naming.h"

/* LKP/programs/NAME/FILE is what lkp's glob keeps: an executable regular
 * file (File.executable? and not a directory, links followed). */
static int has_script(const char *lkp, const char *name, const char *file)
{
    char path[PATH_MAX];
    struct stat st;
    if (snprintf(path, sizeof path, "%s/programs/%s/%s", lkp, name, file) >= (int)sizeof path)
        return 0;
    return !stat(path, &st) && S_ISREG(st.st_mode) && !access(path, X_OK);
}

static const char *const monitor_files[] = {
    "plain-monitor", "one-shot-monitor", "no-stdout-monitor", "monitor", /* later wins in lkp */
};

/* The script lkp runs for NAME and its type: 0 when NAME is no program. */
static const char *classify(const char *lkp, const char *name, enum job_prog_type *type,
                            int *setup_pass)
{
    int setup = has_script(lkp, name, "setup");
    const char *work = has_script(lkp, name, "daemon") ? "daemon"
                     : has_script(lkp, name, "run")  ? "run"
                     : setup                          ? "setup" : NULL;
    if (work) {
        /* job2sh: a program of the setup set runs in the setup pass, whatever
         * its workload path; its path decides run_setup, run_test or
         * start_daemon (a program with `setup` and `run` runs `run` with
         * run_test in the setup pass). */
        *type = !strcmp(work, "setup") ? JOB_PROG_SETUP
              : !strcmp(work, "daemon") ? JOB_PROG_DAEMON : JOB_PROG_TEST;
        *setup_pass = setup;
        return work;
    }
    for (size_t i = 0; i < sizeof monitor_files / sizeof *monitor_files; i++)
        if (has_script(lkp, name, monitor_files[i])) {
            *type = JOB_PROG_MONITOR;
            return monitor_files[i];
        }
    return NULL;
}

int jlkpsrc_is_program(const char *lkp, const char *name)
{
    enum job_prog_type t;
    int sp;
    return classify(lkp, name, &t, &sp) != NULL;
}

int jlkpsrc_program(struct jctx *c, const struct jnode *key, struct jprogram_info *p)
{
    const char *lkp = c->o->lkp_src;
    const char *script = classify(lkp, key->str, &p->type, &p->setup_pass);
    if (!script)
        return 0;
    if (!(p->script = strdup(script)) ||
        asprintf(&p->dir, "%s/programs/%s", lkp, key->str) < 0) {
        p->dir = NULL;
        return jerr_node(c, key, "out of memory");
    }
    if (jnaming_read_options(p))
        return jerr_node(c, key, "out of memory");
    return 1;
}

int jlkpsrc_skipped(const struct jprog *p)
{
    return p->script && p->type == JOB_PROG_SETUP && !p->nopts && !p->argc &&
           (!strcmp(p->name, "fs2") || !strcmp(p->name, "cpufreq_governor"));
}

int job_lkp_src_check(const char *dir, char *why, size_t len)
{
    char path[PATH_MAX];
    struct stat st;
    if (stat(dir, &st)) {
        snprintf(why, len, "%s", strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(why, len, "not a directory");
        return -1;
    }
    if (snprintf(path, sizeof path, "%s/programs", dir) >= (int)sizeof path ||
        stat(path, &st) || !S_ISDIR(st.st_mode)) {
        snprintf(why, len, "no programs/ directory in it (not an lkp-tests checkout?)");
        return -1;
    }
    return 0;
}

/* ---- include path ---- */

struct incl {
    char **v;
    size_t n, cap;
};

static int incl_add(struct incl *l, char *dir)
{
    if (!dir)
        return -1;
    if (l->n == l->cap) {
        char **nv = realloc(l->v, (l->cap = l->cap ? 2 * l->cap : 32) * sizeof *nv);
        if (!nv) {
            free(dir);
            return -1;
        }
        l->v = nv;
    }
    l->v[l->n++] = dir;
    return 0;
}

static int cmp_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* DIR, then its subdirectories depth first in byte order (not following
 * links, at most 8 levels, at most 1024 directories). */
static int incl_tree(struct incl *l, const char *dir, int depth)
{
    if (incl_add(l, strdup(dir)))
        return -1;
    if (depth >= 8)
        return 0;
    struct dirent **e = NULL;
    int n = scandir(dir, &e, NULL, cmp_name), rc = 0;
    for (int i = 0; i < n; i++) {
        char *sub = NULL;
        struct stat st;
        if (!rc && e[i]->d_name[0] != '.' && l->n < 1024 &&
            asprintf(&sub, "%s/%s", dir, e[i]->d_name) >= 0 && !lstat(sub, &st) &&
            S_ISDIR(st.st_mode))
            rc = incl_tree(l, sub, depth + 1);
        free(sub);
        free(e[i]);
    }
    free(e);
    return rc;
}

/* The nearest ancestor directory of PATH named `jobs` (malloc'd), or NULL. */
static char *jobs_root(const char *path)
{
    char *p = strdup(path), *s;
    while (p && (s = strrchr(p, '/'))) {
        *s = 0;
        const char *b = strrchr(p, '/');
        if (!strcmp(b ? b + 1 : p, "jobs"))
            return p;
    }
    free(p);
    return NULL;
}

int jlkpsrc_include_dirs(const struct job_opts *o, const char *path, char ***dirs, size_t *n)
{
    struct incl l = {0};
    char *jobs = NULL, *root = jobs_root(path);
    int rc = 0;
    for (size_t i = 0; i < o->ninclude_dirs && !rc; i++)
        rc = incl_add(&l, strdup(o->include_dirs[i]));
    if (!rc)
        rc = incl_add(&l, strdup(o->lkp_src));
    if (!rc && root)
        rc = incl_tree(&l, root, 0);
    free(root);
    if (!rc && asprintf(&jobs, "%s/jobs", o->lkp_src) < 0)
        rc = -1;
    if (!rc)
        rc = incl_tree(&l, jobs, 0);
    free(jobs);
    if (rc) {
        for (size_t i = 0; i < l.n; i++)
            free(l.v[i]);
        free(l.v);
        return -1;
    }
    *dirs = l.v;
    *n = l.n;
    return 0;
}
