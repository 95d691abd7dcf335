/* The built-in parsers on real outputs captured on a Debian 12 host
 * (tests/data/stats/: rt-tests 2.4 hackbench, fio 3.33, stress-ng 0.15.06,
 * the monitors of programs/ run by busybox sh), the `METRIC: value` line
 * rules, and the flat JSON of stats.json. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stats/stats.h"
#include "tests/unit/testutil.h"

#define DATA "tests/data/stats/"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s", path);
    char *buf = malloc(1 << 20);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = 0;
    fclose(f);
    return buf;
}

/* PROGRAM's built-in parser on FILE, its lines through stats_parse_lines. */
static void parse(const char *prog, const char *file, struct stats *s)
{
    size_t len;
    char *text = slurp(file, &len), *lines, err[256];
    *s = (struct stats){ 0 };
    ck_assert_int_eq(stats_builtin(prog, text, len, &lines), 1);
    ck_assert_msg(stats_parse_lines(prog, lines, strlen(lines), s, err, sizeof err) == 0, "%s", err);
    free(lines);
    free(text);
}

static double get(const struct stats *s, const char *key)
{
    const double *v = stats_get(s, key);
    ck_assert_msg(v != NULL, "%s missing", key);
    return *v;
}

#define NEAR(a, b) ck_assert_msg(fabs((a) - (b)) <= 1e-9 * fabs(b), "%.17g != %.17g", (double)(a), (double)(b))

START_TEST(hackbench)
{
    struct stats s;
    /* lkp: KiB = (80 tasks * 200 messages * 100 bytes) >> 10 = 1562, over the time */
    parse("hackbench", DATA "hackbench-process-pipe.txt", &s);
    NEAR(get(&s, "hackbench.throughput"), 1562 / 0.211);
    NEAR(get(&s, "hackbench.throughput_avg"), 1562 / 0.211);
    ck_assert_uint_eq(s.n, 4);
    stats_free(&s);
    parse("hackbench", DATA "hackbench-thread-socket.txt", &s);
    NEAR(get(&s, "hackbench.throughput"), 1562 / 0.195);
    stats_free(&s);
    parse("hackbench", DATA "hackbench-3runs.txt", &s);
    NEAR(get(&s, "hackbench.throughput"), 1562 / 0.160);
    NEAR(get(&s, "hackbench.throughput_best"), 1562 / 0.160);
    NEAR(get(&s, "hackbench.throughput_worst"), 1562 / 0.234);
    NEAR(get(&s, "hackbench.throughput_avg"), 1562 / ((0.160 + 0.204 + 0.234) / 3));
    stats_free(&s);
}
END_TEST

START_TEST(stress_ng)
{
    struct stats s;
    parse("stress-ng", DATA "stress-ng-cpu.txt", &s);
    ck_assert_double_eq(get(&s, "stress-ng.cpu.ops"), 4218);
    ck_assert_double_eq(get(&s, "stress-ng.cpu.ops_per_sec"), 1403.43);
    ck_assert_double_eq(get(&s, "stress-ng.cpu.pass"), 1);
    ck_assert_uint_eq(s.n, 3);
    stats_free(&s);
    parse("stress-ng", DATA "stress-ng-brief.txt", &s);
    ck_assert_double_eq(get(&s, "stress-ng.pipe.ops"), 1746423);
    ck_assert_double_eq(get(&s, "stress-ng.pipe.ops_per_sec"), 873003.98);
    ck_assert_double_eq(get(&s, "stress-ng.cpu.ops_per_sec"), 332.27);
    ck_assert_double_eq(get(&s, "stress-ng.pipe.MB_per_sec_pipe_write_rate"), 426.44);
    ck_assert_double_eq(get(&s, "stress-ng.pipe.MB_per_sec_pipe_write_rate.pass"), 1);
    stats_free(&s);
}
END_TEST

