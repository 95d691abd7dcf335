/* Built-in parsers: a program's output -> `METRIC: value` lines, with the
 * metric names lkp-tests' stats scripts give (docs/stats.md).  Written
 * from the programs' real output (tests/data/stats/); the output is any
 * bytes a guest wrote, so every number is checked and nothing is trusted. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "stats/stats.h"

/* A metric NAME (printf-formatted) with value V; names over 128 bytes (room
 * for the program's name before them) or with bytes a name may not hold
 * are left out, so that one odd line never rejects a program's stats. */
__attribute__((format(printf, 3, 4)))
static void emit(struct sbuf *o, double v, const char *fmt, ...)
{
    char key[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(key, sizeof(key), fmt, ap);
    va_end(ap);
    if (n > 0 && n <= 128 && stats_key_ok(key, (size_t)n) && isfinite(v))
        sb_metric(o, key, v);
}

/* Line iteration over TEXT: *line and *n, NUL-free copies in buf. */
struct lines {
    const char *p, *end;
    char buf[STATS_LINE_MAX + 1];
};

static const char *next_line(struct lines *l)
{
    while (l->p < l->end) {
        const char *nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
        const char *le = nl ? nl : l->end;
        size_t n = (size_t)(le - l->p);
        const char *start = l->p;
        l->p = nl ? nl + 1 : l->end;
        if (n > STATS_LINE_MAX)
            continue;                   /* no line of interest is that long */
        memcpy(l->buf, start, n);
        l->buf[n] = 0;
        if (strlen(l->buf) != n)
            continue;                   /* a NUL inside */
        return l->buf;
    }
    return NULL;
}

/* The number at the start of S (after blanks), finite, or false. */
static bool num_at(const char *s, double *v, const char **rest)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strspn(s, "0123456789.+-eE");
    if (!stats_number(s, n, v))
        return false;
    if (rest)
        *rest = s + n;
    return true;
}

/* ---- hackbench (rt-tests) ---- */
static void hackbench(const char *text, size_t len, struct sbuf *o)
{
    struct lines l = { text, text + len, "" };
    const char *s;
    double tasks = -1, msgs = -1, bytes = -1, best = INFINITY, worst = 0, sum = 0;
    size_t ntimes = 0;
    while ((s = next_line(&l))) {
        const char *q;
        double v;
        if (!strncmp(s, "Running in ", 11) && (q = strstr(s, "(== ")) && num_at(q + 4, &v, NULL)) {
            tasks = v;
        } else if ((!strncmp(s, "Each sender will pass ", 22) || !strncmp(s, "Each sender passed ", 19)) &&
                   num_at(s + (s[12] == 'w' ? 22 : 19), &v, &q) && !strncmp(q, " messages of ", 13) &&
                   num_at(q + 13, &bytes, NULL)) {
            msgs = v;
        } else if (!strncmp(s, "Time:", 5) && num_at(s + 5, &v, NULL) && v > 0) {
            best = v < best ? v : best;
            worst = v > worst ? v : worst;
            sum += v;
            ntimes++;
        }
    }
    if (!ntimes || tasks < 0 || msgs < 0 || bytes < 0)
        return;
    /* lkp: KiB passed in all = (tasks * messages * bytes) >> 10, over the time */
    double kb = floor(tasks * msgs * bytes / 1024);
    if (!isfinite(kb))
        return;
    emit(o, kb / best, "throughput");
    emit(o, kb / best, "throughput_best");
    emit(o, kb / (sum / (double)ntimes), "throughput_avg");
    emit(o, kb / worst, "throughput_worst");
}

/* ---- stress-ng ---- */
#define MAXF 24
static size_t split(char *s, char **f)
{
    size_t n = 0;
    for (char *t = strtok(s, " \t\r"); t; t = strtok(NULL, " \t\r"))
        if (n < MAXF)
            f[n++] = t;
        else
            return MAXF + 1;
    return n;
}

/* lkp's normalize: blanks , " _ [ ] ( ) : runs -> one '_', none at the ends;
 * bytes a metric name may not hold -> '_' as well. */
