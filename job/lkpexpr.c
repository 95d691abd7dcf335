/* lkp `{{ }}` expressions: a recursive-descent parser that evaluates as it
 * parses (branches not taken are parsed with evaluation off, so they are
 * checked but never look a name up).  Ruby's meaning for each construct of
 * the subset; see docs/jobs.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "job/lkpexpr_int.h"

#define MAX_DEPTH 64

static int expr(struct ev *e, int on, struct jlkp_val *v);
static int body(struct ev *e, int on, struct jlkp_val *v, const char *const *stops);

static int if_expr(struct ev *e, int on, struct jlkp_val *v, size_t at);
static int case_expr(struct ev *e, int on, struct jlkp_val *v, size_t at);

/* `job['KEY']` (lkp's job hash; nil when KEY is absent): the lookup gets
 * the name "job[KEY]". */
static int job_index(struct ev *e, int on, struct jlkp_val *v, size_t at)
{
    e->pos++; /* '[' */
    jx_blanks(e, 0);
    struct jlkp_val k = {0};
    if (e->pos >= e->len || (e->s[e->pos] != '\'' && e->s[e->pos] != '"'))
        return jx_fail_at(e, e->pos, "job[...] takes a string literal key in the subset minivmm "
                       "evaluates");
    if (jx_string_lit(e, 1, &k))
        return -1;
    jx_blanks(e, 0);
    if (!jx_accept(e, "]")) {
        jlkp_val_free(&k);
        return jx_fail_at(e, e->pos, "']' expected");
    }
    if (e->pos < e->len && (e->s[e->pos] == '[' || e->s[e->pos] == '.' || e->s[e->pos] == '(')) {
        jlkp_val_free(&k);
        return jx_fail_at(e, e->pos, "'%c' after job[...] is outside the subset minivmm evaluates",
                       e->s[e->pos]);
    }
    if (!on) {
        jlkp_val_free(&k);
        return 0;
    }
    char *name = NULL;
    if (asprintf(&name, "job[%s]", k.s) < 0)
        name = NULL;
    jlkp_val_free(&k);
    if (!name)
        return jx_fail_at(e, at, "out of memory");
    char msg[256] = "";
    int r = e->lookup(e->ctx, name, v, msg, sizeof msg);
    free(name);
    return r ? jx_fail_at(e, at, "%s", msg[0] ? msg : "the name cannot be looked up") : 0;
}

static int primary(struct ev *e, int on, struct jlkp_val *v)
{
    jx_blanks(e, 0);
    size_t at = e->pos;
    if (at >= e->len)
        return jx_fail_at(e, at, "expression ends where a value was expected");
    char ch = e->s[at];
    if (ch == '(') {
        e->pos++;
        jx_separators(e);
        if (jx_expr(e, on, v))
            return -1;
        jx_separators(e);
        if (!jx_accept(e, ")")) {
            jlkp_val_free(v);
            return jx_fail_at(e, e->pos, "')' expected");
        }
        return 0;
    }
    if (ch == '\'' || ch == '"')
        return jx_string_lit(e, on, v);
    if (ch == '/')
        return jx_regex_lit(e, on, v);
    if (ch >= '0' && ch <= '9') {
        long long n = 0;
        while (e->pos < e->len && ((e->s[e->pos] >= '0' && e->s[e->pos] <= '9') ||
                                   e->s[e->pos] == '_')) {
            if (e->s[e->pos] != '_' &&
                (__builtin_mul_overflow(n, 10, &n) ||
                 __builtin_add_overflow(n, e->s[e->pos] - '0', &n)))
                return jx_fail_at(e, at, "integer too large");
            e->pos++;
        }
        if (e->pos < e->len && (e->s[e->pos] == '.' || jx_is_ident((unsigned char)e->s[e->pos], 0)))
            return jx_fail_at(e, e->pos, "this number form (float, hex, octal, method call) is "
                           "outside the subset minivmm evaluates");
        if (e->s[at] == '0' && e->pos - at > 1)
            return jx_fail_at(e, at, "octal numbers are outside the subset minivmm evaluates");
        if (on) {
            v->type = JLKP_INT;
            v->i = n;
        }
        return 0;
    }
    if (jx_is_ident((unsigned char)ch, 1)) {
        size_t end = at;
        while (end < e->len && jx_is_ident((unsigned char)e->s[end], 0))
            end++;
        size_t wl = end - at;
        const char *w = e->s + at;
        if (jx_accept(e, "if"))
            return if_expr(e, on, v, at);
        if (jx_accept(e, "case"))
            return case_expr(e, on, v, at);
        if (jx_accept(e, "nil") || jx_accept(e, "true") || jx_accept(e, "false")) {
            if (on) {
                v->type = w[0] == 'n' ? JLKP_NIL : JLKP_BOOL;
                v->i = w[0] == 't';
            }
            return 0;
        }
        if (jx_is_reserved(w, wl))
            return jx_fail_at(e, at, "'%.*s' is outside the subset minivmm evaluates", (int)wl, w);
        /* a name: key or key.key... (lkp's Hashugar lookup) */
        while (end < e->len && e->s[end] == '.' && end + 1 < e->len &&
               jx_is_ident((unsigned char)e->s[end + 1], 1)) {
            end++;
            while (end < e->len && jx_is_ident((unsigned char)e->s[end], 0))
                end++;
        }
        e->pos = end;
        if (end - at == 3 && !memcmp(w, "job", 3) && end < e->len && e->s[end] == '[')
            return job_index(e, on, v, at);
        if (end < e->len && (e->s[end] == '(' || e->s[end] == '[' || e->s[end] == '.'))
            return jx_fail_at(e, end, "'%c' after a name (a method call or index) is outside the "
                           "subset minivmm evaluates", e->s[end]);
        size_t q = end;
        while (q < e->len && (e->s[q] == ' ' || e->s[q] == '\t'))
            q++;
        if (q < e->len && e->s[q] == '=' && !(q + 1 < e->len && strchr("=~>", e->s[q + 1])))
            return jx_fail_at(e, q, "assignment is outside the subset minivmm evaluates");
        if (!on)
            return 0;
        char *name = strndup(at + e->s, end - at);
        if (!name)
            return jx_fail_at(e, at, "out of memory");
        char msg[256] = "";
        int r = e->lookup(e->ctx, name, v, msg, sizeof msg);
        free(name);
        if (r)
            return jx_fail_at(e, at, "%s", msg[0] ? msg : "the name cannot be looked up");
        return 0;
    }
    return jx_fail_at(e, at, "'%c' is outside the subset minivmm evaluates", ch);
}

