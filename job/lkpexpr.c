/* lkp `{{ }}` expressions: a recursive-descent parser that evaluates as it
 * parses (branches not taken are parsed with evaluation off, so they are
 * checked but never look a name up).  Ruby's meaning for each construct of
 * the subset; see docs/jobs.md. */
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "job/lkpexpr.h"

#define MAX_DEPTH 64

struct ev {
    const char *s;
    size_t len, pos;
    jlkp_lookup_fn lookup;
    void *ctx;
    char *err;
    size_t errlen;
    size_t errpos;
    int failed;
    int depth;
};

void jlkp_val_free(struct jlkp_val *v)
{
    free(v->s);
    v->s = NULL;
    v->type = JLKP_NIL;
}

static int fail_at(struct ev *e, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(struct ev *e, size_t pos, const char *fmt, ...)
{
    if (e->failed)
        return -1;
    e->failed = 1;
    e->errpos = pos;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->err, e->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- lexing ---- */

static int is_ident(int ch, int first)
{
    return ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (!first && ch >= '0' && ch <= '9');
}

/* Skips blanks (and newlines too when NL). */
static void blanks(struct ev *e, int nl)
{
    while (e->pos < e->len) {
        char ch = e->s[e->pos];
        if (ch == ' ' || ch == '\t' || ch == '\r' || (nl && ch == '\n'))
            e->pos++;
        else if (ch == '\\' && e->pos + 1 < e->len && e->s[e->pos + 1] == '\n')
            e->pos += 2;
        else
            break;
    }
}

/* The next token is the keyword or operator W (a keyword must not run on
 * into an identifier)?  Consumes it when so. */
static int accept(struct ev *e, const char *w)
{
    blanks(e, 0);
    size_t n = strlen(w);
    if (e->len - e->pos < n || memcmp(e->s + e->pos, w, n))
        return 0;
    if (is_ident((unsigned char)w[0], 1) && e->pos + n < e->len &&
        is_ident((unsigned char)e->s[e->pos + n], 0))
        return 0;
    e->pos += n;
    return 1;
}

static int peek(struct ev *e, const char *w)
{
    size_t save = e->pos;
    int r = accept(e, w);
    e->pos = save;
    return r;
}

/* Statement separators: newlines and ';'. */
static void separators(struct ev *e)
{
    for (;;) {
        blanks(e, 1);
        if (e->pos < e->len && e->s[e->pos] == ';')
            e->pos++;
        else
            return;
    }
}

static const char *const reserved[] = {
    "if", "elsif", "else", "end", "case", "when", "then", "nil", "true", "false", "and", "or",
    "not", "unless", "while", "until", "for", "do", "begin", "def", "class", "module", "yield",
    "return", "self", "defined", "lambda", "proc", NULL,
};

static int is_reserved(const char *w, size_t n)
{
    for (int i = 0; reserved[i]; i++)
        if (strlen(reserved[i]) == n && !memcmp(reserved[i], w, n))
            return 1;
    return 0;
}

/* ---- values ---- */

static int set_str(struct ev *e, struct jlkp_val *v, const char *s, size_t n, enum jlkp_type t)
{
    v->type = t;
    if (!(v->s = strndup(s, n)))
        return fail_at(e, e->pos, "out of memory");
    return 0;
}

static int truthy(const struct jlkp_val *v)
{
    return !(v->type == JLKP_NIL || (v->type == JLKP_BOOL && !v->i));
}

static const char *type_name(enum jlkp_type t)
{
    switch (t) {
    case JLKP_NIL: return "nil";
    case JLKP_BOOL: return "a boolean";
    case JLKP_INT: return "an integer";
    case JLKP_STR: return "a string";
    default: return "a regular expression";
    }
}

static int equal(const struct jlkp_val *a, const struct jlkp_val *b)
{
    if (a->type != b->type)
        return 0;
    if (a->type == JLKP_STR || a->type == JLKP_RE)
        return !strcmp(a->s, b->s);
    return a->type == JLKP_NIL || a->i == b->i;
}

/* STR =~ RE: the match's offset, or -1 for none; -2 error. */
static long long lkp_re_match(struct ev *e, size_t at, const char *str, const char *re)
{
    int icase = 0;
    size_t n = strlen(re);
    if (n && re[n - 1] == 'i') { /* the flag, stored after the closing '/' */
        icase = 1;
        n--;
    }
    char *pat = strndup(re, n - 1); /* drop the stored '/' */
    if (!pat)
        return fail_at(e, at, "out of memory"), -2;
    regex_t rx;
    int r = regcomp(&rx, pat, REG_EXTENDED | (icase ? REG_ICASE : 0));
    free(pat);
    if (r)
        return fail_at(e, at, "bad regular expression"), -2;
    regmatch_t m;
    r = regexec(&rx, str, 1, &m, 0);
    regfree(&rx);
    return r ? -1 : (long long)m.rm_so;
}

/* ---- parsing and evaluating ---- */

static int expr(struct ev *e, int on, struct jlkp_val *v);
static int body(struct ev *e, int on, struct jlkp_val *v, const char *const *stops);

static int string_lit(struct ev *e, int on, struct jlkp_val *v)
{
    size_t start = e->pos;
    char q = e->s[e->pos++];
    char *buf = malloc(e->len - e->pos + 1);
    size_t n = 0;
    if (!buf)
        return fail_at(e, start, "out of memory");
    for (;;) {
        if (e->pos >= e->len) {
            free(buf);
            return fail_at(e, start, "unterminated string");
        }
        char ch = e->s[e->pos++];
        if (ch == q)
            break;
        if (ch == '\\' && e->pos < e->len) {
            char nx = e->s[e->pos++];
            if (q == '\'') {
                if (nx != '\\' && nx != '\'')
                    buf[n++] = '\\';
                buf[n++] = nx;
                continue;
            }
            const char *from = "\\\"nt", *to = "\\\"\n\t";
            const char *k = strchr(from, nx);
            if (!k || !nx) {
                free(buf);
                return fail_at(e, e->pos - 2, "the escape \\%c in a double-quoted string is "
                               "outside the subset minivmm evaluates", nx);
            }
            buf[n++] = to[k - from];
            continue;
        }
        if (q == '"' && ch == '#' && e->pos < e->len && e->s[e->pos] == '{') {
            free(buf);
            return fail_at(e, e->pos - 1, "string interpolation #{...} is outside the subset "
                           "minivmm evaluates (use +)");
        }
        buf[n++] = ch;
    }
    int r = on ? set_str(e, v, buf, n, JLKP_STR) : 0;
    free(buf);
    return r;
}

/* /RE/ or /RE/i, only where =~, !~ or `when` take one.  Only the part of
 * Ruby's syntax that POSIX extended expressions read the same way. */
static int regex_lit(struct ev *e, int on, struct jlkp_val *v)
{
    size_t start = e->pos++;
    size_t from = e->pos;
    while (e->pos < e->len && e->s[e->pos] != '/') {
        char ch = e->s[e->pos];
        if (!(is_ident((unsigned char)ch, 0) || strchr("|^$.*+?()[]- ,:=%@", ch)))
            return fail_at(e, e->pos, "'%c' in a regular expression is outside the subset "
                           "minivmm evaluates (letters, digits and | ^ $ . * + ? ( ) [ ] -)",
                           ch);
        e->pos++;
    }
    if (e->pos >= e->len)
        return fail_at(e, start, "unterminated regular expression");
    size_t to = e->pos++;
    int icase = 0;
    if (e->pos < e->len && e->s[e->pos] == 'i') {
        icase = 1;
        e->pos++;
    }
    if (e->pos < e->len && is_ident((unsigned char)e->s[e->pos], 0))
        return fail_at(e, e->pos, "regular expression flag '%c' is outside the subset minivmm "
                       "evaluates (only i)", e->s[e->pos]);
    if (!on)
        return 0;
    /* stored as PATTERN "/" [i], so that lkp_re_match knows the flag */
    char *s = malloc(to - from + 3);
    if (!s)
        return fail_at(e, start, "out of memory");
    memcpy(s, e->s + from, to - from);
    s[to - from] = '/';
    s[to - from + 1] = icase ? 'i' : 0;
    s[to - from + 2] = 0;
    v->type = JLKP_RE;
    v->s = s;
    return 0;
}

static int if_expr(struct ev *e, int on, struct jlkp_val *v, size_t at);
static int case_expr(struct ev *e, int on, struct jlkp_val *v, size_t at);

static int primary(struct ev *e, int on, struct jlkp_val *v)
{
    blanks(e, 0);
    size_t at = e->pos;
    if (at >= e->len)
        return fail_at(e, at, "expression ends where a value was expected");
    char ch = e->s[at];
    if (ch == '(') {
        e->pos++;
        separators(e);
        if (expr(e, on, v))
            return -1;
        separators(e);
        if (!accept(e, ")")) {
            jlkp_val_free(v);
            return fail_at(e, e->pos, "')' expected");
        }
        return 0;
    }
    if (ch == '\'' || ch == '"')
        return string_lit(e, on, v);
    if (ch == '/')
        return regex_lit(e, on, v);
    if (ch >= '0' && ch <= '9') {
        long long n = 0;
        while (e->pos < e->len && ((e->s[e->pos] >= '0' && e->s[e->pos] <= '9') ||
                                   e->s[e->pos] == '_')) {
            if (e->s[e->pos] != '_' &&
                (__builtin_mul_overflow(n, 10, &n) ||
                 __builtin_add_overflow(n, e->s[e->pos] - '0', &n)))
                return fail_at(e, at, "integer too large");
            e->pos++;
        }
        if (e->pos < e->len && (e->s[e->pos] == '.' || is_ident((unsigned char)e->s[e->pos], 0)))
            return fail_at(e, e->pos, "this number form (float, hex, octal, method call) is "
                           "outside the subset minivmm evaluates");
        if (e->s[at] == '0' && e->pos - at > 1)
            return fail_at(e, at, "octal numbers are outside the subset minivmm evaluates");
        if (on) {
            v->type = JLKP_INT;
            v->i = n;
        }
        return 0;
    }
    if (is_ident((unsigned char)ch, 1)) {
        size_t end = at;
        while (end < e->len && is_ident((unsigned char)e->s[end], 0))
            end++;
        size_t wl = end - at;
        const char *w = e->s + at;
        if (accept(e, "if"))
            return if_expr(e, on, v, at);
        if (accept(e, "case"))
            return case_expr(e, on, v, at);
        if (accept(e, "nil") || accept(e, "true") || accept(e, "false")) {
            if (on) {
                v->type = w[0] == 'n' ? JLKP_NIL : JLKP_BOOL;
                v->i = w[0] == 't';
            }
            return 0;
        }
        if (is_reserved(w, wl))
            return fail_at(e, at, "'%.*s' is outside the subset minivmm evaluates", (int)wl, w);
        /* a name: key or key.key... (lkp's Hashugar lookup) */
        while (end < e->len && e->s[end] == '.' && end + 1 < e->len &&
               is_ident((unsigned char)e->s[end + 1], 1)) {
            end++;
            while (end < e->len && is_ident((unsigned char)e->s[end], 0))
                end++;
        }
        e->pos = end;
        if (end < e->len && (e->s[end] == '(' || e->s[end] == '[' || e->s[end] == '.'))
            return fail_at(e, end, "'%c' after a name (a method call or index) is outside the "
                           "subset minivmm evaluates", e->s[end]);
        size_t q = end;
        while (q < e->len && (e->s[q] == ' ' || e->s[q] == '\t'))
            q++;
        if (q < e->len && e->s[q] == '=' && !(q + 1 < e->len && strchr("=~>", e->s[q + 1])))
            return fail_at(e, q, "assignment is outside the subset minivmm evaluates");
        if (!on)
            return 0;
        char *name = strndup(at + e->s, end - at);
        if (!name)
            return fail_at(e, at, "out of memory");
        char msg[256] = "";
        int r = e->lookup(e->ctx, name, v, msg, sizeof msg);
        free(name);
        if (r)
            return fail_at(e, at, "%s", msg[0] ? msg : "the name cannot be looked up");
        return 0;
    }
    return fail_at(e, at, "'%c' is outside the subset minivmm evaluates", ch);
}

static int unary(struct ev *e, int on, struct jlkp_val *v)
{
    if (++e->depth > MAX_DEPTH)
        return fail_at(e, e->pos, "expression nested too deeply (limit %d)", MAX_DEPTH);
    int r;
    blanks(e, 0);
    size_t at = e->pos;
    if (accept(e, "!") && !peek(e, "=")) {
        r = unary(e, on, v);
        if (!r && on) {
            int t = truthy(v);
            jlkp_val_free(v);
            v->type = JLKP_BOOL;
            v->i = !t;
        }
    } else if (e->pos = at, accept(e, "-")) {
        r = unary(e, on, v);
        if (!r && on) {
            if (v->type != JLKP_INT) {
                r = fail_at(e, at, "unary - needs an integer, not %s", type_name(v->type));
                jlkp_val_free(v);
            } else if (__builtin_sub_overflow(0LL, v->i, &v->i)) {
                r = fail_at(e, at, "integer overflow");
            }
        }
    } else {
        e->pos = at;
        r = primary(e, on, v);
    }
    e->depth--;
    return r;
}

static long long floordiv(long long a, long long b, int mod)
{
    long long q = a / b, m = a % b;
    if (m && ((m < 0) != (b < 0))) {
        q--;
        m += b;
    }
    return mod ? m : q;
}

static int arith(struct ev *e, size_t at, char op, struct jlkp_val *a, struct jlkp_val *b)
{
    if (op == '+' && a->type == JLKP_STR && b->type == JLKP_STR) {
        size_t n = strlen(a->s), m = strlen(b->s);
        char *s = realloc(a->s, n + m + 1);
        if (!s)
            return fail_at(e, at, "out of memory");
        memcpy(s + n, b->s, m + 1);
        a->s = s;
        return 0;
    }
    if (a->type != JLKP_INT || b->type != JLKP_INT)
        return fail_at(e, at, "'%c' of %s and %s is outside the subset minivmm evaluates "
                       "(integers; + also joins two strings)", op, type_name(a->type),
                       type_name(b->type));
    long long r = 0;
    int bad = 0;
    switch (op) {
    case '+': bad = __builtin_add_overflow(a->i, b->i, &r); break;
    case '-': bad = __builtin_sub_overflow(a->i, b->i, &r); break;
    case '*': bad = __builtin_mul_overflow(a->i, b->i, &r); break;
    default:
        if (!b->i)
            return fail_at(e, at, "division by zero");
        if (a->i == -__LONG_LONG_MAX__ - 1 && b->i == -1)
            bad = 1;
        else
            r = floordiv(a->i, b->i, op == '%');
    }
    if (bad)
        return fail_at(e, at, "integer overflow");
    a->i = r;
    return 0;
}

static int mul(struct ev *e, int on, struct jlkp_val *v)
{
    if (unary(e, on, v))
        return -1;
    for (;;) {
        blanks(e, 0);
        size_t at = e->pos;
        char op = at < e->len ? e->s[at] : 0;
        if (!(op == '*' || op == '/' || op == '%') || (op == '*' && peek(e, "**")))
            return op == '*' ? (fail_at(e, at, "'**' is outside the subset minivmm evaluates"),
                                jlkp_val_free(v), -1)
                             : 0;
        e->pos++;
        blanks(e, 1);
        struct jlkp_val b = {0};
        if (unary(e, on, &b) || (on && arith(e, at, op, v, &b))) {
            jlkp_val_free(&b);
            jlkp_val_free(v);
            return -1;
        }
        jlkp_val_free(&b);
    }
}

static int add(struct ev *e, int on, struct jlkp_val *v)
{
    if (mul(e, on, v))
        return -1;
    for (;;) {
        blanks(e, 0);
        size_t at = e->pos;
        char op = at < e->len ? e->s[at] : 0;
        if (op != '+' && op != '-')
            return 0;
        e->pos++;
        blanks(e, 1);
        struct jlkp_val b = {0};
        if (mul(e, on, &b) || (on && arith(e, at, op, v, &b))) {
            jlkp_val_free(&b);
            jlkp_val_free(v);
            return -1;
        }
        jlkp_val_free(&b);
    }
}

static int rel(struct ev *e, int on, struct jlkp_val *v)
{
    if (add(e, on, v))
        return -1;
    blanks(e, 0);
    size_t at = e->pos;
    static const char *const ops[] = {"<=>", "<=", ">=", "<", ">"};
    int k;
    for (k = 0; k < 5 && !accept(e, ops[k]); k++)
        ;
    if (k == 5)
        return 0;
    if (k >= 3 && peek(e, ops[k])) {
        jlkp_val_free(v);
        return fail_at(e, at, "shift operators are outside the subset minivmm evaluates");
    }
    if (k == 0) {
        jlkp_val_free(v);
        return fail_at(e, at, "'<=>' is outside the subset minivmm evaluates");
    }
    blanks(e, 1);
    struct jlkp_val b = {0};
    if (add(e, on, &b)) {
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
            r = fail_at(e, at, "'%s' between %s and %s (Ruby raises an error)", ops[k],
                        type_name(v->type), type_name(b.type));
        int t = k == 1 ? c <= 0 : k == 2 ? c >= 0 : k == 3 ? c < 0 : c > 0;
        jlkp_val_free(v);
        v->type = JLKP_BOOL;
        v->i = t;
    }
    jlkp_val_free(&b);
    if (!r && (peek(e, "<") || peek(e, ">")))
        return jlkp_val_free(v), fail_at(e, e->pos, "chained comparisons are outside the "
                                         "subset minivmm evaluates");
    return r;
}

static int eq(struct ev *e, int on, struct jlkp_val *v)
{
    if (rel(e, on, v))
        return -1;
    blanks(e, 0);
    size_t at = e->pos;
    static const char *const ops[] = {"===", "==", "!=", "=~", "!~"};
    int k;
    for (k = 0; k < 5 && !accept(e, ops[k]); k++)
        ;
    if (k == 5) {
        if (peek(e, "=") && !peek(e, "=>"))
            return jlkp_val_free(v), fail_at(e, at, "assignment is outside the subset "
                                             "minivmm evaluates");
        return 0;
    }
    if (k == 0)
        return jlkp_val_free(v), fail_at(e, at, "'===' is outside the subset minivmm evaluates");
    blanks(e, 1);
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
            res.i = equal(v, &b) == (k == 1);
        } else if (b.type != JLKP_RE || (v->type != JLKP_STR && v->type != JLKP_NIL)) {
            r = fail_at(e, at, "'%s' needs a string (or nil) and a /regular expression/, not "
                        "%s and %s", ops[k], type_name(v->type), type_name(b.type));
        } else {
            long long m = v->type == JLKP_NIL ? -1 : lkp_re_match(e, at, v->s, b.s);
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
    if (!r && (peek(e, "==") || peek(e, "!=") || peek(e, "=~")))
        return jlkp_val_free(v), fail_at(e, e->pos, "chained comparisons are outside the "
                                         "subset minivmm evaluates");
    return r;
}

static int not_(struct ev *e, int on, struct jlkp_val *v)
{
    return eq(e, on, v);
}

/* && and ||: short-circuit; the value is the operand that decided (Ruby). */
static int and_(struct ev *e, int on, struct jlkp_val *v)
{
    if (not_(e, on, v))
        return -1;
    while (accept(e, "&&")) {
        blanks(e, 1);
        int take = on && truthy(v);
        struct jlkp_val b = {0};
        if (not_(e, take, &b)) {
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

static int or_(struct ev *e, int on, struct jlkp_val *v)
{
    if (and_(e, on, v))
        return -1;
    while (accept(e, "||")) {
        blanks(e, 1);
        int take = on && !truthy(v);
        struct jlkp_val b = {0};
        if (and_(e, take, &b)) {
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
        return fail_at(e, e->pos, "expression nested too deeply (limit %d)", MAX_DEPTH);
    int r = or_(e, on, v);
    if (!r && accept(e, "?")) {
        int c = on && truthy(v);
        if (on)
            jlkp_val_free(v);
        struct jlkp_val a = {0}, b = {0};
        separators(e);
        if (expr(e, on && c, &a)) {
            r = -1;
        } else {
            separators(e);
            if (!accept(e, ":")) {
                r = fail_at(e, e->pos, "':' of '? :' expected");
            } else {
                separators(e);
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
    if (!r && (accept(e, "and") || accept(e, "or") || accept(e, "unless") || accept(e, "if"))) {
        jlkp_val_free(v);
        r = fail_at(e, e->pos, "'and', 'or' and modifier if/unless are outside the subset "
                    "minivmm evaluates");
    }
    e->depth--;
    return r;
}

/* One expression as a branch's body, up to one of STOPS. */
static int body(struct ev *e, int on, struct jlkp_val *v, const char *const *stops)
{
    separators(e);
    for (int i = 0; stops[i]; i++)
        if (peek(e, stops[i])) { /* an empty body is nil */
            if (on)
                jlkp_val_free(v);
            return 0;
        }
    if (expr(e, on, v))
        return -1;
    separators(e);
    for (int i = 0; stops[i]; i++)
        if (peek(e, stops[i]))
            return 0;
    jlkp_val_free(v);
    if (e->pos >= e->len)
        return fail_at(e, e->pos, "'%s' expected", stops[0]);
    return fail_at(e, e->pos, "several statements in one branch are outside the subset minivmm "
                   "evaluates (expected %s)", stops[0]);
}

static int then_(struct ev *e)
{
    blanks(e, 0);
    if (accept(e, "then"))
        return 0;
    if (e->pos < e->len && (e->s[e->pos] == '\n' || e->s[e->pos] == ';'))
        return 0;
    return fail_at(e, e->pos, "'then' or a new line expected");
}

static int if_expr(struct ev *e, int on, struct jlkp_val *v, size_t at)
{
    static const char *const stops[] = {"end", "elsif", "else", NULL};
    static const char *const last[] = {"end", NULL};
    int done = !on;
    for (;;) {
        struct jlkp_val c = {0};
        if (expr(e, !done, &c) || then_(e))
            return jlkp_val_free(&c), -1;
        int take = !done && truthy(&c);
        jlkp_val_free(&c);
        if (body(e, take, v, stops))
            return -1;
        done |= take;
        if (!accept(e, "elsif"))
            break;
    }
    if (accept(e, "else")) {
        if (body(e, !done, v, last))
            return -1;
    } else if (!done && on) {
        jlkp_val_free(v);
    }
    if (!accept(e, "end"))
        return fail_at(e, at, "'if' without 'end'");
    return 0;
}

/* case X when A, B then ... else ... end: `when` compares with === (equality,
 * or a match for a regular expression). */
static int case_expr(struct ev *e, int on, struct jlkp_val *v, size_t at)
{
    static const char *const stops[] = {"end", "when", "else", NULL};
    static const char *const last[] = {"end", NULL};
    struct jlkp_val x = {0};
    if (expr(e, on, &x))
        return -1;
    separators(e);
    int done = !on, any = 0;
    while (accept(e, "when")) {
        int hit = 0;
        any = 1;
        do {
            separators(e);
            size_t wat = e->pos;
            struct jlkp_val w = {0};
            if (expr(e, !done, &w))
                return jlkp_val_free(&w), jlkp_val_free(&x), -1;
            if (!done && !hit) {
                if (w.type == JLKP_RE) {
                    long long m = x.type == JLKP_STR ? lkp_re_match(e, wat, x.s, w.s) : -1;
                    if (m == -2)
                        return jlkp_val_free(&w), jlkp_val_free(&x), -1;
                    hit = m >= 0;
                } else {
                    hit = equal(&x, &w);
                }
            }
            jlkp_val_free(&w);
        } while (accept(e, ","));
        if (then_(e) || body(e, hit && !done, v, stops))
            return jlkp_val_free(&x), -1;
        done |= hit;
    }
    jlkp_val_free(&x);
    if (!any)
        return fail_at(e, at, "'case' without 'when'");
    if (accept(e, "else")) {
        if (body(e, !done, v, last))
            return -1;
    } else if (!done && on) {
        jlkp_val_free(v);
    }
    if (!accept(e, "end"))
        return fail_at(e, at, "'case' without 'end'");
    return 0;
}

int jlkp_eval(const char *text, size_t len, jlkp_lookup_fn lookup, void *ctx,
              struct jlkp_val *out, char *err, size_t errlen, unsigned long *line,
              unsigned long *col)
{
    struct ev e = {.s = text, .len = len, .lookup = lookup, .ctx = ctx, .err = err,
                   .errlen = errlen};
    *out = (struct jlkp_val){0};
    if (memchr(text, 0, len)) {
        fail_at(&e, (size_t)((const char *)memchr(text, 0, len) - text), "NUL character");
    } else {
        separators(&e);
        if (e.pos >= e.len) {
            fail_at(&e, 0, "empty {{ }} expression");
        } else if (!expr(&e, 1, out)) {
            separators(&e);
            if (out->type == JLKP_RE) {
                jlkp_val_free(out);
                fail_at(&e, 0, "a regular expression is not a value");
            } else if (e.pos < e.len) {
                jlkp_val_free(out);
                fail_at(&e, e.pos, "'%c' after the expression is outside the subset minivmm "
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

char *jlkp_val_text(const struct jlkp_val *v, int *oom)
{
    char buf[32];
    const char *s;
    *oom = 0;
    switch (v->type) {
    case JLKP_NIL: return NULL;
    case JLKP_BOOL: s = v->i ? "true" : "false"; break;
    case JLKP_INT: snprintf(buf, sizeof buf, "%lld", v->i); s = buf; break;
    case JLKP_STR: s = v->s; break;
    default: s = NULL;
    }
    char *r = s ? strdup(s) : NULL;
    if (!r)
        *oom = 1;
    return r;
}
