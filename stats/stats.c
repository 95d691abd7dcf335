/* Stats sets, `METRIC: value` lines and the flat JSON of stats.json. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "stats/stats.h"

void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            free(b->s);
            *b = (struct sbuf){ .oom = true };
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        b->oom = true;
    else
        sb_add(b, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

const char *stats_fmt(double val, char buf[32])
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, val);
        if (strtod(buf, NULL) == val)
            break;
    }
    return buf;
}

void sb_metric(struct sbuf *b, const char *key, double val)
{
    char num[32];
    sb_printf(b, "%s: %s\n", key, stats_fmt(val, num));
}

char *sb_finish(struct sbuf *b)
{
    if (!b->oom && !b->s)
        sb_add(b, "", 0);
    char *s = b->oom ? NULL : b->s;
    *b = (struct sbuf){ 0 };
    return s;
}

void stats_free(struct stats *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].key);
    free(s->v);
    free(s->idx);
    *s = (struct stats){ 0 };
}

/* FNV-1a from a random start, then mixed so that every bit counts: the
 * keys are the guest's, and with a known hash it could choose thousands
 * that share a slot, making every lookup walk all of them. */
static size_t hash(const char *k)
{
    static uint64_t seed;
    if (!seed) {
        if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed)) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            seed = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15u ^ (uint64_t)getpid() << 32 ^
                   (uint64_t)(uintptr_t)&seed;
        }
        seed |= 1;
    }
    uint64_t h = 14695981039346656037u ^ seed;
    while (*k)
        h = (h ^ (unsigned char)*k++) * 1099511628211u;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    return (size_t)h;
}

/* The index slot of KEY: its entry, or the empty slot where it would go. */
static size_t *slot(const struct stats *s, const char *key)
{
    size_t h = hash(key) & (s->icap - 1);
    while (s->idx[h] && strcmp(s->v[s->idx[h] - 1].key, key))
        h = (h + 1) & (s->icap - 1);
    return &s->idx[h];
}

const double *stats_get(const struct stats *s, const char *key)
{
    if (!s->icap)
        return NULL;
    size_t *p = slot(s, key);
    return *p ? &s->v[*p - 1].val : NULL;
}

int stats_set(struct stats *s, const char *key, double val)
{
    if (s->icap) {
        size_t *p = slot(s, key);
        if (*p) {
            s->v[*p - 1].val = val;
            return 0;
        }
    }
    if (s->n == STATS_MAX)
        return -1;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        struct stat_kv *v = realloc(s->v, cap * sizeof(*v));
        if (!v)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    if ((s->n + 1) * 2 > s->icap) {
        size_t icap = s->icap ? s->icap * 2 : 64, *old = s->idx;
        size_t *idx = calloc(icap, sizeof(*idx));
        if (!idx)
            return -1;
        free(old);
        s->idx = idx;
        s->icap = icap;
        for (size_t i = 0; i < s->n; i++)
            *slot(s, s->v[i].key) = i + 1;
    }
    char *k = strdup(key);
    if (!k)
        return -1;
    s->v[s->n] = (struct stat_kv){ k, val };
    size_t *p = slot(s, k);
    *p = ++s->n;
    return 0;
}

bool stats_key_ok(const char *key, size_t len)
{
    if (!len || len > STATS_KEY_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c < 0x21 || c > 0x7e || c == ':' || c == '"' || c == '\\')
            return false;
    }
    return true;
}

bool stats_number(const char *s, size_t len, double *out)
{
    size_t i = 0, digits = 0;
    if (!len || len > 64)
        return false;
    if (s[i] == '-' || s[i] == '+')
        i++;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, digits++;
    }
    if (!digits)
        return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        size_t e = 0;
        i++;
        if (i < len && (s[i] == '-' || s[i] == '+'))
            i++;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, e++;
        if (!e)
            return false;
    }
    if (i != len)
        return false;
    char buf[65];
    memcpy(buf, s, len);
    buf[len] = 0;
    double v = strtod(buf, NULL);
    if (!isfinite(v))
        return false;
    *out = v;
    return true;
}

