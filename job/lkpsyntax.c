/* lkp-tests job syntax that plain YAML does not carry: `{{ }}` expressions
 * (marked before YAML parsing, evaluated per expanded job), `if role NAME:`
 * blocks, `key-:` deletions and `a.b:` patches, keys lkp drops, and option
 * names lkp encodes.  docs/jobs.md, "lkp syntax", states each rule. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "job/job_internal.h"
#include "job/lkpexpr.h"

#define MARK JLKP_MARK
#define JLKP_MAX_EXPR 4096   /* bytes per {{ }} expression (lkp's longest: ~300) */
#define JLKP_MAX_SPECIAL 256 /* `if role`, `key-:` and `a.b:` keys per document */
#define MARK_LEN (sizeof MARK - 1)

/* Valid UTF-8 without control characters other than tab and newline (the
 * YAML reader's rule: marked text never reaches it). */
static int text_ok(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char ch = s[i];
        if (ch < 0x80) {
            if ((ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch == 0x7f)
                return 0;
            i++;
            continue;
        }
        size_t k = ch >= 0xc2 && ch <= 0xdf ? 1 : ch >= 0xe0 && ch <= 0xef ? 2
                 : ch >= 0xf0 && ch <= 0xf4 ? 3 : 0;
        if (!k)
            return 0;
        unsigned long cp = ch & (0x3f >> k);
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || (s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

static int add_expr(struct jctx *c, const char *file, const char *s, size_t n,
                    unsigned long line, unsigned long col, struct jbuf *out)
{
    if (!text_ok((const unsigned char *)s, n))
        return jerr(c, file, line, col, "{{ }} expression holds a control character or "
                    "invalid UTF-8");
    if (n > JLKP_MAX_EXPR)
        return jerr(c, file, line, col, "{{ }} expression too long (%zu bytes, limit %d)", n,
                    JLKP_MAX_EXPR);
    struct jlkp_expr *e = realloc(c->exprs, (c->nexprs + 1) * sizeof *e);
    if (!e)
        return jerr(c, file, line, col, "out of memory");
    c->exprs = e;
    if (!(e[c->nexprs].text = strndup(s, n)))
        return jerr(c, file, line, col, "out of memory");
    e[c->nexprs] = (struct jlkp_expr){e[c->nexprs].text, file, line, col};
    jb_printf(out, MARK "%zu__", c->nexprs++);
    return 0;
}

/* lkp's rule (lib/erb.rb literal_double_braces): `{{` right after `KEY:` or
 * `-` and blanks on its line, up to the next `}}`, possibly lines later. */
int jlkp_mark_text(struct jctx *c, const char *file, const char *text, size_t len, char **out,
                   size_t *outlen)
{
    *out = NULL;
    if (memmem(text, len, MARK, MARK_LEN)) /* also without `{{`: NAME.yaml quotes it */
        return jerr(c, file, 0, 0, "the text '" MARK "' is reserved");
    if (!memmem(text, len, "{{", 2))
        return 0;
    if (memchr(text, 0, len))
        return 0; /* the YAML parser names the NUL */
    struct jbuf b = {0};
    size_t ls = 0; /* start of the current line */
    unsigned long line = 1;
    for (size_t i = 0; i < len;) {
        if (text[i] == '\n') {
            jb_add(&b, "\n", 1);
            i++;
            ls = i;
            line++;
            continue;
        }
        if (!(text[i] == '{' && i + 1 < len && text[i + 1] == '{')) {
            jb_add(&b, text + i, 1);
            i++;
            continue;
        }
        size_t k = i;
        while (k > ls && (text[k - 1] == ' ' || text[k - 1] == '\t'))
            k--;
        int ok = k < i && k > ls && (text[k - 1] == ':' || text[k - 1] == '-') &&
                 !memchr(text + ls, '#', i - ls) && !memchr(text + ls, '"', i - ls) &&
                 !memchr(text + ls, '\'', i - ls);
        const char *end = ok ? memmem(text + i + 2, len - i - 2, "}}", 2) : NULL;
        if (!end) {
            jb_add(&b, text + i, 1);
            i++;
            continue;
        }
        size_t from = i + 2, to = (size_t)(end - text);
        unsigned long nl = 0;
        for (size_t p = from; p < to; p++)
            nl += text[p] == '\n';
        if (add_expr(c, file, text + from, to - from, line, (unsigned long)(from - ls) + 1, &b))
            goto fail;
        i = to + 2;
        if (nl) { /* keep the lines; after a multi-line `}}` only a comment */
            size_t r = i;
            while (r < len && (text[r] == ' ' || text[r] == '\t'))
                r++;
            if (r < len && text[r] != '\n' && text[r] != '#') {
                size_t lstart = to;
                while (text[lstart - 1] != '\n')
                    lstart--;
                jerr(c, file, line + nl, (unsigned long)(r - lstart) + 1,
                     "text after the `}}` of a multi-line {{ }} expression");
                goto fail;
            }
            while (i < len && text[i] != '\n')
                i++;
            for (unsigned long k2 = 0; k2 < nl; k2++)
                jb_add(&b, "\n", 1);
            line += nl;
            ls = i; /* the newline at i starts the next line */
        }
    }
    *out = jb_finish(&b);
    *outlen = *out ? strlen(*out) : 0;
    return *out ? 0 : jerr(c, file, 0, 0, "out of memory");
fail:
    free(jb_finish(&b));
    return -1;
}

/* N's text becomes B's and then REST.  0 or -1. */
static int set_text(struct jctx *c, struct jnode *n, struct jbuf *b, const char *rest)
{
    jb_puts(b, rest);
    char *r = jb_finish(b);
    if (!r)
        return jerr_node(c, n, "out of memory");
    free(n->str);
    n->str = r;
    return 0;
}

int jlkp_mark_scalar(struct jctx *c, struct jnode *n)
{
    const char *s = n->str, *o;
    if (!(o = strstr(s, "{{")) || !strstr(o, "}}"))
        return strstr(s, MARK) && !n->quoted ? 0
             : strstr(s, MARK) ? jerr_node(c, n, "the text '" MARK "' is reserved") : 0;
    struct jbuf b = {0};
    while ((o = strstr(s, "{{")) && strstr(o + 2, "}}")) {
        const char *e = strstr(o + 2, "}}");
        jb_add(&b, s, (size_t)(o - s));
        /* the place: exact for a one-line scalar, else the scalar's start */
        unsigned long col = n->col + (unsigned long)(o + 2 - n->str) + (n->quoted ? 1 : 0);
        if (add_expr(c, n->file, o + 2, (size_t)(e - o - 2), n->line,
                     strchr(n->str, '\n') ? n->col : col, &b)) {
            free(jb_finish(&b));
            return -1;
        }
        s = e + 2;
    }
    return set_text(c, n, &b, s);
}

void jlkp_free(struct jctx *c)
{
    for (size_t i = 0; i < c->nexprs; i++)
        free(c->exprs[i].text);
    free(c->exprs);
    c->exprs = NULL;
    c->nexprs = 0;
}

/* ---- keys ---- */

/* Keeps the entries of M for which KEEP[i] is set, in order (one pass). */
static void compact(struct jnode *m, const unsigned char *keep)
{
    size_t w = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (!keep[i]) {
            jnode_free(m->keys[i]);
            jnode_free(m->kids[i]);
            continue;
        }
        m->keys[w] = m->keys[i];
        m->kids[w] = m->kids[i];
        m->from_include[w++] = m->from_include[i];
    }
    m->n = w;
    free(m->idx);
    m->idx = NULL;
}

int jlkp_flatten_roles(struct jctx *c, struct jnode *d)
{
    size_t nblocks = 0;
    for (size_t i = 0; i < d->n; i++) {
        const char *k = d->keys[i]->str;
        if (strncmp(k, "if role ", 8))
            continue;
        if (++nblocks > JLKP_MAX_SPECIAL)
            return jerr_node(c, d->keys[i], "too many `if role` blocks (limit %d)",
                             JLKP_MAX_SPECIAL);
        struct jnode *blk = d->kids[i];
        if (blk->kind == JN_NULL)
            continue;
        if (blk->kind != JN_MAP)
            return jerr_node(c, d->keys[i], "`%s:` needs a map of keys", k);
        for (size_t j = 0; j < blk->n; j++) {
            long dup = jmap_find(d, blk->keys[j]->str);
            if (dup >= 0)
                return jerr_node(c, blk->keys[j], "'%s' in `%s:` is also at line %lu:%lu (a "
                                 "minivmm guest holds every role)", blk->keys[j]->str, k,
                                 d->keys[dup]->line, d->keys[dup]->col);
        }
        /* the block's keys take its place, in order */
        size_t nb = blk->n, save = d->n;
        while (d->cap < save + nb) {
            d->n = d->cap;
            if (jnode_grow(d)) {
                d->n = save;
                return jerr_node(c, blk, "out of memory");
            }
        }
        d->n = save;
        d->kids[i] = NULL;
        jnode_free(d->keys[i]);
        memmove(d->keys + i + nb, d->keys + i + 1, (d->n - i - 1) * sizeof *d->keys);
        memmove(d->kids + i + nb, d->kids + i + 1, (d->n - i - 1) * sizeof *d->kids);
        memmove(d->from_include + i + nb, d->from_include + i + 1, d->n - i - 1);
        for (size_t j = 0; j < nb; j++) {
            d->keys[i + j] = blk->keys[j];
            d->kids[i + j] = blk->kids[j];
            d->from_include[i + j] = 0;
        }
        d->n += nb - 1;
        blk->n = 0;
        jnode_free(blk);
        free(d->idx);
        d->idx = NULL;
        i += nb;
        i--; /* (wraps when nb == 0 at 0; the loop's i++ brings it back) */
    }
    return 0;
}

int jlkp_special_key(const char *key)
{
    size_t n = strlen(key);
    return (n > 1 && (key[n - 1] == '-' || key[n - 1] == '+')) ||
           (strchr(key, '.') && strncmp(key, "if ", 3));
}

/* `a.b.c: V`: sets c in map b in map a (made when missing); `k-:` deletes k
 * (a path too), `k-: [x, y]` deletes x and y from the map k. */
static int apply_one(struct jctx *c, struct jnode *m, const struct jnode *key,
                     const struct jnode *val)
{
    if (key->str[strlen(key->str) - 1] == '+')
        return jlkp_plus_key(c, m, key, val);
    char *path = strdup(key->str);
    if (!path)
        return jerr_node(c, key, "out of memory");
    size_t n = strlen(path);
    int minus = path[n - 1] == '-';
    if (minus)
        path[n - 1] = 0;
    struct jnode *map = m;
    char *part = path, *dot;
    int r = 0;
    while ((dot = strchr(part, '.'))) {
        *dot = 0;
        long at = jmap_find(map, part);
        if (at < 0 && minus)
            goto out; /* nothing to delete */
        if (at < 0) {
            struct jnode *k = jnode_new(NULL, JN_STR, key->file, key->line, key->col);
            struct jnode *v = jnode_new(NULL, JN_MAP, key->file, key->line, key->col);
            if (!k || !v || !(k->str = strdup(part)) || jmap_put(map, k, v, 0)) {
                jnode_free(k);
                jnode_free(v);
                r = jerr_node(c, key, "out of memory");
                goto out;
            }
            at = jmap_find(map, part);
        }
        if (map->kids[at]->kind == JN_NULL && !minus) {
            jnode_free(map->kids[at]);
            if (!(map->kids[at] = jnode_new(NULL, JN_MAP, key->file, key->line, key->col))) {
                r = jerr_node(c, key, "out of memory");
                goto out;
            }
        }
        if (map->kids[at]->kind != JN_MAP) {
            if (minus)
                goto out;
            r = jerr_node(c, key, "'%s': '%s' is not a map here (lkp would replace it; "
                          "minivmm refuses)", key->str, part);
            goto out;
        }
        map = map->kids[at];
        part = dot + 1;
    }
    long at = jmap_find(map, part);
    if (minus) {
        if (at < 0)
            goto out;
        if (val->kind == JN_NULL) {
            jmap_remove(map, (size_t)at);
            goto out;
        }
        struct jnode *t = map->kids[at];
        for (size_t i = 0; i < (val->kind == JN_SEQ ? val->n : 1); i++) {
            const struct jnode *x = val->kind == JN_SEQ ? val->kids[i] : val;
            long y = x->kind == JN_STR && t->kind == JN_MAP ? jmap_find(t, x->str) : -1;
            if (x->kind != JN_STR) {
                r = jerr_node(c, x, "`%s:` takes key names", key->str);
                goto out;
            }
            if (y >= 0)
                jmap_remove(t, (size_t)y);
        }
        if (t->kind == JN_MAP && !t->n) {
            jnode_free(t);
            if (!(map->kids[at] = jnode_new(NULL, JN_NULL, key->file, key->line, key->col)))
                r = jerr_node(c, key, "out of memory");
        }
        goto out;
    }
    struct jnode *k = jnode_new(NULL, JN_STR, key->file, key->line, key->col);
    struct jnode *v = jnode_clone(val);
    if (!k || !v || !(k->str = strdup(part)) || jmap_put(map, k, v, 0)) {
        jnode_free(k);
        jnode_free(v);
        r = jerr_node(c, key, "out of memory");
    }
out:
    free(path);
    return r;
}

/* Applies M's own special keys (taken out of M first), then FROM's. */
int jlkp_apply_specials(struct jctx *c, struct jnode *m, const struct jnode *from)
{
    size_t nown = 0;
    for (size_t i = 0; i < m->n; i++)
        nown += jlkp_special_key(m->keys[i]->str) != 0;
    for (size_t i = 0; from && i < from->n; i++)
        nown += jlkp_special_key(from->keys[i]->str) != 0;
    if (nown > JLKP_MAX_SPECIAL)
        return jerr_node(c, m, "too many `key-:` and `a.b:` keys (limit %d)", JLKP_MAX_SPECIAL);
    if (!nown)
        return 0;
    struct jnode *own = jnode_new(NULL, JN_MAP, m->file, m->line, m->col);
    unsigned char *keep = calloc(m->n + 1, 1);
    if (!own || !keep) {
        jnode_free(own);
        free(keep);
        return jerr_node(c, m, "out of memory");
    }
    int r = 0;
    for (size_t i = 0; i < m->n && !r; i++) {
        keep[i] = !jlkp_special_key(m->keys[i]->str);
        if (keep[i])
            continue;
        if (jmap_take(own, m, i)) {
            r = jerr_node(c, m, "out of memory");
            break;
        }
    }
    compact(m, keep);
    free(keep);
    for (size_t i = 0; i < own->n && !r; i++)
        r = apply_one(c, m, own->keys[i], own->kids[i]);
    for (size_t i = 0; from && i < from->n && !r; i++)
        if (jlkp_special_key(from->keys[i]->str))
            r = apply_one(c, m, from->keys[i], from->kids[i]);
    jnode_free(own);
    return r;
}

int jlkp_map_runs_program(struct jctx *c, const struct jnode *m)
{
    for (size_t i = 0; m->kind == JN_MAP && i < m->n; i++) {
        const struct jprogram_info *pi;
        int f = jprogram_find(c, m->keys[i], &pi);
        if (f)
            return f;
        if (m->kids[i]->kind == JN_MAP && (f = jlkp_map_runs_program(c, m->kids[i])))
            return f;
    }
    return 0;
}

int jlkp_drop_keys(struct jctx *c, struct jnode *m)
{
    unsigned char *keep = calloc(m->n + 1, 1);
    if (!keep)
        return jerr_node(c, m, "out of memory");
    for (size_t i = 0; i < m->n; i++) {
        const struct jprogram_info *pi;
        int f = jprogram_find(c, m->keys[i], &pi);
        if (f < 0) {
            free(keep);
            return -1;
        }
        keep[i] = f || (jvalid_ident(m->keys[i]->str) && m->kids[i]->kind != JN_MAP);
    }
    compact(m, keep);
    free(keep);
    return 0;
}

/* lkp's keys that make shell code (lib/job2sh.rb): refused. */
int jlkp_shell_key(const char *key)
{
    static const char *const w[] = {"if ", "for ", "while ", "until ", "function ", "script ",
                                     "call ", "command ", "source ", NULL};
    for (int i = 0; w[i]; i++)
        if (!strncmp(key, w[i], strlen(w[i])) && strncmp(key, "if role ", 8))
            return 1;
    return 0;
}

char *jlkp_shell_name(const char *key)
{
    struct jbuf b = {0};
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        if (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9'))
            jb_add(&b, (const char *)p, 1);
        else
            jb_printf(&b, "_%u_", *p);
    return jb_finish(&b);
}

/* ---- evaluation ---- */

struct lookup_ctx {
    struct jnode *d;
};

/* How lkp's YAML loader (Psych, YAML 1.1) types a plain scalar, for the
 * forms minivmm evaluates; other number-like forms are refused. */
int jlkp_typed(const struct jnode *n, struct jlkp_val *v, const char *name, char *err,
               size_t errlen)
{
    *v = (struct jlkp_val){0};
    if (n->kind == JN_NULL)
        return 0;
    if (n->kind != JN_STR) {
        snprintf(err, errlen, "'%s' is a %s, not a value", name,
                 n->kind == JN_MAP ? "map" : "list");
        return -1;
    }
    const char *s = n->str;
    if (strstr(s, MARK)) {
        snprintf(err, errlen, "'%s' is itself a {{ }} expression, evaluated later (in file "
                 "order)", name);
        return -1;
    }
    if (!n->quoted) {
        static const char *const t[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on",
                                        "On", "ON", NULL};
        static const char *const f[] = {"false", "False", "FALSE", "no", "No", "NO", "off",
                                        "Off", "OFF", NULL};
        for (int i = 0; t[i]; i++)
            if (!strcmp(s, t[i]) || !strcmp(s, f[i])) {
                v->type = JLKP_BOOL;
                v->i = !strcmp(s, t[i]);
                return 0;
            }
        const char *p = s + (*s == '-' || *s == '+');
        size_t dl = strspn(p, "0123456789");
        if (dl && !p[dl] && (p[0] != '0' || dl == 1) && dl < 18) {
            v->type = JLKP_INT;
            v->i = strtoll(s, NULL, 10);
            return 0;
        }
        if ((dl || *p == '.') && strpbrk(p, "0123456789") && strspn(p, "0123456789_,.:eE+-") == strlen(p)) {
            snprintf(err, errlen, "lkp reads '%s' (the value of '%s') as a number form "
                     "minivmm does not evaluate", s, name);
            return -1;
        }
    }
    v->type = JLKP_STR;
    if (!(v->s = strdup(s))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int lookup(void *ctx, const char *name, struct jlkp_val *out, char *err, size_t errlen)
{
    struct lookup_ctx *l = ctx;
    const struct jnode *n = l->d;
    const char *p = name;
    if (!strncmp(name, "job[", 4)) { /* lkp's job hash: nil when absent */
        char *key = strndup(name + 4, strlen(name) - 5);
        long at = key ? jmap_find(l->d, key) : -2;
        free(key);
        if (at == -2)
            return snprintf(err, errlen, "out of memory"), -1;
        return at < 0 ? (*out = (struct jlkp_val){0}, 0) : jlkp_typed(l->d->kids[at], out, name, err, errlen);
    }
    while (*p) {
        size_t k = strcspn(p, ".");
        char part[256];
        if (k >= sizeof part || n->kind != JN_MAP) {
            snprintf(err, errlen, "'%s': '%.*s' is not a map", name, (int)(p - name - 1), name);
            return -1;
        }
        memcpy(part, p, k);
        part[k] = 0;
        long at = jmap_find((struct jnode *)n, part);
        if (at < 0) {
            snprintf(err, errlen, "unknown key '%s' (lkp: KeyError)", name);
            return -1;
        }
        n = n->kids[at];
        p += k + (p[k] == '.');
    }
    return jlkp_typed(n, out, name, err, errlen);
}

/* N's string with each placeholder replaced by its value; 1 when one is
 * nil. */
static int eval_string(struct jctx *c, struct jnode *d, struct jnode *n)
{
    struct jbuf b = {0};
    const char *s = n->str, *m;
    struct lookup_ctx l = {d};
    for (m = s; (m = strstr(m, MARK)); m += MARK_LEN) /* text of a file without {{ }} */
        if (!strstr(m + MARK_LEN, "__"))
            return jerr_node(c, n, "the text '" MARK "' is reserved");
    int whole = !strncmp(s, MARK, MARK_LEN) && !strstr(strstr(s + MARK_LEN, "__") + 2, MARK) &&
                !strstr(s + MARK_LEN, "__")[2];
    enum jlkp_type type = JLKP_STR;
    while ((m = strstr(s, MARK))) {
        size_t idx = strtoul(m + MARK_LEN, NULL, 10);
        jb_add(&b, s, (size_t)(m - s));
        s = strstr(m + MARK_LEN, "__") + 2;
        if (idx >= c->nexprs) {
            free(jb_finish(&b));
            return jerr_node(c, n, "bad expression mark");
        }
        const struct jlkp_expr *x = &c->exprs[idx];
        struct jlkp_val v;
        char msg[300];
        unsigned long line, col;
        if (jlkp_eval(x->text, strlen(x->text), lookup, &l, &v, msg, sizeof msg, &line, &col)) {
            free(jb_finish(&b));
            return jerr(c, x->file, x->line + line, line ? col + 1 : x->col + col,
                        "{{ }}: %s", msg);
        }
        int oom = 0;
        char *t = v.type == JLKP_RE ? NULL : jlkp_val_text(&v, &oom);
        int re = v.type == JLKP_RE;
        type = v.type;
        jlkp_val_free(&v);
        if (re || oom || !t) {
            free(jb_finish(&b));
            return re ? jerr(c, x->file, x->line, x->col - 2, "{{ }}: a regular expression is "
                             "not a value") : oom ? jerr_node(c, n, "out of memory") : 1;
        }
        const char *o;
        if (strstr(t, MARK) || ((o = strstr(t, "{{")) && strstr(o, "}}")) ||
            ((o = strstr(t, "<%")) && strstr(o, "%>"))) {
            free(t);
            free(jb_finish(&b));
            return jerr(c, x->file, x->line, x->col - 2, "{{ }}: the value holds {{ }} or <%% %%> "
                        "again (lkp would evaluate it once more): not supported");
        }
        jb_puts(&b, t);
        free(t);
    }
    if (set_text(c, n, &b, s))
        return -1;
    /* lkp keeps the value's Ruby type when the expression is the whole value:
     * an integer result is an integer to a later expression */
    n->quoted = !whole || type == JLKP_STR;
    return 0;
}

int jlkp_eval_job(struct jctx *c, struct jnode *d)
{
    for (size_t i = 0; i < d->n; i++) {
        struct jnode *v = d->kids[i];
        size_t nk = v->kind == JN_MAP ? v->n : 1;
        for (size_t j = 0; j < nk; j++) {
            struct jnode *x = v->kind == JN_MAP ? v->kids[j] : v;
            if (x->kind != JN_STR || !strstr(x->str, MARK))
                continue;
            int r = eval_string(c, d, x);
            if (r)
                return r;
        }
    }
    return 0;
}

/* `<<: {file: F, ignore: [K...], KEY: V...}` (lkp's lib/yaml.rb): in each
 * document of F, the ignored top-level keys are dropped and each KEY is set
 * (in place, or appended; an empty document stays empty). */
int jlkp_include_overrides(struct jctx *c, struct jnode **docs, size_t ndocs,
                           const struct jnode *spec)
{
    long ig = jmap_find((struct jnode *)spec, "ignore");
    const struct jnode *ign = ig >= 0 ? spec->kids[ig] : NULL;
    for (size_t d = 0; d < ndocs; d++) {
        struct jnode *m = docs[d];
        if (m->kind != JN_MAP)
            continue;
        for (size_t i = 0; ign && i < (ign->kind == JN_SEQ ? ign->n : 1); i++) {
            const struct jnode *x = ign->kind == JN_SEQ ? ign->kids[i] : ign;
            if (x->kind != JN_STR)
                return jerr_node(c, x, "`<<:` ignore: takes key names");
            long at = jmap_find(m, x->str);
            if (at >= 0)
                jmap_remove(m, (size_t)at);
        }
        for (size_t i = 0; i < spec->n; i++) {
            const char *k = spec->keys[i]->str;
            if (!strcmp(k, "file") || !strcmp(k, "ignore"))
                continue;
            struct jnode *kk = jnode_clone(spec->keys[i]), *vv = jnode_clone(spec->kids[i]);
            if (!kk || !vv || jmap_put(m, kk, vv, 0)) {
                jnode_free(kk);
                jnode_free(vv);
                return jerr_node(c, spec, "out of memory");
            }
        }
    }
    return 0;
}

/* `<<: F` at a document's top level, F of several documents (DOCS, NDOCS):
 * as lkp pastes the text, the first document's keys go into *MAPP (the
 * keys before the `<<:`), each later document starts a new one (the
 * finished ones are appended to *PENDING) and the last becomes *MAPP (the
 * keys after the `<<:` go there).  DOCS' entries are taken.  0 or -1. */
int jlkp_paste_docs(struct jctx *c, const struct jnode *name, struct jnode **mapp,
                    struct jnode **docs, size_t ndocs, struct jnode ***pending,
                    size_t *npending)
{
    struct jnode *map = *mapp;
    int r = 0;
    /* lkp pastes the text: the documents before the last end the current
     * one; the keys after the `<<:` go into the last */
    for (size_t i = 0; !r && i < ndocs; i++) {
        struct jnode *d = docs[i];
        if (d->kind != JN_MAP && d->kind != JN_NULL) {
            r = jerr_node(c, d, "an included file must hold mappings");
            break;
        }
        for (size_t k = 0; k < d->n && i == 0; k++) {
            if (jmap_put(map, d->keys[k], d->kids[k], 1)) {
                r = jerr_node(c, name, "out of memory");
                break;
            }
            d->keys[k] = d->kids[k] = NULL;
        }
        if (i == 0)
            continue;
        struct jnode **p = realloc(*pending, (*npending + 1) * sizeof *p);
        if (!p) {
            r = jerr_node(c, name, "out of memory");
            break;
        }
        *pending = p;
        p[(*npending)++] = map;
        if (d->kind == JN_NULL) {
            jnode_free(d);
            d = docs[i] = jnode_new(NULL, JN_MAP, name->file, name->line, name->col);
            if (!d) {
                r = jerr_node(c, name, "out of memory");
                map = NULL;
                break;
            }
        }
        for (size_t k = 0; k < d->n; k++)
            d->from_include[k] = 1;
        map = d;
        docs[i] = NULL;
    }
    if (!map) /* the current map must stay valid */
        map = (*pending)[--*npending];
    *mapp = map;
    return r;
}
