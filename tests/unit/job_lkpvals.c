/* Job compiler with --lkp-src: values as lkp's job2sh writes them
 * (docs/jobs.md "--lkp-src", "Checked against lkp"): a value with `$` in
 * double quotes (the guest shell expands it), YAML 1.1 booleans read as
 * Ruby's Psych reads them, `timeout: 4h` exported as written while the runner
 * gets seconds.  Without --lkp-src, minivmm's rules stay. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "job/job.h"
#include "tests/unit/jobfiles.h"

#define MINI "tests/lkp/src-mini"

static char errbuf[1024];
static char lkpdir[PATH_MAX];
static const char *no_dirs[1];

static void setup_tmp(void)
{
    strcpy(tmpdir, "/tmp/job_lkpvals.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    ck_assert_ptr_nonnull(realpath(MINI, lkpdir));
    char top[PATH_MAX];
    ck_assert_ptr_nonnull(realpath(".", top));
    ck_assert_int_eq(setenv("MINIVMM_DATADIR", top, 1), 0);
}

/* Loads TEXT with (LKP 1) or without --lkp-src: 0 or -1 (errbuf). */
static int load(const char *text, int lkp, struct job_list *l)
{
    struct job_opts o = {.program_dirs = no_dirs, .nprogram_dirs = 0, .nr_cpu = 2,
                         .memory = 512ULL << 20, .lkp_src = lkp ? lkpdir : NULL};
    char *p = tmp_path("job.yaml");
    write_file(p, text);
    return job_load(p, &o, l, errbuf, sizeof errbuf);
}

static char *script_of(const char *text, int lkp, struct job_list *l)
{
    ck_assert_msg(load(text, lkp, l) == 0, "job_load: %s", errbuf);
    ck_assert_uint_ge(l->n, 1);
    char *sh = job_to_shell(l->v[0]);
    ck_assert_ptr_nonnull(sh);
    return sh;
}

static void has(const char *sh, const char *line)
{
    ck_assert_msg(strstr(sh, line) != NULL, "want '%s' in:\n%s", line, sh);
}

/* What `sh` prints for the script SH's export_top_env, then CMD. */
static char *shell_value(const char *sh, const char *cmd)
{
    char *p = tmp_path("job.sh");
    write_file(p, sh);
    char *out = tmp_path("out");
    char c[PATH_MAX * 3];
    snprintf(c, sizeof c, "sh -c '. %s; export_top_env; %s' >%s 2>&1", p, cmd, out);
    int st = system(c);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "sh failed: %s", read_file(out));
    return read_file(out);
}

START_TEST(dollar_values_double_quoted)
{
    struct job_list l = {0};
    const char *text = "testcase: t\n"
                       "nr_node: $(echo a b | wc -w)\n"
                       "mvhello:\n"
                       "  greeting: 0-$((nr_node-1))\n"
                       "  count: it's\n"
                       "mvprep: $HOME x\n";
    char *sh = script_of(text, 1, &l);
    has(sh, "\texport nr_node=\"$(echo a b | wc -w)\"\n");
    has(sh, "run_test greeting=\"0-$((nr_node-1))\" count=\"it's\" 'mvhello/run'");
    has(sh, "run_setup 'mvprep/setup' \"$HOME\" 'x'");
    char *v = shell_value(sh, "echo \"[$nr_node]\"");
    ck_assert_str_eq(v, "[2]\n"); /* the shell ran it, as lkp's guest does */
    free(v);
    free(sh);
    job_list_free(&l);

    /* without --lkp-src: byte for byte, as before */
    sh = script_of("testcase: t\nnr_node: $(echo a b | wc -w)\nmvhello:\n", 0, &l);
    has(sh, "\texport nr_node='$(echo a b | wc -w)'\n");
    v = shell_value(sh, "echo \"[$nr_node]\"");
    ck_assert_str_eq(v, "[$(echo a b | wc -w)]\n");
    free(v);
    free(sh);
    job_list_free(&l);
}
END_TEST

