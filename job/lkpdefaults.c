/* lkp's defaults (lib/job.rb load_defaults, include_files, load_one_defaults;
 * lib/hash.rb revise_hash): with --lkp-src, the files of LKP/include/KEY/ and
 * LKP/programs/NAME/include that the job's keys and values select are
 * expanded (ERB subset, job/lkperb.c), read as YAML and merged under the
 * job, as lkp's split-job and job2sh do unless --no-defaults.  docs/jobs.md
 * "lkp's defaults" states each rule. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "job/job_internal.h"
#include "job/lkperb.h"
#include "job/naming.h"
#include "job/values.h"

#define MAX_INCLUDE_FILES 4096

struct jlkp_inc {
    char *key, *name, *path;
};

struct jlkp_incs {
    struct jlkp_inc *v;
    size_t n;
};

void jlkp_defaults_free(struct jctx *c)
{
    if (!c->incs)
        return;
    for (size_t i = 0; i < c->incs->n; i++) {
        free(c->incs->v[i].key);
        free(c->incs->v[i].name);
        free(c->incs->v[i].path);
    }
    free(c->incs->v);
    free(c->incs);
    c->incs = NULL;
}

static int is_dir(const char *p)
{
    struct stat st;
    return !stat(p, &st) && S_ISDIR(st.st_mode);
}

/* Adds (KEY, NAME, PATH); a later KEY from programs/ replaces include/'s
 * (lkp's @include_files[key] = {}): REPLACE drops KEY's entries first. */
static int add_inc(struct jlkp_incs *s, const char *key, const char *name, const char *path)
{
    if (s->n >= MAX_INCLUDE_FILES)
        return 0; /* more than lkp's tree holds: the rest is not read */
    struct jlkp_inc *v = realloc(s->v, (s->n + 1) * sizeof *v);
    if (!v)
        return -1;
    s->v = v;
    struct jlkp_inc *e = &v[s->n];
    if (!(e->key = strdup(key)) || !(e->name = strdup(name)) || !(e->path = strdup(path))) {
        free(e->key);
        free(e->name);
        return -1;
    }
    s->n++;
    return 0;
}

static void drop_key(struct jlkp_incs *s, const char *key)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (!strcmp(s->v[i].key, key)) {
            free(s->v[i].key);
            free(s->v[i].name);
            free(s->v[i].path);
        } else {
            s->v[k++] = s->v[i];
        }
    }
    s->n = k;
}

/* DIR's entries (not those starting with '.', as Ruby's Dir[] globs). */
static int scan_dir(struct jlkp_incs *s, const char *dir, int programs)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0; /* no include/ (or no programs/): no defaults from it */
    struct dirent *de;
    int r = 0;
    char p[PATH_MAX], q[PATH_MAX];
    while (!r && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (snprintf(p, sizeof p, "%s/%s%s", dir, de->d_name, programs ? "/include" : "") >=
            (int)sizeof p)
            continue;
        struct stat st;
        if (stat(p, &st))
            continue;
        if (programs)
            drop_key(s, de->d_name);
        if (S_ISREG(st.st_mode)) {
            r = add_inc(s, de->d_name, de->d_name, p);
            continue;
        }
        if (!S_ISDIR(st.st_mode))
            continue;
        DIR *sub = opendir(p);
        struct dirent *f;
        while (!r && sub && (f = readdir(sub))) {
            if (f->d_name[0] == '.' ||
                snprintf(q, sizeof q, "%s/%s", p, f->d_name) >= (int)sizeof q || is_dir(q))
                continue;
            r = add_inc(s, de->d_name, f->d_name, q);
        }
        if (sub)
            closedir(sub);
    }
    closedir(d);
    return r;
}

