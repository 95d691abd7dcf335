/* Program lookup: is a top-level key a program (DIR/NAME/run in the program
 * path), and which program is a misspelt key closest to?  Each program
 * directory is listed once and each key looked up once per job_load, so a
 * big job file costs one hash lookup per key, not a stat per directory. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "job/job_internal.h"
#include "job/naming.h"

struct jprog_slot {
    char *key;
    long idx; /* index in found, or -1: not a program */
};

struct jprog_cache {
    char ***names; /* per program directory: its entries, sorted; NULL: unreadable */
    size_t *nnames;
    struct jprogram_info **found; /* programs found */
    size_t nfound;
    struct jprog_slot *tab; /* open addressing, key -> program */
    size_t tabcap, tabused;
};

static int valid_program_name(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 64 || s[0] == '.' || s[0] == '-' || s[0] == '+')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.' || *s == '+'))
            return 0;
    return 1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void jprog_cache_free(struct jctx *c)
{
    struct jprog_cache *pc = c->pc;
    if (!pc)
        return;
    for (size_t i = 0; pc->names && i <= c->o->nprogram_dirs; i++) {
        for (size_t k = 0; pc->names[i] && k < pc->nnames[i]; k++)
            free(pc->names[i][k]);
        free(pc->names[i]);
    }
    free(pc->names);
    free(pc->nnames);
    for (size_t i = 0; i < pc->nfound; i++) {
        free(pc->found[i]->name);
        free(pc->found[i]->dir);
        free(pc->found[i]->script);
        jnaming_free_options(pc->found[i]);
        free(pc->found[i]);
    }
    free(pc->found);
    for (size_t i = 0; i < pc->tabcap; i++)
        free(pc->tab[i].key);
    free(pc->tab);
    free(pc);
    c->pc = NULL;
}

/* Lists every program directory once (names that may be programs only). */
static struct jprog_cache *cache(struct jctx *c)
{
    if (c->pc)
        return c->pc;
    struct jprog_cache *pc = calloc(1, sizeof *pc);
    size_t nd = c->o->nprogram_dirs;
    if (!pc || !(pc->names = calloc(nd + 1, sizeof *pc->names)) ||
        !(pc->nnames = calloc(nd + 1, sizeof *pc->nnames))) {
        if (pc)
            free(pc->names);
        free(pc);
        return NULL;
    }
    c->pc = pc;
    char lkp[PATH_MAX]; /* slot nd: the lkp tree's programs (--lkp-src) */
    if (c->o->lkp_src && snprintf(lkp, sizeof lkp, "%s/programs", c->o->lkp_src) >= (int)sizeof lkp)
        *lkp = 0;
    for (size_t i = 0; i <= nd; i++) {
        const char *dir = i < nd ? c->o->program_dirs[i] : c->o->lkp_src && *lkp ? lkp : NULL;
        DIR *d = dir ? opendir(dir) : NULL;
        if (!d)
            continue;
        size_t n = 0, cap = 16;
        char **v = malloc(cap * sizeof *v);
        struct dirent *e;
        while (v && (e = readdir(d))) {
            if (!valid_program_name(e->d_name))
                continue;
            if (n == cap) {
                char **nv = realloc(v, (cap *= 2) * sizeof *v);
                if (!nv)
                    break;
                v = nv;
            }
            if (!(v[n] = strdup(e->d_name)))
                break;
            n++;
        }
        closedir(d);
        if (!v) {
            jprog_cache_free(c);
            return NULL;
        }
        qsort(v, n, sizeof *v, cmp_str);
        pc->names[i] = v;
        pc->nnames[i] = n;
    }
    return pc;
}

static size_t hash(const char *s)
{
    size_t h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h;
}

