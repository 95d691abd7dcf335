/* The pure parts of `minivmm boot --repeat` (cli/repeat.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "cli/repeat.h"
#include "cli/status.h"

int rep_rank(int status)
{
    if (status == 0)
        return 0;
    if (status == EXIT_CANNOT_TEST)
        return 1;
    if (status >= 1 && status <= EXIT_GUEST_HIGH)
        return 1 + status;                      /* 2..124 */
    switch (status) {
    case EXIT_TIMEOUT: return 200;
    case EXIT_NO_STATUS: return 201;
    case EXIT_CRASH: return 202;
    case EXIT_HOST_ERROR: return 400;
    }
    return 300;                                 /* 128..254: a signal */
}

int rep_worse(int a, int b)
{
    return rep_rank(b) > rep_rank(a) ? b : a;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void rep_stats(double *v, int n, struct rep_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->n = n;
    if (n <= 0)
        return;
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    out->min = v[0];
    out->max = v[n - 1];
    out->median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int rep_console_path(char *buf, size_t len, const char *pattern, long boot)
{
    size_t n = 0;
    char num[24];
    int nl = snprintf(num, sizeof(num), "%ld", boot);
    for (const char *p = pattern; *p; p++) {
        const char *add = p;
        size_t k = 1;
        if (p[0] == '%' && p[1] == 'd') {
            add = num;
            k = (size_t)nl;
            p++;
        }
        if (n + k >= len)
            return -1;
        memcpy(buf + n, add, k);
        n += k;
    }
    if (n >= len)
        return -1;
    buf[n] = 0;
    return 0;
}

/* A small JSON reader: enough to walk an object and skip what it does not
 * know.  Each function returns where the value ends, or NULL. */
#define MAX_DEPTH 16

static const char *ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* A string; its first len-1 bytes (escapes kept as written) go to out when
 * out is not NULL. */
static const char *jstring(const char *p, char *out, size_t len)
{
    size_t n = 0;
    if (*p++ != '"')
        return NULL;
    for (; *p != '"'; p++) {
        if ((unsigned char)*p < 0x20)
            return NULL;                        /* also the end of the text */
        if (*p == '\\') {
            if (!p[1] || !strchr("\"\\/bfnrtu", p[1]))
                return NULL;
            for (int i = 2; p[1] == 'u' && i < 6; i++)
                if (!isxdigit((unsigned char)p[i]))
                    return NULL;
            if (out && n + 1 < len)
                out[n++] = *p;
            p++;
        }
        if (out && n + 1 < len)
            out[n++] = *p;
    }
    if (out && len)
        out[n] = 0;
    return p + 1;
}

static const char *digits(const char *p)
{
    if (*p < '0' || *p > '9')
        return NULL;
    while (*p >= '0' && *p <= '9')
        p++;
    return p;
}

/* A number in JSON's grammar (no inf, nan, hex or leading +). */
static const char *jnumber(const char *p, double *v)
{
    const char *s = p;
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (!(p = digits(p)))
        return NULL;
    if (*p == '.' && !(p = digits(p + 1)))
        return NULL;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(p = digits(p)))
            return NULL;
    }
    if (v)
        *v = strtod(s, NULL);
    return p;
}

static const char *jvalue(const char *p, int depth);

/* An object or array; for objects, each member's value starts after the
 * key and is handed to member() when given (it returns where it ends). */
typedef const char *(*member_fn)(const char *key, const char *p, void *arg, int depth);

static const char *jobject(const char *p, int depth, member_fn member, void *arg)
{
    if (depth > MAX_DEPTH || *p++ != '{')
        return NULL;
    p = ws(p);
    if (*p == '}')
        return p + 1;
    for (;;) {
        char key[32];
        if (!(p = jstring(ws(p), key, sizeof(key))))
            return NULL;
        p = ws(p);
        if (*p++ != ':')
            return NULL;
        p = ws(p);
        p = member ? member(key, p, arg, depth + 1) : jvalue(p, depth + 1);
        if (!p)
            return NULL;
        p = ws(p);
        if (*p == '}')
            return p + 1;
        if (*p++ != ',')
            return NULL;
    }
}

static const char *jarray(const char *p, int depth, member_fn element, void *arg)
{
    if (depth > MAX_DEPTH || *p++ != '[')
        return NULL;
    p = ws(p);
    if (*p == ']')
        return p + 1;
    for (;;) {
        p = ws(p);
        p = element ? element(NULL, p, arg, depth + 1) : jvalue(p, depth + 1);
        if (!p)
            return NULL;
        p = ws(p);
        if (*p == ']')
            return p + 1;
        if (*p++ != ',')
            return NULL;
    }
}

static const char *jvalue(const char *p, int depth)
{
    switch (*p) {
    case '{': return jobject(p, depth, NULL, NULL);
    case '[': return jarray(p, depth, NULL, NULL);
    case '"': return jstring(p, NULL, 0);
    case 't': return strncmp(p, "true", 4) ? NULL : p + 4;
    case 'f': return strncmp(p, "false", 5) ? NULL : p + 5;
    case 'n': return strncmp(p, "null", 4) ? NULL : p + 4;
    }
    return jnumber(p, NULL);
}

/* A number member, or any other value skipped (v untouched). */
static const char *maybe_number(const char *p, double *v, int depth)
{
    return *p == '-' || (*p >= '0' && *p <= '9') ? jnumber(p, v) : jvalue(p, depth);
}

struct mark_in { double code, ms; };

static const char *mark_member(const char *key, const char *p, void *arg, int depth)
{
    struct mark_in *m = arg;
    if (!strcmp(key, "code"))
        return maybe_number(p, &m->code, depth);
    if (!strcmp(key, "ms"))
        return maybe_number(p, &m->ms, depth);
    return jvalue(p, depth);
}

static const char *mark_element(const char *key, const char *p, void *arg, int depth)
{
    (void)key;
    struct rep_timing *t = arg;
    if (*p != '{')
        return jvalue(p, depth);
    struct mark_in m = { -1, -1 };
    p = jobject(p, depth, mark_member, &m);
    if (p && m.code >= 0 && m.code <= 0xffff && m.code == (unsigned)m.code && m.ms >= 0 &&
        t->nmarks < REP_MAX_MARKS) {
        t->marks[t->nmarks].code = (unsigned)m.code;
        t->marks[t->nmarks++].ms = m.ms;
    }
    return p;
}

static const char *timing_member(const char *key, const char *p, void *arg, int depth)
{
    struct rep_timing *t = arg;
    if (!strcmp(key, "guest_entry_ms"))
        return maybe_number(p, &t->entry, depth);
    if (!strcmp(key, "end_ms"))
        return maybe_number(p, &t->end, depth);
    if (!strcmp(key, "markers") && *p == '[')
        return jarray(p, depth, mark_element, t);
    return jvalue(p, depth);
}

int rep_parse_timing(const char *json, struct rep_timing *t)
{
    memset(t, 0, sizeof(*t));
    t->entry = t->end = -1;
    const char *p = json ? jobject(ws(json), 0, timing_member, t) : NULL;
    if (!p || *ws(p)) {
        memset(t, 0, sizeof(*t));
        t->entry = t->end = -1;
        return -1;
    }
    return 0;
}
