/* Job compiler: the generated shell script run by real shells with the guest
 * runtime (job/runtime.sh), exact quoting, run order, exit status, the YAML
 * output and the `minivmm compile` command. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "job/job.h"
#include "tests/unit/jobfiles.h"

#define DATA "tests/data/job"

static char errbuf[1024];
static char progdir[PATH_MAX], runtime[PATH_MAX];
static const char *prog_dirs[1];

static void setup_tmp(void)
{
    strcpy(tmpdir, "/tmp/job_shell.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    ck_assert_ptr_nonnull(realpath(DATA "/programs", progdir));
    ck_assert_ptr_nonnull(realpath("job/runtime.sh", runtime));
    prog_dirs[0] = progdir;
    /* compile's default programs: the checkout's (the test runs at its top) */
    char top[PATH_MAX];
    ck_assert_ptr_nonnull(realpath(".", top));
    ck_assert_int_eq(setenv("MINIVMM_DATADIR", top, 1), 0);
}

static void load_ok(const char *text, struct job_list *l)
{
    struct job_opts o = {.program_dirs = prog_dirs, .nprogram_dirs = 1, .nr_cpu = 2};
    char *p = tmp_path("job.yaml");
    write_file(p, text);
    int r = job_load(p, &o, l, errbuf, sizeof errbuf);
    ck_assert_msg(r == 0, "job_load: %s", errbuf);
}

static char *write_script(struct job *j)
{
    char *sh = job_to_shell(j);
    ck_assert_ptr_nonnull(sh);
    static char p[256];
    snprintf(p, sizeof p, "%s/job.sh", tmpdir);
    write_file(p, sh);
    free(sh);
    return p;
}

