/* lkp's merging of hashes (lib/hash.rb revise_hash, merge_accumulative) and
 * its text for a list value (lib/job2sh.rb shell_escape_expand: Ruby's
 * Array#join("\n")), for --lkp-src.  docs/jobs.md "lkp's defaults". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "job/job_internal.h"
#include "job/lkpexpr.h"

/* mail_to, mail_cc, constraints and need_* but need_memory, need_cpu,
 * need_modules: their values add up instead of replacing. */
int jlkp_accumulative(const char *k)
{
    if (!strcmp(k, "mail_to") || !strcmp(k, "mail_cc") || !strcmp(k, "constraints"))
        return 1;
    return !strncmp(k, "need_", 5) && strcmp(k, "need_memory") && strcmp(k, "need_cpu") &&
           strcmp(k, "need_modules");
}

static int same(const struct jnode *a, const struct jnode *b)
{
    if (a->kind != b->kind || a->n != b->n)
        return 0;
    if (a->kind == JN_STR)
        return !strcmp(a->str, b->str) && a->quoted == b->quoted;
    for (size_t i = 0; i < a->n; i++)
        if ((a->kind == JN_MAP && strcmp(a->keys[i]->str, b->keys[i]->str)) ||
            !same(a->kids[i], b->kids[i]))
            return 0;
    return 1;
}

static int seq_push(struct jnode *s, struct jnode *item)
{
    if (jnode_grow(s))
        return -1;
    s->kids[s->n++] = item;
    return 0;
}

/* A new list holding A. */
static struct jnode *wrap(struct jnode *a)
{
    struct jnode *s = jnode_new(NULL, JN_SEQ, a->file, a->line, a->col);
    if (s && seq_push(s, a)) {
        jnode_free(s);
        return NULL;
    }
    return s;
}

/* lkp's merge_accumulative(A, B): A is consumed, B copied.  NULL when out of
 * memory (A freed). */
static struct jnode *accumulate(struct jnode *a, const struct jnode *b)
{
    if (b->kind == JN_NULL)
        return a;
    if (a->kind == JN_NULL) {
        struct jnode *r = jnode_clone(b);
        jnode_free(a);
        return r;
    }
    if (a->kind == JN_SEQ) {
        for (size_t i = 0; b->kind == JN_SEQ && i < b->n; i++) {
            struct jnode *it = jnode_clone(b->kids[i]);
            if (!it || seq_push(a, it))
                return jnode_free(it), jnode_free(a), NULL;
        }
        struct jnode *it = b->kind == JN_SEQ ? NULL : jnode_clone(b);
        if (b->kind != JN_SEQ && (!it || seq_push(a, it)))
            return jnode_free(it), jnode_free(a), NULL;
        return a;
    }
    if (a->kind == JN_MAP) {
        for (size_t i = 0; b->kind == JN_MAP && i < b->n; i++) {
            struct jnode *k = jnode_clone(b->keys[i]), *v = jnode_clone(b->kids[i]);
            if (!k || !v || jmap_put(a, k, v, 0))
                return jnode_free(k), jnode_free(v), jnode_free(a), NULL;
        }
        if (b->kind == JN_STR && jmap_find(a, b->str) < 0) { /* a.update(b => nil) */
            struct jnode *k = jnode_clone(b), *v = jnode_new(NULL, JN_NULL, b->file, b->line, b->col);
            if (!k || !v || jmap_put(a, k, v, 0))
                return jnode_free(k), jnode_free(v), jnode_free(a), NULL;
        }
        return a;
    }
    /* a scalar */
    if (b->kind == JN_MAP) { /* b[a] ||= nil; a = b */
        struct jnode *r = jnode_clone(b);
        if (r && jmap_find(r, a->str) < 0) {
            struct jnode *v = jnode_new(NULL, JN_NULL, a->file, a->line, a->col);
            if (!v || jmap_put(r, a, v, 0))
                return jnode_free(v), jnode_free(r), jnode_free(a), NULL;
            return r;
        }
        jnode_free(a);
        return r;
    }
    struct jnode *s = wrap(a);
    if (!s)
        return jnode_free(a), NULL;
    return accumulate(s, b);
}

