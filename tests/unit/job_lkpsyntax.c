/* lkp-tests job syntax taken with lkp's meaning (docs/jobs.md "lkp
 * syntax"): {{ }} per expanded job, if role blocks, key-: and a.b: keys,
 * dotted option names, dropped keys, <<: map form and multi-document
 * includes; and what stays refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "job/job.h"
#include "tests/unit/jobfiles.h"

static const char *const prog_dirs[] = {"tests/data/job/programs"};
static char errbuf[1024];

static void setup_tmp(void)
{
    strcpy(tmpdir, "/tmp/job_lkpsyntax.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static int load(const char *text, struct job_list *l)
{
    struct job_opts o = {.program_dirs = prog_dirs, .nprogram_dirs = 1, .nr_cpu = 1,
                         .memory = 512ULL << 20};
    write_file(tmp_path("job.yaml"), text);
    return job_load(tmp_path("job.yaml"), &o, l, errbuf, sizeof errbuf);
}

static void load_ok(const char *text, struct job_list *l)
{
    ck_assert_msg(load(text, l) == 0, "job_load failed: %s", errbuf);
}

/* fails with "job.yaml:LINE:COL: " (LINE 0: "job.yaml: ") and NEEDLE */
static void load_err(const char *text, int line, int col, const char *needle)
{
    struct job_list l;
    ck_assert_msg(load(text, &l) == -1, "loaded: %s", text);
    char want[300];
    if (line)
        snprintf(want, sizeof want, "%s/job.yaml:%d:%d: ", tmpdir, line, col);
    else
        snprintf(want, sizeof want, "%s/job.yaml: ", tmpdir);
    ck_assert_msg(!strncmp(errbuf, want, strlen(want)), "'%s' does not start with '%s'", errbuf,
                  want);
    ck_assert_msg(strstr(errbuf, needle), "'%s' lacks '%s'", errbuf, needle);
}

/* Job I's script holds TEXT */
static void script_has(struct job_list *l, size_t i, const char *text)
{
    ck_assert_uint_gt(l->n, i);
    char *sh = job_to_shell(l->v[i]);
    ck_assert_ptr_nonnull(sh);
    ck_assert_msg(strstr(sh, text), "job %zu's script lacks '%s':\n%s", i, text, sh);
    free(sh);
}

START_TEST(expressions_per_job)
{
    struct job_list l;
    /* nil drops the job (lkp: each_job returns); values are typed as lkp's
     * YAML loader types them: 8 is an integer, '8' a string */
    load_ok("testcase: t\nn: [8, '8']\nfs: [ext4, xfs]\n"
            "hackbench:\n  a: {{ n == 8 ? 'int' : 'str' }}\n"
            "  b: {{ fs == 'xfs' ? nil : fs }}\n", &l);
    ck_assert_uint_eq(l.n, 2);
    script_has(&l, 0, "run_test a='int' b='ext4' 'hackbench'");
    script_has(&l, 1, "run_test a='str' b='ext4' 'hackbench'");
    job_list_free(&l);
    /* the result is a value as it is: not split into words, not retyped */
    load_ok("testcase: t\nhackbench: {{ 'a b' }}\nruntime: \"{{ 2 * 30 }}\"\n", &l);
    script_has(&l, 0, "export runtime=60");
    script_has(&l, 0, "'hackbench' 'a' 'b'");
    job_list_free(&l);
    /* a later expression sees an earlier one's value */
    load_ok("testcase: t\nx: {{ 20 + 1 }}\nhackbench:\n  y: {{ x * 2 }}\n", &l);
    script_has(&l, 0, "run_test y=42 'hackbench'");
    job_list_free(&l);
    load_err("testcase: t\nhackbench:\n  y: {{ x * 2 }}\nx: {{ 1 }}\n", 3, 9,
             "'x' is itself a {{ }} expression");
    load_err("testcase: t\nfs: [xfs]\nhackbench:\n  b: {{ fs == 'xfs' ? nil : 1 }}\n", 0, 0,
             "expands into no jobs");
    load_err("testcase: t\nv: 1.5\nhackbench:\n  b: {{ v == 1 }}\n", 4, 9,
             "number form minivmm does not evaluate");
    load_err("testcase: t\nhackbench:\n  b: {{ nokey }}\n", 3, 9, "unknown key 'nokey'");
    /* the YAML reader never sees marked text: checked like it would */
    load_err("testcase: t\nhackbench:\n  b: {{ '\x9c' }}\n", 3, 8, "invalid UTF-8");
    load_err("testcase: t\nhackbench:\n  b: {{ '\x01' }}\n", 3, 8, "control character");
    load_ok("testcase: t\nhackbench:\n  b: {{ 'caf\xc3\xa9' }}\n", &l);
    script_has(&l, 0, "b='caf\xc3\xa9'");
    job_list_free(&l);
    load_err("testcase: t\nhackbench:\n  b: {{ '{' + '{1}' + '}' }}\n", 3, 6, "holds {{ }} or <% %>");
    load_err("testcase: t\nhackbench:\n  b: {{ hackbench }}\n", 3, 9, "is a map");
    load_err("testcase: t\nhackbench:\n  b: {{\n    1 }} tail\n", 4, 10,
             "text after the `}}` of a multi-line");
    load_err("testcase: t\nx: __minivmm_lkpexpr_0__\nhackbench:\n  b: {{ 1 }}\n", 0, 0,
             "reserved");
    /* also without any `{{` (NAME.yaml would quote it, and quoted it is refused) */
    load_err("testcase: t\nx: a__minivmm_lkpexpr_b\t\tc\nhackbench:\n", 0, 0, "reserved");
    char big[5000] = "testcase: t\nhackbench: {{ 1";
    for (size_t i = strlen(big); i < 4200; i += 2)
        memcpy(big + i, "+1", 3);
    strcat(big, " }}\n");
    load_err(big, 2, 14, "expression too long");
}
END_TEST