static void normalize(const char *s, char *out, size_t len)
{
    size_t o = 0;
    bool under = false;
    for (; *s && o + 2 < len; s++) {
        unsigned char c = (unsigned char)*s;
        if (strchr(" \t,\"_[]():\\", c) || c < 0x21 || c > 0x7e) {
            under = o > 0;
            continue;
        }
        if (under)
            out[o++] = '_';
        under = false;
        out[o++] = (char)c;
    }
    out[o] = 0;
}

static void stressng(const char *text, size_t len, struct sbuf *o)
{
    struct lines l = { text, text + len, "" };
    char *s, *f[MAXF];
    bool on = false;
    double v;
    while ((s = (char *)next_line(&l))) {
        if (strstr(s, "this stressor is not implemented") || strstr(s, "No stress workers invoked"))
            break;
        if (strstr(s, "fail:") && strstr(s, "sigaction signal")) {
            sb_add(o, "sigaction.fail: 1\n", 18);
            break;
        }
        if (strstr(s, "fail:") || strstr(s, "warn:"))
            continue;
        if (strstr(s, "(secs)") && strstr(s, "(real time)")) {
            on = true;
            continue;
        }
        if (strstr(s, "run time:"))
            break;
        if (!on || strncmp(s, "stress-ng: ", 11))
            continue;
        char *paren = NULL;
        static const char *const kinds[] = { "(average", "(geometric mean", "(geometic mean",
                                             "(harmonic mean", "(total" };
        for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]) && !paren; k++)
            paren = strstr(s, kinds[k]);
        if (paren) {                    /* stressor value unit words (mean of ...) */
            *paren = 0;
            size_t n = split(s, f);
            if (n < 6 || n > MAXF || !stats_number(f[4], strlen(f[4]), &v))
                continue;
            char unit[STATS_KEY_MAX + 1] = "", norm[STATS_KEY_MAX + 1];
            for (size_t i = 5; i < n; i++) {
                size_t ul = strlen(unit);
                snprintf(unit + ul, sizeof(unit) - ul, "%s%s", i > 5 ? "_" : "", f[i]);
            }
            normalize(unit, norm, sizeof(norm));
            normalize(f[3], unit, sizeof(unit));
            if (!*norm || !*unit)
                continue;
            emit(o, 1, "%s.%s.%s", unit, norm, v == 0 ? "fail" : "pass");
            if (v != 0)
                emit(o, v, "%s.%s", unit, norm);
            continue;
        }
        size_t n = split(s, f);
        double ops, rate;
        if ((n != 10 && n != 12) || !stats_number(f[4], strlen(f[4]), &ops) ||
            !stats_number(f[8], strlen(f[8]), &rate))
            continue;
        char st[STATS_KEY_MAX + 1];
        normalize(f[3], st, sizeof(st));
        if (!*st)
            continue;
        if (ops == 0) {
            emit(o, 1, "%s.fail", st);
            continue;
        }
        emit(o, 1, "%s.pass", st);
        emit(o, ops, "%s.ops", st);
        emit(o, rate, "%s.ops_per_sec", st);
    }
}

/* ---- fio ---- */
static yaml_node_t *get(yaml_document_t *d, yaml_node_t *m, const char *key)
{
    if (!m || m->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(d, p->key);
        if (k && k->type == YAML_SCALAR_NODE && k->data.scalar.length == strlen(key) &&
            !memcmp(k->data.scalar.value, key, k->data.scalar.length))
            return yaml_document_get_node(d, p->value);
    }
    return NULL;
}

static bool scalar_num(yaml_node_t *n, double *v)
{
    return n && n->type == YAML_SCALAR_NODE &&
           stats_number((const char *)n->data.scalar.value, n->data.scalar.length, v);
}

static void put(struct sbuf *o, const char *ops, const char *what, yaml_node_t *n, double scale)
{
    double v;
    if (scalar_num(n, &v))
        emit(o, v * scale, "%s%s", ops, what);
}

