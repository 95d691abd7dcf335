/* The subset of ERB that lkp-tests' include/ and programs/NAME/include
 * templates use (lib/erb.rb: ERB with trim_mode '%'), evaluated without Ruby:
 *
 *   % if EXPR / % unless EXPR / % elsif EXPR / % else / % end   control lines
 *   %% ...                                                      a line starting with %
 *   <%= EXPR %>                                                 the value's text
 *   <%# ... %>                                                  a comment
 *
 * EXPR is the subset of job/lkpexpr.c.  Anything else (`<% code %>`, other
 * Ruby on a `%` line, `-%>`) is an error naming its place, never a guess.
 * Branches not taken are parsed (so checked) but never evaluated, as Ruby
 * compiles but does not run them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "job/job_internal.h"
#include "job/lkperb.h"

#define MAX_NEST 32

struct erb {
    const char *t;
    size_t len;
    jlkp_lookup_fn lookup;
    void *ctx;
    char *err;
    size_t errlen;
    unsigned long line, col; /* of the error, 1-based */
};

static int fail(struct erb *e, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct erb *e, size_t at, const char *fmt, ...)
{
    unsigned long l = 1, c = 1;
    for (size_t i = 0; i < at && i < e->len; i++, c++)
        if (e->t[i] == '\n') {
            l++;
            c = 0;
        }
    e->line = l;
    e->col = c;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->err, e->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Evaluates (ON) or only checks the expression at T[AT, AT + N): 0 and *V. */
static int expr_at(struct erb *e, size_t at, size_t n, int on, struct jlkp_val *v)
{
    char msg[300];
    unsigned long l, c;
    *v = (struct jlkp_val){0};
    int r = on ? jlkp_eval(e->t + at, n, e->lookup, e->ctx, v, msg, sizeof msg, &l, &c)
               : jlkp_check(e->t + at, n, msg, sizeof msg, &l, &c);
    if (!r)
        return 0;
    /* the place within the expression, made a place in the text */
    size_t p = at;
    for (unsigned long i = 0; i < l && p < at + n; p++)
        if (e->t[p] == '\n')
            i++;
    fail(e, p + c, "%s", msg);
    return -1;
}

/* One `%` line's code, T[AT, AT + N) (blanks trimmed).  FRAMES: for each
 * open if, bit 0 this branch is taken, bit 1 a branch was taken, bit 2 the
 * enclosing text is taken. */
static int control(struct erb *e, size_t at, size_t n, unsigned char *frames, int *depth)
{
    const char *s = e->t + at;
    int live = *depth ? frames[*depth - 1] & 1 : 1;
    size_t kw = 0;
    while (kw < n && s[kw] >= 'a' && s[kw] <= 'z')
        kw++;
    int is_if = kw == 2 && !memcmp(s, "if", 2), is_unless = kw == 6 && !memcmp(s, "unless", 6);
    int is_elsif = kw == 5 && !memcmp(s, "elsif", 5);
    if (!n || s[0] == '#')
        return 0;
    if (is_if || is_unless || is_elsif) {
        if (kw == n)
            return fail(e, at, "ERB: '%.*s' without a condition", (int)kw, s);
        int outer = is_elsif ? (*depth ? (frames[*depth - 1] >> 2) & 1 : 0) : live;
        int done = is_elsif && *depth && (frames[*depth - 1] & 2);
        if (is_elsif && !*depth)
            return fail(e, at, "ERB: '%s' without 'if'", "elsif");
        struct jlkp_val v;
        int on = outer && !done;
        if (expr_at(e, at + kw, n - kw, on, &v))
            return -1;
        int take = on && (jlkp_truthy(&v) != is_unless);
        jlkp_val_free(&v);
        if (is_elsif) {
            frames[*depth - 1] = (unsigned char)((frames[*depth - 1] & 6) | take | (take << 1));
            return 0;
        }
        if (*depth >= MAX_NEST)
            return fail(e, at, "ERB: conditions nested more than %d deep", MAX_NEST);
        frames[(*depth)++] = (unsigned char)(take | (take << 1) | (live << 2));
        return 0;
    }
    if (kw == n && kw == 4 && !memcmp(s, "else", 4)) {
        if (!*depth)
            return fail(e, at, "ERB: '%s' without 'if'", "else");
        unsigned char f = frames[*depth - 1];
        int take = ((f >> 2) & 1) && !(f & 2);
        frames[*depth - 1] = (unsigned char)((f & 4) | 2 | take);
        return 0;
    }
    if (kw == n && kw == 3 && !memcmp(s, "end", 3)) {
        if (!*depth)
            return fail(e, at, "ERB: '%s' without 'if'", "end");
        (*depth)--;
        return 0;
    }
    return fail(e, at, "ERB: the Ruby code '%.*s' on a %% line is outside the subset minivmm "
                "evaluates (if, unless, elsif, else, end)", (int)(n > 40 ? 40 : n), s);
}

int jlkp_erb(const char *text, size_t len, jlkp_lookup_fn lookup, void *ctx, char **out,
             size_t *outlen, char *err, size_t errlen, unsigned long *line, unsigned long *col)
{
    struct erb e = {.t = text, .len = len, .lookup = lookup, .ctx = ctx, .err = err,
                    .errlen = errlen};
    struct jbuf o = {0};
    unsigned char frames[MAX_NEST];
    int depth = 0, r = 0;
    size_t i = 0;
    *out = NULL;
    if (memchr(text, 0, len))
        r = fail(&e, (size_t)((const char *)memchr(text, 0, len) - text), "ERB: NUL character");
    while (!r && i < len) {
        int live = depth ? frames[depth - 1] & 1 : 1;
        size_t eol = i;
        while (eol < len && text[eol] != '\n')
            eol++;
        if (text[i] == '%' && !(i + 1 < len && text[i + 1] == '%')) {
            size_t a = i + 1, b = eol;
            while (a < b && (text[a] == ' ' || text[a] == '\t'))
                a++;
            while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t' || text[b - 1] == '\r'))
                b--;
            r = control(&e, a, b - a, frames, &depth);
            i = eol + (eol < len); /* the whole line goes, as with trim_mode '%' */
            continue;
        }
        if (text[i] == '%') /* %% */
            i++;
        /* a text line: copy it, replacing each tag */
        while (!r && i < len) {
            const char *tag = NULL;
            for (size_t k = i; k + 1 < len && k < eol; k++)
                if (text[k] == '<' && text[k + 1] == '%') {
                    tag = text + k;
                    break;
                }
            if (!tag) {
                if (live)
                    jb_add(&o, text + i, eol + (eol < len) - i);
                i = eol + (eol < len);
                break;
            }
            size_t t = (size_t)(tag - text);
            if (live)
                jb_add(&o, text + i, t - i);
            const char *close = NULL;
            for (size_t k = t + 2; k + 1 < len; k++)
                if (text[k] == '%' && text[k + 1] == '>') {
                    close = text + k;
                    break;
                }
            if (!close) {
                r = fail(&e, t, "ERB: '<%%' without '%%>'");
                break;
            }
            size_t c = (size_t)(close - text);
            if (t + 2 < len && text[t + 2] == '#') {
                /* a comment */
            } else if (t + 2 >= len || text[t + 2] != '=' || text[c - 1] == '-') {
                r = fail(&e, t, "ERB: '%s' tags are outside the subset minivmm evaluates "
                         "(only <%%= EXPR %%> and <%%# %%>)", text[t + 2] == '=' ? "-%>" : "<% code %>");
                break;
            } else {
                struct jlkp_val v;
                if (expr_at(&e, t + 3, c - t - 3, live, &v)) {
                    r = -1;
                    break;
                }
                if (v.type == JLKP_RE) {
                    jlkp_val_free(&v);
                    r = fail(&e, t, "ERB: a regular expression is not a value");
                    break;
                }
                int oom = 0;
                char *s = live && v.type != JLKP_NIL ? jlkp_val_text(&v, &oom) : NULL;
                jlkp_val_free(&v);
                if (s)
                    jb_puts(&o, s);
                free(s);
                if (oom)
                    o.oom = 1;
            }
            i = c + 2;
            eol = i;
            while (eol < len && text[eol] != '\n')
                eol++;
        }
    }
    if (!r && depth)
        r = fail(&e, len, "ERB: 'if' without 'end'");
    jb_add(&o, "", 0); /* an empty text is "" */
    if (!r && o.oom)
        r = fail(&e, 0, "out of memory");
    size_t n = o.len;
    char *res = jb_finish(&o);
    if (r) {
        free(res);
        *line = e.line;
        *col = e.col;
        return -1;
    }
    *out = res;
    *outlen = n;
    return 0;
}