START_TEST(fio)
{
    struct stats s;
    parse("fio", DATA "fio-randrw.json", &s);
    NEAR(get(&s, "fio.read_bw_MBps"), 64129 / 1024.0);
    ck_assert_double_eq(get(&s, "fio.read_iops"), 16032.258065);
    ck_assert_double_eq(get(&s, "fio.write_iops"), 17000);
    ck_assert_double_eq(get(&s, "fio.read_clat_90%_ns"), 52480);
    ck_assert_double_eq(get(&s, "fio.write_clat_99%_ns"), 5792);
    ck_assert_double_eq(get(&s, "fio.read_clat_mean_ns"), 58013.392354);
    ck_assert_double_eq(get(&s, "fio.latency_50us%"), 38.476562);
    ck_assert_double_eq(get(&s, "fio.latency_>=2000ms%"), 0);
    ck_assert_double_eq(get(&s, "fio.workload"), 994 + 1054);
    stats_free(&s);
    /* JSON nested deeper than fio's (32 levels) is not handed to libyaml */
    size_t deep = 100000;
    char *d = malloc(2 * deep + 16), *lines;
    strcpy(d, "{\"jobs\": ");
    memset(d + 9, '[', deep);
    memset(d + 9 + deep, ']', deep);
    strcpy(d + 9 + 2 * deep, "}");
    ck_assert_int_eq(stats_builtin("fio", d, strlen(d), &lines), 1);
    ck_assert_str_eq(lines, "");
    free(lines);
    free(d);
    /* Nor is text that only looks shallow to a JSON reader: libyaml reads
     * YAML, where single quotes, comments and quotes inside plain words
     * can hide the nesting from a scan for JSON strings. */
    static const char *const hide[][2] = {
        { "'a': '\"', 'y': ", ", 'b': '\"'" },
        { "# \"\n y: ", ", # \"\n" },
        { "a: b\"c, y: ", ", d: e\"f" },
    };
    for (size_t i = 0; i < sizeof(hide) / sizeof(hide[0]); i++) {
        char t[512];
        int n = snprintf(t, sizeof(t), "{\"jobs\": [{\"read\": {\"iops\": 5}}], %s", hide[i][0]);
        memset(t + n, '[', 40);
        memset(t + n + 40, ']', 40);
        snprintf(t + n + 80, sizeof(t) - (size_t)n - 80, "%s}", hide[i][1]);
        ck_assert_int_eq(stats_builtin("fio", t, strlen(t), &lines), 1);
        ck_assert_msg(!strcmp(lines, ""), "%zu: %s gave %s", i, t, lines);
        free(lines);
    }
    /* Nor JSON of more than a million strings and numbers: libyaml's
     * document costs about 160 bytes a scalar (1.3 GB for 16 MiB). */
    size_t many = 1100000;
    char *w = malloc(2 * many + 64);
    size_t k = (size_t)sprintf(w, "{\"jobs\": [{\"read\": {\"iops\": 5}}], \"x\": [");
    for (size_t i = 0; i < many; i++) {
        w[k++] = '1';
        w[k++] = ',';
    }
    strcpy(w + k - 1, "]}");
    ck_assert_int_eq(stats_builtin("fio", w, strlen(w), &lines), 1);
    ck_assert_str_eq(lines, "");
    free(lines);
    free(w);
    parse("fio", DATA "fio-read.txt", &s);     /* fio's default text output */
    ck_assert_double_eq(get(&s, "fio.read_bw_MBps"), 1333);
    ck_assert_double_eq(get(&s, "fio.read_iops"), 21300);
    ck_assert_ptr_null(stats_get(&s, "fio.write_iops"));
    stats_free(&s);
}
END_TEST

/* The value of the last "KEY VALUE" (or "KEY: VALUE") line for KEY in FILE. */
static double last_value(const char *file, const char *key, bool first)
{
    size_t len;
    char *text = slurp(file, &len), *save, k[128];
    double v = NAN, x;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        if (sscanf(l, " %127s %lf", k, &x) == 2 && !strncmp(k, key, strlen(key)) &&
            (k[strlen(key)] == 0 || !strcmp(k + strlen(key), ":"))) {
            v = x;
            if (first)
                break;
        }
    free(text);
    return v;
}

