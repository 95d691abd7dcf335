/* lkp's job names: docs/jobs.md "Names".  Read from lkp-tests' lib/job.rb
 * (path_params, each_param, init_program_options), bin/program-options and
 * sbin/split-job; written anew here. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "job/job_internal.h"
#include "job/naming.h"

#define HEADER_MAX 65536 /* bytes of a run script read for its header */

void jnaming_free_options(struct jprogram_info *p)
{
    for (size_t i = 0; i < p->nopts; i++)
        free(p->opts[i]);
    free(p->opts);
    free(p->optkind);
    p->opts = NULL;
    p->optkind = NULL;
    p->nopts = 0;
}

static int valid_opt_name(const char *s, size_t n)
{
    if (!n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.'))
            return 0;
    return 1;
}

int jnaming_read_options(struct jprogram_info *p)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", p->dir, p->script ? p->script : "run") >=
        (int)sizeof path)
        return 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char *buf = malloc(HEADER_MAX + 1);
    size_t len = 0;
    if (!buf) {
        close(fd);
        return -1;
    }
    for (;;) {
        ssize_t r = read(fd, buf + len, HEADER_MAX - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        if (len == HEADER_MAX)
            break;
    }
    close(fd);
    buf[len] = 0;
    if (memchr(buf, 0, len))
        len = strlen(buf);
    int ret = 0;
    for (char *l = buf; l < buf + len;) {
        char *e = memchr(l, '\n', (size_t)(buf + len - l));
        size_t n = e ? (size_t)(e - l) : (size_t)(buf + len - l);
        if (!n)
            break; /* the header ends at the first empty line */
        /* "# - NAME" or "# = NAME", nothing else on the line */
        if (n > 4 && l[0] == '#' && l[1] == ' ' && (l[2] == '-' || l[2] == '=') && l[3] == ' ' &&
            valid_opt_name(l + 4, n - 4)) {
            char **o = realloc(p->opts, (p->nopts + 1) * sizeof *o);
            if (o)
                p->opts = o;
            char *k = realloc(p->optkind, p->nopts + 1);
            if (k)
                p->optkind = k;
            if (!o || !k || !(p->opts[p->nopts] = strndup(l + 4, n - 4))) {
                ret = -1;
                break;
            }
            p->optkind[p->nopts++] = l[2];
        }
        l += n + 1;
    }
    free(buf);
    return ret;
}

int jnaming_bool(const char *s)
{
    /* Psych's ScalarScanner#tokenize: /^(yes|true|on)$/i, /^(no|false|off)$/i
     * (any case: `yEs` too; `y` and `n` stay strings) */
    static const char *const f[] = {"false", "no", "off"};
    static const char *const t[] = {"true", "yes", "on"};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
        if (!strcasecmp(s, f[i]))
            return 0;
        if (!strcasecmp(s, t[i]))
            return 1;
    }
    return -1;
}

/* lkp's run-test wrapper options (bin/run-test) and 'cluster' always name. */
static const char *const always[] = {"cluster", "nr_instances", "cpu_node_bind", "mem_node_bind"};

/* 0 not a naming key, '-' or '=' its kind, -1 error. */
static int key_kind(struct jctx *c, const struct jnode *d, const struct jnode *key)
{
    int kind = 0;
    for (size_t i = 0; i < sizeof always / sizeof *always; i++)
        if (!strcmp(key->str, always[i]))
            kind = '-';
    /* an option some workload program of the job declares (the last wins) */
    for (size_t i = 0; i < d->n; i++) {
        const struct jprogram_info *pi;
        int r = jprogram_find(c, d->keys[i], &pi);
        if (r < 0)
            return -1;
        if (!r || pi->type == JOB_PROG_MONITOR)
            continue;
        for (size_t k = 0; k < pi->nopts; k++)
            if (!strcmp(pi->opts[k], key->str))
                kind = pi->optkind[k];
    }
    if (kind)
        return kind;
    /* a workload program's name (setup, test, daemon) */
    const struct jprogram_info *pi;
    int r = jprogram_find(c, key, &pi);
    if (r < 0)
        return -1;
    return r && pi->type != JOB_PROG_MONITOR ? '-' : 0;
}

/* lkp's expansion dimensions besides the workload programs and their
 * options (lib/job.rb EXPAND_DIMS). */
static const char *const expand_dims[] = {"kconfig",         "commit",           "rootfs",
                                          "ltp_commit",      "nvml_commit",      "blktests_commit",
                                          "qemu_commit",     "perf_test_commit", "linux_commit"};

/* 1 when lkp expands a list under KEY in D: a workload program's name, an
 * option one declares, `cluster`, run-test's options or an EXPAND_DIMS key;
 * 0 not, -1 error. */
