/* minivmm compare's numbers (mean, sample stddev, change, the noise rule,
 * missing metrics, table and JSON) and --expect (parsing, evaluation, the
 * exit status it gives). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stats/compare.h"
#include "stats/expect.h"
#include "tests/unit/testutil.h"

/* runs[i] = { KEY: vals[i] } (NAN: the run lacks KEY) */
static void runs(struct stats *r, size_t n, const char *key, const double *vals)
{
    for (size_t i = 0; i < n; i++)
        if (!isnan(vals[i]))
            ck_assert_int_eq(stats_set(&r[i], key, vals[i]), 0);
}

static const struct cmp_row *row(const struct cmp_row *r, size_t n, const char *metric)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(r[i].metric, metric))
            return &r[i];
    ck_abort_msg("%s: no row", metric);
    return NULL;
}

START_TEST(groups)
{
    struct stats a[3] = { 0 }, b[3] = { 0 };
    runs(a, 3, "m.clear", (double[]){ 10, 12, 14 });        /* mean 12, sd 2 */
    runs(b, 3, "m.clear", (double[]){ 20, 22, 24 });        /* 22: +10 > 2*2 */
    runs(a, 3, "m.noisy", (double[]){ 100, 110, 90 });      /* sd 10 */
    runs(b, 3, "m.noisy", (double[]){ 115, 105, 110 });     /* +10 < 2*10 */
    runs(a, 3, "m.same", (double[]){ 0, 0, 0 });
    runs(b, 3, "m.same", (double[]){ 0, 0, 0 });
    runs(a, 3, "m.fromzero", (double[]){ 0, 0, 0 });
    runs(b, 3, "m.fromzero", (double[]){ 1, 1, 1 });
    runs(a, 3, "m.onlya", (double[]){ 1, 2, 3 });
    runs(b, 3, "m.onlyb", (double[]){ 5, NAN, 7 });         /* in 2 runs of 3 */
    struct cmp_row *r;
    size_t n;
    ck_assert_int_eq(stats_compare(a, 3, b, 3, &r, &n), 0);
    ck_assert_uint_eq(n, 6);
    ck_assert_str_eq(r[0].metric, "m.clear");       /* A's order, then B's */
    ck_assert_str_eq(r[5].metric, "m.onlyb");
    const struct cmp_row *c = row(r, n, "m.clear");
    ck_assert_double_eq_tol(c->a.mean, 12, 1e-12);
    ck_assert_double_eq_tol(c->a.stddev, 2, 1e-12);
    ck_assert_double_eq_tol(c->b.mean, 22, 1e-12);
    ck_assert(c->has_change);
    ck_assert_double_eq_tol(c->change, 10.0 / 12 * 100, 1e-9);
    ck_assert(c->flagged);
    c = row(r, n, "m.noisy");
    ck_assert_double_eq_tol(c->a.stddev, 10, 1e-12);
    ck_assert(!c->flagged);
    c = row(r, n, "m.same");
    ck_assert(!c->flagged && !c->has_change);
    c = row(r, n, "m.fromzero");
    ck_assert(c->flagged && !c->has_change);        /* no % of 0, still beyond noise */
    c = row(r, n, "m.onlya");
    ck_assert_uint_eq(c->b.n, 0);
    ck_assert(!c->flagged && !c->has_change);
    c = row(r, n, "m.onlyb");
    ck_assert_uint_eq(c->a.n, 0);
    ck_assert_uint_eq(c->b.n, 2);
    ck_assert_double_eq_tol(c->b.mean, 6, 1e-12);

    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    stats_compare_table(f, r, n, 3, 3);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "m.clear     12 +- 2 (3)"));
    ck_assert_ptr_nonnull(strstr(buf, "+83.3%  *\n"));
    ck_assert_ptr_nonnull(strstr(buf, "only in A\n"));
    ck_assert_ptr_nonnull(strstr(buf, "only in B\n"));
    ck_assert_ptr_nonnull(strstr(buf, "from 0  *\n"));
    free(buf);
    const char *da[] = { "r/0", "r/1", "r/\"2" }, *db[] = { "s/0", "s/1", "s/2" };
    f = open_memstream(&buf, &len);
    stats_compare_json(f, r, n, da, 3, db, 3);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "{\"a\": [\"r/0\", \"r/1\", \"r/\\\"2\"], \"b\": [\"s/0\""));
    ck_assert_ptr_nonnull(strstr(buf, "{\"metric\": \"m.clear\", \"a\": {\"runs\": 3, \"mean\": 12, "
                                      "\"stddev\": 2}, \"b\": {\"runs\": 3, \"mean\": 22, \"stddev\": 2}, "
                                      "\"change_percent\": 83.33333333333334, \"flagged\": true}"));
    ck_assert_ptr_nonnull(strstr(buf, "{\"metric\": \"m.onlya\", \"a\": {\"runs\": 3, \"mean\": 2, "
                                      "\"stddev\": 1}, \"b\": null, \"change_percent\": null, \"flagged\": false}"));
    free(buf);
    free(r);
    for (int i = 0; i < 3; i++) {
        stats_free(&a[i]);
        stats_free(&b[i]);
    }
}
END_TEST