/* The table slot for KEY (empty if absent); grows the table first. */
static long *slot(struct jprog_cache *pc, const char *key, int *isnew)
{
    if (pc->tabused * 2 >= pc->tabcap) {
        size_t cap = pc->tabcap ? pc->tabcap * 2 : 64;
        struct jprog_slot *t = calloc(cap, sizeof *t), *old = pc->tab;
        if (!t)
            return NULL;
        size_t oldcap = pc->tabcap;
        pc->tab = t;
        pc->tabcap = cap;
        for (size_t i = 0; i < oldcap; i++) {
            struct jprog_slot *o = &old[i];
            if (!o->key)
                continue;
            size_t h = hash(o->key) & (cap - 1);
            while (pc->tab[h].key)
                h = (h + 1) & (cap - 1);
            pc->tab[h].key = o->key;
            pc->tab[h].idx = o->idx;
        }
        free(old);
    }
    size_t h = hash(key) & (pc->tabcap - 1);
    while (pc->tab[h].key && strcmp(pc->tab[h].key, key))
        h = (h + 1) & (pc->tabcap - 1);
    *isnew = !pc->tab[h].key;
    if (*isnew) {
        if (!(pc->tab[h].key = strdup(key)))
            return NULL;
        pc->tab[h].idx = -1;
        pc->tabused++;
    }
    return &pc->tab[h].idx;
}

static int read_meta_type(struct jctx *c, const char *dir, enum job_prog_type *type)
{
    char *meta = NULL;
    *type = JOB_PROG_TEST;
    if (asprintf(&meta, "%s/meta.yaml", dir) < 0)
        return jerr(c, dir, 0, 0, "out of memory");
    if (access(meta, F_OK)) {
        free(meta);
        return 0;
    }
    struct jnode **docs = NULL;
    size_t ndocs = 0;
    int r = jyaml_parse_meta(c, meta, NULL, 0, &docs, &ndocs);
    free(meta);
    if (r)
        return -1;
    if (ndocs > 0 && docs[0]->kind == JN_MAP) {
        struct jnode *d = docs[0];
        for (size_t i = 0; i < d->n && !r; i++) {
            if (strcmp(d->keys[i]->str, "type"))
                continue;
            struct jnode *v = d->kids[i];
            const char *s = v->kind == JN_STR ? v->str : "";
            if (!strcmp(s, "setup"))
                *type = JOB_PROG_SETUP;
            else if (!strcmp(s, "monitor"))
                *type = JOB_PROG_MONITOR;
            else if (!strcmp(s, "daemon"))
                *type = JOB_PROG_DAEMON;
            else if (!strcmp(s, "workload") || !strcmp(s, "test"))
                *type = JOB_PROG_TEST;
            else
                r = jerr_node(c, v, "unknown program type '%s' "
                              "(want setup, monitor, daemon, workload or test)", s);
        }
    } else if (ndocs > 0 && docs[0]->kind != JN_NULL) {
        r = jerr_node(c, docs[0], "meta.yaml must hold a mapping");
    }
    for (size_t i = 0; i < ndocs; i++)
        jnode_free(docs[i]);
    free(docs);
    return r;
}

/* DIR/NAME/run is a regular file (following links, as exec would). */
static int has_run(const char *dir, const char *name, char **path)
{
    struct stat st;
    if (asprintf(path, "%s/%s/run", dir, name) < 0) {
        *path = NULL;
        return -1;
    }
    return !stat(*path, &st) && S_ISREG(st.st_mode);
}

/* NAME in the lkp tree (--lkp-src): as lookup. */
static long lookup_lkp(struct jctx *c, struct jprog_cache *pc, const struct jnode *key)
{
    struct jprogram_info *p = calloc(1, sizeof *p);
    struct jprogram_info **f = realloc(pc->found, (pc->nfound + 1) * sizeof *f);
    if (f)
        pc->found = f;
    if (!p || !f || !(p->name = strdup(key->str))) {
        free(p);
        return jerr_node(c, key, "out of memory"), -2;
    }
    int r = jlkpsrc_program(c, key, p);
    if (r <= 0) {
        jnaming_free_options(p);
        free(p->name);
        free(p->dir);
        free(p->script);
        free(p);
        return r < 0 ? -2 : -1;
    }
    pc->found[pc->nfound] = p;
    return (long)pc->nfound++;
}

/* Looks NAME up in the program path: the index of a new found entry, -1 not
 * a program, -2 error (message set). */
