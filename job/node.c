/* The YAML node tree: nodes, maps (keys kept in file order, indexed by a
 * hash when big) and sequences. */
#include <stdlib.h>
#include <string.h>
#include "job/job_internal.h"

int jvalid_ident(const char *s)
{
    if (!s || !(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
        return 0;
    for (s++; *s; s++)
        if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9')))
            return 0;
    return 1;
}

int jnode_is_null_text(const char *s)
{
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
           !strcmp(s, "NULL");
}

struct jnode *jnode_new(struct jctx *c, enum jn_kind k, const char *file,
                        unsigned long line, unsigned long col)
{
    if (c && ++c->nodes > JOB_MAX_NODES) {
        jerr(c, file, line, col, "too many YAML nodes (limit %d)", JOB_MAX_NODES);
        return NULL;
    }
    struct jnode *n = calloc(1, sizeof *n);
    if (!n) {
        if (c)
            jerr(c, file, line, col, "out of memory");
        return NULL;
    }
    n->kind = k;
    n->file = file;
    n->line = line;
    n->col = col;
    return n;
}

void jnode_free(struct jnode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++) {
        if (n->keys)
            jnode_free(n->keys[i]);
        jnode_free(n->kids[i]);
    }
    free(n->keys);
    free(n->kids);
    free(n->from_include);
    free(n->idx);
    free(n->str);
    free(n);
}

int jnode_grow(struct jnode *n)
{
    if (n->n < n->cap)
        return 0;
    size_t cap = n->cap ? n->cap * 2 : 8;
    struct jnode **kids = realloc(n->kids, cap * sizeof *kids);
    if (!kids)
        return -1;
    n->kids = kids;
    if (n->kind == JN_MAP) {
        struct jnode **keys = realloc(n->keys, cap * sizeof *keys);
        if (!keys)
            return -1;
        n->keys = keys;
        unsigned char *fi = realloc(n->from_include, cap);
        if (!fi)
            return -1;
        n->from_include = fi;
    }
    n->cap = cap;
    return 0;
}

static size_t key_hash(const char *s)
{
    size_t h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h;
}

/* Rebuilds MAP's key index for at least 2 * n entries; -1 out of memory. */
static int map_index(struct jnode *map)
{
    size_t cap = 64;
    while (cap < 2 * (map->n + 1))
        cap *= 2;
    size_t *idx = calloc(cap, sizeof *idx);
    if (!idx)
        return -1;
    free(map->idx);
    map->idx = idx;
    map->idxcap = cap;
    for (size_t i = 0; i < map->n; i++) {
        size_t h = key_hash(map->keys[i]->str) & (cap - 1);
        while (idx[h])
            h = (h + 1) & (cap - 1);
        idx[h] = i + 1;
    }
    return 0;
}

/* Small maps are searched, big ones (a 1 MiB job file may hold tens of
 * thousands of keys) hashed: loading stays linear in the file's size. */
long jmap_find(struct jnode *map, const char *key)
{
    if (map->n <= 16 || (!map->idx && map_index(map))) {
        for (size_t i = 0; i < map->n; i++)
            if (!strcmp(map->keys[i]->str, key))
                return (long)i;
        return -1;
    }
    for (size_t h = key_hash(key) & (map->idxcap - 1); map->idx[h];
         h = (h + 1) & (map->idxcap - 1))
        if (!strcmp(map->keys[map->idx[h] - 1]->str, key))
            return (long)map->idx[h] - 1;
    return -1;
}

/* Puts KEY: VAL into MAP; an existing key's value is replaced in place. */
int jmap_put(struct jnode *map, struct jnode *key, struct jnode *val, int from_include)
{
    long i = jmap_find(map, key->str);
    if (i >= 0) {
        jnode_free(map->keys[i]);
        jnode_free(map->kids[i]);
        map->keys[i] = key;
        map->kids[i] = val;
        map->from_include[i] = (unsigned char)from_include;
        return 0;
    }
    if (jnode_grow(map))
        return -1;
    map->keys[map->n] = key;
    map->kids[map->n] = val;
    map->from_include[map->n] = (unsigned char)from_include;
    map->n++;
    if (map->idx) {
        if (2 * map->n > map->idxcap) {
            if (map_index(map)) { /* searched until the next put */
                free(map->idx);
                map->idx = NULL;
            }
        } else {
            size_t h = key_hash(key->str) & (map->idxcap - 1);
            while (map->idx[h])
                h = (h + 1) & (map->idxcap - 1);
            map->idx[h] = map->n;
        }
    }
    return 0;
}

struct jnode *jnode_clone(const struct jnode *n)
{
    struct jnode *m = jnode_new(NULL, n->kind, n->file, n->line, n->col);
    if (!m)
        return NULL;
    m->varied = n->varied;
    m->quoted = n->quoted;
    if (n->str && !(m->str = strdup(n->str)))
        goto fail;
    if (n->n) {
        m->cap = n->n;
        m->kids = calloc(n->n, sizeof *m->kids);
        if (!m->kids)
            goto fail;
        if (n->kind == JN_MAP) {
            m->keys = calloc(n->n, sizeof *m->keys);
            m->from_include = calloc(n->n, 1);
            if (!m->keys || !m->from_include)
                goto fail;
        }
        for (size_t i = 0; i < n->n; i++) {
            m->n = i + 1;
            if (n->kind == JN_MAP) {
                m->from_include[i] = n->from_include[i];
                if (!(m->keys[i] = jnode_clone(n->keys[i])))
                    goto fail;
            }
            if (!(m->kids[i] = jnode_clone(n->kids[i])))
                goto fail;
        }
    }
    return m;
fail:
    jnode_free(m);
    return NULL;
}

void jmap_remove(struct jnode *m, size_t at)
{
    jnode_free(m->keys[at]);
    jnode_free(m->kids[at]);
    memmove(m->keys + at, m->keys + at + 1, (m->n - at - 1) * sizeof *m->keys);
    memmove(m->kids + at, m->kids + at + 1, (m->n - at - 1) * sizeof *m->kids);
    memmove(m->from_include + at, m->from_include + at + 1, m->n - at - 1);
    m->n--;
    free(m->idx);
    m->idx = NULL;
    m->idxcap = 0;
}

int jmap_take(struct jnode *dst, struct jnode *src, size_t at)
{
    if (jnode_grow(dst))
        return -1;
    dst->keys[dst->n] = src->keys[at];
    dst->kids[dst->n] = src->kids[at];
    dst->from_include[dst->n++] = 0;
    src->keys[at] = src->kids[at] = NULL; /* now dst's */
    return 0;
}