START_TEST(roles)
{
    struct job_list l;
    load_ok("testcase: t\nif role server:\n  watch:\n    interval: 1\nx: 1\n"
            "if role client:\n  hackbench: hi\n", &l);
    script_has(&l, 0, "\trun_monitor interval=1 'watch'\n\trun_test 'hackbench' 'hi'\n");
    script_has(&l, 0, "export x=1");
    job_list_free(&l);
    load_err("testcase: t\nhackbench: a\nif role client:\n  hackbench: b\n", 4, 3,
             "also at line 2:1");
    load_err("testcase: t\nif role client: 1\n", 2, 1, "needs a map");
    load_err("testcase: t\nif cpu:\n  hackbench: b\n", 2, 1, "shell control key 'if cpu'");
    load_err("testcase: t\nfunction f: echo\nhackbench:\n", 2, 1, "shell control key");
}
END_TEST

START_TEST(special_keys)
{
    struct job_list l;
    /* a.b: patches, made when missing; key-: deletes, key-: [x] deletes x */
    load_ok("testcase: t\nhackbench:\n  mode: process\n  ipc: pipe\n  n: 1\n"
            "hackbench.mode: threads\ncheck.opt: 1\nhackbench-: [ipc]\n", &l);
    script_has(&l, 0, "run_test mode='threads' n=1 'hackbench'");
    script_has(&l, 0, "run_test opt=1 'check'");
    job_list_free(&l);
    /* in later documents, after their keys are merged */
    load_ok("testcase: t\nhackbench:\n  mode: process\nx: 1\n---\nx-:\n---\nhackbench.mode: [a, b]\n",
            &l);
    ck_assert_uint_eq(l.n, 4);
    ck_assert_ptr_nonnull(job_param(l.v[0], "x"));
    ck_assert_ptr_null(job_param(l.v[1], "x"));
    script_has(&l, 3, "run_test mode='b' 'hackbench'");
    job_list_free(&l);
    load_err("testcase: t\nx: 1\nx.y: 2\nhackbench:\n", 3, 1, "'x' is not a map here");
    /* `key+:` adds to key (made when missing), no duplicates (lib/hash.rb) */
    load_ok("testcase: t\nx+: 1\nhackbench:\n", &l);
    ck_assert_str_eq(job_param(l.v[0], "x"), "1");
    job_list_free(&l);
    load_ok("testcase: t\nx: [1, 2]\nx+: [2, 3]\nhackbench:\n", &l);
    ck_assert_uint_eq(l.n, 3); /* without --lkp-src every list expands */
    ck_assert_str_eq(job_param(l.v[2], "x"), "3");
    job_list_free(&l);
    load_err("testcase: t\nx.y+: 1\nhackbench:\n", 2, 1, "`a.b+:`");
    /* K+: makes K, which meets the misspelt-program rule (fuzz: `chec+:`
     * gave `chec`, and the expanded job did not load again) */
    load_err("testcase: t\nhackbenc+: 1\nhackbench:\n", 2, 1, "did you mean 'hackbench'");
    /* an option a patch adds meets the rule `prog: {opt: V}` meets (fuzz:
     * "2<<c" became 2_60__60_c, emitted as an assignment it is not) */
    load_err("testcase: t\nhackbench.2<<c: socket\n", 2, 1,
             "option '2<<c' of program 'hackbench' is not a valid shell variable name");
    load_err("testcase: t\nhackbench:\n---\nhackbench.9x: 1\n", 4, 1,
             "option '9x' of program 'hackbench' is not a valid shell variable name");
}
END_TEST