static int incs_load(struct jctx *c)
{
    if (c->incs)
        return 0;
    if (!(c->incs = calloc(1, sizeof *c->incs)))
        return jerr(c, NULL, 0, 0, "out of memory");
    char p[PATH_MAX];
    int r = 0;
    if (snprintf(p, sizeof p, "%s/include", c->o->lkp_src) < (int)sizeof p)
        r = scan_dir(c->incs, p, 0);
    if (!r && snprintf(p, sizeof p, "%s/programs", c->o->lkp_src) < (int)sizeof p)
        r = scan_dir(c->incs, p, 1);
    return r ? jerr(c, NULL, 0, 0, "out of memory") : 0;
}

static const struct jlkp_inc *inc_find(struct jctx *c, const char *key, const char *name)
{
    for (size_t i = 0; i < c->incs->n; i++)
        if (!strcmp(c->incs->v[i].key, key) && !strcmp(c->incs->v[i].name, name))
            return &c->incs->v[i];
    return NULL;
}

static int inc_has_key(struct jctx *c, const char *key)
{
    for (size_t i = 0; i < c->incs->n; i++)
        if (!strcmp(c->incs->v[i].key, key))
            return 1;
    return 0;
}

/* ---- the loaded set ---- */

void jlkp_loaded_free(struct jlkp_loaded *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    *l = (struct jlkp_loaded){0};
}

int jlkp_loaded_copy(const struct jlkp_loaded *from, struct jlkp_loaded *to)
{
    *to = (struct jlkp_loaded){0};
    if (!from->n)
        return 0;
    if (!(to->v = calloc(from->n, sizeof *to->v)))
        return -1;
    for (; to->n < from->n; to->n++)
        if (!(to->v[to->n] = strdup(from->v[to->n]))) {
            jlkp_loaded_free(to);
            return -1;
        }
    return 0;
}

static int loaded_has(const struct jlkp_loaded *l, const char *path)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], path))
            return 1;
    return 0;
}

static int loaded_add(struct jlkp_loaded *l, const char *path)
{
    char **v = realloc(l->v, (l->n + 1) * sizeof *v);
    if (!v)
        return -1;
    l->v = v;
    return (v[l->n] = strdup(path)) ? (l->n++, 0) : -1;
}

/* ---- one template ---- */

struct erb_ctx {
    const struct jnode *job, *defaults, *cur; /* cur: lkp's ___ */
    int keyerror;
};

static int erb_lookup(void *ctx, const char *name, struct jlkp_val *out, char *err,
                      size_t errlen)
{
    struct erb_ctx *x = ctx;
    *out = (struct jlkp_val){0};
    if (!strncmp(name, "job[", 4)) { /* the job hash: nil when absent */
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)(strlen(name) - 5), name + 4);
        long at = jmap_find((struct jnode *)x->job, key);
        if (at >= 0)
            return jlkp_typed(x->job->kids[at], out, name, err, errlen);
        at = jmap_find((struct jnode *)x->defaults, key);
        return at < 0 ? 0 : jlkp_typed(x->defaults->kids[at], out, name, err, errlen);
    }
    const struct jnode *n = NULL;
    const char *p = name;
    char part[256];
    int first = 1;
    while (*p) {
        size_t k = strcspn(p, ".");
        snprintf(part, sizeof part, "%.*s", (int)(k < 255 ? k : 255), p);
        if (first && !strcmp(part, "___")) {
            n = x->cur;
        } else if (first) { /* Hashugar: the job's key, else a default's */
            long at = jmap_find((struct jnode *)x->job, part);
            n = at >= 0 ? x->job->kids[at] : NULL;
            if (at < 0 && (at = jmap_find((struct jnode *)x->defaults, part)) >= 0)
                n = x->defaults->kids[at];
        } else if (n->kind == JN_STR && (!strcmp(part, "upcase") || !strcmp(part, "downcase")) &&
                   !p[k]) {
            struct jlkp_val v;
            if (jlkp_typed(n, &v, name, err, errlen))
                return -1;
            if (v.type != JLKP_STR) {
                jlkp_val_free(&v);
                snprintf(err, errlen, "'%s': %s of a value that is not a string", name, part);
                return -1;
            }
            for (char *s = v.s; *s; s++)
                if ((part[0] == 'u' && *s >= 'a' && *s <= 'z') ||
                    (part[0] == 'd' && *s >= 'A' && *s <= 'Z'))
                    *s ^= 0x20;
            *out = v;
            return 0;
        } else if (n->kind == JN_NULL) {
            snprintf(err, errlen, "'%s': '%s' of nil (lkp fails here too: NoMethodError)", name,
                     part);
            return -1;
        } else if (n->kind != JN_MAP) {
            snprintf(err, errlen, "'%s': '%s' of a value that is not a map is outside the subset "
                     "minivmm evaluates", name, part);
            return -1;
        } else {
            long at = jmap_find((struct jnode *)n, part);
            n = at >= 0 ? n->kids[at] : NULL;
        }
        if (!n) { /* Hashugar's method_missing: lkp skips the template */
            x->keyerror = 1;
            snprintf(err, errlen, "unknown key '%s' (lkp: KeyError)", name);
            return -1;
        }
        first = 0;
        p += k + (p[k] == '.');
    }
    if (n->kind == JN_MAP) {
        snprintf(err, errlen, "'%s' is a map, not a value", name);
        return -1;
    }
    return jlkp_typed(n, out, name, err, errlen);
}