static int unary(struct ev *e, int on, struct jlkp_val *v)
{
    if (++e->depth > MAX_DEPTH)
        return jx_fail_at(e, e->pos, "expression nested too deeply (limit %d)", MAX_DEPTH);
    int r;
    jx_blanks(e, 0);
    size_t at = e->pos;
    if (jx_accept(e, "!") && !jx_peek(e, "=")) {
        r = unary(e, on, v);
        if (!r && on) {
            int t = jx_truthy(v);
            jlkp_val_free(v);
            v->type = JLKP_BOOL;
            v->i = !t;
        }
    } else if (e->pos = at, jx_accept(e, "-")) {
        r = unary(e, on, v);
        if (!r && on) {
            if (v->type != JLKP_INT) {
                r = jx_fail_at(e, at, "unary - needs an integer, not %s", jx_type_name(v->type));
                jlkp_val_free(v);
            } else if (__builtin_sub_overflow(0LL, v->i, &v->i)) {
                r = jx_fail_at(e, at, "integer overflow");
            }
        }
    } else {
        e->pos = at;
        r = primary(e, on, v);
    }
    e->depth--;
    return r;
}

/* Left-associative arithmetic: LEVEL 1 is * / % over unary operands, LEVEL
 * 2 is + - over level 1. */
static int arith_level(struct ev *e, int on, struct jlkp_val *v, int level)
{
    if (level == 1 ? unary(e, on, v) : arith_level(e, on, v, 1))
        return -1;
    for (;;) {
        jx_blanks(e, 0);
        size_t at = e->pos;
        char op = at < e->len ? e->s[at] : 0;
        if (!op || !strchr(level == 1 ? "*/%" : "+-", op))
            return 0;
        if (op == '*' && jx_peek(e, "**")) {
            jlkp_val_free(v);
            return jx_fail_at(e, at, "'**' is outside the subset minivmm evaluates");
        }
        e->pos++;
        jx_blanks(e, 1);
        struct jlkp_val b = {0};
        if ((level == 1 ? unary(e, on, &b) : arith_level(e, on, &b, 1)) ||
            (on && jx_arith(e, at, op, v, &b))) {
            jlkp_val_free(&b);
            jlkp_val_free(v);
            return -1;
        }
        jlkp_val_free(&b);
    }
}

