/* stats_collect on a result directory as a guest may leave it: outputs
 * parsed by built-in and user parsers (programs/NAME/parse), bad parser
 * output rejected with one line, files the guest put in the way (links,
 * a stats.json of its own) neither followed nor written over. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "stats/collect.h"
#include "tests/unit/testutil.h"

static char dir[64], progdir[96], res[96];

static void put(const char *d, const char *name, const char *text, int mode)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", d, name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    chmod(p, mode);
}

static char *get(const char *d, const char *name)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", d, name);
    FILE *f = fopen(p, "r");
    if (!f)
        return NULL;
    char *buf = calloc(1, 1 << 16);
    fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    return buf;
}

static void setup(void)
{
    strcpy(dir, "/tmp/stats_collect.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(progdir, sizeof progdir, "%s/programs", dir);
    snprintf(res, sizeof res, "%s/result", dir);
    mkdir(progdir, 0755);
    mkdir(res, 0755);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void prog(const char *name, const char *parse)
{
    char d[160];
    snprintf(d, sizeof d, "%s/%s", progdir, name);
    mkdir(d, 0755);
    if (parse)
        put(d, "parse", parse, 0755);
}

static struct stats s;
static struct stats_prog progs[8];
static size_t nprogs;
static int rc;
static void collect(void) { rc = stats_collect("t", res, progs, nprogs, NULL, &s); }

static void add(const char *name, bool test)
{
    static char dirs[8][160];
    snprintf(dirs[nprogs], sizeof dirs[0], "%s/%s", progdir, name);
    progs[nprogs] = (struct stats_prog){ name, dirs[nprogs], test };
    nprogs++;
}

START_TEST(outputs)
{
    nprogs = 0;
    s = (struct stats){ 0 };
    prog("hackbench", NULL);
    add("hackbench", true);
    put(res, "hackbench", "Running in process mode with 2 groups using 40 file descriptors each "
                          "(== 80 tasks)\nEach sender will pass 200 messages of 100 bytes\nTime: 0.5\n", 0644);
    put(res, "hackbench.status", "0\n", 0644);
    /* a user's parser: stdin is the output, RESULT_ROOT the result directory */
    prog("mine", "#!/bin/sh\nread a b\necho \"first: $a\"\n[ -d \"$RESULT_ROOT\" ] && echo 'root: 1'\n");
    add("mine", true);
    put(res, "mine", "42 x\n", 0644);
    put(res, "mine.status", "3\n", 0644);
    /* a user's parser overrides the built-in one */
    prog("sleep", "#!/bin/sh\necho 'mine: 9'\n");
    add("sleep", true);
    put(res, "sleep", "sleep: 1 seconds\n", 0644);
    /* bad outputs of parsers */
    prog("nan", "#!/bin/sh\necho 'good: 1'\necho 'bad: nan'\n");
    add("nan", false);
    prog("fails", "#!/bin/sh\necho 'x: 1'\nexit 2\n");
    add("fails", false);
    prog("noexec", "#!/bin/sh\necho 'x: 1'\n");
    chmod(strcat(strcpy((char[200]){ 0 }, progdir), "/noexec/parse"), 0644);
    add("noexec", false);
    char *err = test_capture_stderr(collect);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(err, "/nan/parse: parser output rejected: line 2: value is not a finite decimal number\n"));
    ck_assert_ptr_nonnull(strstr(err, "/fails/parse: it exited with a non-zero status\n"));
    ck_assert_ptr_nonnull(strstr(err, "/noexec/parse: it is not executable\n"));
    int lines = 0;
    for (char *p = err; *p; p++)
        lines += *p == '\n';
    ck_assert_int_eq(lines, 3);
    free(err);
    ck_assert_double_eq_tol(*stats_get(&s, "hackbench.throughput"), 1562 / 0.5, 1e-9);
    ck_assert_double_eq(*stats_get(&s, "hackbench.exit_status"), 0);
    ck_assert_double_eq(*stats_get(&s, "mine.first"), 42);
    ck_assert_double_eq(*stats_get(&s, "mine.root"), 1);
    ck_assert_double_eq(*stats_get(&s, "mine.exit_status"), 3);
    ck_assert_double_eq(*stats_get(&s, "sleep.mine"), 9);
    ck_assert_ptr_null(stats_get(&s, "sleep.seconds"));
    ck_assert_ptr_null(stats_get(&s, "nan.good"));      /* the whole output is rejected */
    ck_assert_ptr_null(stats_get(&s, "fails.x"));
    char *j = get(res, "stats.json"), *m = get(res, "mine.json");
    ck_assert_ptr_nonnull(strstr(j, "\"hackbench.throughput\": 3124,\n"));
    ck_assert_str_eq(m, "{\n  \"mine.first\": 42,\n  \"mine.root\": 1,\n  \"mine.exit_status\": 3\n}\n");
    ck_assert_ptr_null(get(res, "nan.json"));
    free(j);
    free(m);
    stats_free(&s);
}
END_TEST