static int lkp_dim(struct jctx *c, const struct jnode *d, const struct jnode *key)
{
    for (size_t i = 0; i < sizeof expand_dims / sizeof *expand_dims; i++)
        if (!strcmp(key->str, expand_dims[i]))
            return 1;
    int k = key_kind(c, d, key);
    return k < 0 ? -1 : k != 0;
}

/* The list V (scalars only) as the one string lkp's job2sh exports for it
 * (shell_escape_expand: the items joined by newlines; Ruby's true/false for
 * a YAML 1.1 boolean), in place.  1 done, 0 not scalars only, -1 error. */
static int join_list(struct jctx *c, const struct jnode *key, struct jnode *v)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->kids[i]->kind != JN_STR && v->kids[i]->kind != JN_NULL)
            return 0;
    for (size_t i = 0; i < v->n; i++) /* lkp keeps a {{ }} here as text */
        if (v->kids[i]->kind == JN_STR && strstr(v->kids[i]->str, JLKP_MARK))
            return jerr_node(c, v->kids[i], "'%s': a {{ }} expression in a list that is not "
                             "expanded into jobs (lkp leaves it unevaluated): not supported",
                             key->str);
    struct jbuf b = {0};
    jb_add(&b, "", 0);
    for (size_t i = 0; i < v->n; i++) {
        const struct jnode *it = v->kids[i];
        int bv = it->kind == JN_STR && !it->quoted ? jnaming_bool(it->str) : -1;
        if (i)
            jb_add(&b, "\n", 1);
        jb_puts(&b, bv >= 0 ? (bv ? "true" : "false") : it->kind == JN_STR ? it->str : "");
    }
    char *str = jb_finish(&b);
    if (!str)
        return jerr_node(c, v, "out of memory");
    for (size_t i = 0; i < v->n; i++)
        jnode_free(v->kids[i]);
    v->n = 0;
    v->kind = JN_STR;
    v->str = str;
    v->quoted = 1;
    return 1;
}

int jnaming_lkp_lists(struct jctx *c, struct jnode *d)
{
    if (!c->o->lkp_src || d->kind != JN_MAP)
        return 0;
    for (size_t i = 0; i < d->n; i++) {
        struct jnode *v = d->kids[i];
        const struct jprogram_info *pi;
        int prog = jprogram_find(c, d->keys[i], &pi);
        if (prog < 0)
            return -1;
        if (v->kind == JN_SEQ) {
            int dim = lkp_dim(c, d, d->keys[i]);
            if (dim < 0)
                return -1;
            if (!dim && prog) { /* a monitor: job2sh gives it nothing */
                struct jnode *n = jnode_new(NULL, JN_NULL, v->file, v->line, v->col);
                if (!n)
                    return jerr_node(c, v, "out of memory");
                jnode_free(v);
                d->kids[i] = n;
                continue;
            }
            if (!dim && join_list(c, d->keys[i], v) < 0)
                return -1;
        }
        if (!prog)
            continue;
        /* options: of the program's map, or of each map in its list */
        size_t nm = v->kind == JN_MAP ? 1 : v->kind == JN_SEQ ? v->n : 0;
        for (size_t m = 0; m < nm; m++) {
            struct jnode *map = v->kind == JN_MAP ? v : v->kids[m];
            if (map->kind != JN_MAP)
                continue;
            for (size_t o = 0; o < map->n; o++) {
                if (map->kids[o]->kind != JN_SEQ)
                    continue;
                int dim = lkp_dim(c, d, map->keys[o]);
                if (dim < 0 || (!dim && join_list(c, map->keys[o], map->kids[o]) < 0))
                    return -1;
            }
        }
    }
    return 0;
}

int jnaming_is_dim(struct jctx *c, const struct jnode *d, const char *key)
{
    struct jnode k = {.kind = JN_STR, .str = (char *)key, .file = d->file};
    return lkp_dim(c, d, &k);
}

struct part {
    const char *key;
    const struct jnode *val;
    int kind;
    size_t order;
};

static int cmp_part(const void *a, const void *b)
{
    const struct part *x = a, *y = b;
    int r = strcmp(x->key, y->key);
    return r ? r : (x->order > y->order) - (x->order < y->order);
}

/* At most 31 characters (UTF-8 sequences count as one) of S. */
static void add_cut(struct jbuf *b, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    for (int chars = 0; u[i] && chars < 31; chars++) {
        i++;
        while ((u[i] & 0xc0) == 0x80)
            i++;
    }
    jb_add(b, s, i);
}

/* lkp's tr('^-a-zA-Z0-9+=:.%', '_'), one '_' per UTF-8 character. */
static char *map_chars(const char *s)
{
    struct jbuf b = {0};
    const unsigned char *u = (const unsigned char *)s;
    jb_add(&b, "", 0);
    while (*u) {
        unsigned char ch = *u++;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 strchr("-+=:.%", ch);
        if (ch >= 0xc0)
            while ((*u & 0xc0) == 0x80)
                u++;
        char out = ok ? (char)ch : '_';
        jb_add(&b, &out, 1);
    }
    return jb_finish(&b);
}