START_TEST(dollar_values_other_quoting)
{
    struct job_list l = {0};
    /* lkp's single-quote class, Shellwords.escape for the rest (the value
     * byte for byte either way), nothing for an empty value */
    char *sh = script_of("testcase: t\n"
                         "a: x y\n"
                         "b: \"say \\\"$x\\\"\"\n"
                         "c: a`b`$x\n"
                         "d: ''\n"
                         "e: 12\n"
                         "mvhello:\n",
                         1, &l);
    has(sh, "\texport a='x y'\n");
    has(sh, "\texport b='say \"$x\"'\n");
    has(sh, "\texport c='a`b`$x'\n");
    has(sh, "\texport d=\n");
    has(sh, "\texport e=12\n");
    free(sh);
    job_list_free(&l);
}
END_TEST

START_TEST(dollar_unclosed_refused)
{
    struct job_list l = {0};
    ck_assert_int_eq(load("testcase: t\nx: $(echo a\nmvhello:\n", 1, &l), -1);
    ck_assert_msg(strstr(errbuf, "job.yaml:2:4: x: '$(echo a' has a `$(` without its `)`"),
                  "%s", errbuf);
    ck_assert_int_eq(load("testcase: t\nmvhello:\n  count: $(echo ')\n", 1, &l), -1);
    ck_assert_msg(strstr(errbuf, "count: '$(echo ')' has a `$(`"), "%s", errbuf);
    /* closed, and without --lkp-src (single quotes): fine */
    ck_assert_int_eq(load("testcase: t\nx: $(echo ')') (\nmvhello:\n", 1, &l), 0);
    job_list_free(&l);
    ck_assert_int_eq(load("testcase: t\nx: $(echo a\n", 0, &l), 0);
    job_list_free(&l);
}
END_TEST

START_TEST(yaml11_booleans)
{
    struct job_list l = {0};
    char *sh = script_of("testcase: t\n"
                         "a: off\n"
                         "b: YeS\n"
                         "c: \"off\"\n"
                         "d: 'on'\n"
                         "e: y\n"
                         "f: FALSE\n"
                         "mvhello:\n"
                         "  loud: oN\n"
                         "  greeting: No\n",
                         1, &l);
    has(sh, "\texport a='false'\n"); /* lkp: false, the same word */
    has(sh, "\texport b='true'\n");
    has(sh, "\texport c='off'\n");
    has(sh, "\texport d='on'\n");
    has(sh, "\texport e='y'\n");
    has(sh, "\texport f='false'\n");
    has(sh, "run_test loud='true' greeting='false' 'mvhello/run'");
    /* names: false left out, true "true", any case (loud is a `# =` option) */
    ck_assert_str_eq(job_name(l.v[0]), "job-loud=true");
    free(sh);
    job_list_free(&l);

    /* without --lkp-src the values stay as written (names are lkp's) */
    sh = script_of("testcase: t\na: off\nb: YeS\n", 0, &l);
    has(sh, "\texport a='off'\n");
    has(sh, "\texport b='YeS'\n");
    free(sh);
    job_list_free(&l);
}
END_TEST

START_TEST(timeout_text_and_seconds)
{
    struct job_list l = {0};
    char *sh = script_of("testcase: t\ntimeout: 4h\nmvhello:\n  timeout: 2m\n", 1, &l);
    has(sh, "\texport timeout='4h'\n");
    has(sh, "run_test timeout='2m' 'mvhello/run'");
    ck_assert_int_eq(job_timeout(l.v[0]), 4 * 3600); /* the runner's seconds */
    free(sh);
    job_list_free(&l);
    sh = script_of("testcase: t\ntimeout: 300\nmvhello:\n", 1, &l);
    has(sh, "\texport timeout=300\n");
    ck_assert_int_eq(job_timeout(l.v[0]), 300);
    free(sh);
    job_list_free(&l);
    ck_assert_int_eq(load("testcase: t\ntimeout: 4x\nmvhello:\n", 1, &l), -1);
    ck_assert_msg(strstr(errbuf, "timeout: bad duration '4x'"), "%s", errbuf);
}
END_TEST