START_TEST(guest_files)
{
    char target[160], p[200];
    nprogs = 0;
    s = (struct stats){ 0 };
    snprintf(target, sizeof target, "%s/host-file", dir);
    put(dir, "host-file", "Time: 1\n", 0644);
    /* the output is a link to a host file: not followed */
    prog("hackbench", NULL);
    add("hackbench", false);
    snprintf(p, sizeof p, "%s/hackbench", res);
    ck_assert_int_eq(symlink(target, p), 0);
    /* a stats.json and a PROGRAM.json the guest made: left as they are */
    prog("uptime", NULL);
    add("uptime", false);
    put(res, "uptime", "1.5 2.5\n", 0644);
    snprintf(p, sizeof p, "%s/stats.json", res);
    ck_assert_int_eq(symlink(target, p), 0);
    put(res, "uptime.json", "guest's\n", 0644);
    /* a directory for an output */
    prog("fio", NULL);
    add("fio", false);
    snprintf(p, sizeof p, "%s/fio", res);
    mkdir(p, 0755);
    char *err = test_capture_stderr(collect);
    ck_assert_int_eq(rc, -1);
    ck_assert_ptr_nonnull(strstr(err, "t: hackbench: output not read: Too many levels of symbolic links\n"));
    ck_assert_ptr_nonnull(strstr(err, "t: fio: output not read: not a regular file\n"));
    ck_assert_ptr_nonnull(strstr(err, "/stats.json: a file of that name is there already (left by the guest?)\n"));
    ck_assert_ptr_nonnull(strstr(err, "/uptime.json: a file of that name is there already (left by the guest?)\n"));
    free(err);
    ck_assert_double_eq(*stats_get(&s, "uptime.uptime"), 1.5);     /* still judged */
    char *h = get(dir, "host-file"), *u = get(res, "uptime.json");
    ck_assert_str_eq(h, "Time: 1\n");
    ck_assert_str_eq(u, "guest's\n");
    free(h);
    free(u);
    stats_free(&s);
}
END_TEST

static int calls;
static int stop_second(void) { return ++calls > 1; }
static void collect_stop(void) { rc = stats_collect("t", res, progs, nprogs, stop_second, &s); }

START_TEST(stopped)
{
    /* a signal to minivmm (stop() says so) ends a parser that would run
     * for its whole 60 s, and nothing more is parsed */
    nprogs = 0;
    s = (struct stats){ 0 };
    prog("slow", "#!/bin/sh\nsleep 1000\n");
    add("slow", false);
    prog("uptime", NULL);
    add("uptime", false);
    put(res, "uptime", "1.5 2.5\n", 0644);
    calls = 0;
    char *err = test_capture_stderr(collect_stop);
    ck_assert_ptr_nonnull(strstr(err, "/slow/parse: interrupted: it was killed\n"));
    ck_assert_ptr_null(stats_get(&s, "uptime.uptime"));
    free(err);
    stats_free(&s);
}
END_TEST

static int closed_seen(void)
{
    char p[160];
    snprintf(p, sizeof p, "%s/closed", res);
    return access(p, F_OK) == 0;
}
static void collect_closed(void) { rc = stats_collect("t", res, progs, nprogs, closed_seen, &s); }

START_TEST(stopped_after_stdout_closed)
{
    /* a parser that closes its stdout and runs on is still bound by the
     * same limits: a signal to minivmm ends it too */
    nprogs = 0;
    s = (struct stats){ 0 };
    prog("quiet", "#!/bin/sh\nexec >/dev/null\nsleep 0.5\ntouch \"$RESULT_ROOT/closed\"\n"
                  "exec sleep 1000\n");
    add("quiet", false);
    char *err = test_capture_stderr(collect_closed);
    ck_assert_msg(strstr(err, "/quiet/parse: interrupted: it was killed\n"), "%s", err);
    free(err);
    stats_free(&s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("stats_collect");
    TCase *tc = tcase_create("collect");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, outputs);
    tcase_add_test(tc, guest_files);
    tcase_add_test(tc, stopped);
    tcase_add_test(tc, stopped_after_stdout_closed);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
