/* lkp `{{ }}` expressions: lexing, literals (strings, regular
 * expressions) and values with Ruby's meaning, for job/lkpexpr.c. */
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "job/job_internal.h"
#include "job/lkpexpr_int.h"

void jlkp_val_free(struct jlkp_val *v)
{
    free(v->s);
    v->s = NULL;
    v->type = JLKP_NIL;
}

int jx_fail_at(struct ev *e, size_t pos, const char *fmt, ...)
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

int jx_is_ident(int ch, int first)
{
    return ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (!first && ch >= '0' && ch <= '9');
}

/* Skips blanks (and newlines too when NL). */
void jx_blanks(struct ev *e, int nl)
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
int jx_accept(struct ev *e, const char *w)
{
    jx_blanks(e, 0);
    size_t n = strlen(w);
    if (e->len - e->pos < n || memcmp(e->s + e->pos, w, n))
        return 0;
    if (jx_is_ident((unsigned char)w[0], 1) && e->pos + n < e->len &&
        jx_is_ident((unsigned char)e->s[e->pos + n], 0))
        return 0;
    e->pos += n;
    return 1;
}

int jx_peek(struct ev *e, const char *w)
{
    size_t save = e->pos;
    int r = jx_accept(e, w);
    e->pos = save;
    return r;
}

