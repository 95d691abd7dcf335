/* Job compiler: YAML parsing, includes, documents, expansion, naming, value
 * rewriting, limits and error messages. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "job/job.h"
#include "tests/unit/testutil.h"

#define DATA "tests/data/job"

static const char *const prog_dirs[] = {DATA "/programs"};
static const char *const inc_dirs[] = {DATA "/include/dir"};
static char tmpdir[64];
static char errbuf[1024];
static char path[256];

static void setup_tmp(void)
{
    strcpy(tmpdir, "/tmp/job_parse.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *write_yaml(const char *name, const char *text)
{
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

static int load_text(const char *text, int nr_cpu, struct job_list *l)
{
    struct job_opts o = {.program_dirs = prog_dirs, .nprogram_dirs = 1,
                         .include_dirs = inc_dirs, .ninclude_dirs = 1, .nr_cpu = nr_cpu};
    return job_load(write_yaml("job.yaml", text), &o, l, errbuf, sizeof errbuf);
}

static void load_ok(const char *text, int nr_cpu, struct job_list *l)
{
    int r = load_text(text, nr_cpu, l);
    ck_assert_msg(r == 0, "job_load failed: %s", errbuf);
}

/* Loads TEXT expecting failure with "job.yaml:LINE:COL: " and NEEDLE in the message. */
static void load_err(const char *text, int line, int col, const char *needle)
{
    struct job_list l;
    ck_assert_int_eq(load_text(text, 4, &l), -1);
    ck_assert_ptr_null(l.v);
    char want[300];
    if (line)
        snprintf(want, sizeof want, "%s/job.yaml:%d:%d: ", tmpdir, line, col);
    else
        snprintf(want, sizeof want, "%s/job.yaml: ", tmpdir);
    ck_assert_msg(!strncmp(errbuf, want, strlen(want)), "error '%s' does not start with '%s'",
                  errbuf, want);
    ck_assert_msg(strstr(errbuf, needle), "error '%s' lacks '%s'", errbuf, needle);
    ck_assert_ptr_null(strchr(errbuf, '\n'));
}

/* With require_program (as run and compile load jobs): a job whose keys
 * name no program runs nothing, which is refused unless `params:` says so. */
START_TEST(job_that_runs_nothing)
{
    struct job_opts o = {.program_dirs = prog_dirs, .nprogram_dirs = 1, .nr_cpu = 1,
                         .require_program = true};
    struct job_list l;
    ck_assert_int_eq(job_load(write_yaml("job.yaml", "testcase: t\nzzz: 1\nyyy: [2, 3]\n"),
                              &o, &l, errbuf, sizeof errbuf), -1);
    ck_assert_msg(strstr(errbuf, "the job runs no program: none of its keys (zzz, yyy)"), "%s",
                  errbuf);
    ck_assert_msg(strstr(errbuf, "`params: [zzz, yyy]`"), "%s", errbuf);
    ck_assert_int_eq(job_load(write_yaml("job.yaml", "testcase: t\n"), &o, &l, errbuf,
                              sizeof errbuf), -1);
    ck_assert_msg(strstr(errbuf, "the job runs no program: it names none"), "%s", errbuf);
    /* Declared: meant to run nothing. */
    ck_assert_msg(job_load(write_yaml("job.yaml", "testcase: t\nparams: [zzz]\nzzz: 1\n"), &o, &l,
                           errbuf, sizeof errbuf) == 0, "%s", errbuf);
    job_list_free(&l);
    /* A job with a program is fine, as is the same job loaded without the rule. */
    ck_assert_msg(job_load(write_yaml("job.yaml", "testcase: t\nzzz: 1\nhackbench: hi\n"), &o, &l,
                           errbuf, sizeof errbuf) == 0, "%s", errbuf);
    job_list_free(&l);
    o.require_program = false;
    ck_assert_msg(job_load(write_yaml("job.yaml", "testcase: t\nzzz: 1\n"), &o, &l, errbuf,
                           sizeof errbuf) == 0, "%s", errbuf);
    job_list_free(&l);
}
END_TEST

static const char *param(struct job *j, const char *k)
{
    const char *v = job_param(j, k);
    return v ? v : "(null)";
}