static int rel(struct ev *e, int on, struct jlkp_val *v)
{
    if (arith_level(e, on, v, 2))
        return -1;
    jx_blanks(e, 0);
    size_t at = e->pos;
    static const char *const ops[] = {"<=>", "<=", ">=", "<", ">"};
    int k;
    for (k = 0; k < 5 && !jx_accept(e, ops[k]); k++)
        ;
    if (k == 5)
        return 0;
    if (k >= 3 && jx_peek(e, ops[k])) {
        jlkp_val_free(v);
        return jx_fail_at(e, at, "shift operators are outside the subset minivmm evaluates");
    }
    if (k == 0) {
        jlkp_val_free(v);
        return jx_fail_at(e, at, "'<=>' is outside the subset minivmm evaluates");
    }
    jx_blanks(e, 1);
    struct jlkp_val b = {0};
    if (arith_level(e, on, &b, 2)) {
        jlkp_val_free(&b);
        jlkp_val_free(v);
        return -1;
    }
    int r = 0;
    if (on) {
        int c = 0;
        if (v->type == JLKP_INT && b.type == JLKP_INT)
            c = v->i < b.i ? -1 : v->i > b.i;
        else if (v->type == JLKP_STR && b.type == JLKP_STR)
            c = strcmp(v->s, b.s);
        else
            r = jx_fail_at(e, at, "'%s' between %s and %s (Ruby raises an error)", ops[k],
                        jx_type_name(v->type), jx_type_name(b.type));
        int t = k == 1 ? c <= 0 : k == 2 ? c >= 0 : k == 3 ? c < 0 : c > 0;
        jlkp_val_free(v);
        v->type = JLKP_BOOL;
        v->i = t;
    }
    jlkp_val_free(&b);
    if (!r && (jx_peek(e, "<") || jx_peek(e, ">")))
        return jlkp_val_free(v), jx_fail_at(e, e->pos, "chained comparisons are outside the "
                                         "subset minivmm evaluates");
    return r;
}

static int eq(struct ev *e, int on, struct jlkp_val *v)
{
    if (rel(e, on, v))
        return -1;
    jx_blanks(e, 0);
    size_t at = e->pos;
    static const char *const ops[] = {"===", "==", "!=", "=~", "!~"};
    int k;
    for (k = 0; k < 5 && !jx_accept(e, ops[k]); k++)
        ;
    if (k == 5) {
        if (jx_peek(e, "=") && !jx_peek(e, "=>"))
            return jlkp_val_free(v), jx_fail_at(e, at, "assignment is outside the subset "
                                             "minivmm evaluates");
        return 0;
    }
    if (k == 0)
        return jlkp_val_free(v), jx_fail_at(e, at, "'===' is outside the subset minivmm evaluates");
    jx_blanks(e, 1);
    struct jlkp_val b = {0};
    if (rel(e, on, &b)) {
        jlkp_val_free(&b);
        jlkp_val_free(v);
        return -1;
    }
    int r = 0;
    if (on) {
        struct jlkp_val res = {JLKP_BOOL, 0, NULL};
        if (k <= 2) {
            res.i = jx_equal(v, &b) == (k == 1);
        } else if (b.type != JLKP_RE || (v->type != JLKP_STR && v->type != JLKP_NIL)) {
            r = jx_fail_at(e, at, "'%s' needs a string (or nil) and a /regular expression/, not "
                        "%s and %s", ops[k], jx_type_name(v->type), jx_type_name(b.type));
        } else {
            long long m = v->type == JLKP_NIL ? -1 : jx_re_match(e, at, v->s, b.s);
            if (m == -2)
                r = -1;
            else if (k == 3 && m >= 0)
                res = (struct jlkp_val){JLKP_INT, m, NULL};
            else if (k == 3)
                res.type = JLKP_NIL;
            else
                res.i = m < 0;
        }
        jlkp_val_free(v);
        *v = res;
    }
    jlkp_val_free(&b);
    if (!r && (jx_peek(e, "==") || jx_peek(e, "!=") || jx_peek(e, "=~")))
        return jlkp_val_free(v), jx_fail_at(e, e->pos, "chained comparisons are outside the "
                                         "subset minivmm evaluates");
    return r;
}

/* && (IS_OR 0, over comparisons) and || (IS_OR 1, over &&): short-circuit;
 * the value is the operand that decided (Ruby). */
static int logic(struct ev *e, int on, struct jlkp_val *v, int is_or)
{
    if (is_or ? logic(e, on, v, 0) : eq(e, on, v))
        return -1;
    while (jx_accept(e, is_or ? "||" : "&&")) {
        jx_blanks(e, 1);
        int take = on && jx_truthy(v) != is_or;
        struct jlkp_val b = {0};
        if (is_or ? logic(e, take, &b, 0) : eq(e, take, &b)) {
            jlkp_val_free(&b);
            jlkp_val_free(v);
            return -1;
        }
        if (take) {
            jlkp_val_free(v);
            *v = b;
        }
    }
    return 0;
}