static void fio_op(yaml_document_t *d, yaml_node_t *op, const char *ops, struct sbuf *o,
                   double *workload)
{
    double v;
    char what[64];
    if (!op || op->type != YAML_MAPPING_NODE)
        return;
    put(o, ops, "_bw_MBps", get(d, op, "bw"), 1.0 / 1024);
    put(o, ops, "_iops", get(d, op, "iops"), 1);
    yaml_node_t *clat = get(d, op, "clat_ns");
    clat = clat ? clat : get(d, op, "clat");
    put(o, ops, "_clat_mean_ns", get(d, clat, "mean"), 1);
    put(o, ops, "_clat_stddev", get(d, clat, "stddev"), 1);
    static const char *const pct[][2] = { { "90.000000", "90" }, { "95.000000", "95" },
                                          { "99.000000", "99" } };
    for (size_t i = 0; i < 3; i++) {
        snprintf(what, sizeof(what), "_clat_%s%%_ns", pct[i][1]);
        put(o, ops, what, get(d, get(d, clat, "percentile"), pct[i][0]), 1);
    }
    yaml_node_t *slat = get(d, op, "slat_ns");
    slat = slat ? slat : get(d, op, "slat");
    put(o, ops, "_slat_mean_us", get(d, slat, "mean"), 1);
    put(o, ops, "_slat_stddev", get(d, slat, "stddev"), 1);
    if (scalar_num(get(d, op, "total_ios"), &v))
        *workload += v;
}

static void fio_latency(yaml_document_t *d, yaml_node_t *m, const char *unit, struct sbuf *o)
{
    double v;
    if (!m || m->type != YAML_MAPPING_NODE)
        return;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(d, p->key);
        if (!k || k->type != YAML_SCALAR_NODE || k->data.scalar.length > 32 ||
            !scalar_num(yaml_document_get_node(d, p->value), &v))
            continue;
        emit(o, v, "latency_%.*s%s%%", (int)k->data.scalar.length,
             (const char *)k->data.scalar.value, unit);
    }
}

/* [p, end) is one JSON text nested at most MAX (<= 64) deep, of at most
 * JSON_SCALARS_MAX strings and numbers, checked token by token: libyaml's
 * loader takes time that grows fast with the depth and about 160 bytes of
 * memory a scalar, and the text is the guest's.  Strictly JSON, because
 * libyaml reads YAML, where single quotes, comments and a quote inside a
 * plain word would hide brackets from a scan that only knows JSON strings. */
#define JSON_SCALARS_MAX 1000000        /* fio's JSON for a job: about 500 */
static bool json_ok(const char *p, const char *end, int max)
{
    char open[64];
    int depth = 0;
    size_t scalars = 0;
    enum { VALUE, KEY, COLON, NEXT } want = VALUE;
    bool fresh = false;                 /* just opened: it may close at once */
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
            p++;
        if (p == end)
            return depth == 0 && want == NEXT;
        char c = *p, close = depth && open[depth - 1] == '{' ? '}' : ']';
        if (want == NEXT || (fresh && c == close)) {
            fresh = false;
            if (depth && c == close) {
                depth--;
                want = NEXT;
            } else if (depth && c == ',') {
                want = open[depth - 1] == '{' ? KEY : VALUE;
            } else {
                return false;           /* text after the value, or no separator */
            }
            p++;
            continue;
        }
        fresh = false;
        if (want == COLON) {
            if (c != ':')
                return false;
            want = VALUE;
            p++;
        } else if (c == '"') {
            if (++scalars > JSON_SCALARS_MAX)
                return false;
            for (p++; p < end && *p != '"'; p++)
                if (*p == '\\')
                    p++;
            if (p >= end)
                return false;
            p++;
            want = want == KEY ? COLON : NEXT;
        } else if (want == KEY) {
            return false;
        } else if (c == '{' || c == '[') {
            if (depth == max || depth == (int)sizeof(open))
                return false;
            open[depth++] = c;
            want = c == '{' ? KEY : VALUE;
            fresh = true;
            p++;
        } else {                        /* a number, true, false, null */
            const char *s = p;
            while (p < end && ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                               (*p >= 'A' && *p <= 'Z') || *p == '+' || *p == '-' || *p == '.'))
                p++;
            if (p == s || ++scalars > JSON_SCALARS_MAX)
                return false;
            want = NEXT;
        }
    }
}

