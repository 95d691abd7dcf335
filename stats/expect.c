/* --expect: parsing and evaluating `METRIC OP VALUE`. */
#include <stdio.h>
#include <string.h>
#include "stats/expect.h"

static const char *const ops[] = {
    [STATS_LT] = "<", [STATS_LE] = "<=", [STATS_GT] = ">",
    [STATS_GE] = ">=", [STATS_EQ] = "==", [STATS_NE] = "!=",
};

const char *stats_op_name(enum stats_op op) { return ops[op]; }

static size_t word(const char **p, const char **w)
{
    while (**p == ' ' || **p == '\t')
        (*p)++;
    *w = *p;
    while (**p && **p != ' ' && **p != '\t')
        (*p)++;
    return (size_t)(*p - *w);
}

int stats_expect_parse(const char *text, struct stats_expect *e, char *err, size_t errlen)
{
    const char *p = text, *m, *o, *v, *x;
    size_t ml = word(&p, &m), ol = word(&p, &o), vl = word(&p, &v), xl = word(&p, &x);
    if (!ml || !ol || !vl || xl) {
        snprintf(err, errlen, "--expect '%.100s': want 'METRIC OP VALUE' (three words, "
                 "blanks around OP)", text);
        goto bad;
    }
    if (!stats_key_ok(m, ml)) {
        snprintf(err, errlen, "--expect '%.100s': '%.*s' is no metric name", text,
                 (int)(ml > 60 ? 60 : ml), m);
        goto bad;
    }
    size_t i = 0;
    while (i < sizeof(ops) / sizeof(ops[0]) && !(strlen(ops[i]) == ol && !memcmp(ops[i], o, ol)))
        i++;
    if (i == sizeof(ops) / sizeof(ops[0])) {
        snprintf(err, errlen, "--expect '%.100s': '%.*s' is no operator (< <= > >= == !=)",
                 text, (int)(ol > 20 ? 20 : ol), o);
        goto bad;
    }
    if (!stats_number(v, vl, &e->value)) {
        snprintf(err, errlen, "--expect '%.100s': '%.*s' is no finite decimal number", text,
                 (int)(vl > 40 ? 40 : vl), v);
        goto bad;
    }
    snprintf(e->metric, sizeof(e->metric), "%.*s", (int)ml, m);
    e->op = (enum stats_op)i;
    return 0;
bad:
    for (char *c = err; *c; c++)        /* one line, whatever the text holds */
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    return -1;
}

enum stats_verdict stats_expect_eval(const struct stats_expect *e, const struct stats *s,
                                     double *got)
{
    const double *v = stats_get(s, e->metric);
    if (!v)
        return STATS_MISSING;
    *got = *v;
    bool ok = false;
    switch (e->op) {
    case STATS_LT: ok = *v < e->value; break;
    case STATS_LE: ok = *v <= e->value; break;
    case STATS_GT: ok = *v > e->value; break;
    case STATS_GE: ok = *v >= e->value; break;
    case STATS_EQ: ok = *v == e->value; break;
    case STATS_NE: ok = *v != e->value; break;
    }
    return ok ? STATS_HOLDS : STATS_FAILS;
}

int stats_expect_status(const enum stats_verdict *v, size_t n)
{
    int st = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == STATS_FAILS)
            return 1;
        if (v[i] == STATS_MISSING)
            st = 125;
    }
    return st;
}