START_TEST(lists_lkp_does_not_expand)
{
    struct job_list l = {0};
    /* fio-jbod-12hdd's case: options no program of the job declares */
    ck_assert_msg(load("testcase: t\n"
                       "extra: [a, off, \"off\", ~]\n"
                       "count: [1, 2]\n"
                       "mvwatch: [x, y]\n"
                       "mvhello:\n"
                       "  greeting: [hi, ho]\n"
                       "  rw: [randrw, randwrite]\n",
                       1, &l) == 0,
                  "%s", errbuf);
    ck_assert_uint_eq(l.n, 4); /* count and greeting only */
    ck_assert_str_eq(job_name(l.v[0]), "job-1-hi");
    ck_assert_str_eq(job_param(l.v[0], "extra"), "a\nfalse\noff\n");
    ck_assert_str_eq(job_program_option(l.v[0], "mvhello", "rw"), "randrw\nrandwrite");
    char *sh = job_to_shell(l.v[3]);
    has(sh, "\trun_monitor 'mvwatch/monitor'\n");
    has(sh, "run_test greeting='ho' rw='randrw\nrandwrite' 'mvhello/run'");
    free(sh);
    job_list_free(&l);
    /* a declared option's list expands, also one-item and under a monitor */
    ck_assert_msg(load("testcase: t\nmvwatch:\n  count: [1, 2]\nmvhello:\n", 1, &l) == 0,
                  "%s", errbuf);
    ck_assert_uint_eq(l.n, 2);
    job_list_free(&l);
}
END_TEST

/* The job's YAML loads again into the same name and script. */
static void round_trip(struct job_opts *o, const char *text, const char *want_name)
{
    struct job_list l = {0}, l2 = {0};
    char *p = tmp_path("rt.yaml");
    write_file(p, text);
    ck_assert_msg(job_load(p, o, &l, errbuf, sizeof errbuf) == 0, "%s", errbuf);
    ck_assert_str_eq(job_name(l.v[0]), want_name);
    char *y = job_to_yaml(l.v[0]), *sh = job_to_shell(l.v[0]);
    ck_assert_msg(job_load_text(p, y, strlen(y), o, &l2, errbuf, sizeof errbuf) == 0, "%s", errbuf);
    ck_assert_str_eq(job_name(l2.v[0]), want_name);
    char *sh2 = job_to_shell(l2.v[0]);
    ck_assert_str_eq(sh2, sh);
    free(y);
    free(sh);
    free(sh2);
    job_list_free(&l);
    job_list_free(&l2);
}

START_TEST(yaml_keeps_quoted_booleans)
{
    /* `"off"` is a string, `off` a boolean: NAME.yaml keeps them apart */
    struct job_opts o = {.nr_cpu = 2, .memory = 512ULL << 20, .lkp_src = lkpdir};
    round_trip(&o,
               "testcase: t\nword: \"off\"\nflag: off\nmvprep: \"On\"\n"
               "mvhello:\n  greeting: \"no\"\n  count: \"yes\"\n  rw: [a, \"off\"]\n",
               "rt-yes-no-On");
    char progs[PATH_MAX];
    ck_assert_ptr_nonnull(realpath("tests/lkp/programs", progs));
    const char *dirs[] = {progs};
    struct job_opts m = {.program_dirs = dirs, .nprogram_dirs = 1, .nr_cpu = 2,
                         .memory = 512ULL << 20};
    round_trip(&m, "mvbench:\n  flag: \"off\"\n  mode: OFF\n", "rt-off");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("job_lkpvals");
    TCase *tc = tcase_create("lkpvals");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
    tcase_add_test(tc, dollar_values_double_quoted);
    tcase_add_test(tc, dollar_values_other_quoting);
    tcase_add_test(tc, dollar_unclosed_refused);
    tcase_add_test(tc, yaml11_booleans);
    tcase_add_test(tc, timeout_text_and_seconds);
    tcase_add_test(tc, lists_lkp_does_not_expand);
    tcase_add_test(tc, yaml_keeps_quoted_booleans);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