static int expr(struct ev *e, int on, struct jlkp_val *v)
{
    if (++e->depth > MAX_DEPTH)
        return jx_fail_at(e, e->pos, "expression nested too deeply (limit %d)", MAX_DEPTH);
    int r = logic(e, on, v, 1);
    if (!r && jx_accept(e, "?")) {
        int c = on && jx_truthy(v);
        if (on)
            jlkp_val_free(v);
        struct jlkp_val a = {0}, b = {0};
        jx_separators(e);
        if (expr(e, on && c, &a)) {
            r = -1;
        } else {
            jx_separators(e);
            if (!jx_accept(e, ":")) {
                r = jx_fail_at(e, e->pos, "':' of '? :' expected");
            } else {
                jx_separators(e);
                r = expr(e, on && !c, &b);
            }
        }
        if (!r && on) {
            *v = c ? a : b;
            (c ? &a : &b)->s = NULL;
        }
        jlkp_val_free(&a);
        jlkp_val_free(&b);
    }
    e->depth--;
    return r;
}

/* `not X` (lower than ?:) */
static int not_expr(struct ev *e, int on, struct jlkp_val *v)
{
    if (!jx_accept(e, "not"))
        return expr(e, on, v);
    if (++e->depth > MAX_DEPTH)
        return jx_fail_at(e, e->pos, "expression nested too deeply (limit %d)", MAX_DEPTH);
    int r = not_expr(e, on, v);
    if (!r && on) {
        int t = jx_truthy(v);
        jlkp_val_free(v);
        v->type = JLKP_BOOL;
        v->i = !t;
    }
    e->depth--;
    return r;
}

/* `and` and `or`: Ruby's lowest operators, of equal precedence, left to
 * right, short-circuit; the value is the operand that decided. */
int jx_expr(struct ev *e, int on, struct jlkp_val *v)
{
    if (not_expr(e, on, v))
        return -1;
    for (;;) {
        int is_or = jx_accept(e, "or");
        if (!is_or && !jx_accept(e, "and"))
            break;
        jx_blanks(e, 1);
        int take = on && jx_truthy(v) != is_or;
        struct jlkp_val b = {0};
        if (not_expr(e, take, &b)) {
            jlkp_val_free(&b);
            jlkp_val_free(v);
            return -1;
        }
        if (take) {
            jlkp_val_free(v);
            *v = b;
        }
    }
    if (jx_accept(e, "unless") || jx_accept(e, "if")) {
        jlkp_val_free(v);
        return jx_fail_at(e, e->pos, "modifier if/unless is outside the subset minivmm "
                       "evaluates");
    }
    return 0;
}

/* One expression as a branch's body, up to one of STOPS. */
static int body(struct ev *e, int on, struct jlkp_val *v, const char *const *stops)
{
    jx_separators(e);
    for (int i = 0; stops[i]; i++)
        if (jx_peek(e, stops[i])) { /* an empty body is nil */
            if (on)
                jlkp_val_free(v);
            return 0;
        }
    if (jx_expr(e, on, v))
        return -1;
    jx_separators(e);
    for (int i = 0; stops[i]; i++)
        if (jx_peek(e, stops[i]))
            return 0;
    jlkp_val_free(v);
    if (e->pos >= e->len)
        return jx_fail_at(e, e->pos, "'%s' expected", stops[0]);
    return jx_fail_at(e, e->pos, "several statements in one branch are outside the subset minivmm "
                   "evaluates (expected %s)", stops[0]);
}

static int then_(struct ev *e)
{
    jx_blanks(e, 0);
    if (jx_accept(e, "then"))
        return 0;
    if (e->pos < e->len && (e->s[e->pos] == '\n' || e->s[e->pos] == ';'))
        return 0;
    return jx_fail_at(e, e->pos, "'then' or a new line expected");
}

/* The `else ... end` of an if or case (WHAT) begun at AT; DONE: a branch was
 * taken (else a missing else is nil). */
static int else_end(struct ev *e, int on, int done, struct jlkp_val *v, size_t at,
                    const char *what)
{
    static const char *const last[] = {"end", NULL};
    if (jx_accept(e, "else")) {
        if (body(e, !done, v, last))
            return -1;
    } else if (!done && on) {
        jlkp_val_free(v);
    }
    if (!jx_accept(e, "end"))
        return jx_fail_at(e, at, "'%s' without 'end'", what);
    return 0;
}