static int collect(struct jctx *c, const struct jnode *d, const struct jnode *k,
                   const struct jnode *v, struct part **parts, size_t *n)
{
    if (v->kind == JN_MAP || v->kind == JN_SEQ)
        return 0;
    int kind = key_kind(c, d, k);
    if (kind <= 0)
        return kind;
    struct part *p = realloc(*parts, (*n + 1) * sizeof *p);
    if (!p)
        return jerr_node(c, k, "out of memory");
    *parts = p;
    p[*n] = (struct part){k->str, v, kind, *n};
    (*n)++;
    return 0;
}

char *jnaming_params(struct jctx *c, const struct jnode *d)
{
    struct part *parts = NULL;
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++) {
        const struct jnode *k = d->keys[i], *v = d->kids[i];
        if (collect(c, d, k, v, &parts, &n))
            goto fail;
        if (v->kind != JN_MAP)
            continue;
        const struct jprogram_info *pi;
        int r = jprogram_find(c, k, &pi);
        if (r < 0)
            goto fail;
        if (r && pi->type == JOB_PROG_MONITOR)
            continue; /* a monitor's options never name the job */
        for (size_t o = 0; o < v->n; o++)
            if (collect(c, d, v->keys[o], v->kids[o], &parts, &n))
                goto fail;
    }
    if (n)
        qsort(parts, n, sizeof *parts, cmp_part);
    struct jbuf b = {0};
    jb_add(&b, "", 0);
    for (size_t i = 0; i < n; i++) {
        const struct jnode *v = parts[i].val;
        const char *s = v->kind == JN_STR ? v->str : NULL;
        int bv = s && !v->quoted ? jnaming_bool(s) : -1;
        if (bv == 0)
            s = NULL; /* false: left out, as nothing */
        else if (bv == 1)
            s = "true";
        if (parts[i].kind == '=') {
            jb_puts(&b, parts[i].key);
            if (s && *s) {
                jb_puts(&b, "=");
                add_cut(&b, s);
            }
        } else if (s) {
            add_cut(&b, s);
        } else {
            continue;
        }
        jb_puts(&b, "-");
    }
    free(parts);
    char *path = jb_finish(&b);
    if (!path)
        return jerr_node(c, d, "out of memory"), NULL;
    size_t l = strlen(path);
    if (!l) {
        free(path);
        path = strdup("defaults");
        if (!path)
            jerr_node(c, d, "out of memory");
        return path;
    }
    if (path[l - 1] == '-')
        path[l - 1] = 0; /* lkp's chomp('-'): one dash */
    char *r = map_chars(path);
    free(path);
    if (!r)
        jerr_node(c, d, "out of memory");
    return r;
fail:
    free(parts);
    return NULL;
}

char *jnaming_base(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 5 && !strcmp(b + n - 5, ".yaml"))
        n -= 5; /* File.basename(jobfile, '.yaml') */
    char *t = strndup(b, n);
    if (!t)
        return NULL;
    char *r = map_chars(t);
    free(t);
    if (r && !*r) {
        free(r);
        return strdup("job");
    }
    if (r && (r[0] == '.' || r[0] == '-'))
        r[0] = '_';
    return r;
}

char *jnaming_suffix(const struct jnode *d)
{
    static const char *const commits[] = {"commit", "ltp_commit", "nvml_commit",
                                          "blktests_commit", "qemu_commit",
                                          "perf_test_commit", "linux_commit"};
    struct jbuf b = {0};
    jb_add(&b, "", 0);
    for (size_t i = 0; i <= sizeof commits / sizeof *commits; i++) {
        const char *k = i < sizeof commits / sizeof *commits ? commits[i] : "rootfs";
        long at = jmap_find((struct jnode *)d, k);
        const struct jnode *v = at >= 0 ? d->kids[at] : NULL;
        if (!v || v->kind != JN_STR)
            continue;
        const char *t = v->str;
        size_t n = strlen(t);
        if (i == sizeof commits / sizeof *commits) { /* lkp's rootfs_filename */
            const char *p = t + n;
            while (p > t && !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", p[-1]))
                p--; /* split drops empty trailing fields */
            n = (size_t)(p - t);
            while (p > t && strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", p[-1]))
                p--;
            n -= (size_t)(p - t);
            t = p;
        }
        char *part = strndup(t, n), *m = part ? map_chars(part) : NULL;
        free(part);
        if (!m) {
            free(jb_finish(&b));
            return NULL;
        }
        jb_puts(&b, "-");
        jb_puts(&b, m);
        free(m);
    }
    return jb_finish(&b);
}