START_TEST(hackbench_expansion_and_names)
{
    struct job_list l;
    load_ok("testcase: hackbench\n"
            "hackbench:\n"
            "  ipc: [pipe, socket]\n"
            "  iterations: 8\n"
            "  mode: threads\n"
            "nr_threads: [50%, 200%]\n"
            "category: benchmark\n",
            4, &l);
    ck_assert_uint_eq(l.n, 4);
    /* the first list in file order varies slowest */
    ck_assert_str_eq(job_name(l.v[0]), "job-pipe-8-threads-50%");
    ck_assert_str_eq(job_name(l.v[1]), "job-pipe-8-threads-200%");
    ck_assert_str_eq(job_name(l.v[2]), "job-socket-8-threads-50%");
    ck_assert_str_eq(job_name(l.v[3]), "job-socket-8-threads-200%");
    ck_assert_str_eq(job_testcase(l.v[0]), "hackbench");
    ck_assert_str_eq(param(l.v[0], "nr_threads"), "2");
    ck_assert_str_eq(param(l.v[1], "nr_threads"), "8");
    ck_assert_str_eq(param(l.v[1], "category"), "benchmark");
    ck_assert_ptr_null(job_kernel_cmdline(l.v[0]));
    ck_assert_int_eq(job_timeout(l.v[0]), -1);
    ck_assert_uint_eq(job_nprograms(l.v[0]), 1);
    ck_assert_str_eq(job_program_name(l.v[0], 0), "hackbench");
    ck_assert_int_eq(job_program_type(l.v[0], 0), JOB_PROG_TEST);
    char *sh = job_to_shell(l.v[2]);
    ck_assert_ptr_nonnull(sh);
    ck_assert_ptr_nonnull(strstr(sh, "\trun_test ipc='socket' iterations=8 mode='threads' 'hackbench'\n"));
    ck_assert_ptr_nonnull(strstr(sh, "\texport nr_threads=2\n"));
    free(sh);
    job_list_free(&l);
}
END_TEST