START_TEST(single_runs)
{
    /* one run a side: no noise known, 5% of A is the line */
    struct stats a[1] = { 0 }, b[1] = { 0 }, b2[2] = { 0 };
    runs(a, 1, "small", (double[]){ 100 });
    runs(b, 1, "small", (double[]){ 104.9 });
    runs(a, 1, "big", (double[]){ 100 });
    runs(b, 1, "big", (double[]){ 95 });
    struct cmp_row *r;
    size_t n;
    ck_assert_int_eq(stats_compare(a, 1, b, 1, &r, &n), 0);
    ck_assert(!row(r, n, "small")->flagged);
    ck_assert(row(r, n, "big")->flagged);
    ck_assert_double_eq_tol(row(r, n, "big")->change, -5, 1e-9);
    ck_assert_double_eq(row(r, n, "big")->a.stddev, 0);
    free(r);
    /* one run against two: the two runs' noise counts */
    runs(b2, 2, "big", (double[]){ 90, 100 });          /* mean 95, sd 7.07 */
    ck_assert_int_eq(stats_compare(a, 1, b2, 2, &r, &n), 0);
    ck_assert(!row(r, n, "big")->flagged);              /* 5 < 2 * 7.07 */
    free(r);
    stats_free(&a[0]);
    stats_free(&b[0]);
    stats_free(&b2[0]);
    stats_free(&b2[1]);
}
END_TEST

START_TEST(huge_values)
{
    /* finite values whose sums overflow: the means stay right, and what
     * does not fit a double is null in the JSON, never inf or nan */
    struct stats a[2] = { 0 }, b[2] = { 0 };
    runs(a, 2, "huge", (double[]){ 1e308, 1e308 });
    runs(b, 2, "huge", (double[]){ 1e308, 1e308 });
    runs(a, 2, "spread", (double[]){ 1e308, -1e308 });
    runs(b, 2, "spread", (double[]){ 1, 1 });
    runs(a, 1, "tiny", (double[]){ 1e-300 });
    runs(b, 1, "tiny", (double[]){ 1e300 });
    struct cmp_row *r;
    size_t n;
    ck_assert_int_eq(stats_compare(a, 2, b, 2, &r, &n), 0);
    ck_assert_double_eq(row(r, n, "huge")->a.mean, 1e308);
    ck_assert(!row(r, n, "huge")->flagged);
    char *buf;
    size_t len;
    const char *d[] = { "r/0", "r/1" };
    FILE *f = open_memstream(&buf, &len);
    stats_compare_json(f, r, n, d, 2, d, 2);
    fclose(f);
    ck_assert_msg(!strstr(buf, "inf") && !strstr(buf, "nan"), "%s", buf);
    ck_assert_ptr_nonnull(strstr(buf, "{\"metric\": \"huge\", \"a\": {\"runs\": 2, \"mean\": 1e+308, "
                                      "\"stddev\": 0}"));
    ck_assert_ptr_nonnull(strstr(buf, "\"mean\": 0, \"stddev\": null}"));
    ck_assert_ptr_nonnull(strstr(buf, "\"change_percent\": null, \"flagged\": true}"));
    free(buf);
    free(r);
    for (int i = 0; i < 2; i++) {
        stats_free(&a[i]);
        stats_free(&b[i]);
    }
}
END_TEST