/* Runs argv with env additions; returns the exit status, stdout in *out. */
static int run(char *const argv[], char **out)
{
    int pfd[2];
    ck_assert_int_eq(pipe(pfd), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        setenv("MINIVMM_RUNTIME", runtime, 1);
        setenv("MINIVMM_PROGRAMS", progdir, 1);
        setenv("RESULT_ROOT", tmp_path("result"), 1);
        setenv("ORDER_LOG", tmp_path("order.log"), 1);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(pfd[1]);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    ssize_t r;
    while ((r = read(pfd[0], buf + len, cap - 1 - len)) > 0)
        len += (size_t)r;
    buf[len] = 0;
    close(pfd[0]);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    if (out)
        *out = buf;
    else
        free(buf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static const struct {
    const char *key, *yaml, *want;
} nasty[] = {
    {"v1", "\"it's\"", "it's"},
    {"v2", "'say \"hi\"'", "say \"hi\""},
    {"v3", "\"$HOME $(id) `id` ${x} $1\"", "$HOME $(id) `id` ${x} $1"},
    {"v4", "\"back\\\\slash \\\\n \\\\\"", "back\\slash \\n \\"},
    {"v5", "\"line1\\nline2\\n\\n\"", "line1\nline2\n\n"},
    {"v6", "\"  spaces  \\t tab \"", "  spaces  \t tab "},
    {"v7", "\"*?[a]~!#&;|<>(){}\"", "*?[a]~!#&;|<>(){}"},
    {"v8", "\"'\"", "'"},
    {"v9", "\"''\\\"\\\"''\"", "''\"\"''"},
    {"v10", "\"0123\"", "0123"},
    {"v11", "-n", "-n"},
    {"v12", "\"\\u00fcn\\u00efc\\u00f6d\\u00e9 \\u2603\"", "\xc3\xbcn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9 \xe2\x98\x83"},
    {"v13", "\"\"", ""},
    {"v14", "", ""},
    {"v15", "12345", "12345"},
    {"v16", "\"a'\\\\''b\"", "a'\\''b"},
    {"v17", "\"\\r\\x01\\x7f end\"", "\r\x01\x7f end"},
    {"v18", "\"%s %d \\\\x41\"", "%s %d \\x41"},
};
#define NNASTY (sizeof nasty / sizeof nasty[0])

static void check_exports(const char *shell)
{
    struct job_list l;
    char yaml[4096] = "testcase: quoting\n";
    for (size_t i = 0; i < NNASTY; i++)
        snprintf(yaml + strlen(yaml), sizeof yaml - strlen(yaml), "%s: %s\n", nasty[i].key,
                 nasty[i].yaml);
    load_ok(yaml, &l);
    ck_assert_uint_eq(l.n, 1);
    char *script = write_script(l.v[0]);
    for (size_t i = 0; i < NNASTY; i++) {
        ck_assert_str_eq(job_param(l.v[0], nasty[i].key) ? job_param(l.v[0], nasty[i].key) : "",
                         nasty[i].want);
        char cmd[256];
        /* sourcing runs nothing (no arguments for the final "$@") */
        snprintf(cmd, sizeof cmd, ". \"$0\" >/dev/null; export_top_env; printf %%s \"$%s\"",
                 nasty[i].key);
        char *out;
        int st;
        if (!strcmp(shell, "busybox")) {
            char *argv[] = {"busybox", "sh", "-c", cmd, script, NULL};
            st = run(argv, &out);
        } else {
            char *argv[] = {(char *)shell, "-c", cmd, script, NULL};
            st = run(argv, &out);
        }
        ck_assert_int_eq(st, 0);
        ck_assert_msg(!strcmp(out, nasty[i].want), "%s: %s: got [%s] want [%s]", shell,
                      nasty[i].key, out, nasty[i].want);
        free(out);
    }
    /* the exported values reach a child process unchanged, too */
    char *argv[] = {(char *)(strcmp(shell, "busybox") ? shell : "/bin/sh"), "-c",
                    ". \"$0\"; export_top_env; env -0 | grep -z '^v5=' | tr -d '\\0'", script,
                    NULL};
    char *out;
    ck_assert_int_eq(run(argv, &out), 0);
    ck_assert_str_eq(out, "v5=line1\nline2\n\n");
    free(out);
    job_list_free(&l);
}

START_TEST(quoting_dash)
{
    check_exports("/bin/sh");
}
END_TEST

START_TEST(quoting_busybox)
{
    /* the guest's shell; the test fails rather than skips without it */
    ck_assert_msg(system("busybox true") == 0, "busybox is needed for this test");
    check_exports("busybox");
}
END_TEST

START_TEST(script_shape)
{
    struct job_list l;
    load_ok("testcase: shape\ncheck: 7\nprep:\nx: 1\n", &l);
    char *sh = job_to_shell(l.v[0]);
    ck_assert_ptr_nonnull(sh);
    ck_assert(!strncmp(sh, "#!/bin/sh\n", 10));
    ck_assert_ptr_nonnull(strstr(sh, "\nexport_top_env()\n{\n"));
    ck_assert_ptr_nonnull(strstr(sh, "\texport testcase='shape'\n\texport x=1\n}\n"));
    ck_assert_ptr_nonnull(strstr(sh, "\nrun_job()\n{\n"));
    ck_assert_ptr_nonnull(strstr(sh, "\nextract_stats()\n{\n"));
    size_t n = strlen(sh);
    ck_assert(n > 6 && !strcmp(sh + n - 6, "\n\"$@\"\n"));
    /* setups first (and stop the job when they fail), whatever the file order */
    char *setup = strstr(sh, "\trun_setup 'prep' || return\n");
    char *test = strstr(sh, "\trun_test 'check' 7\n");
    ck_assert_ptr_nonnull(setup);
    ck_assert_ptr_nonnull(test);
    ck_assert(setup < test);
    free(sh);
    job_list_free(&l);
}
END_TEST

START_TEST(run_order_and_results)
{
    struct job_list l;
    /* file order: test, monitor, setup; run order: setup, monitor, test */
    load_ok("testcase: order\ncheck:\n  greeting: \"hi 'there' $x\"\nwatch:\nprep: a b\n", &l);
    ck_assert_uint_eq(job_nprograms(l.v[0]), 3);
    ck_assert_str_eq(job_program_name(l.v[0], 0), "prep");
    ck_assert_int_eq(job_program_type(l.v[0], 0), JOB_PROG_SETUP);
    ck_assert_str_eq(job_program_name(l.v[0], 1), "watch");
    ck_assert_int_eq(job_program_type(l.v[0], 1), JOB_PROG_MONITOR);
    ck_assert_str_eq(job_program_name(l.v[0], 2), "check");
    char want_dir[PATH_MAX + 16];
    snprintf(want_dir, sizeof want_dir, "%s/check", progdir);
    ck_assert_str_eq(job_program_dir(l.v[0], 2), want_dir);
    char *sh = job_to_shell(l.v[0]);
    char *a = strstr(sh, "run_setup"), *b = strstr(sh, "run_monitor"), *c = strstr(sh, "run_test");
    ck_assert(a && b && c && a < b && b < c);
    free(sh);
    char *script = write_script(l.v[0]);
    char *argv[] = {"/bin/sh", script, "run_job", NULL};
    char *out;
    ck_assert_int_eq(run(argv, &out), 0);
    free(out);
    char *log = read_file(tmp_path("order.log"));
    ck_assert_str_eq(log, "setup\nmonitor\ntest\n");
    free(log);
    char *res = read_file(tmp_path("result/check"));
    ck_assert_str_eq(res, "greeting=hi 'there' $x\nargs=0\n");
    free(res);
    res = read_file(tmp_path("result/prep"));
    ck_assert_str_eq(res, "prep ran: a b\n");
    free(res);
    res = read_file(tmp_path("result/check.status"));
    ck_assert_str_eq(res, "0\n");
    free(res);
    char *argv2[] = {"/bin/sh", script, "extract_stats", NULL};
    ck_assert_int_eq(run(argv2, &out), 0);
    ck_assert_str_eq(out, "check.exit_status: 0\n");
    free(out);
    job_list_free(&l);
}
END_TEST

START_TEST(exit_status_propagates)
{
    struct job_list l;
    load_ok("testcase: st\ncheck: 3\n", &l);
    char *script = write_script(l.v[0]);
    char *argv[] = {"/bin/sh", script, "run_job", NULL};
    char *out;
    ck_assert_int_eq(run(argv, &out), 3);
    ck_assert_ptr_nonnull(strstr(out, "test check: exit status 3"));
    free(out);
    char *argv2[] = {"/bin/sh", script, "extract_stats", NULL};
    ck_assert_int_eq(run(argv2, &out), 0);
    ck_assert_str_eq(out, "check.exit_status: 3\n");
    free(out);
    job_list_free(&l);
    /* a failing setup stops the job before the test, with its status */
    teardown_tmp();
    setup_tmp();
    load_ok("testcase: st\ncheck:\nbadprep:\n", &l);
    script = write_script(l.v[0]);
    char *argv3[] = {"/bin/sh", script, "run_job", NULL};
    ck_assert_int_eq(run(argv3, &out), 4);
    free(out);
    ck_assert_int_eq(access(tmp_path("result/check"), F_OK), -1);
    char *res = read_file(tmp_path("result/badprep"));
    ck_assert_str_eq(res, "setup failing\n");
    free(res);
    job_list_free(&l);
}
END_TEST

START_TEST(yaml_round_trip)
{
    struct job_list l, l2;
    load_ok("testcase: rt\nq: \"it's \\\"x\\\"\\nline $y\"\nn: \"null\"\ne:\nruntime: 5m\n"
            "nr_threads: 50%\ncheck:\n  greeting: \"~\"\n  other: [a, b]\nprep: \"'a b' c\"\n",
            &l);
    ck_assert_uint_eq(l.n, 2);
    char *y = job_to_yaml(l.v[1]);
    ck_assert_ptr_nonnull(y);
    ck_assert_ptr_null(strstr(y, "[a, b]"));
    char *p = tmp_path("rt.yaml");
    write_file(p, y);
    free(y);
    struct job_opts o = {.program_dirs = prog_dirs, .nprogram_dirs = 1, .nr_cpu = 2};
    ck_assert_msg(job_load(p, &o, &l2, errbuf, sizeof errbuf) == 0, "%s", errbuf);
    ck_assert_uint_eq(l2.n, 1);
    char *s1 = job_to_shell(l.v[1]), *s2 = job_to_shell(l2.v[0]);
    /* identical from export_top_env() on (the comment names the job) */
    ck_assert_str_eq(strstr(s1, "export_top_env()"), strstr(s2, "export_top_env()"));
    ck_assert_ptr_nonnull(strstr(s1, "export n='null'\n"));
    ck_assert_ptr_nonnull(strstr(s1, "export e=''\n"));
    ck_assert_ptr_nonnull(strstr(s1, "run_test greeting='~' other='b' 'check'"));
    ck_assert_ptr_nonnull(strstr(s1, "run_setup 'prep' 'a b' 'c' || return"));
    free(s1);
    free(s2);
    job_list_free(&l);
    job_list_free(&l2);
}
END_TEST

START_TEST(compile_command)
{
    char *yaml = tmp_path("two.yaml");
    write_file(yaml, "testcase: two\ncheck: [1, 2]\n");
    char *outdir = tmp_path("out");
    ck_assert_int_eq(mkdir(outdir, 0755), 0);
    char *argv[] = {"compile", yaml, "--programs", progdir, "-o", outdir, NULL};
    ck_assert_int_eq(job_compile_main(6, argv), 0);
    char p[512];
    snprintf(p, sizeof p, "%s/two-2.sh", outdir);
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert(st.st_mode & S_IXUSR);
    snprintf(p, sizeof p, "%s/two-1.yaml", outdir);
    char *t = read_file(p);
    ck_assert_ptr_nonnull(strstr(t, "check: 1"));
    free(t);
    char *argv_sh[] = {"/bin/sh", tmp_path("out/two-2.sh"), "run_job", NULL};
    char *out;
    ck_assert_int_eq(run(argv_sh, &out), 2);
    free(out);
    /* bad usage and bad input: 255 */
    char *bad1[] = {"compile", NULL};
    ck_assert_int_eq(job_compile_main(1, bad1), 255);
    char *bad2[] = {"compile", yaml, "--frobnicate", NULL};
    ck_assert_int_eq(job_compile_main(3, bad2), 255);
    char *bad3[] = {"compile", yaml, "-o", yaml, NULL}; /* -o names a file */
    ck_assert_int_eq(job_compile_main(4, bad3), 255);
    char *bad4[] = {"compile", tmp_path("nope.yaml"), NULL};
    ck_assert_int_eq(job_compile_main(2, bad4), 255);
    char *bad5[] = {"compile", yaml, "--nr-cpu", "0", NULL};
    ck_assert_int_eq(job_compile_main(4, bad5), 255);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("job_shell");
    TCase *tc = tcase_create("shell");
    tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, quoting_dash);
    tcase_add_test(tc, quoting_busybox);
    tcase_add_test(tc, script_shape);
    tcase_add_test(tc, run_order_and_results);
    tcase_add_test(tc, exit_status_propagates);
    tcase_add_test(tc, yaml_round_trip);
    tcase_add_test(tc, compile_command);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