START_TEST(nr_threads_percent)
{
    static const struct {
        int cpus;
        const char *in, *out;
    } t[] = {
        /* lkp's params/nr_threads: (N.M * cpus / 100).to_i (0 is refused, below) */
        {3, "50%", "1"}, {3, "34%", "1"}, {3, "100%", "3"}, {3, "1600%", "48"},
        {8, "50%", "4"}, {8, "7", "7"}, {1, "200%", "2"}, {64, "33%", "21"},
        {8, "12.5%", "1"}, {3, "33.4%", "1"}, {2, "4t", "4"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char y[128];
        struct job_list l;
        snprintf(y, sizeof y, "testcase: t\nnr_threads: %s\n", t[i].in);
        load_ok(y, t[i].cpus, &l);
        ck_assert_msg(!strcmp(param(l.v[0], "nr_threads"), t[i].out), "%d cpus, %s: got %s want %s",
                      t[i].cpus, t[i].in, param(l.v[0], "nr_threads"), t[i].out);
        job_list_free(&l);
    }
    /* also as a program option */
    struct job_list l;
    load_ok("testcase: t\ncheck:\n  nr_threads: 25%\n", 16, &l);
    char *sh = job_to_shell(l.v[0]);
    ck_assert_ptr_nonnull(strstr(sh, "run_test nr_threads=4 'check'"));
    free(sh);
    job_list_free(&l);
    /* a percentage without a CPU count, or a bad value, is an error */
    struct job_list l2;
    ck_assert_int_eq(load_text("testcase: t\nnr_threads: 50%\n", 0, &l2), -1);
    ck_assert_ptr_nonnull(strstr(errbuf, "job.yaml:2:13: nr_threads"));
    load_err("testcase: t\nnr_threads: half\n", 2, 13, "bad value 'half'");
    /* 0 threads: lkp's filters/nr_threads drops such a job; none left is an error */
    load_err("testcase: t\nnr_threads: 1%\n", 0, 0, "every job has nr_threads 0 on 4 CPUs");
    load_err("testcase: t\nnr_threads: 0\n", 0, 0, "every job has nr_threads 0");
    load_ok("testcase: t\nnr_threads: [1%, 0, 50%]\n", 4, &l);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_str_eq(param(l.v[0], "nr_threads"), "2");
    job_list_free(&l);
}
END_TEST

START_TEST(value_rewriting)
{
    struct job_list l;
    load_ok("testcase: t\nruntime: 300s\niterations: 100x\ntimeout: 5m\n"
            "kernel_cmdline: quiet 'x=1'\ncheck:\n  runtime: 2h\n",
            1, &l);
    ck_assert_str_eq(param(l.v[0], "runtime"), "300");
    ck_assert_str_eq(param(l.v[0], "iterations"), "100");
    ck_assert_str_eq(param(l.v[0], "timeout"), "300");
    ck_assert_int_eq(job_timeout(l.v[0]), 300);
    ck_assert_str_eq(job_kernel_cmdline(l.v[0]), "quiet 'x=1'");
    char *sh = job_to_shell(l.v[0]);
    ck_assert_ptr_nonnull(strstr(sh, "run_test runtime=7200 'check'"));
    free(sh);
    job_list_free(&l);
    load_ok("testcase: t\nruntime: 10\ntimeout: 1d\n", 1, &l);
    ck_assert_str_eq(param(l.v[0], "runtime"), "10");
    ck_assert_int_eq(job_timeout(l.v[0]), 86400);
    job_list_free(&l);
    load_err("testcase: t\nruntime: 5x\n", 2, 10, "bad duration '5x'");
    load_err("testcase: t\ntimeout: -1\n", 2, 10, "bad duration");
    load_err("testcase: t\niterations: 3y\n", 2, 13, "bad count");
    load_err("testcase: t\nruntime: 99999999999999999999999s\n", 2, 10, "bad duration");
}
END_TEST

START_TEST(several_documents)
{
    struct job_list l;
    load_ok("testcase: multi\na: 1\nb: 2\n---\nb: 3\nc: new\n---\na: [4, 5]\n", 1, &l);
    ck_assert_uint_eq(l.n, 4);
    /* nothing declared names them: job-defaults, made unique */
    ck_assert_str_eq(job_name(l.v[0]), "job-defaults");
    ck_assert_str_eq(param(l.v[0], "b"), "2");
    ck_assert_str_eq(param(l.v[0], "c"), "(null)");
    ck_assert_str_eq(job_name(l.v[1]), "job-defaults-2"); /* same name made unique */
    ck_assert_str_eq(param(l.v[1], "a"), "1");
    ck_assert_str_eq(param(l.v[1], "b"), "3");
    ck_assert_str_eq(param(l.v[1], "c"), "new");
    /* replaced keys keep their place, new ones are appended */
    ck_assert_str_eq(job_param_key(l.v[1], 2), "b");
    ck_assert_str_eq(job_param_key(l.v[1], 3), "c");
    ck_assert_str_eq(job_name(l.v[2]), "job-defaults-3");
    ck_assert_str_eq(param(l.v[2], "b"), "2");
    ck_assert_str_eq(job_name(l.v[3]), "job-defaults-4");
    ck_assert_str_eq(param(l.v[3], "c"), "(null)");
    job_list_free(&l);
}
END_TEST

START_TEST(program_values)
{
    struct job_list l;
    load_ok("check:\n- 1\n- \"a 'b c' \\\"d\\\\\\\"e\\\" f\\\\ g\"\n- \n- greeting: [hi, yo]\n", 1, &l);
    ck_assert_uint_eq(l.n, 5);
    /* no testcase: the file name */
    ck_assert_str_eq(job_testcase(l.v[0]), "job");
    ck_assert_str_eq(job_name(l.v[0]), "job-1");
    ck_assert_str_eq(job_name(l.v[1]), "job-a__b_c___d__e__f__g");
    ck_assert_str_eq(job_name(l.v[2]), "job-defaults");
    ck_assert_str_eq(job_name(l.v[3]), "job-hi");
    ck_assert_str_eq(job_name(l.v[4]), "job-yo");
    char *sh = job_to_shell(l.v[1]);
    ck_assert_ptr_nonnull(strstr(sh, "\trun_test 'check' 'a' 'b c' 'd\"e' 'f g'\n"));
    free(sh);
    sh = job_to_shell(l.v[2]);
    ck_assert_ptr_nonnull(strstr(sh, "\trun_test 'check'\n"));
    free(sh);
    sh = job_to_shell(l.v[4]);
    ck_assert_ptr_nonnull(strstr(sh, "\trun_test greeting='yo' 'check'\n"));
    free(sh);
    job_list_free(&l);
    load_err("testcase: t\ncheck: \"a 'b\"\n", 2, 8, "unterminated quote");
}
END_TEST

START_TEST(name_parts_cut_and_mapped)
{
    struct job_list l;
    load_ok("testcase: \"my test/1\"\n"
            "check:\n"
            "long: [\"abcdefghijklmnopqrstuvwxyz0123456789\", \"\\u00e9t\\u00e9 x\"]\n"
            "fixed: not-in-name\n",
            1, &l);
    ck_assert_uint_eq(l.n, 2);
    /* each part at most 31 characters; characters outside [-a-zA-Z0-9+=:.%] -> '_' */
    ck_assert_str_eq(job_name(l.v[0]), "job-abcdefghijklmnopqrstuvwxyz01234");
    ck_assert_str_eq(job_name(l.v[1]), "job-_t__x");
    ck_assert_str_eq(job_testcase(l.v[0]), "my test/1");
    job_list_free(&l);
    /* monitors' values are not part of the name; a leading dot is not kept */
    struct job_opts o = {.program_dirs = prog_dirs, .nprogram_dirs = 1, .nr_cpu = 1};
    ck_assert_int_eq(job_load(write_yaml(".hidden.yaml", "watch:\n  interval: 5\nprep: fs\n"), &o,
                              &l, errbuf, sizeof errbuf), 0);
    ck_assert_str_eq(job_name(l.v[0]), "_hidden-fs");
    job_list_free(&l);
}
END_TEST

START_TEST(includes)
{
    struct job_opts o = {.program_dirs = prog_dirs, .nprogram_dirs = 1,
                         .include_dirs = inc_dirs, .ninclude_dirs = 1, .nr_cpu = 1};
    struct job_list l;
    int r = job_load(DATA "/include/main.yaml", &o, &l, errbuf, sizeof errbuf);
    ck_assert_msg(r == 0, "%s", errbuf);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_str_eq(job_param_key(l.v[0], 0), "testcase");
    ck_assert_str_eq(job_param_key(l.v[0], 1), "local");
    ck_assert_str_eq(job_param_key(l.v[0], 2), "shared");
    ck_assert_str_eq(param(l.v[0], "local"), "from-common"); /* pasted later: wins */
    ck_assert_str_eq(param(l.v[0], "shared"), "from-common");
    char *sh = job_to_shell(l.v[0]);
    ck_assert_ptr_nonnull(strstr(sh, "run_test greeting='hello' mine=1 'check'"));
    free(sh);
    job_list_free(&l);

    r = job_load(DATA "/include/main2.yaml", &o, &l, errbuf, sizeof errbuf);
    ck_assert_msg(r == 0, "%s", errbuf);
    ck_assert_str_eq(param(l.v[0], "where"), "include-path");
    job_list_free(&l);

    o.ninclude_dirs = 0;
    ck_assert_int_eq(job_load(DATA "/include/main2.yaml", &o, &l, errbuf, sizeof errbuf), -1);
    ck_assert_str_eq(errbuf, DATA "/include/main2.yaml:2:5: include file 'fromdir.yaml' not "
                             "found (beside " DATA "/include/main2.yaml)");

    ck_assert_int_eq(job_load(DATA "/include/loop-a.yaml", &o, &l, errbuf, sizeof errbuf), -1);
    ck_assert_str_eq(errbuf, DATA "/include/loop-b.yaml:2:5: include loop: 'loop-a.yaml' is "
                             "already being loaded");

    /* lkp's map form: {file: F, KEY: VALUE} */
    r = job_load(DATA "/include/mapform.yaml", &o, &l, errbuf, sizeof errbuf);
    ck_assert_msg(r == 0, "%s", errbuf);
    ck_assert_str_eq(param(l.v[0], "shared"), "from-common");
    job_list_free(&l);
}
END_TEST

START_TEST(self_include_and_deep_includes)
{
    struct job_list l;
    load_err("testcase: t\n<<: job.yaml\n", 2, 5, "include loop");
    /* a chain of 12 distinct files is deeper than the limit */
    for (int i = 0; i < 12; i++) {
        char name[32], text[64];
        snprintf(name, sizeof name, "c%d.yaml", i);
        snprintf(text, sizeof text, "k%d: 1\n<<: c%d.yaml\n", i, i + 1);
        write_yaml(name, text);
    }
    write_yaml("c12.yaml", "end: 1\n");
    ck_assert_int_eq(load_text("testcase: t\n<<: c0.yaml\n", 1, &l), -1);
    ck_assert_ptr_nonnull(strstr(errbuf, "includes nested too deeply"));
}
END_TEST

START_TEST(malformed_yaml)
{
    load_err("testcase: t\na: [1, 2\nb: 3\n", 3, 2, "did not find expected ',' or ']' while parsing a flow sequence (line 2:4)");
    load_err("testcase: t\n  bad indent: 1\n", 2, 13, "mapping values are not allowed");
    load_err("testcase: t\na: \"unterminated\n", 3, 1, "found unexpected end of stream");
    load_err("", 0, 0, "empty job file");
    load_err("- a\n- b\n", 1, 1, "must be a mapping");
}
END_TEST

START_TEST(unsupported_syntax)
{
    load_err("testcase: t\nx: <% foo %>\n", 2, 4, "ERB");
    load_err("testcase: t\na: &anchor 1\n", 2, 4, "anchors (&anchor)");
    load_err("testcase: t\nb: *x\n", 2, 4, "aliases (*x)");
    load_err("testcase: t\n<<: *base\n", 2, 5, "aliases (*base)");
    load_err("testcase: t\na: !ruby/object 1\n", 2, 4, "tags (!ruby/object)");
    load_err("testcase: t\n? [a, b]\n: 1\n", 2, 3, "complex keys");
    /* lkp syntax now taken (tests/unit/job_lkpsyntax.c); these stay errors */
    load_err("testcase: t\ncheck:\n  1opt: 1\n", 3, 3, "not a valid shell variable name");
    load_err("testcase: t\nx: [{{ 1 }}]\n", 2, 6, "complex keys");
    load_err("testcase: t\n\"{{ a }}\": 1\n", 2, 1, "not evaluated in keys");
    load_err("testcase: t\ncheck:\n  opt:\n    deep: 1\n", 4, 5, "a map is not allowed");
    load_err("testcase: t\na: [[1]]\n", 2, 5, "list items must be plain values");
    load_err("testcase: t\na: []\n", 2, 4, "empty list");
    load_err("testcase: t\na: 1\na: 2\n", 3, 1, "duplicate key 'a' (first at line 2:1)");
    load_err("testcase: t\nx: \"a\\0b\"\n", 2, 4, "NUL");
    load_err("testcase: \"\"\n", 1, 11, "testcase must not be empty");
    load_err("testcase: t\nnoexec:\n", 2, 1, "is not executable");
}
END_TEST

START_TEST(hostile_sizes)
{
    /* deep nesting */
    char deep[200] = "a: ";
    for (int i = 0; i < 40; i++)
        strcat(deep, "[");
    for (int i = 0; i < 40; i++)
        strcat(deep, "]");
    strcat(deep, "\n");
    load_err(deep, 1, 36, "nested too deeply");
    /* a big file */
    size_t big = JOB_MAX_FILE_SIZE + 10;
    char *text = malloc(big + 1);
    ck_assert_ptr_nonnull(text);
    memset(text, '#', big);
    text[big] = 0;
    load_err(text, 0, 0, "file too large");
    free(text);
}
END_TEST

START_TEST(expansion_limit)
{
    struct job_list l;
    /* 10 x 10 x 10 = 1000: allowed */
    const char *ten = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]";
    char y[512];
    snprintf(y, sizeof y, "testcase: t\na: %s\nb: %s\ncheck:\n  c: %s\n", ten, ten, ten);
    load_ok(y, 1, &l);
    ck_assert_uint_eq(l.n, 1000);
    ck_assert_str_eq(job_name(l.v[999]), "job-9-9-9");
    ck_assert_str_eq(job_name(l.v[123]), "job-1-2-3");
    job_list_free(&l);
    /* one more value: 1100 */
    snprintf(y, sizeof y, "testcase: t\na: %s\nb: %s\ncheck:\n  c: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, x]\n",
             ten, ten);
    load_err(y, 0, 0, "expands into more than 1000 jobs");
    /* a product that would overflow is caught too */
    char *huge = malloc(8192);
    ck_assert_ptr_nonnull(huge);
    strcpy(huge, "testcase: t\n");
    for (int i = 0; i < 60; i++)
        sprintf(huge + strlen(huge), "k%d: [a, b, c, d, e, f, g, h]\n", i);
    load_err(huge, 0, 0, "more than 1000 jobs");
    free(huge);
    /* over several documents */
    snprintf(y, sizeof y, "testcase: t\na: %s\nb: %s\n---\nc: %s\n", ten, ten, ten);
    load_err(y, 0, 0, "more than 1000 jobs");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("job_parse");
    TCase *tc = tcase_create("parse");
    tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, hackbench_expansion_and_names);
    tcase_add_test(tc, nr_threads_percent);
    tcase_add_test(tc, value_rewriting);
    tcase_add_test(tc, several_documents);
    tcase_add_test(tc, program_values);
    tcase_add_test(tc, name_parts_cut_and_mapped);
    tcase_add_test(tc, includes);
    tcase_add_test(tc, self_include_and_deep_includes);
    tcase_add_test(tc, malformed_yaml);
    tcase_add_test(tc, unsupported_syntax);
    tcase_add_test(tc, hostile_sizes);
    tcase_add_test(tc, expansion_limit);
    tcase_add_test(tc, job_that_runs_nothing);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