static void uniq(struct jnode *s)
{
    if (s->kind != JN_SEQ)
        return;
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        int dup = 0;
        for (size_t j = 0; j < k && !dup; j++)
            dup = same(s->kids[j], s->kids[i]);
        if (dup)
            jnode_free(s->kids[i]);
        else
            s->kids[k++] = s->kids[i];
    }
    s->n = k;
}

/* `K+: V` in ORIG (top level): K accumulates V (made at the end when
 * missing), duplicates dropped, and K+ goes. */
static int apply_plus(struct jctx *c, struct jnode *orig)
{
    for (size_t i = 0; i < orig->n;) {
        const char *k = orig->keys[i]->str;
        size_t n = strlen(k);
        if (n < 2 || k[n - 1] != '+') {
            i++;
            continue;
        }
        char *kk = strndup(k, n - 1);
        if (!kk)
            return jerr_node(c, orig->keys[i], "out of memory");
        long at = jmap_find(orig, kk);
        if (at < 0) {
            struct jnode *key = jnode_clone(orig->keys[i]);
            struct jnode *v = jnode_new(NULL, JN_NULL, key ? key->file : NULL, 0, 0);
            if (!key || !v || (free(key->str), !(key->str = strdup(kk))) || jmap_put(orig, key, v, 0)) {
                free(kk);
                jnode_free(key);
                jnode_free(v);
                return jerr_node(c, orig, "out of memory");
            }
            at = (long)orig->n - 1;
        }
        free(kk);
        struct jnode *r = accumulate(orig->kids[at], orig->kids[i]);
        orig->kids[at] = r ? r : jnode_new(NULL, JN_NULL, NULL, 0, 0);
        if (!r)
            return jerr_node(c, orig, "out of memory");
        uniq(r);
        jmap_remove(orig, i);
    }
    return 0;
}

int jlkp_revise(struct jctx *c, struct jnode *orig, const struct jnode *rev, int overwrite)
{
    for (size_t i = 0; rev && i < rev->n; i++) {
        const char *k = rev->keys[i]->str;
        size_t n = strlen(k);
        long at = jmap_find(orig, k);
        if (at >= 0 && (k[n - 1] == '+' || k[n - 1] == '-' || jlkp_accumulative(k))) {
            struct jnode *r = accumulate(orig->kids[at], rev->kids[i]);
            orig->kids[at] = r ? r : jnode_new(NULL, JN_NULL, NULL, 0, 0);
            if (!r)
                return jerr_node(c, orig, "out of memory");
        } else if (at < 0 || overwrite) {
            struct jnode *kk = jnode_clone(rev->keys[i]), *vv = jnode_clone(rev->kids[i]);
            if (!kk || !vv || jmap_put(orig, kk, vv, 0)) {
                jnode_free(kk);
                jnode_free(vv);
                return jerr_node(c, orig, "out of memory");
            }
        }
    }
    return apply_plus(c, orig);
}

int jlkp_plus_key(struct jctx *c, struct jnode *m, const struct jnode *key,
                  const struct jnode *val)
{
    if (strchr(key->str, '.'))
        return jerr_node(c, key, "lkp's `a.b+:` (add to a nested key) is not supported ('%s')",
                         key->str);
    struct jnode *t = jnode_new(NULL, JN_MAP, key->file, key->line, key->col);
    struct jnode *k = jnode_clone(key), *v = jnode_clone(val);
    if (!t || !k || !v || jmap_put(t, k, v, 0)) {
        jnode_free(t);
        jnode_free(k);
        jnode_free(v);
        return jerr_node(c, key, "out of memory");
    }
    int r = jlkp_revise(c, m, t, 1);
    jnode_free(t);
    return r;
}

/* ---- a list's text: Ruby's join("\n"), items as their to_s ---- */

static void inspect_str(struct jbuf *b, const char *s)
{
    jb_puts(b, "\"");
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            jb_printf(b, "\\%c", ch);
        else if (ch == '#' && (s[1] == '{' || s[1] == '$' || s[1] == '@'))
            jb_puts(b, "\\#");
        else if (ch == '\n')
            jb_puts(b, "\\n");
        else if (ch == '\t')
            jb_puts(b, "\\t");
        else if (ch == '\r')
            jb_puts(b, "\\r");
        else if (ch == 27)
            jb_puts(b, "\\e");
        else if (ch < 32 || ch == 127)
            jb_printf(b, "\\x%02X", ch);
        else
            jb_add(b, s, 1);
    }
    jb_puts(b, "\"");
}

