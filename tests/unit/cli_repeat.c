/* minivmm boot --repeat: the order of verdicts (the exit status of a series
 * is its worst boot's), the statistics, reading a boot's timing report by
 * field name, and the per-boot console file name. */
#include <string.h>

#include "tests/unit/testutil.h"
#include "cli/repeat.h"

START_TEST(order_of_verdicts)
{
    /* From best to worst: each ranks strictly below the next. */
    static const int order[] = { 0, 125, 1, 2, 122, 123, 124, 127, 126, 129, 255 };
    int n = (int)(sizeof(order) / sizeof(order[0]));
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            int want = i >= j ? order[i] : order[j];
            ck_assert_msg(rep_worse(order[i], order[j]) == want, "worse(%d, %d) = %d, want %d",
                          order[i], order[j], rep_worse(order[i], order[j]), want);
        }
}
END_TEST

START_TEST(skip_never_hides_a_failure)
{
    /* git bisect: 125 (skip) among bad boots must not read as skip, and
     * among good ones must not read as good. */
    for (int st = 1; st <= 127; st++)
        if (st != 125) {
            ck_assert_int_eq(rep_worse(125, st), st);
            ck_assert_int_eq(rep_worse(st, 125), st);
        }
    ck_assert_int_eq(rep_worse(0, 125), 125);
    ck_assert_int_eq(rep_worse(125, 0), 125);
}
END_TEST

START_TEST(aborts_win)
{
    for (int st = 0; st < 128; st++) {
        ck_assert_int_eq(rep_worse(st, 130), 130);     /* SIGINT */
        ck_assert_int_eq(rep_worse(143, st), 143);     /* SIGTERM */
        ck_assert_int_eq(rep_worse(st, 255), 255);
    }
    ck_assert_int_eq(rep_worse(130, 255), 255);
    ck_assert_int_eq(rep_worse(255, 143), 255);
}
END_TEST

START_TEST(stats_odd_even_one_none)
{
    struct rep_stats s;
    double odd[] = { 5, 1, 3 };
    rep_stats(odd, 3, &s);
    ck_assert_int_eq(s.n, 3);
    ck_assert(s.min == 1 && s.median == 3 && s.max == 5);
    double even[] = { 4, 10, 1, 2 };
    rep_stats(even, 4, &s);
    ck_assert(s.min == 1 && s.median == 3 && s.max == 10);
    double one[] = { 7.5 };
    rep_stats(one, 1, &s);
    ck_assert(s.n == 1 && s.min == 7.5 && s.median == 7.5 && s.max == 7.5);
    rep_stats(NULL, 0, &s);
    ck_assert_int_eq(s.n, 0);
}
END_TEST

START_TEST(stats_ordered)
{
    double v[101];
    unsigned x = 12345;
    for (int n = 1; n <= 101; n += 7) {
        for (int i = 0; i < n; i++)
            v[i] = (x = x * 1103515245 + 12345) % 1000 / 7.0;
        struct rep_stats s;
        rep_stats(v, n, &s);
        ck_assert(s.min <= s.median && s.median <= s.max);
        for (int i = 1; i < n; i++)
            ck_assert(v[i - 1] <= v[i]);
    }
}
END_TEST

START_TEST(timing_today)
{
    struct rep_timing t;
    const char *j = "{\"boot_path\": \"direct\", \"vmm_start_ms\": 0, \"guest_entry_ms\": 7.925, "
                    "\"markers\": [{\"code\": 1, \"name\": \"init\", \"ms\": 15.5}, {\"code\": 42, "
                    "\"name\": \"marker-42\", \"ms\": 16.25}], \"markers_dropped\": 0, "
                    "\"end_ms\": 16.819, \"end\": \"status\"}\n";
    ck_assert_int_eq(rep_parse_timing(j, &t), 0);
    ck_assert(t.entry == 7.925 && t.end == 16.819);
    ck_assert_int_eq(t.nmarks, 2);
    ck_assert(t.marks[0].code == 1 && t.marks[0].ms == 15.5);
    ck_assert(t.marks[1].code == 42 && t.marks[1].ms == 16.25);
}
END_TEST

START_TEST(timing_unknown_fields_and_order)
{
    /* New fields of any kind, anywhere, and another order of the known ones. */
    struct rep_timing t;
    const char *j = "{\"end_ms\": 3e1, \"setup_ms\": {\"kvm\": 1.5, \"list\": [1, [2, {}], \"x\"], "
                    "\"ok\": true, \"none\": null}, \"markers\": [{\"ms\": 20, \"extra\": "
                    "\"a\\\"b\\\\ \\u00e9\", \"code\": 3}], \"a_very_long_field_name_longer_than_32_bytes\": "
                    "-0.5, \"guest_entry_ms\": 10}";
    ck_assert_int_eq(rep_parse_timing(j, &t), 0);
    ck_assert(t.entry == 10 && t.end == 30);
    ck_assert_int_eq(t.nmarks, 1);
    ck_assert(t.marks[0].code == 3 && t.marks[0].ms == 20);
}
END_TEST

START_TEST(timing_absent)
{
    struct rep_timing t;
    ck_assert_int_eq(rep_parse_timing("{\"guest_entry_ms\": -1.000, \"end_ms\": -1.000}", &t), 0);
    ck_assert(t.entry < 0 && t.end < 0 && t.nmarks == 0);
    ck_assert_int_eq(rep_parse_timing("{}", &t), 0);
    ck_assert(t.entry < 0 && t.end < 0);
    /* a field of the wrong type counts as absent */
    ck_assert_int_eq(rep_parse_timing("{\"end_ms\": \"5\", \"markers\": {}}", &t), 0);
    ck_assert(t.end < 0 && t.nmarks == 0);
}
END_TEST