static bool fio_json(const char *text, size_t len, struct sbuf *o)
{
    const char *a = memchr(text, '{', len), *b = NULL;
    for (const char *q = text + len; q > text; q--)
        if (q[-1] == '}') {
            b = q;
            break;
        }
    if (!a || !b || b <= a || (size_t)(b - a) > (16u << 20) || !json_ok(a, b, 32))
        return false;
    yaml_parser_t p;
    yaml_document_t d;
    if (!yaml_parser_initialize(&p))
        return false;
    yaml_parser_set_input_string(&p, (const unsigned char *)a, (size_t)(b - a));
    bool ok = yaml_parser_load(&p, &d);
    yaml_parser_delete(&p);
    if (!ok)
        return false;
    yaml_node_t *jobs = get(&d, yaml_document_get_root_node(&d), "jobs");
    yaml_node_t *job = jobs && jobs->type == YAML_SEQUENCE_NODE &&
                       jobs->data.sequence.items.top > jobs->data.sequence.items.start ?
                       yaml_document_get_node(&d, *jobs->data.sequence.items.start) : NULL;
    if (job && job->type == YAML_MAPPING_NODE) {
        double workload = 0;
        fio_op(&d, get(&d, job, "read"), "read", o, &workload);
        fio_op(&d, get(&d, job, "write"), "write", o, &workload);
        fio_latency(&d, get(&d, job, "latency_us"), "us", o);
        fio_latency(&d, get(&d, job, "latency_ms"), "ms", o);
        emit(o, workload, "workload");
    }
    yaml_document_delete(&d);
    return job != NULL;
}

/* fio's default text: "  read: IOPS=21.3k, BW=1333MiB/s (...)" per job; the first of each. */
static void fio_text(const char *text, size_t len, struct sbuf *o)
{
    struct lines l = { text, text + len, "" };
    const char *s;
    bool seen[2] = { false, false };
    while ((s = next_line(&l))) {
        while (*s == ' ')
            s++;
        int w = !strncmp(s, "read: IOPS=", 11) ? 0 : !strncmp(s, "write: IOPS=", 12) ? 1 : -1;
        if (w < 0 || seen[w])
            continue;
        const char *q = s + (w ? 12 : 11), *r;
        double iops, bw;
        if (!num_at(q, &iops, &r))
            continue;
        iops *= *r == 'k' ? 1e3 : *r == 'M' ? 1e6 : 1;
        if (!(q = strstr(r, "BW=")) || !num_at(q + 3, &bw, &r))
            continue;
        static const struct { const char *u; double mib; } units[] = {
            { "B/s", 1.0 / 1048576 }, { "KiB/s", 1.0 / 1024 }, { "MiB/s", 1 },
            { "GiB/s", 1024 }, { "TiB/s", 1048576 },
        };
        size_t u = 0;
        while (u < 5 && strncmp(r, units[u].u, strlen(units[u].u)))
            u++;
        if (u == 5)
            continue;
        seen[w] = true;
        const char *ops = w ? "write" : "read";
        emit(o, bw * units[u].mib, "%s_bw_MBps", ops);
        emit(o, iops, "%s_iops", ops);
    }
}

static void fio(const char *text, size_t len, struct sbuf *o)
{
    if (!fio_json(text, len, o))
        fio_text(text, len, o);
}

/* ---- the example programs and the monitors (programs/) ---- */

/* sleep: "sleep: N seconds" */
static void sleep_(const char *text, size_t len, struct sbuf *o)
{
    struct lines l = { text, text + len, "" };
    const char *s, *r;
    double v;
    while ((s = next_line(&l)))
        if (!strncmp(s, "sleep: ", 7) && num_at(s + 7, &v, &r) && !strcmp(r, " seconds")) {
            emit(o, v, "seconds");
            return;
        }
}

/* The monitors print samples: a "time: SECONDS" line, then the file's
 * lines.  Per key, sum and count of the values, first and last value. */
struct series {
    struct stats sum, n, first, last;
};

static void series_add(struct series *s, const char *key, double v)
{
    const double *p = stats_get(&s->sum, key);
    if (!p)
        stats_set(&s->first, key, v);
    stats_set(&s->sum, key, (p ? *p : 0) + v);
    const double *c = stats_get(&s->n, key);
    stats_set(&s->n, key, (c ? *c : 0) + 1);
    stats_set(&s->last, key, v);
}