/* Statement separators: newlines and ';'. */
void jx_separators(struct ev *e)
{
    for (;;) {
        jx_blanks(e, 1);
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

int jx_is_reserved(const char *w, size_t n)
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
        return jx_fail_at(e, e->pos, "out of memory");
    return 0;
}

int jx_truthy(const struct jlkp_val *v)
{
    return !(v->type == JLKP_NIL || (v->type == JLKP_BOOL && !v->i));
}

const char *jx_type_name(enum jlkp_type t)
{
    switch (t) {
    case JLKP_NIL: return "nil";
    case JLKP_BOOL: return "a boolean";
    case JLKP_INT: return "an integer";
    case JLKP_STR: return "a string";
    default: return "a regular expression";
    }
}

int jx_equal(const struct jlkp_val *a, const struct jlkp_val *b)
{
    if (a->type != b->type)
        return 0;
    if (a->type == JLKP_STR || a->type == JLKP_RE)
        return !strcmp(a->s, b->s);
    return a->type == JLKP_NIL || a->i == b->i;
}

/* STR =~ RE: the match's offset, or -1 for none; -2 error. */
long long jx_re_match(struct ev *e, size_t at, const char *str, const char *re)
{
    int icase = 0;
    size_t n = strlen(re);
    if (n && re[n - 1] == 'i') { /* the flag, stored after the closing '/' */
        icase = 1;
        n--;
    }
    n--; /* drop the stored '/' */
    /* ^A(?!B): A matches and AB does not (A and B are literals: one way each) */
    const char *neg = n > 4 && re[n - 1] == ')' ? strstr(re, "(?!") : NULL;
    char *pat = malloc(6 * n + 16); /* \w grows to 12 bytes */
    if (!pat)
        return jx_fail_at(e, at, "out of memory"), -2;
    long long r = -1;
    for (int pass = 0; pass < (neg ? 2 : 1); pass++) {
        size_t k = 0, end = neg ? (size_t)(neg - re) : n;
        for (size_t i = 0; i < end; i++) {
            const char *cls = NULL;
            if (re[i] == '\\' && i + 1 < end) {
                char c = re[++i];
                cls = c == 'w' ? "[[:alnum:]_]" : c == 'd' ? "[0-9]" : c == 's' ? "[[:space:]]" : NULL;
                if (!cls)
                    pat[k++] = '\\', pat[k++] = c;
            } else {
                pat[k++] = re[i];
            }
            if (cls)
                k += (size_t)sprintf(pat + k, "%s", cls);
        }
        if (pass == 1) /* A followed by B */
            for (const char *b = neg + 3; b < re + n - 1; b++)
                pat[k++] = *b;
        pat[k] = 0;
        regex_t rx;
        if (regcomp(&rx, pat, REG_EXTENDED | (icase ? REG_ICASE : 0))) {
            free(pat);
            return jx_fail_at(e, at, "bad regular expression"), -2;
        }
        regmatch_t m;
        int miss = regexec(&rx, str, 1, &m, 0);
        regfree(&rx);
        if (pass == 0)
            r = miss ? -1 : (long long)m.rm_so;
        else if (!miss)
            r = -1;
        if (r < 0)
            break;
    }
    free(pat);
    return r;
}

/* ---- parsing and evaluating ---- */

/* Ruby's "#{X}" of the value X: nil is "", a regular expression is refused. */
static int interpolate(struct ev *e, int on, struct jbuf *b)
{
    size_t at = e->pos - 2;
    struct jlkp_val x = {0};
    if (jx_expr(e, on, &x))
        return -1;
    jx_blanks(e, 1);
    if (e->pos >= e->len || e->s[e->pos] != '}') {
        jlkp_val_free(&x);
        return jx_fail_at(e, at, "'}' of #{...} expected");
    }
    e->pos++;
    if (!on)
        return 0;
    if (x.type == JLKP_RE) {
        jlkp_val_free(&x);
        return jx_fail_at(e, at, "a regular expression in #{...} is outside the subset minivmm "
                       "evaluates");
    }
    int oom = 0;
    char *t = x.type == JLKP_NIL ? NULL : jlkp_val_text(&x, &oom);
    jlkp_val_free(&x);
    if (t)
        jb_puts(b, t);
    free(t);
    return oom || b->oom ? jx_fail_at(e, at, "out of memory") : 0;
}

int jx_string_lit(struct ev *e, int on, struct jlkp_val *v)
{
    size_t start = e->pos;
    char q = e->s[e->pos++];
    struct jbuf b = {0};
    jb_add(&b, "", 0);
    for (;;) {
        if (e->pos >= e->len) {
            free(jb_finish(&b));
            return jx_fail_at(e, start, "unterminated string");
        }
        char ch = e->s[e->pos++];
        if (ch == q)
            break;
        if (ch == '\\' && e->pos < e->len) {
            char nx = e->s[e->pos++];
            if (q == '\'') {
                if (nx != '\\' && nx != '\'')
                    jb_add(&b, "\\", 1);
                jb_add(&b, &nx, 1);
                continue;
            }
            const char *from = "\\\"nt#", *to = "\\\"\n\t#";
            const char *k = strchr(from, nx);
            if (!k || !nx) {
                free(jb_finish(&b));
                return jx_fail_at(e, e->pos - 2, "the escape \\%c in a double-quoted string is "
                               "outside the subset minivmm evaluates", nx);
            }
            jb_add(&b, to + (k - from), 1);
        } else if (q == '"' && ch == '#' && e->pos < e->len && e->s[e->pos] == '{') {
            e->pos++;
            if (++e->depth > 64 || interpolate(e, on, &b)) {
                free(jb_finish(&b));
                return jx_fail_at(e, e->pos, "expression nested too deeply");
            }
            e->depth--;
        } else {
            jb_add(&b, &ch, 1);
        }
    }
    size_t n = b.len;
    char *buf = jb_finish(&b);
    if (!buf)
        return jx_fail_at(e, start, "out of memory");
    int r = on ? set_str(e, v, buf, n, JLKP_STR) : 0;
    free(buf);
    return r;
}

/* /RE/ or /RE/i, only where =~, !~ or `when` take one.  Only the part of
 * Ruby's syntax that POSIX extended expressions read the same way. */
int jx_regex_lit(struct ev *e, int on, struct jlkp_val *v)
{
    size_t start = e->pos++;
    size_t from = e->pos;
    /* The C library builds a repeated group by copying it, so nested and
     * stacked repetitions grow its memory exponentially: a repetition may
     * not follow another, and a pattern has at most 8 of them (lkp's jobs
     * use one at most). */
    int reps = 0, bracket = 0;
    while (e->pos < e->len && e->s[e->pos] != '/') {
        char ch = e->s[e->pos];
        if (ch == '\\' && !bracket && e->pos + 1 < e->len && e->s[e->pos + 1] &&
            strchr("wds./-+*?()[]|^${}", e->s[e->pos + 1])) {
            e->pos += 2; /* \w \d \s (POSIX classes at match time) or a quoted character */
            continue;
        }
        if (ch == '(' && !bracket && e->pos + 2 < e->len && e->s[e->pos + 1] == '?') {
            /* only ^LITERAL(?!LITERAL) at the end: checked as two matches */
            size_t lit = from + (e->s[from] == '^'), q = e->pos + 3;
            while (lit < e->pos && (jx_is_ident((unsigned char)e->s[lit], 0) || e->s[lit] == '-'))
                lit++;
            while (q < e->len && (jx_is_ident((unsigned char)e->s[q], 0) || e->s[q] == '-'))
                q++;
            if (e->s[e->pos + 2] != '!' || e->s[from] != '^' || lit != e->pos ||
                q == e->pos + 3 || q + 1 >= e->len || e->s[q] != ')' || e->s[q + 1] != '/')
                return jx_fail_at(e, e->pos, "'(?' in a regular expression is outside the subset "
                               "minivmm evaluates (only ^LITERAL(?!LITERAL) at the end)");
            e->pos = q + 1;
            continue;
        }
        if (ch == '[')
            bracket = 1;
        else if (ch == ']')
            bracket = 0;
        if (!(jx_is_ident((unsigned char)ch, 0) || strchr("|^$.*+?()[]- ,:=%@", ch)))
            return jx_fail_at(e, e->pos, "'%c' in a regular expression is outside the subset "
                           "minivmm evaluates (letters, digits and | ^ $ . * + ? ( ) [ ] -)",
                           ch);
        if (ch && strchr("*+?", ch)) {
            if (e->pos > from && strchr("*+?", e->s[e->pos - 1]))
                return jx_fail_at(e, e->pos, "'%c' right after another repetition in a regular "
                               "expression is outside the subset minivmm evaluates", ch);
            if (++reps > 8)
                return jx_fail_at(e, e->pos, "more than 8 repetitions (* + ?) in one regular "
                               "expression are outside the subset minivmm evaluates");
        }
        if (e->pos - from >= 256)
            return jx_fail_at(e, from, "a regular expression longer than 256 characters is "
                           "outside the subset minivmm evaluates");
        e->pos++;
    }
    if (e->pos >= e->len)
        return jx_fail_at(e, start, "unterminated regular expression");
    size_t to = e->pos++;
    int icase = 0;
    if (e->pos < e->len && e->s[e->pos] == 'i') {
        icase = 1;
        e->pos++;
    }
    if (e->pos < e->len && jx_is_ident((unsigned char)e->s[e->pos], 0))
        return jx_fail_at(e, e->pos, "regular expression flag '%c' is outside the subset minivmm "
                       "evaluates (only i)", e->s[e->pos]);
    if (!on)
        return 0;
    /* stored as PATTERN "/" [i], so that lkp_re_match knows the flag */
    char *s = malloc(to - from + 3);
    if (!s)
        return jx_fail_at(e, start, "out of memory");
    memcpy(s, e->s + from, to - from);
    s[to - from] = '/';
    s[to - from + 1] = icase ? 'i' : 0;
    s[to - from + 2] = 0;
    v->type = JLKP_RE;
    v->s = s;
    return 0;
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

int jx_arith(struct ev *e, size_t at, char op, struct jlkp_val *a, struct jlkp_val *b)
{
    if (op == '+' && a->type == JLKP_STR && b->type == JLKP_STR) {
        size_t n = strlen(a->s), m = strlen(b->s);
        char *s = realloc(a->s, n + m + 1);
        if (!s)
            return jx_fail_at(e, at, "out of memory");
        memcpy(s + n, b->s, m + 1);
        a->s = s;
        return 0;
    }
    if (a->type != JLKP_INT || b->type != JLKP_INT)
        return jx_fail_at(e, at, "'%c' of %s and %s is outside the subset minivmm evaluates "
                       "(integers; + also joins two strings)", op, jx_type_name(a->type),
                       jx_type_name(b->type));
    long long r = 0;
    int bad = 0;
    switch (op) {
    case '+': bad = __builtin_add_overflow(a->i, b->i, &r); break;
    case '-': bad = __builtin_sub_overflow(a->i, b->i, &r); break;
    case '*': bad = __builtin_mul_overflow(a->i, b->i, &r); break;
    default:
        if (!b->i)
            return jx_fail_at(e, at, "division by zero");
        if (a->i == -__LONG_LONG_MAX__ - 1 && b->i == -1)
            bad = 1;
        else
            r = floordiv(a->i, b->i, op == '%');
    }
    if (bad)
        return jx_fail_at(e, at, "integer overflow");
    a->i = r;
    return 0;
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