START_TEST(monitors)
{
    struct stats s;
    parse("meminfo", DATA "meminfo.txt", &s);
    ck_assert_double_eq(get(&s, "meminfo.MemTotal"), last_value(DATA "meminfo.txt", "MemTotal", 0));
    ck_assert(get(&s, "meminfo.MemFree") > 0);
    ck_assert_ptr_null(stats_get(&s, "meminfo.time"));
    stats_free(&s);
    parse("vmstat", DATA "vmstat.txt", &s);
    ck_assert_double_eq(get(&s, "vmstat.pgfault"), last_value(DATA "vmstat.txt", "pgfault", 0) -
                                                   last_value(DATA "vmstat.txt", "pgfault", 1));
    ck_assert(get(&s, "vmstat.pgfault") > 0);
    stats_free(&s);
    parse("interrupts", DATA "interrupts.txt", &s);
    ck_assert(get(&s, "interrupts.LOC") > 0);   /* the timer ticked between the samples */
    ck_assert_ptr_nonnull(stats_get(&s, "interrupts.ERR"));
    stats_free(&s);
    parse("uptime", DATA "uptime.txt", &s);
    ck_assert_double_eq(get(&s, "uptime.uptime"), 54917.67);
    ck_assert_double_eq(get(&s, "uptime.idle"), 76192.20);
    stats_free(&s);
}
END_TEST

START_TEST(examples_and_none)
{
    char *lines;
    ck_assert_int_eq(stats_builtin("sleep", "sleep: 3 seconds\n", 17, &lines), 1);
    ck_assert_str_eq(lines, "seconds: 3\n");
    free(lines);
    ck_assert_int_eq(stats_builtin("pass", "pass: hi\n", 9, &lines), 0);
    ck_assert(!stats_has_builtin("pass"));
    /* no numbers: no lines, never a guess */
    ck_assert_int_eq(stats_builtin("hackbench", "Time: 1\n", 8, &lines), 1);
    ck_assert_str_eq(lines, "");
    free(lines);
    static const char odd[] = "Running in process mode (== 1e308 tasks)\nEach sender will pass "
                              "1e308 messages of 1e308 bytes\nTime: 1e-300\nTime: nan\n";
    ck_assert_int_eq(stats_builtin("hackbench", odd, sizeof odd - 1, &lines), 1);
    ck_assert_str_eq(lines, "");                /* infinite throughput: left out */
    free(lines);
}
END_TEST