static long lookup(struct jctx *c, struct jprog_cache *pc, const struct jnode *key)
{
    const char *name = key->str;
    for (size_t i = 0; i < c->o->nprogram_dirs; i++) {
        if (!pc->names[i] || !bsearch(&name, pc->names[i], pc->nnames[i], sizeof(char *),
                                      cmp_str))
            continue;
        char *run;
        int r = has_run(c->o->program_dirs[i], name, &run);
        if (r < 0)
            return jerr_node(c, key, "out of memory"), -2;
        if (!r) {
            free(run);
            continue;
        }
        if (access(run, X_OK)) {
            jerr_node(c, key, "program '%s' found but %s is not executable", name, run);
            free(run);
            return -2;
        }
        free(run);
        struct jprogram_info *p = calloc(1, sizeof *p);
        struct jprogram_info **f = realloc(pc->found, (pc->nfound + 1) * sizeof *f);
        if (f)
            pc->found = f;
        if (!p || !f || !(p->name = strdup(name)) ||
            asprintf(&p->dir, "%s/%s", c->o->program_dirs[i], name) < 0) {
            if (p)
                free(p->name);
            free(p);
            return jerr_node(c, key, "out of memory"), -2;
        }
        if (read_meta_type(c, p->dir, &p->type) ||
            (jnaming_read_options(p) && jerr_node(c, key, "out of memory"))) {
            jnaming_free_options(p);
            free(p->name);
            free(p->dir);
            free(p);
            return -2;
        }
        pc->found[pc->nfound] = p;
        return (long)pc->nfound++;
    }
    size_t nd = c->o->nprogram_dirs;
    if (c->o->lkp_src && pc->names[nd] &&
        bsearch(&name, pc->names[nd], pc->nnames[nd], sizeof(char *), cmp_str))
        return lookup_lkp(c, pc, key);
    return -1;
}

int jprogram_find(struct jctx *c, const struct jnode *key, const struct jprogram_info **info)
{
    struct jprog_cache *pc = cache(c);
    int isnew;
    long *idx = pc ? slot(pc, key->str, &isnew) : NULL;
    if (!idx)
        return jerr_node(c, key, "out of memory");
    if (isnew && valid_program_name(key->str)) {
        long r = lookup(c, pc, key);
        if (r == -2)
            return -1;
        *idx = r;
    }
    if (*idx < 0)
        return 0;
    *info = pc->found[*idx];
    return 1;
}

/* Edit distance (optimal string alignment, ASCII case ignored) of A and B,
 * or LIMIT + 1 when it is over LIMIT. */
static size_t distance(const char *a, const char *b, size_t limit)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 66 || m > 66 || (n > m ? n - m : m - n) > limit)
        return limit + 1;
    size_t d[67][67];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            char x = a[i - 1] | 0x20, y = b[j - 1] | 0x20;
            size_t v = d[i - 1][j - 1] + (x != y);
            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && x == (b[j - 2] | 0x20) && (a[i - 2] | 0x20) == y &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[n][m] > limit ? limit + 1 : d[n][m];
}

/* The program whose name is closest to NAME if one is close (1 edit for
 * names of up to 4 characters, 2 for longer ones; names under 3 characters
 * are never close), else NULL.  The result points into the cache. */
const char *jprogram_closest(struct jctx *c, const char *name)
{
    struct jprog_cache *pc = cache(c);
    size_t len = strlen(name), best = 3;
    const char *found = NULL;
    if (!pc || len < 3)
        return NULL;
    for (size_t i = 0; i <= c->o->nprogram_dirs; i++)
        for (size_t k = 0; pc->names[i] && k < pc->nnames[i]; k++) {
            const char *p = pc->names[i][k];
            size_t pl = strlen(p), lim = (len < pl ? len : pl) <= 4 ? 1 : 2;
            size_t dd = distance(name, p, lim);
            if (pl < 3 || dd > lim || dd >= best || !strcmp(p, name))
                continue;
            char *run = NULL;
            int r = i == c->o->nprogram_dirs ? jlkpsrc_is_program(c->o->lkp_src, p)
                                             : has_run(c->o->program_dirs[i], p, &run);
            free(run);
            if (r == 1) {
                best = dd;
                found = p;
            }
        }
    return found;
}