static void series_end(struct series *s, bool delta, struct sbuf *o)
{
    for (size_t i = 0; i < s->sum.n; i++) {
        const char *k = s->sum.v[i].key;
        const double *a = stats_get(&s->first, k), *b = stats_get(&s->last, k),
                     *n = stats_get(&s->n, k);
        if (!a || !b || !n)
            continue;                   /* a set that was full */
        emit(o, delta ? *b - *a : s->sum.v[i].val / *n, "%s", k);
    }
    stats_free(&s->sum);
    stats_free(&s->n);
    stats_free(&s->first);
    stats_free(&s->last);
}

/* meminfo: "MemFree:   123 kB" -> meminfo.MemFree, the mean of the samples. */
static void meminfo(const char *text, size_t len, struct sbuf *o)
{
    struct lines l = { text, text + len, "" };
    struct series s = { 0 };
    char *line, *f[MAXF];
    double v;
    while ((line = (char *)next_line(&l))) {
        size_t n = split(line, f);
        if (n < 2 || n > 3 || !strcmp(f[0], "time:"))
            continue;
        size_t kl = strlen(f[0]);
        if (kl < 2 || f[0][kl - 1] != ':' || !stats_number(f[1], strlen(f[1]), &v))
            continue;
        f[0][kl - 1] = 0;
        if (stats_key_ok(f[0], kl - 1))
            series_add(&s, f[0], v);
    }
    series_end(&s, false, o);
}

/* vmstat (samples of /proc/vmstat): "pgfault 123" -> vmstat.pgfault, its
 * change from the first sample to the last. */
static void vmstat(const char *text, size_t len, struct sbuf *o)
{
    struct lines l = { text, text + len, "" };
    struct series s = { 0 };
    char *line, *f[MAXF];
    double v;
    while ((line = (char *)next_line(&l)))
        if (split(line, f) == 2 && strcmp(f[0], "time:") && stats_key_ok(f[0], strlen(f[0])) &&
            stats_number(f[1], strlen(f[1]), &v))
            series_add(&s, f[0], v);
    series_end(&s, true, o);
}

/* interrupts (samples of /proc/interrupts): "  LOC:  12  34  Local timer
 * interrupts" -> interrupts.LOC, the change of its sum over the CPUs. */
static void interrupts(const char *text, size_t len, struct sbuf *o)
{
    struct lines l = { text, text + len, "" };
    struct series s = { 0 };
    char *line, *f[MAXF];
    while ((line = (char *)next_line(&l))) {
        size_t n = split(line, f);
        if (n < 2 || n > MAXF || !strcmp(f[0], "time:"))
            continue;
        size_t kl = strlen(f[0]);
        if (kl < 2 || f[0][kl - 1] != ':')
            continue;
        f[0][kl - 1] = 0;
        double sum = 0, v;
        size_t cols = 0;
        for (size_t i = 1; i < n && stats_number(f[i], strlen(f[i]), &v); i++)
            sum += v, cols++;
        if (cols && stats_key_ok(f[0], kl - 1))
            series_add(&s, f[0], sum);
    }
    series_end(&s, true, o);
}

/* uptime (samples of /proc/uptime): the last "UP IDLE" line. */
static void uptime(const char *text, size_t len, struct sbuf *o)
{
    struct lines l = { text, text + len, "" };
    char *line, *f[MAXF];
    double up = -1, idle = 0, a, b;
    while ((line = (char *)next_line(&l)))
        if (split(line, f) == 2 && stats_number(f[0], strlen(f[0]), &a) &&
            stats_number(f[1], strlen(f[1]), &b))
            up = a, idle = b;
    if (up >= 0) {
        emit(o, up, "uptime");
        emit(o, idle, "idle");
    }
}

static const struct {
    const char *name;
    void (*fn)(const char *, size_t, struct sbuf *);
} builtins[] = {
    { "hackbench", hackbench }, { "fio", fio }, { "stress-ng", stressng },
    { "sleep", sleep_ }, { "uptime", uptime },
    { "meminfo", meminfo }, { "vmstat", vmstat }, { "interrupts", interrupts },
};

bool stats_has_builtin(const char *name)
{
    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
        if (!strcmp(builtins[i].name, name))
            return true;
    return false;
}

int stats_builtin(const char *name, const char *text, size_t len, char **lines)
{
    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
        if (strcmp(builtins[i].name, name))
            continue;
        struct sbuf o = { 0 };
        builtins[i].fn(text, len, &o);
        return (*lines = sb_finish(&o)) ? 1 : -1;
    }
    return 0;
}