int stats_parse_lines(const char *prefix, const char *text, size_t len, struct stats *out,
                      char *err, size_t errlen)
{
    struct stats add = { 0 };
    size_t lineno = 0, plen = prefix ? strlen(prefix) + 1 : 0;
    const char *p = text, *end = text + len;
    char key[STATS_KEY_MAX + 1];
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        size_t n = (size_t)(le - p);
        lineno++;
        if (n && p[n - 1] == '\r')
            n--;
        const char *why = NULL;
        if ((size_t)(le - p) > STATS_LINE_MAX) {
            why = "line too long";
        } else if (memchr(p, 0, n)) {
            why = "NUL byte";
        } else if (n) {
            const char *colon = memchr(p, ':', n);
            double v;
            size_t kl = colon ? (size_t)(colon - p) : 0;
            const char *val = colon ? colon + 1 : NULL;
            while (val && val < p + n && (*val == ' ' || *val == '\t'))
                val++;
            size_t vl = val ? (size_t)(p + n - val) : 0;
            while (vl && (val[vl - 1] == ' ' || val[vl - 1] == '\t'))
                vl--;
            if (!colon || colon + 1 == p + n || (colon[1] != ' ' && colon[1] != '\t'))
                why = "not `METRIC: value`";
            else if (!stats_key_ok(p, kl) || plen + kl > STATS_KEY_MAX)
                why = "bad metric name";
            else if (!stats_number(val, vl, &v))
                why = "value is not a finite decimal number";
            else {
                snprintf(key, sizeof(key), "%s%s%.*s", prefix ? prefix : "", prefix ? "." : "",
                         (int)kl, p);
                if (stats_set(&add, key, v) < 0) {
                    stats_free(&add);
                    snprintf(err, errlen, "line %zu: out of memory or over %d metrics",
                             lineno, STATS_MAX);
                    return -2;
                }
            }
        }
        if (why) {
            stats_free(&add);
            snprintf(err, errlen, "line %zu: %s", lineno, why);
            return -1;
        }
        p = nl ? nl + 1 : end;
    }
    for (size_t i = 0; i < add.n; i++)
        if (stats_set(out, add.v[i].key, add.v[i].val) < 0) {
            stats_free(&add);
            snprintf(err, errlen, "out of memory or over %d metrics", STATS_MAX);
            return -2;
        }
    stats_free(&add);
    return 0;
}

int stats_write_json(FILE *f, const struct stats *s)
{
    char num[32];
    fputc('{', f);
    for (size_t i = 0; i < s->n; i++)
        fprintf(f, "%s\n  \"%s\": %s", i ? "," : "", s->v[i].key, stats_fmt(s->v[i].val, num));
    fputs(s->n ? "\n}\n" : "}\n", f);
    return ferror(f) ? -1 : 0;
}

static const char *ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

int stats_read_json(const char *text, size_t len, struct stats *out, char *err, size_t errlen)
{
    const char *p = text, *end = text + len;
    char key[STATS_KEY_MAX + 1];
#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); goto bad; } while (0)
    p = ws(p, end);
    if (p == end || *p++ != '{')
        BAD("not a JSON object");
    p = ws(p, end);
    if (p < end && *p == '}') {
        p++;
    } else {
        for (;;) {
            if (p == end || *p++ != '"')
                BAD("at byte %zu: a metric name in double quotes expected", (size_t)(p - text));
            const char *k = p;
            while (p < end && *p != '"')
                p++;
            if (p == end || !stats_key_ok(k, (size_t)(p - k)))
                BAD("at byte %zu: bad metric name", (size_t)(k - text));
            snprintf(key, sizeof(key), "%.*s", (int)(p - k), k);
            p = ws(p + 1, end);
            if (p == end || *p++ != ':')
                BAD("at byte %zu: ':' expected", (size_t)(p - text));
            p = ws(p, end);
            const char *v = p;
            while (p < end && (*p == '-' || *p == '+' || *p == '.' || *p == 'e' || *p == 'E' ||
                               (*p >= '0' && *p <= '9')))
                p++;
            double d;
            if (!stats_number(v, (size_t)(p - v), &d))
                BAD("at byte %zu: %s: not a finite number", (size_t)(v - text), key);
            if (stats_get(out, key))
                BAD("metric %s twice", key);
            if (stats_set(out, key, d) < 0)
                BAD("out of memory or over %d metrics", STATS_MAX);
            p = ws(p, end);
            if (p < end && *p == ',') {
                p = ws(p + 1, end);
                continue;
            }
            if (p < end && *p == '}') {
                p++;
                break;
            }
            BAD("at byte %zu: ',' or '}' expected", (size_t)(p - text));
        }
    }
    if (ws(p, end) != end)
        BAD("at byte %zu: text after the object", (size_t)(p - text));
    return 0;
bad:
    stats_free(out);
    return -1;
#undef BAD
}