static int if_expr(struct ev *e, int on, struct jlkp_val *v, size_t at)
{
    static const char *const stops[] = {"end", "elsif", "else", NULL};
    int done = !on;
    for (;;) {
        struct jlkp_val c = {0};
        if (jx_expr(e, !done, &c) || then_(e))
            return jlkp_val_free(&c), -1;
        int take = !done && jx_truthy(&c);
        jlkp_val_free(&c);
        if (body(e, take, v, stops))
            return -1;
        done |= take;
        if (!jx_accept(e, "elsif"))
            break;
    }
    return else_end(e, on, done, v, at, "if");
}

/* case X when A, B then ... else ... end: `when` compares with === (equality,
 * or a match for a regular expression). */
static int case_expr(struct ev *e, int on, struct jlkp_val *v, size_t at)
{
    static const char *const stops[] = {"end", "when", "else", NULL};
    struct jlkp_val x = {0};
    if (expr(e, on, &x))
        return jlkp_val_free(&x), -1;   /* a failed nested case may have set it */
    jx_separators(e);
    int done = !on, any = 0;
    while (jx_accept(e, "when")) {
        int hit = 0;
        any = 1;
        do {
            jx_separators(e);
            size_t wat = e->pos;
            struct jlkp_val w = {0};
            if (expr(e, !done, &w))
                return jlkp_val_free(&w), jlkp_val_free(&x), -1;
            if (!done && !hit) {
                if (w.type == JLKP_RE) {
                    long long m = x.type == JLKP_STR ? jx_re_match(e, wat, x.s, w.s) : -1;
                    if (m == -2)
                        return jlkp_val_free(&w), jlkp_val_free(&x), -1;
                    hit = m >= 0;
                } else {
                    hit = jx_equal(&x, &w);
                }
            }
            jlkp_val_free(&w);
        } while (jx_accept(e, ","));
        if (then_(e) || body(e, hit && !done, v, stops))
            return jlkp_val_free(&x), -1;
        done |= hit;
    }
    jlkp_val_free(&x);
    if (!any)
        return jx_fail_at(e, at, "'case' without 'when'");
    return else_end(e, on, done, v, at, "case");
}

static int eval_(const char *text, size_t len, jlkp_lookup_fn lookup, void *ctx,
                 struct jlkp_val *out, char *err, size_t errlen, unsigned long *line,
                 unsigned long *col, int on);

int jlkp_eval(const char *text, size_t len, jlkp_lookup_fn lookup, void *ctx,
              struct jlkp_val *out, char *err, size_t errlen, unsigned long *line,
              unsigned long *col)
{
    return eval_(text, len, lookup, ctx, out, err, errlen, line, col, 1);
}

int jlkp_check(const char *text, size_t len, char *err, size_t errlen, unsigned long *line,
               unsigned long *col)
{
    struct jlkp_val v;
    return eval_(text, len, NULL, NULL, &v, err, errlen, line, col, 0);
}

int jlkp_truthy(const struct jlkp_val *v) { return jx_truthy(v); }

static int eval_(const char *text, size_t len, jlkp_lookup_fn lookup, void *ctx,
                 struct jlkp_val *out, char *err, size_t errlen, unsigned long *line,
                 unsigned long *col, int on)
{
    struct ev e = {.s = text, .len = len, .lookup = lookup, .ctx = ctx, .err = err,
                   .errlen = errlen};
    *out = (struct jlkp_val){0};
    if (memchr(text, 0, len)) {
        jx_fail_at(&e, (size_t)((const char *)memchr(text, 0, len) - text), "NUL character");
    } else {
        jx_separators(&e);
        if (e.pos >= e.len) {
            jx_fail_at(&e, 0, "empty {{ }} expression");
        } else if (!jx_expr(&e, on, out)) {
            jx_separators(&e);
            if (out->type == JLKP_RE) {
                jlkp_val_free(out);
                jx_fail_at(&e, 0, "a regular expression is not a value");
            } else if (e.pos < e.len) {
                jlkp_val_free(out);
                jx_fail_at(&e, e.pos, "'%c' after the expression is outside the subset minivmm "
                        "evaluates", e.s[e.pos]);
            }
        }
    }
    if (!e.failed)
        return 0;
    jlkp_val_free(out);
    unsigned long l = 0, c = 0;
    for (size_t i = 0; i < e.errpos && i < len; i++, c++)
        if (text[i] == '\n') {
            l++;
            c = (unsigned long)-1;
        }
    *line = l;
    *col = c;
    return -1;
}