START_TEST(names_lkp_encodes_or_drops)
{
    struct job_list l;
    load_ok("testcase: t\ncheck:\n  memory.high: 90%\n  a-b: 1\nperf-profile:\n  delay: 1\n"
            "setup-x: 1\nservices:\n  pmeter_server:\n", &l);
    script_has(&l, 0, "run_test memory_46_high=483183820 a_45_b=1 'check'"); /* 90% of 512M */
    ck_assert_uint_eq(job_nparams(l.v[0]), 1); /* testcase only */
    char *y = job_to_yaml(l.v[0]);
    ck_assert_ptr_null(strstr(y, "perf-profile"));
    free(y);
    job_list_free(&l);
    /* still a misspelt program when close to one */
    load_err("testcase: t\nhack-bench: 1\nchecK:\n", 2, 1, "did you mean 'hackbench'");
    /* a map that runs programs in lkp's background function */
    load_err("testcase: t\nbg:\n  hackbench:\n", 2, 1, "its map runs programs");
    load_err("testcase: t\ncheck:\n  9x: 1\n", 3, 3, "not a valid shell variable name");
}
END_TEST

START_TEST(includes)
{
    struct job_list l;
    write_file(tmp_path("two.yaml"), "a: 1\nhackbench: x\n---\na: 2\nhackbench: y\n");
    /* pasted text: the first document takes the keys before, the last the
     * keys after */
    load_ok("testcase: t\nb: 0\n<<: two.yaml\nc: 3\n", &l);
    ck_assert_uint_eq(l.n, 2);
    ck_assert_str_eq(job_param(l.v[0], "b"), "0");
    ck_assert_ptr_null(job_param(l.v[0], "c"));
    ck_assert_str_eq(job_param(l.v[1], "a"), "2");
    ck_assert_str_eq(job_param(l.v[1], "c"), "3");
    job_list_free(&l);
    /* map form: the override reaches every document; ignore drops keys */
    load_ok("testcase: t\n<<: {file: two.yaml, a: 9, ignore: [hackbench]}\ncheck:\n", &l);
    ck_assert_uint_eq(l.n, 2);
    ck_assert_str_eq(job_param(l.v[0], "a"), "9");
    ck_assert_str_eq(job_param(l.v[1], "a"), "9");
    ck_assert_uint_eq(job_nprograms(l.v[0]), 0); /* check: went into the last document */
    ck_assert_uint_eq(job_nprograms(l.v[1]), 1);
    job_list_free(&l);
    load_err("testcase: t\ncheck:\n  <<: two.yaml\n", 3, 7, "only an include at a document's");
    load_err("testcase: t\n<<: {a: 1}\n", 2, 5, "needs `file: NAME`");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("job_lkpsyntax");
    TCase *tc = tcase_create("lkpsyntax");
    tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
    tcase_add_test(tc, expressions_per_job);
    tcase_add_test(tc, roles);
    tcase_add_test(tc, special_keys);
    tcase_add_test(tc, names_lkp_encodes_or_drops);
    tcase_add_test(tc, includes);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