START_TEST(timing_malformed)
{
    static const char *bad[] = {
        NULL, "", "[]", "{", "{\"end_ms\": 1", "{\"end_ms\": 1,}", "{\"end_ms\" 1}",
        "{\"end_ms\": 01}", "{\"end_ms\": inf}", "{\"end_ms\": nan}", "{\"end_ms\": 0x10}",
        "{\"end_ms\": +1}", "{\"end_ms\": 1.}", "{\"end_ms\": 1e}", "{\"a\": \"\\q\"}",
        "{\"a\": \"x\ny\"}", "{\"a\": \"\\u12\"}", "{\"a\": \"\\u12g4\"}", "{\"a\": tru}", "{} {}", "{\"a\": 1} x",
        "{\"a\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
        "{\"markers\": [{\"code\": 1, \"ms\": 2},]}", "{\"a\": \"unterminated}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct rep_timing t;
        t.nmarks = 99;
        ck_assert_msg(rep_parse_timing(bad[i], &t) == -1, "accepted %s", bad[i] ? bad[i] : "NULL");
        ck_assert(t.entry < 0 && t.end < 0 && t.nmarks == 0);
    }
}
END_TEST

START_TEST(timing_marker_limits)
{
    /* Codes outside 0..65535 or not whole, negative times: not markers;
     * more than REP_MAX_MARKS: the first ones kept. */
    struct rep_timing t;
    ck_assert_int_eq(rep_parse_timing("{\"markers\": [{\"code\": 70000, \"ms\": 1}, {\"code\": 1.5, "
                                      "\"ms\": 1}, {\"code\": -1, \"ms\": 1}, {\"code\": 2, \"ms\": -1}, "
                                      "{\"code\": 2}, 7, {\"code\": 9, \"ms\": 4}]}", &t), 0);
    ck_assert_int_eq(t.nmarks, 1);
    ck_assert(t.marks[0].code == 9);
    char j[8192] = "{\"markers\": [";
    for (int i = 0; i < REP_MAX_MARKS + 10; i++)
        snprintf(j + strlen(j), sizeof(j) - strlen(j), "%s{\"code\": %d, \"ms\": %d}", i ? ", " : "", i, i);
    strcat(j, "]}");
    ck_assert_int_eq(rep_parse_timing(j, &t), 0);
    ck_assert_int_eq(t.nmarks, REP_MAX_MARKS);
    ck_assert(t.marks[REP_MAX_MARKS - 1].code == REP_MAX_MARKS - 1);
}
END_TEST

START_TEST(console_names)
{
    char b[32];
    ck_assert_int_eq(rep_console_path(b, sizeof(b), "con-%d.log", 7), 0);
    ck_assert_str_eq(b, "con-7.log");
    ck_assert_int_eq(rep_console_path(b, sizeof(b), "%d/%d%", 12), 0);
    ck_assert_str_eq(b, "12/12%");
    ck_assert_int_eq(rep_console_path(b, sizeof(b), "plain %s %x", 3), 0);
    ck_assert_str_eq(b, "plain %s %x");                 /* only %d is special */
    ck_assert_int_eq(rep_console_path(b, 10, "123456789", 1), 0);
    ck_assert_int_eq(rep_console_path(b, 10, "1234567890", 1), -1);
    ck_assert_int_eq(rep_console_path(b, 10, "12345678%d", 9), 0);
    ck_assert_str_eq(b, "123456789");
    ck_assert_int_eq(rep_console_path(b, 10, "12345678%d", 10), -1);
}
END_TEST

static int parse(const char *val, struct boot_opts *o, char *err, size_t len)
{
    char *argv[] = { "boot", "--kernel", "k", "--repeat", (char *)val, NULL };
    return boot_parse_args(5, argv, o, err, len);
}

START_TEST(repeat_option)
{
    struct boot_opts o;
    char err[256];
    char *plain[] = { "boot", "--kernel", "k", NULL };
    ck_assert_int_eq(boot_parse_args(3, plain, &o, err, sizeof(err)), 0);
    ck_assert_int_eq(o.repeat, 0);                      /* not given: no loop */
    ck_assert_int_eq(parse("1", &o, err, sizeof(err)), 0);
    ck_assert_int_eq(o.repeat, 1);
    ck_assert_int_eq(parse("100000", &o, err, sizeof(err)), 0);
    ck_assert_int_eq(o.repeat, MAX_REPEAT);
    static const char *bad[] = { "0", "-1", "+3", " 3", "3 ", "3x", "x", "", "0x10", "100001",
                                 "18446744073709551616", "99999999999999999999999" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        ck_assert_msg(parse(bad[i], &o, err, sizeof(err)) == -1, "took --repeat '%s'", bad[i]);
        ck_assert_msg(strstr(err, "--repeat") && !strchr(err, '\n'), "message: %s", err);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("repeat");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, order_of_verdicts);
    tcase_add_test(tc, skip_never_hides_a_failure);
    tcase_add_test(tc, aborts_win);
    tcase_add_test(tc, stats_odd_even_one_none);
    tcase_add_test(tc, stats_ordered);
    tcase_add_test(tc, timing_today);
    tcase_add_test(tc, timing_unknown_fields_and_order);
    tcase_add_test(tc, timing_absent);
    tcase_add_test(tc, timing_malformed);
    tcase_add_test(tc, timing_marker_limits);
    tcase_add_test(tc, console_names);
    tcase_add_test(tc, repeat_option);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