/* Ruby's inspect of a value as lkp's YAML reader types it. */
static void inspect(struct jbuf *b, const struct jnode *n, int depth)
{
    if (depth > JOB_MAX_DEPTH) {
        jb_puts(b, "...");
        return;
    }
    if (n->kind == JN_NULL) {
        jb_puts(b, "nil");
    } else if (n->kind == JN_STR) {
        struct jlkp_val v;
        char msg[64];
        if (jlkp_typed(n, &v, "", msg, sizeof msg) || v.type == JLKP_STR) {
            inspect_str(b, n->str);
        } else {
            int oom = 0;
            char *t = jlkp_val_text(&v, &oom);
            jb_puts(b, t ? t : "nil");
            free(t);
        }
        jlkp_val_free(&v);
    } else if (n->kind == JN_SEQ) {
        jb_puts(b, "[");
        for (size_t i = 0; i < n->n; i++) {
            if (i)
                jb_puts(b, ", ");
            inspect(b, n->kids[i], depth + 1);
        }
        jb_puts(b, "]");
    } else {
        jb_puts(b, "{");
        for (size_t i = 0; i < n->n; i++) {
            if (i)
                jb_puts(b, ", ");
            inspect(b, n->keys[i], depth + 1);
            jb_puts(b, "=>");
            inspect(b, n->kids[i], depth + 1);
        }
        jb_puts(b, "}");
    }
}

/* A scalar's to_s as Psych types it: yes -> true, 010 -> 8 aside, text. */
static void scalar_text(struct jbuf *b, const struct jnode *n)
{
    struct jlkp_val v;
    char msg[64];
    int oom = 0;
    char *t = jlkp_typed(n, &v, "", msg, sizeof msg) ? NULL : jlkp_val_text(&v, &oom);
    jb_puts(b, t ? t : n->str);
    free(t);
    jlkp_val_free(&v);
}

static void join(struct jbuf *b, const struct jnode *s, int *first, int depth)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct jnode *it = s->kids[i];
        if (it->kind == JN_SEQ && depth < JOB_MAX_DEPTH) { /* join flattens */
            join(b, it, first, depth + 1);
            continue;
        }
        if (!*first)
            jb_puts(b, "\n");
        *first = 0;
        if (it->kind == JN_STR)
            scalar_text(b, it);
        else if (it->kind == JN_MAP)
            inspect(b, it, depth + 1);
    }
}

int jlkp_list_text(struct jctx *c, const struct jnode *key, const struct jnode *s, char **out)
{
    struct jbuf b = {0};
    int first = 1;
    join(&b, s, &first, 0);
    jb_puts(&b, "");
    if (!(*out = jb_finish(&b)))
        return jerr_node(c, s, "out of memory");
    if (!strstr(*out, JLKP_MARK))
        return 0;
    free(*out);
    *out = NULL;
    return jerr_node(c, s, "'%s': a {{ }} expression in a list that is not expanded into jobs "
                     "(lkp leaves it unevaluated): not supported", key->str);
}

int jlkp_reapply_specials(struct jctx *c, struct jnode *m, const struct jnode *doc)
{
    struct jnode *t = doc ? jnode_new(NULL, JN_MAP, doc->file, doc->line, doc->col) : NULL;
    int r = 0;
    for (size_t i = 0; t && !r && i < doc->n; i++) {
        const char *k = doc->keys[i]->str;
        size_t n = strlen(k);
        if (!jlkp_special_key(k) || k[n - 1] == '+')
            continue;
        struct jnode *kk = jnode_clone(doc->keys[i]), *vv = jnode_clone(doc->kids[i]);
        if (!kk || !vv || jmap_put(t, kk, vv, 0)) {
            jnode_free(kk);
            jnode_free(vv);
            r = jerr_node(c, doc, "out of memory");
        }
    }
    if (!r && t && t->n)
        r = jlkp_apply_specials(c, m, t);
    jnode_free(t);
    return r;
}