/* Reads PATH, expands it with the job JX, ___ = CUR, and merges it into
 * DEFS.  1 loaded, 0 skipped (lkp's KeyError), -1 error. */
static int load_file(struct jctx *c, const char *path, const struct jnode *jx,
                     const struct jnode *cur, struct jnode *defs)
{
    struct stat st;
    if (stat(path, &st) || !S_ISREG(st.st_mode))
        return 0; /* lkp: File.exist? and not a directory */
    size_t len = 0;
    char *text = jread_small_file(c, path, -1, &len);
    if (!text)
        return -1;
    char *yaml = text;
    size_t ylen = len;
    int has_erb = text[0] == '%' || strstr(text, "\n%") || strstr(text, "<%");
    if (has_erb) {
        struct erb_ctx x = {jx, defs, cur, 0};
        char msg[400];
        unsigned long line, col;
        if (jlkp_erb(text, len, erb_lookup, &x, &yaml, &ylen, msg, sizeof msg, &line, &col)) {
            free(text);
            return x.keyerror ? 0 : jerr(c, path, line, col, "%s", msg);
        }
    }
    struct jnode **docs = NULL;
    size_t ndocs = 0;
    int ret = jyaml_parse_meta(c, path, yaml, ylen, &docs, &ndocs) ? -1 : 1;
    if (ret > 0 && ndocs && docs[0]->kind == JN_MAP && docs[0]->n)
        ret = jlkp_revise(c, defs, docs[0], 1) ? -1 : 1;
    else if (ret > 0 && ndocs && docs[0]->kind != JN_MAP && docs[0]->kind != JN_NULL)
        ret = jerr_node(c, docs[0], "lkp defaults file: not a mapping");
    for (size_t i = 0; i < ndocs; i++)
        jnode_free(docs[i]);
    free(docs);
    if (yaml != text)
        free(yaml);
    free(text);
    return ret;
}

/* ---- the walk (lkp's load_defaults) ---- */

struct walk {
    struct jctx *c;
    const struct jnode *jx;
    struct jnode *defs;
    struct jlkp_loaded *loaded;
};

/* lkp's load_one: 1 loaded now, 0 not (no such file, loaded before,
 * skipped), -1 error. */
static int load_one(struct walk *w, const char *key, const char *name, const struct jnode *cur)
{
    const struct jlkp_inc *f = inc_find(w->c, key, name);
    if (!f || loaded_has(w->loaded, f->path))
        return 0;
    int r = load_file(w->c, f->path, w->jx, cur, w->defs);
    if (r <= 0)
        return r;
    return loaded_add(w->loaded, f->path) ? jerr(w->c, NULL, 0, 0, "out of memory") : 1;
}