START_TEST(lines)
{
    struct stats s = { 0 };
    char err[256];
    static const char ok[] = "a: 1\r\n\nb.c_%: -2.5e3\nd:\t7 \n";
    ck_assert_int_eq(stats_parse_lines("p", ok, sizeof ok - 1, &s, err, sizeof err), 0);
    ck_assert_uint_eq(s.n, 3);
    ck_assert_double_eq(get(&s, "p.b.c_%"), -2500);
    ck_assert_double_eq(get(&s, "p.d"), 7);
    static const struct { const char *text, *err; } bad[] = {
        { "a: nan\n", "line 1: value is not a finite decimal number" },
        { "x: 1\na: inf\n", "line 2: value is not a finite decimal number" },
        { "a: 1e999\n", "line 1: value is not a finite decimal number" },
        { "a: 0x10\n", "line 1: value is not a finite decimal number" },
        { "a: 1 2\n", "line 1: value is not a finite decimal number" },
        { "a: \n", "line 1: value is not a finite decimal number" },
        { "a 1\n", "line 1: not `METRIC: value`" },
        { "a:1\n", "line 1: not `METRIC: value`" },
        { "bad key: 1\n", "line 1: bad metric name" },
        { "\"q\": 1\n", "line 1: bad metric name" },
        { ": 1\n", "line 1: bad metric name" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(stats_parse_lines("p", bad[i].text, strlen(bad[i].text), &s, err, sizeof err), -1);
        ck_assert_str_eq(err, bad[i].err);
        ck_assert_uint_eq(s.n, 3);          /* nothing of a rejected text is kept */
    }
    ck_assert_int_eq(stats_parse_lines("p", "a: 1\0", 5, &s, err, sizeof err), -1);
    ck_assert_str_eq(err, "line 1: NUL byte");
    char *huge = malloc(STATS_LINE_MAX + 10);
    memset(huge, '1', STATS_LINE_MAX + 9);
    memcpy(huge, "a: ", 3);
    huge[STATS_LINE_MAX + 9] = 0;
    ck_assert_int_eq(stats_parse_lines("p", huge, strlen(huge), &s, err, sizeof err), -1);
    ck_assert_str_eq(err, "line 1: line too long");
    free(huge);
    char key[STATS_KEY_MAX + 8];
    memset(key, 'k', sizeof key);
    snprintf(key + STATS_KEY_MAX - 1, 8, ": 1\n");  /* p. + 199 bytes: 201 > 200 */
    ck_assert_int_eq(stats_parse_lines("p", key, strlen(key), &s, err, sizeof err), -1);
    ck_assert_str_eq(err, "line 1: bad metric name");
    stats_free(&s);
}
END_TEST

START_TEST(json)
{
    struct stats s = { 0 }, r = { 0 };
    char err[256], *buf;
    size_t len;
    stats_set(&s, "hackbench.throughput", 7402.8436018957345);
    stats_set(&s, "fio.latency_>=2000ms%", 0);
    stats_set(&s, "x.neg", -1.5e-7);
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(stats_write_json(f, &s), 0);
    fclose(f);
    ck_assert_str_eq(buf, "{\n  \"hackbench.throughput\": 7402.8436018957345,\n"
                          "  \"fio.latency_>=2000ms%\": 0,\n  \"x.neg\": -1.5e-07\n}\n");
    ck_assert_int_eq(stats_read_json(buf, len, &r, err, sizeof err), 0);
    ck_assert_uint_eq(r.n, 3);
    ck_assert_double_eq(get(&r, "hackbench.throughput"), 7402.8436018957345);   /* exact */
    ck_assert_double_eq(get(&r, "x.neg"), -1.5e-7);
    free(buf);
    stats_free(&r);
    ck_assert_int_eq(stats_read_json(" {} ", 4, &r, err, sizeof err), 0);
    ck_assert_uint_eq(r.n, 0);
    static const char *const bad[] = {
        "", "[]", "{\"a\": 1,}", "{\"a\": 1} x", "{\"a\": \"1\"}", "{\"a\": NaN}",
        "{\"a\": 1, \"a\": 2}", "{\"a\": {\"b\": 1}}", "{\"a b\": 1}", "{\"a\\\"\": 1}",
        "{\"a\": 1e999}", "{\"a\" 1}", "{\"a\": 1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(stats_read_json(bad[i], strlen(bad[i]), &r, err, sizeof err) == -1, "%s", bad[i]);
        ck_assert_uint_eq(r.n, 0);
    }
    stats_free(&s);
}
END_TEST

/* FNV-1a as stats.c hashed keys before its hash had a random seed. */
static size_t fnv1a(const char *k)
{
    size_t h = 14695981039346656037u;
    while (*k)
        h = (h ^ (unsigned char)*k++) * 1099511628211u;
    return h;
}

START_TEST(hash_flooding)
{
    /* The guest names the keys (vmstat, meminfo, ...): 20,000 chosen to
     * share the low bits of an unseeded FNV-1a all landed in one run of the
     * index, each lookup walking it (a 365 KB vmstat output took 21 s).
     * With the seeded hash they spread: no long run of filled slots. */
    struct stats s = { 0 };
    size_t n = 0;
    char k[24];
    for (unsigned long i = 0; n < 20000; i++) {
        snprintf(k, sizeof k, "k%lx", i);
        if ((fnv1a(k) & 0x3ffff) < 4096) {
            ck_assert_int_eq(stats_set(&s, k, 1), 0);
            n++;
        }
    }
    size_t run = 0, longest = 0;
    for (size_t i = 0; i < 2 * s.icap; i++) {       /* twice round: runs that wrap */
        run = s.idx[i % s.icap] ? run + 1 : 0;
        longest = run > longest ? run : longest;
    }
    ck_assert_msg(longest < 1000, "a run of %zu filled slots in %zu", longest, s.icap);
    ck_assert_ptr_nonnull(stats_get(&s, k));
    stats_free(&s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("stats_parsers");
    TCase *tc = tcase_create("parsers");
    tcase_add_test(tc, hackbench);
    tcase_add_test(tc, stress_ng);
    tcase_add_test(tc, fio);
    tcase_add_test(tc, monitors);
    tcase_add_test(tc, examples_and_none);
    tcase_add_test(tc, lines);
    tcase_add_test(tc, json);
    tcase_add_test(tc, hash_flooding);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
