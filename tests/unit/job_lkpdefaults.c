/* lkp's include/ defaults with --lkp-src (job/lkpdefaults.c, job/lkprevise.c;
 * docs/jobs.md "lkp's defaults"): which files a job's keys select, in which
 * pass, how they merge under the job, and --no-defaults.  Each rule was
 * checked against lkp-tests' split-job and job2sh (tests/lkp/compare). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "job/job.h"
#include "tests/unit/jobfiles.h"

static char errbuf[1024];

static void mkdirs(const char *rel)
{
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", tmp_path(rel));
    ck_assert_int_eq(system(cmd), 0);
}

/* lkp/programs/NAME/FILE, executable, declaring OPTS ("# - a\n...") */
static void program(const char *name, const char *file, const char *opts)
{
    char rel[256], text[512];
    snprintf(rel, sizeof rel, "lkp/programs/%s", name);
    mkdirs(rel);
    snprintf(rel, sizeof rel, "lkp/programs/%s/%s", name, file);
    snprintf(text, sizeof text, "#!/bin/sh\n%s\necho %s\n", opts, name);
    write_file(tmp_path(rel), text);
    ck_assert_int_eq(chmod(tmp_path(rel), 0755), 0);
}

static void setup_tree(void)
{
    strcpy(tmpdir, "/tmp/job_lkpdefaults.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    program("bench", "run", "# - size\n# - mode");
    program("prep", "setup", "# - level");
    program("watch", "monitor", "# - interval");
    program("peek", "one-shot-monitor", "");
    mkdirs("lkp/include/category");
    mkdirs("lkp/include/box");
    mkdirs("lkp/include/size");
    write_file(tmp_path("lkp/include/category/benchmark"),
               "need_kconfig:\n- A: y\nwatch:\n  interval: 3\npeek:\nnote: default\n"
               "% if job['mode'] == 'fast'\nspeed: <%= job['mode'] %>\n% end\n");
    write_file(tmp_path("lkp/include/box/vm"), "box_kind: vm\n");
    write_file(tmp_path("lkp/include/box/OTHERS"), "box_others: 1\n");
    write_file(tmp_path("lkp/include/box/ALL"), "need_kconfig: ALL\nlist+: [c]\n");
    write_file(tmp_path("lkp/include/size/small"), "size_note: small one\n");
    write_file(tmp_path("lkp/include/size/big"), "size_note: big one\n");
    write_file(tmp_path("lkp/programs/bench/include"),
               "% if ___.mode =~ /^fa(?!x)/\nneed_kconfig: BENCH_<%= ___.mode.upcase %>\n% end\n");
}

static int load(const char *text, int no_defaults, struct job_list *l)
{
    char lkp[PATH_MAX];
    snprintf(lkp, sizeof lkp, "%s/lkp", tmpdir);
    struct job_opts o = {.nr_cpu = 2, .memory = 512ULL << 20, .lkp_src = lkp,
                         .no_defaults = no_defaults};
    write_file(tmp_path("job.yaml"), text);
    return job_load(tmp_path("job.yaml"), &o, l, errbuf, sizeof errbuf);
}

/* Job I's script holds TEXT (HAS 1) or not (HAS 0) */
static void script(struct job_list *l, size_t i, const char *text, int has)
{
    ck_assert_uint_gt(l->n, i);
    char *sh = job_to_shell(l->v[i]);
    ck_assert_ptr_nonnull(sh);
    ck_assert_msg(!strstr(sh, text) == !has, "job %zu's script %s '%s':\n%s", i,
                  has ? "lacks" : "holds", text, sh);
    free(sh);
}

static const char *param(struct job_list *l, size_t i, const char *key)
{
    return job_param(l->v[i], key);
}

/* category: benchmark selects include/category/benchmark: its monitors run
 * with the job's programs (setups, monitors, tests), its keys come after the
 * job's, the job's own value wins, need_* adds up (the job's first). */
START_TEST(category_defaults)
{
    struct job_list l;
    ck_assert_msg(!load("testcase: t\ncategory: benchmark\nnote: mine\nmode: fast\n"
                        "need_kconfig: [MINE]\nprep: 1\nbench:\n  size: 1\n", 0, &l), "%s", errbuf);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_uint_eq(job_nprograms(l.v[0]), 4);
    ck_assert_str_eq(job_program_name(l.v[0], 0), "prep");
    ck_assert_str_eq(job_program_name(l.v[0], 1), "watch");
    ck_assert_str_eq(job_program_name(l.v[0], 2), "peek");
    ck_assert_str_eq(job_program_name(l.v[0], 3), "bench");
    ck_assert_str_eq(job_program_script(l.v[0], 2), "one-shot-monitor");
    script(&l, 0, "run_monitor interval=3 'watch/monitor'", 1);
    ck_assert_str_eq(param(&l, 0, "note"), "mine");
    ck_assert_str_eq(param(&l, 0, "speed"), "fast");
    ck_assert_str_eq(param(&l, 0, "need_kconfig"), "MINE\n{\"A\"=>\"y\"}");
    ck_assert_str_eq(job_param_key(l.v[0], job_nparams(l.v[0]) - 1), "speed");
    job_list_free(&l);

    /* --no-defaults: none of it */
    ck_assert_msg(!load("testcase: t\ncategory: benchmark\nbench:\n  size: 1\n", 1, &l), "%s", errbuf);
    ck_assert_uint_eq(job_nprograms(l.v[0]), 1);
    ck_assert_ptr_null(param(&l, 0, "note"));
    job_list_free(&l);
}
END_TEST

/* A string value selects FILE for each prefix up to ':' or '-' (vm, vm-a,
 * vm-a-b); OTHERS when the whole value selected none; ALL always. */
START_TEST(value_prefixes)
{
    struct job_list l;
    ck_assert_msg(!load("testcase: t\nbox: vm-a-b\nlist: [a]\nbench:\n  size: 1\n", 0, &l), "%s", errbuf);
    ck_assert_str_eq(param(&l, 0, "box_kind"), "vm");
    ck_assert_str_eq(param(&l, 0, "box_others"), "1");
    ck_assert_str_eq(param(&l, 0, "need_kconfig"), "ALL");
    /* ALL's `list+: [c]` becomes the defaults' list, and the job's own wins
     * (lkp resolves + within the defaults first); not a dimension: one job */
    ck_assert_str_eq(param(&l, 0, "list"), "a");
    ck_assert_uint_eq(l.n, 1);
    job_list_free(&l);
    ck_assert_msg(!load("testcase: t\nbox: vm\nbench:\n  size: 1\n", 0, &l), "%s", errbuf);
    ck_assert_str_eq(param(&l, 0, "box_kind"), "vm");
    ck_assert_str_eq(param(&l, 0, "list"), "c");
    /* lkp's quirk, kept: in the per-job pass vm is loaded already, which
     * load_one reports as "not loaded", so OTHERS comes in then */
    ck_assert_str_eq(param(&l, 0, "box_others"), "1");
    job_list_free(&l);
    ck_assert_msg(!load("testcase: t\nbox: 12\nbench:\n  size: 1\n", 0, &l), "%s", errbuf);
    ck_assert_ptr_null(param(&l, 0, "need_kconfig")); /* lkp: an integer selects nothing */
    job_list_free(&l);
}
END_TEST

/* A program's include sees its options as ___; a missing one is lkp's
 * KeyError: the file is skipped, not an error. */
START_TEST(program_include)
{
    struct job_list l;
    ck_assert_msg(!load("testcase: t\nbench:\n  mode: fast\n", 0, &l), "%s", errbuf);
    ck_assert_str_eq(param(&l, 0, "need_kconfig"), "BENCH_FAST");
    job_list_free(&l);
    ck_assert_msg(!load("testcase: t\nbench:\n  mode: fax\n", 0, &l), "%s", errbuf);
    ck_assert_ptr_null(param(&l, 0, "need_kconfig"));
    job_list_free(&l);
    ck_assert_msg(!load("testcase: t\nbench:\n  size: 1\n", 0, &l), "%s", errbuf);
    ck_assert_ptr_null(param(&l, 0, "need_kconfig"));
    job_list_free(&l);
    /* no options at all: ___ is nil, and lkp fails too (NoMethodError) */
    ck_assert_int_eq(load("testcase: t\nbench:\n", 0, &l), -1);
    ck_assert_msg(strstr(errbuf, "programs/bench/include:1:6: '___.mode': 'mode' of nil"), "%s", errbuf);
}
END_TEST

/* Lists are expanded first: each job loads what its own value selects
 * (lkp's second pass, per atomic job). */
START_TEST(per_job_pass)
{
    struct job_list l;
    ck_assert_msg(!load("testcase: t\nsize: [small, big]\nbench:\n  size: 1\n", 0, &l), "%s", errbuf);
    ck_assert_uint_eq(l.n, 2);
    ck_assert_str_eq(param(&l, 0, "size_note"), "small one");
    ck_assert_str_eq(param(&l, 1, "size_note"), "big one");
    job_list_free(&l);
}
END_TEST

/* `K+:` adds to K (made when missing), without duplicates. */
START_TEST(plus_keys)
{
    struct job_list l;
    ck_assert_msg(!load("testcase: t\nlist: [a, b]\nlist+: [b, c]\nmore+: x\nbench:\n  size: 1\n", 1, &l),
                  "%s", errbuf);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_str_eq(param(&l, 0, "list"), "a\nb\nc");
    ck_assert_str_eq(param(&l, 0, "more"), "x");
    job_list_free(&l);
}
END_TEST

/* A {{ }} in a list that is no dimension stays text in lkp: refused (fuzz:
 * the placeholder leaked into the exported value). */
START_TEST(expression_in_unexpanded_list)
{
    struct job_list l;
    ck_assert_int_eq(load("testcase: t\nlist:\n- {{ 1 + 1 }}\n- b\nbench:\n  size: 1\n", 1, &l), -1);
    ck_assert_msg(strstr(errbuf, "job.yaml:3:3: 'list': a {{ }} expression in a list that is not "
                                 "expanded"), "%s", errbuf);
    ck_assert_msg(!load("testcase: t\nsize:\n- {{ 1 + 1 }}\n- b\nbench:\n", 1, &l), "%s", errbuf);
    ck_assert_uint_eq(l.n, 2); /* a dimension: expanded, evaluated */
    ck_assert_str_eq(param(&l, 0, "size"), "2");
    job_list_free(&l);
}
END_TEST

/* A template outside the subset is an error naming the file and place. */
START_TEST(template_errors)
{
    struct job_list l;
    write_file(tmp_path("lkp/include/category/functional"), "a: 1\n<% x = 1 %>\n");
    ck_assert_int_eq(load("testcase: t\ncategory: functional\nbench:\n  size: 1\n", 0, &l), -1);
    char want[PATH_MAX];
    snprintf(want, sizeof want, "%s/lkp/include/category/functional:2:1: ", tmpdir);
    ck_assert_msg(!strncmp(errbuf, want, strlen(want)), "%s", errbuf);
    ck_assert_ptr_nonnull(strstr(errbuf, "<% code %>"));
    /* not read with --no-defaults */
    ck_assert_msg(!load("testcase: t\ncategory: functional\nbench:\n  size: 1\n", 1, &l), "%s", errbuf);
    job_list_free(&l);
    /* a directory where a file would be: nothing to load */
    mkdirs("lkp/include/category/other/x");
    ck_assert_msg(!load("testcase: t\ncategory: other\nbench:\n  size: 1\n", 0, &l), "%s", errbuf);
    job_list_free(&l);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("job_lkpdefaults");
    TCase *tc = tcase_create("lkpdefaults");
    tcase_add_checked_fixture(tc, setup_tree, teardown_tmp);
    tcase_add_test(tc, category_defaults);
    tcase_add_test(tc, value_prefixes);
    tcase_add_test(tc, program_include);
    tcase_add_test(tc, per_job_pass);
    tcase_add_test(tc, plus_keys);
    tcase_add_test(tc, template_errors);
    tcase_add_test(tc, expression_in_unexpanded_list);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