START_TEST(expect_parse)
{
    struct stats_expect e;
    char err[300];
    ck_assert_int_eq(stats_expect_parse("hackbench.throughput >= 1000", &e, err, sizeof err), 0);
    ck_assert_str_eq(e.metric, "hackbench.throughput");
    ck_assert_int_eq(e.op, STATS_GE);
    ck_assert_double_eq(e.value, 1000);
    ck_assert_int_eq(stats_expect_parse("  fio.latency_>=2000ms%\t<  0.5 ", &e, err, sizeof err), 0);
    ck_assert_str_eq(e.metric, "fio.latency_>=2000ms%");
    ck_assert_int_eq(e.op, STATS_LT);
    const char *ops[] = { "<", "<=", ">", ">=", "==", "!=" };
    for (int i = 0; i < 6; i++) {
        char t[32];
        snprintf(t, sizeof t, "a %s -1e3", ops[i]);
        ck_assert_int_eq(stats_expect_parse(t, &e, err, sizeof err), 0);
        ck_assert_int_eq(e.op, i);
        ck_assert_str_eq(stats_op_name(e.op), ops[i]);
    }
    static const struct { const char *text, *err; } bad[] = {
        { "a>=1", "--expect 'a>=1': want 'METRIC OP VALUE' (three words, blanks around OP)" },
        { "a >= 1 2", "--expect 'a >= 1 2': want 'METRIC OP VALUE' (three words, blanks around OP)" },
        { "", "--expect '': want 'METRIC OP VALUE' (three words, blanks around OP)" },
        { "a => 1", "--expect 'a => 1': '=>' is no operator (< <= > >= == !=)" },
        { "a = 1", "--expect 'a = 1': '=' is no operator (< <= > >= == !=)" },
        { "a >= fast", "--expect 'a >= fast': 'fast' is no finite decimal number" },
        { "a >= nan", "--expect 'a >= nan': 'nan' is no finite decimal number" },
        { "a >= 1e999", "--expect 'a >= 1e999': '1e999' is no finite decimal number" },
        { "a:b >= 1", "--expect 'a:b >= 1': 'a:b' is no metric name" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(stats_expect_parse(bad[i].text, &e, err, sizeof err), -1);
        ck_assert_str_eq(err, bad[i].err);
    }
    /* the message is one line whatever the text holds */
    ck_assert_int_eq(stats_expect_parse("a >= 1\nminivmm: fake\r", &e, err, sizeof err), -1);
    ck_assert_str_eq(err, "--expect 'a >= 1?minivmm: fake?': want 'METRIC OP VALUE' (three "
                          "words, blanks around OP)");
    ck_assert_int_eq(stats_expect_parse("\x1b[2Ja\n >= 1", &e, err, sizeof err), -1);
    ck_assert_ptr_null(strpbrk(err, "\n\r\x1b"));
}
END_TEST

START_TEST(expect_eval)
{
    struct stats s = { 0 };
    struct stats_expect e;
    char err[300];
    double got = -1;
    stats_set(&s, "h.t", 7402.84);
    ck_assert_int_eq(stats_expect_parse("h.t >= 7402.84", &e, err, sizeof err), 0);
    ck_assert_int_eq(stats_expect_eval(&e, &s, &got), STATS_HOLDS);
    ck_assert_double_eq(got, 7402.84);
    ck_assert_int_eq(stats_expect_parse("h.t > 7402.84", &e, err, sizeof err), 0);
    ck_assert_int_eq(stats_expect_eval(&e, &s, &got), STATS_FAILS);
    ck_assert_int_eq(stats_expect_parse("h.t != 7402.84", &e, err, sizeof err), 0);
    ck_assert_int_eq(stats_expect_eval(&e, &s, &got), STATS_FAILS);
    ck_assert_int_eq(stats_expect_parse("h.t == 7402.84", &e, err, sizeof err), 0);
    ck_assert_int_eq(stats_expect_eval(&e, &s, &got), STATS_HOLDS);
    ck_assert_int_eq(stats_expect_parse("h.t < 1e4", &e, err, sizeof err), 0);
    ck_assert_int_eq(stats_expect_eval(&e, &s, &got), STATS_HOLDS);
    ck_assert_int_eq(stats_expect_parse("h.x <= 1", &e, err, sizeof err), 0);
    ck_assert_int_eq(stats_expect_eval(&e, &s, &got), STATS_MISSING);
    stats_free(&s);

    enum stats_verdict v[3] = { STATS_HOLDS, STATS_MISSING, STATS_FAILS };
    ck_assert_int_eq(stats_expect_status(v, 0), 0);
    ck_assert_int_eq(stats_expect_status(v, 1), 0);
    ck_assert_int_eq(stats_expect_status(v, 2), 125);  /* missing: cannot test, never a pass */
    ck_assert_int_eq(stats_expect_status(v, 3), 1);    /* a failed one: bad */
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("stats_compare");
    TCase *tc = tcase_create("compare");
    tcase_add_test(tc, groups);
    tcase_add_test(tc, single_runs);
    tcase_add_test(tc, huge_values);
    tcase_add_test(tc, expect_parse);
    tcase_add_test(tc, expect_eval);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