static int visit(struct walk *w, const struct jnode *k, const struct jnode *v)
{
    const struct jprogram_info *pi = NULL;
    int prog = jprogram_find(w->c, k, &pi);
    if (prog < 0)
        return -1;
    if (prog && pi->type != JOB_PROG_MONITOR && inc_has_key(w->c, k->str)) {
        int r = load_one(w, k->str, k->str, v);
        if (r)
            return r < 0 ? -1 : 0;
        for (size_t i = 0; v->kind == JN_MAP && i < v->n; i++)
            for (size_t o = 0; o < pi->nopts; o++)
                if (!strcmp(pi->opts[o], v->keys[i]->str) &&
                    load_one(w, k->str, v->keys[i]->str, v->kids[i]) < 0)
                    return -1;
    }
    struct jlkp_val t;
    char msg[64];
    if (v->kind != JN_STR || jlkp_typed(v, &t, k->str, msg, sizeof msg))
        return 0;
    int str = t.type == JLKP_STR;
    jlkp_val_free(&t);
    if (!str)
        return 0;
    /* vm-lkp-wsx01-4G: vm, vm-lkp, vm-lkp-wsx01, vm-lkp-wsx01-4G in turn;
     * OTHERS when the last is not loaded; ALL always */
    char *prefix = strdup(v->str);
    if (!prefix)
        return jerr_node(w->c, v, "out of memory");
    size_t at = 0, n = strlen(prefix);
    int hit = 0;
    for (;;) {
        size_t cut = at + strcspn(prefix + at, ":-");
        char save = prefix[cut];
        prefix[cut] = 0;
        hit = load_one(w, k->str, prefix, v);
        prefix[cut] = save;
        if (hit < 0 || cut >= n)
            break;
        at = cut + 1;
    }
    free(prefix);
    if (hit < 0 || (!hit && load_one(w, k->str, "OTHERS", v) < 0) || load_one(w, k->str, "ALL", v) < 0)
        return -1;
    return 0;
}

/* lkp's for_each_in: every key of M and of the maps below it, in order. */
static int walk_map(struct walk *w, const struct jnode *m, int depth)
{
    for (size_t i = 0; i < m->n && depth < JOB_MAX_DEPTH; i++) {
        if (inc_has_key(w->c, m->keys[i]->str) && visit(w, m->keys[i], m->kids[i]))
            return -1;
        if (m->kids[i]->kind == JN_MAP && walk_map(w, m->kids[i], depth + 1))
            return -1;
    }
    return 0;
}

/* Drops from X (a copy of M) the lists expansion will replace: the top-level
 * ones minivmm expands and those among a program's options. */
static void drop_lists(struct jctx *c, struct jnode *x, const struct jnode *m, int opts)
{
    size_t k = 0;
    for (size_t i = 0; i < x->n; i++) {
        const struct jprogram_info *pi;
        int prog = !opts && jprogram_find(c, x->keys[i], &pi) == 1;
        if (x->kids[i]->kind == JN_SEQ && (opts || prog || jlkp_expands(c, m, x->keys[i]->str))) {
            jnode_free(x->keys[i]);
            jnode_free(x->kids[i]);
            continue;
        }
        if (prog && x->kids[i]->kind == JN_MAP)
            drop_lists(c, x->kids[i], m, 1);
        x->keys[k] = x->keys[i];
        x->kids[k] = x->kids[i];
        x->from_include[k++] = x->from_include[i];
    }
    x->n = k;
    free(x->idx);
    x->idx = NULL;
    x->idxcap = 0;
}

/* lkp's expand_params(run_scripts: false) on X: a value a params/ rule turns
 * into options (disk: 1HDD -> {nr_hdd: 1}, fs: xfs -> {fs: xfs}) is that
 * map, in every map.  0 or -1. */
