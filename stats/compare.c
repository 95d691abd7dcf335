/* Comparing groups of runs.  The rule for a flagged change:
 *   - when a side has 2 runs or more, its noise is its sample standard
 *     deviation; the change is flagged when |mean B - mean A| is more than
 *     twice the larger noise of the two sides (a side with one run adds
 *     none), and not 0;
 *   - when both sides have one run each, nothing tells the noise: the change
 *     is flagged when it is at least 5% of |A| (or A is 0 and B is not). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "stats/compare.h"

static void side(const struct stats *g, size_t ng, const char *key, struct cmp_side *s)
{
    double sum = 0, sq = 0;
    *s = (struct cmp_side){ 0 };
    for (size_t i = 0; i < ng; i++) {
        const double *v = stats_get(&g[i], key);
        if (v) {
            s->n++;
            sum += *v;
        }
    }
    if (!s->n)
        return;
    s->mean = sum / (double)s->n;
    if (!isfinite(s->mean)) {           /* finite values whose sum overflows */
        s->mean = 0;
        for (size_t i = 0; i < ng; i++) {
            const double *v = stats_get(&g[i], key);
            if (v)
                s->mean += *v / (double)s->n;
        }
    }
    for (size_t i = 0; i < ng; i++) {
        const double *v = stats_get(&g[i], key);
        if (v)
            sq += (*v - s->mean) * (*v - s->mean);
    }
    s->stddev = s->n > 1 ? sqrt(sq / (double)(s->n - 1)) : 0;
}

static void judge(struct cmp_row *r)
{
    if (!r->a.n || !r->b.n)
        return;
    double diff = r->b.mean - r->a.mean;
    r->has_change = r->a.mean != 0;
    if (r->has_change)
        r->change = diff / fabs(r->a.mean) * 100;
    if (r->a.n == 1 && r->b.n == 1)
        r->flagged = r->has_change ? fabs(r->change) >= 5 : diff != 0;
    else
        r->flagged = diff != 0 && fabs(diff) > 2 * fmax(r->a.stddev, r->b.stddev);
}

int stats_compare(const struct stats *a, size_t na, const struct stats *b, size_t nb,
                  struct cmp_row **rows, size_t *nrows)
{
    struct stats seen = { 0 };
    size_t n = 0, cap = 0;
    struct cmp_row *r = NULL;
    for (size_t g = 0; g < na + nb; g++) {
        const struct stats *s = g < na ? &a[g] : &b[g - na];
        for (size_t i = 0; i < s->n; i++) {
            const char *k = s->v[i].key;
            if (stats_get(&seen, k))
                continue;
            if (stats_set(&seen, k, 0) < 0)
                goto oom;
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                struct cmp_row *nr = realloc(r, cap * sizeof(*r));
                if (!nr)
                    goto oom;
                r = nr;
            }
            r[n] = (struct cmp_row){ .metric = k };
            side(a, na, k, &r[n].a);
            side(b, nb, k, &r[n].b);
            judge(&r[n]);
            n++;
        }
    }
    stats_free(&seen);
    *rows = r;
    *nrows = n;
    return 0;
oom:
    stats_free(&seen);
    free(r);
    return -1;
}

static void cell(FILE *f, const struct cmp_side *s)
{
    char buf[80];
    if (!s->n)
        snprintf(buf, sizeof(buf), "-");
    else if (s->n == 1)
        snprintf(buf, sizeof(buf), "%.6g", s->mean);
    else
        snprintf(buf, sizeof(buf), "%.6g +- %.2g (%zu)", s->mean, s->stddev, s->n);
    fprintf(f, "  %-26s", buf);
}

void stats_compare_table(FILE *f, const struct cmp_row *r, size_t n, size_t na, size_t nb)
{
    size_t w = 6;
    for (size_t i = 0; i < n; i++)
        w = strlen(r[i].metric) > w ? strlen(r[i].metric) : w;
    char ha[40], hb[40];
    snprintf(ha, sizeof(ha), "A: mean +- stddev (%zu run%s)", na, na == 1 ? "" : "s");
    snprintf(hb, sizeof(hb), "B: mean +- stddev (%zu run%s)", nb, nb == 1 ? "" : "s");
    fprintf(f, "%-*s  %-26s  %-26s  %s\n", (int)w, "metric", ha, hb, "change");
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%-*s", (int)w, r[i].metric);
        cell(f, &r[i].a);
        cell(f, &r[i].b);
        if (!r[i].a.n)
            fprintf(f, "  only in B");
        else if (!r[i].b.n)
            fprintf(f, "  only in A");
        else if (r[i].has_change)
            fprintf(f, "  %+.1f%%", r[i].change);
        else
            fprintf(f, "  %s", r[i].b.mean == 0 ? "0" : "from 0");
        fputs(r[i].flagged ? "  *\n" : "\n", f);
    }
    fputs("* a change beyond the runs' noise (docs/stats.md)\n", f);
}

static void jstr(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* A number as JSON: null when it does not fit a double (inf or nan). */
static const char *jnum(double v, char buf[32])
{
    return isfinite(v) ? stats_fmt(v, buf) : "null";
}

static void jside(FILE *f, const struct cmp_side *s)
{
    char m[32], d[32];
    if (!s->n)
        fputs("null", f);
    else
        fprintf(f, "{\"runs\": %zu, \"mean\": %s, \"stddev\": %s}", s->n, jnum(s->mean, m),
                jnum(s->stddev, d));
}

void stats_compare_json(FILE *f, const struct cmp_row *r, size_t n, const char *const *dirs_a,
                        size_t na, const char *const *dirs_b, size_t nb)
{
    char c[32];
    fputs("{\"a\": [", f);
    for (size_t i = 0; i < na; i++) {
        fputs(i ? ", " : "", f);
        jstr(f, dirs_a[i]);
    }
    fputs("], \"b\": [", f);
    for (size_t i = 0; i < nb; i++) {
        fputs(i ? ", " : "", f);
        jstr(f, dirs_b[i]);
    }
    fputs("], \"metrics\": [", f);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s\n  {\"metric\": ", i ? "," : "");
        jstr(f, r[i].metric);
        fputs(", \"a\": ", f);
        jside(f, &r[i].a);
        fputs(", \"b\": ", f);
        jside(f, &r[i].b);
        fprintf(f, ", \"change_percent\": %s, \"flagged\": %s}",
                r[i].has_change ? jnum(r[i].change, c) : "null",
                r[i].flagged ? "true" : "false");
    }
    fputs(n ? "\n]}\n" : "]}\n", f);
}