static int map_values(struct jctx *c, struct jnode *x, int depth)
{
    for (size_t i = 0; i < x->n && depth < JOB_MAX_DEPTH; i++) {
        struct jnode *v = x->kids[i];
        if (v->kind == JN_MAP && map_values(c, v, depth + 1))
            return -1;
        if (v->kind != JN_STR)
            continue;
        struct jopt *o = NULL;
        size_t n = 0;
        int r = jvalue_options(c, v, x->keys[i]->str, v->str, &o, &n);
        if (r < 0)
            return -1;
        struct jnode *m = r ? jnode_new(NULL, JN_MAP, v->file, v->line, v->col) : NULL;
        for (size_t k = 0; m && k < n; k++) {
            struct jnode *kk = jnode_new(NULL, JN_STR, v->file, v->line, v->col);
            struct jnode *vv = jnode_new(NULL, o[k].val ? JN_STR : JN_NULL, v->file, v->line, v->col);
            if (!kk || !vv || !(kk->str = strdup(o[k].key)) ||
                (o[k].val && !(vv->str = strdup(o[k].val))) || jmap_put(m, kk, vv, 0)) {
                jnode_free(kk);
                jnode_free(vv);
                jnode_free(m);
                m = NULL;
            }
        }
        for (size_t k = 0; k < n; k++) {
            free(o[k].key);
            free(o[k].val);
        }
        free(o);
        if (r && !m)
            return jerr_node(c, v, "out of memory");
        if (m) {
            jnode_free(v);
            x->kids[i] = m;
        }
    }
    return 0;
}

/* lkp's second pass reads the expanded job revised with the later
 * document's own keys as written (RAW): its lists come back (and go). */
static int restore_raw(struct jctx *c, struct jnode *x, const struct jnode *raw)
{
    for (size_t i = 0; raw && i < raw->n; i++) {
        if (jlkp_special_key(raw->keys[i]->str))
            continue;
        struct jnode *k = jnode_clone(raw->keys[i]), *v = jnode_clone(raw->kids[i]);
        if (!k || !v || jmap_put(x, k, v, 0)) {
            jnode_free(k);
            jnode_free(v);
            return jerr_node(c, raw, "out of memory");
        }
    }
    return 0;
}

int jlkp_defaults(struct jctx *c, struct jnode *m, const struct jnode *raw,
                  const struct jnode *base, struct jlkp_loaded *loaded)
{
    if (incs_load(c))
        return -1;
    /* lkp reads the job less the lists still to expand */
    struct jnode *jx = jnode_clone(m), *defs = jnode_new(NULL, JN_MAP, m->file, m->line, m->col);
    if (!jx || !defs) {
        jnode_free(jx);
        jnode_free(defs);
        return jerr_node(c, m, "out of memory");
    }
    if (restore_raw(c, jx, raw)) {
        jnode_free(jx);
        jnode_free(defs);
        return -1;
    }
    drop_lists(c, jx, m, 0);
    if (map_values(c, jx, 0)) {
        jnode_free(jx);
        jnode_free(defs);
        return -1;
    }
    struct walk w = {c, jx, defs, loaded};
    int r = walk_map(&w, jx, 0);
    /* lkp merges the defaults under the first document, then the later
     * document over both: its new keys come after the defaults (in the
     * place of a default of the same name) */
    struct jnode *later = base && defs->n ? jnode_new(NULL, JN_MAP, m->file, m->line, m->col) : NULL;
    if (!r && base && defs->n && !later)
        r = jerr_node(c, m, "out of memory");
    for (size_t i = 0; !r && later && raw && i < m->n;) {
        const char *k = m->keys[i]->str;
        if (jmap_find((struct jnode *)raw, k) < 0 || jmap_find((struct jnode *)base, k) >= 0) {
            i++;
            continue;
        }
        if (jmap_take(later, m, i)) {
            r = jerr_node(c, m, "out of memory");
            break;
        }
        jmap_remove(m, i);
    }
    if (!r && defs->n)
        r = jlkp_revise(c, m, defs, 0);
    if (!r && later && later->n)
        r = jlkp_revise(c, m, later, 1);
    jnode_free(later);
    jnode_free(jx);
    jnode_free(defs);
    return r ? -1 : 0;
}
