/* Job compiler, hostile names and files: job_path_component, the file names
 * `minivmm compile` writes (bounded, never over the job file), what `<<:`
 * may include, misspelt programs and missing directories. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "job/job.h"
#include "tests/unit/jobfiles.h"

#define DATA "tests/data/job"

static char errbuf[1024];
static char progdir[PATH_MAX];
static const char *prog_dirs[1];

static void setup_tmp(void)
{
    strcpy(tmpdir, "/tmp/job_paths.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    ck_assert_ptr_nonnull(realpath(DATA "/programs", progdir));
    prog_dirs[0] = progdir;
    /* compile's default programs: the checkout's (the test runs at its top) */
    char top[PATH_MAX];
    ck_assert_ptr_nonnull(realpath(".", top));
    ck_assert_int_eq(setenv("MINIVMM_DATADIR", top, 1), 0);
}

/* job_load of TEXT written to tmpdir/NAME with include directories INC. */
static int load(const char *name, const char *text, const char *const *inc, size_t ninc,
                struct job_list *l)
{
    struct job_opts o = {.program_dirs = prog_dirs, .nprogram_dirs = 1, .include_dirs = inc,
                         .ninclude_dirs = ninc, .nr_cpu = 1};
    char *p = tmp_path(name);
    write_file(p, text);
    return job_load(p, &o, l, errbuf, sizeof errbuf);
}

static void load_fails(const char *text, const char *needle)
{
    struct job_list l;
    ck_assert_int_eq(load("job.yaml", text, NULL, 0, &l), -1);
    ck_assert_msg(strstr(errbuf, needle), "error '%s' lacks '%s'", errbuf, needle);
    ck_assert_ptr_null(strchr(errbuf, '\n'));
}

/* A component never holds '/', is never empty, "." or "..", never starts
 * with '.' or '-' and holds no control character. */
static void assert_safe(const char *c)
{
    ck_assert_msg(*c && strlen(c) <= JOB_PATH_COMPONENT_MAX, "bad length: '%s'", c);
    ck_assert_msg(c[0] != '.' && c[0] != '-', "leading dot or dash: '%s'", c);
    for (const char *p = c; *p; p++)
        ck_assert_msg(*p > 0x20 && *p < 0x7f && *p != '/' && *p != '\\', "bad byte in '%s'", c);
}

START_TEST(component_rule)
{
    static const struct {
        const char *in, *out;
    } t[] = {
        {"hackbench-pipe-8-threads-50%", "hackbench-pipe-8-threads-50%"},
        {"6.1.0-56-amd64", "6.1.0-56-amd64"},
        {"a_b+c=d:e,f@g", "a_b+c=d:e,f@g"},
        {"../x", "%2E.%2Fx"},
        {"..", "%2E."},
        {".", "%2E"},
        {"", "%00"},
        {".hidden", "%2Ehidden"},
        {"-rf", "%2Drf"},
        {"a/b", "a%2Fb"},
        {"my test", "my%20test"},
        {"tab\there\n", "tab%09here%0A"},
        {"\x7f", "%7F"},
        {"\xc3\xa9t\xc3\xa9", "%C3%A9t%C3%A9"},
        {"%2F", "%252F"}, /* distinct from "/" */
        {"100%x", "100%x"},
        {"%", "%"},
        {"~", "%7E"},
    };
    char out[JOB_PATH_COMPONENT_MAX + 1];
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        ck_assert_str_eq(job_path_component(t[i].in, out), t[i].out);
        assert_safe(out);
    }
    /* every byte value, alone and after a letter */
    for (int b = 1; b < 256; b++) {
        char in[3] = {(char)b, 0, 0};
        assert_safe(job_path_component(in, out));
        in[0] = 'a';
        in[1] = (char)b;
        assert_safe(job_path_component(in, out));
    }
}
END_TEST

START_TEST(component_bounded_and_distinct)
{
    char a[JOB_PATH_COMPONENT_MAX + 1], b[JOB_PATH_COMPONENT_MAX + 1];
    char *in = malloc(5001);
    ck_assert_ptr_nonnull(in);
    memset(in, 'x', 5000);
    in[5000] = 0;
    job_path_component(in, a);
    assert_safe(a);
    ck_assert_uint_eq(strlen(a), JOB_PATH_COMPONENT_MAX);
    ck_assert_ptr_nonnull(strchr(a, '~'));
    in[4999] = 'y'; /* differs only past the cut */
    job_path_component(in, b);
    assert_safe(b);
    ck_assert_str_ne(a, b);
    ck_assert_int_eq(strncmp(a, b, 150), 0); /* same readable prefix */
    /* escapes are never cut in half */
    memset(in, '/', 5000);
    job_path_component(in, a);
    assert_safe(a);
    char *tilde = strchr(a, '~');
    ck_assert_uint_eq((size_t)(tilde - a) % 3, 0);
    /* exactly at the bound: kept whole */
    memset(in, 'z', JOB_PATH_COMPONENT_MAX);
    in[JOB_PATH_COMPONENT_MAX] = 0;
    ck_assert_str_eq(job_path_component(in, a), in);
    free(in);
}
END_TEST

/* The parameter part run uses for RESULT_ROOT/TESTCASE/PARAMS/... */
START_TEST(params_part)
{
    struct job_list l;
    ck_assert_int_eq(load("job.yaml", "testcase: \"../../x\"\ncheck: [hi, \"a/b\"]\n", NULL, 0,
                          &l), 0);
    ck_assert_str_eq(job_testcase(l.v[0]), "../../x");
    ck_assert_str_eq(job_params(l.v[0]), "hi");
    ck_assert_str_eq(job_params(l.v[1]), "a_b");
    job_list_free(&l);
    ck_assert_int_eq(load("job.yaml", "testcase: t\ncheck:\n---\nx: 1\n", NULL, 0, &l), 0);
    ck_assert_str_eq(job_params(l.v[0]), "defaults"); /* lkp's name for no options */
    ck_assert_str_eq(job_params(l.v[1]), "defaults-2"); /* the -2 that keeps names unique */
    job_list_free(&l);
}
END_TEST

/* A dozen list parameters: the name is longer than a file name may be. */
START_TEST(compile_long_names)
{
    char y[4096] = "testcase: long\nmany:\n"; /* the program `many` declares p0 ... p11 */
    for (int i = 0; i < 12; i++)
        sprintf(y + strlen(y), "p%d: [value-%02d-abcdefghijklmnopqrstuvwxyz, other-%02d]\n", i,
                i, i);
    /* 2^12 jobs is over the limit: vary only the last one */
    for (int i = 0; i < 11; i++) {
        char *o = strstr(y, ", other-");
        memmove(o, o + 10, strlen(o + 10) + 1);
    }
    char *yaml = tmp_path("long.yaml"), *out = tmp_path("out");
    write_file(yaml, y);
    char *argv[] = {"compile", yaml, "--programs", progdir, "-o", out, NULL};
    ck_assert_int_eq(job_compile_main(6, argv), 0);
    struct job_list l;
    struct job_opts o = {.program_dirs = prog_dirs, .nprogram_dirs = 1, .nr_cpu = 1};
    ck_assert_msg(job_load(yaml, &o, &l, errbuf, sizeof errbuf) == 0, "%s", errbuf);
    ck_assert_uint_eq(l.n, 2);
    ck_assert_uint_gt(strlen(job_name(l.v[0])), 255);
    char c0[JOB_PATH_COMPONENT_MAX + 1], c1[JOB_PATH_COMPONENT_MAX + 1];
    job_path_component(job_name(l.v[0]), c0);
    job_path_component(job_name(l.v[1]), c1);
    ck_assert_str_ne(c0, c1);
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s.sh", out, c1);
    char *t = read_file(p);
    ck_assert_ptr_nonnull(strstr(t, "export p11='other-11'"));
    free(t);
    job_list_free(&l);
}
END_TEST

/* compile never writes over its input, and makes -o DIR when missing. */
START_TEST(compile_keeps_input)
{
    char *yaml = tmp_path("x.yaml");
    write_file(yaml, "check:\n");
    /* the job x-defaults would be written as x-defaults.yaml: a link to x.yaml */
    ck_assert_int_eq(symlink(yaml, tmp_path("x-defaults.yaml")), 0);
    char *argv[] = {"compile", yaml, "--programs", progdir, "-o", tmpdir, NULL};
    ck_assert_int_eq(job_compile_main(6, argv), 255);
    char *t = read_file(yaml);
    ck_assert_str_eq(t, "check:\n");
    free(t);
    ck_assert_int_eq(access(tmp_path("x-defaults.sh"), F_OK), -1); /* nothing written */
    /* an output that is the job file under another name (a hard link) */
    char *z = tmp_path("z-job.yaml");
    write_file(z, "testcase: z\ncheck:\n");
    ck_assert_int_eq(mkdir(tmp_path("hl"), 0755), 0);
    ck_assert_int_eq(link(z, tmp_path("hl/z-job-defaults.yaml")), 0);
    char *argv2[] = {"compile", z, "--programs", progdir, "-o", tmp_path("hl"), NULL};
    ck_assert_int_eq(job_compile_main(6, argv2), 255);
    t = read_file(z);
    ck_assert_str_eq(t, "testcase: z\ncheck:\n");
    free(t);
    /* a missing output directory is made, parents too */
    char *argv3[] = {"compile", yaml, "--programs", progdir, "-o", tmp_path("new/sub"), NULL};
    ck_assert_int_eq(job_compile_main(6, argv3), 0);
    t = read_file(tmp_path("new/sub/x-defaults.yaml"));
    ck_assert_str_eq(t, "check: ~\n");
    free(t);
}
END_TEST

/* compile writes over no file the job reads: an include, a program's
 * meta.yaml (job_load lists them); nor into a program's directory. */
START_TEST(compile_keeps_includes)
{
    write_file(tmp_path("job-defaults.yaml"), "testcase: common\ncheck:\n");
    char *yaml = tmp_path("job.yaml");
    write_file(yaml, "<<: job-defaults.yaml\nwatch:\n");
    struct job_list l;
    struct job_opts o = {.program_dirs = prog_dirs, .nprogram_dirs = 1, .nr_cpu = 1};
    ck_assert_msg(job_load(yaml, &o, &l, errbuf, sizeof errbuf) == 0, "%s", errbuf);
    ck_assert_uint_eq(l.ninputs, 3);
    ck_assert_str_eq(l.inputs[0], yaml);
    ck_assert_ptr_nonnull(strstr(l.inputs[1], "job-defaults.yaml"));
    ck_assert_ptr_nonnull(strstr(l.inputs[2], "watch/meta.yaml"));
    job_list_free(&l);
    ck_assert_ptr_null(l.inputs);
    /* job "job-defaults" would be written as job-defaults.yaml, the include */
    char *argv[] = {"compile", yaml, "--programs", progdir, "-o", tmpdir, NULL};
    ck_assert_int_eq(job_compile_main(6, argv), 255);
    char *t = read_file(tmp_path("job-defaults.yaml"));
    ck_assert_str_eq(t, "testcase: common\ncheck:\n");
    free(t);
    ck_assert_int_eq(access(tmp_path("job-defaults.sh"), F_OK), -1);
    /* a job called "meta" written into the program's own directory */
    char meta[PATH_MAX + 32], before[4096];
    snprintf(meta, sizeof meta, "%s/watch/meta.yaml", progdir);
    t = read_file(meta);
    snprintf(before, sizeof before, "%s", t);
    free(t);
    char *m = tmp_path("m.yaml");
    write_file(m, "testcase: meta\nwatch:\n");
    char out[PATH_MAX + 32];
    snprintf(out, sizeof out, "%s/watch", progdir);
    char *argv2[] = {"compile", m, "--programs", progdir, "-o", out, NULL};
    ck_assert_int_eq(job_compile_main(6, argv2), 255);
    t = read_file(meta);
    ck_assert_str_eq(t, before);
    free(t);
    /* any other file in the directory of a program the job runs */
    ck_assert_int_eq(mkdir(tmp_path("p"), 0755), 0);
    ck_assert_int_eq(mkdir(tmp_path("p/tool"), 0755), 0);
    write_file(tmp_path("p/tool/run"), "#!/bin/sh\n");
    ck_assert_int_eq(chmod(tmp_path("p/tool/run"), 0755), 0);
    write_file(tmp_path("p/tool/helper.sh"), "echo helper\n");
    char h[PATH_MAX];
    snprintf(h, sizeof h, "%s", tmp_path("h.yaml"));
    write_file(h, "testcase: helper\ntool:\n");
    char *argv6[] = {"compile", h, "--programs", tmp_path("p"), "-o", tmp_path("p/tool"), NULL};
    ck_assert_int_eq(job_compile_main(6, argv6), 255);
    t = read_file(tmp_path("p/tool/helper.sh"));
    ck_assert_str_eq(t, "echo helper\n");
    free(t);
    ck_assert_int_eq(access(tmp_path("p/tool/helper.yaml"), F_OK), -1);
    /* nor a new directory inside it (not made) */
    char *argv7[] = {"compile", h, "--programs", tmp_path("p"), "-o", tmp_path("p/tool/n/m"), NULL};
    ck_assert_int_eq(job_compile_main(6, argv7), 255);
    ck_assert_int_eq(access(tmp_path("p/tool/n"), F_OK), -1);
    /* beside it is fine */
    char *argv8[] = {"compile", h, "--programs", tmp_path("p"), "-o", tmp_path("p/out"), NULL};
    ck_assert_int_eq(job_compile_main(6, argv8), 0);
    /* a job file that is a directory entry of the output: by a symbolic link */
    ck_assert_int_eq(mkdir(tmp_path("sl"), 0755), 0);
    char *z = tmp_path("z.yaml");
    write_file(z, "testcase: z\ncheck:\n");
    ck_assert_int_eq(symlink(z, tmp_path("sl/z-defaults.yaml")), 0);
    char *argv3[] = {"compile", z, "--programs", progdir, "-o", tmp_path("sl"), NULL};
    ck_assert_int_eq(job_compile_main(6, argv3), 255);
    /* -o naming the job file itself, or a directory inside it */
    char *argv4[] = {"compile", z, "--programs", progdir, "-o", z, NULL};
    ck_assert_int_eq(job_compile_main(6, argv4), 255);
    char *argv5[] = {"compile", z, "--programs", progdir, "-o", tmp_path("z.yaml/d"), NULL};
    ck_assert_int_eq(job_compile_main(6, argv5), 255);
    t = read_file(z);
    ck_assert_str_eq(t, "testcase: z\ncheck:\n");
    free(t);
}
END_TEST

START_TEST(missing_directories)
{
    char *yaml = tmp_path("x.yaml");
    write_file(yaml, "check:\n");
    ck_assert_int_eq(mkdir(tmp_path("o"), 0755), 0);
    char *a1[] = {"compile", yaml, "--programs", tmp_path("missing"), "-o", tmp_path("o"), NULL};
    ck_assert_int_eq(job_compile_main(6, a1), 255);
    char *a2[] = {"compile", yaml, "--programs", yaml, "-o", tmp_path("o"), NULL};
    ck_assert_int_eq(job_compile_main(6, a2), 255);
    char *a3[] = {"compile", yaml, "--include-dir", tmp_path("missing"), "-o", tmp_path("o"),
                  NULL};
    ck_assert_int_eq(job_compile_main(6, a3), 255);
    ck_assert_int_eq(rmdir(tmp_path("o")), 0); /* still empty */
}
END_TEST

START_TEST(includes_confined)
{
    struct job_list l;
    /* a host file outside the job's directory */
    ck_assert_int_eq(load("job.yaml", "testcase: t\n<<: /proc/self/status\n", NULL, 0, &l), -1);
    ck_assert_msg(strstr(errbuf, "job.yaml:2:5: include file '/proc/self/status' is outside"),
                  "%s", errbuf);
    /* .. out of it */
    ck_assert_int_eq(mkdir(tmp_path("sub"), 0755), 0);
    ck_assert_int_eq(mkdir(tmp_path("lib"), 0755), 0);
    write_file(tmp_path("lib/common.yaml"), "shared: 1\n");
    ck_assert_int_eq(load("sub/job.yaml", "testcase: t\n<<: ../lib/common.yaml\n", NULL, 0, &l),
                     -1);
    ck_assert_ptr_nonnull(strstr(errbuf, "is outside"));
    /* a symbolic link out of it */
    ck_assert_int_eq(symlink("../lib/common.yaml", tmp_path("sub/link.yaml")), 0);
    ck_assert_int_eq(load("sub/job.yaml", "testcase: t\n<<: link.yaml\n", NULL, 0, &l), -1);
    ck_assert_ptr_nonnull(strstr(errbuf, "is outside"));
    /* an include directory widens it: by path, by link and by search */
    const char *inc[] = {tmp_path("lib")};
    ck_assert_msg(load("sub/job.yaml", "testcase: t\n<<: ../lib/common.yaml\n", inc, 1, &l) == 0,
                  "%s", errbuf);
    ck_assert_str_eq(job_param(l.v[0], "shared"), "1");
    job_list_free(&l);
    ck_assert_int_eq(load("sub/job.yaml", "testcase: t\n<<: link.yaml\n", inc, 1, &l), 0);
    job_list_free(&l);
    ck_assert_int_eq(load("sub/job.yaml", "testcase: t\n<<: common.yaml\n", inc, 1, &l), 0);
    job_list_free(&l);
    /* below the job's directory is fine, links inside it too */
    write_file(tmp_path("sub/in.yaml"), "inside: 1\n");
    ck_assert_int_eq(symlink("in.yaml", tmp_path("sub/in-link.yaml")), 0);
    ck_assert_int_eq(load("sub/job.yaml", "testcase: t\n<<: in-link.yaml\n", NULL, 0, &l), 0);
    ck_assert_str_eq(job_param(l.v[0], "inside"), "1");
    job_list_free(&l);
}
END_TEST

START_TEST(includes_not_regular)
{
    struct job_list l;
    /* a FIFO without a writer: named, and never waited for */
    ck_assert_int_eq(mkfifo(tmp_path("fifo"), 0644), 0);
    ck_assert_int_eq(load("job.yaml", "testcase: t\n<<: fifo\n", NULL, 0, &l), -1);
    ck_assert_msg(strstr(errbuf, "job.yaml:2:5: include file 'fifo' is a FIFO, not a regular file"),
                  "%s", errbuf);
    const char *dev[] = {"/dev"};
    ck_assert_int_eq(load("job.yaml", "testcase: t\n<<: /dev/zero\n", dev, 1, &l), -1);
    ck_assert_msg(strstr(errbuf, "'/dev/zero' is a character device, not a regular file"), "%s",
                  errbuf);
    ck_assert_int_eq(mkdir(tmp_path("d.yaml"), 0755), 0);
    ck_assert_int_eq(load("job.yaml", "testcase: t\n<<: d.yaml\n", NULL, 0, &l), -1);
    ck_assert_ptr_nonnull(strstr(errbuf, "'d.yaml' is a directory"));
    /* the job file itself */
    struct job_opts o = {.program_dirs = prog_dirs, .nprogram_dirs = 1};
    ck_assert_int_eq(job_load(tmp_path("fifo"), &o, &l, errbuf, sizeof errbuf), -1);
    ck_assert_ptr_nonnull(strstr(errbuf, "fifo: is a FIFO, not a regular file"));
    /* an included file is bounded like a job file */
    FILE *f = fopen(tmp_path("big.yaml"), "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < JOB_MAX_FILE_SIZE / 16 + 1; i++)
        fputs("# padding line.\n", f); /* 16 bytes */
    fputs("x: 1\n", f);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(load("job.yaml", "testcase: t\n<<: big.yaml\n", NULL, 0, &l), -1);
    ck_assert_ptr_nonnull(strstr(errbuf, "big.yaml: file too large"));
}
END_TEST

START_TEST(misspelt_programs)
{
    struct job_list l;
    load_fails("testcase: t\nchek: x\n",
               "job.yaml:2:1: 'chek' is not a program (no chek/run in the program path): did "
               "you mean 'check'? (`params: [chek]` makes it a parameter)");
    load_fails("testcase: t\nhackbnech: 1\n", "did you mean 'hackbench'?");
    load_fails("testcase: t\nCheck: 1\n", "did you mean 'check'?");
    load_fails("testcase: t\nwatc:\n  interval: 1\n",
               "'watc' has a map value but is not a program (no watc/run in the program path); "
               "did you mean 'watch'?");
    load_fails("testcase: t\n---\nprepp: 1\n", "job.yaml:3:1: 'prepp' is not a program");
    load_fails("testcase: t\nparams: [1a]\n", "params: want parameter names");
    load_fails("testcase: t\nparams:\n  x: 1\n", "params: want a parameter name");
    /* far from every program name: a parameter */
    ck_assert_int_eq(load("job.yaml", "testcase: t\nfs: xfs\ncategory: b\ncheck:\n", NULL, 0, &l),
                     0);
    job_list_free(&l);
    /* declared: a parameter, and the declaration survives job_to_yaml */
    ck_assert_msg(load("job.yaml", "testcase: t\nchek: [1, 2]\nparams: chek\n---\nprepp: 3\n"
                       "params: [prepp]\n",
                       NULL, 0, &l) == 0,
                  "%s", errbuf);
    ck_assert_uint_eq(l.n, 4);
    ck_assert_str_eq(job_param(l.v[0], "chek"), "1");
    ck_assert_ptr_null(job_param(l.v[0], "params"));
    char *y = job_to_yaml(l.v[3]);
    ck_assert_ptr_nonnull(strstr(y, "params: [chek, prepp]"));
    struct job_list l2;
    ck_assert_msg(load("again.yaml", y, NULL, 0, &l2) == 0, "%s", errbuf);
    ck_assert_str_eq(job_param(l2.v[0], "prepp"), "3");
    char *y2 = job_to_yaml(l2.v[0]);
    ck_assert_str_eq(y, y2);
    free(y);
    free(y2);
    job_list_free(&l2);
    job_list_free(&l);
}
END_TEST

/* The expansion rewrite keeps one-item lists in the name, and lists inside a
 * program's list items still expand (jobs in file order, name parts sorted
 * by key: a, b, check, o, p). */
START_TEST(expansion_order_kept)
{
    struct job_list l;
    ck_assert_msg(load("job.yaml", "testcase: t\na: [one]\ncheck:\n- o: [x]\n  p: [1, 2]\n- z\n"
                       "b: [3, 4]\n",
                       NULL, 0, &l) == 0,
                  "%s", errbuf);
    ck_assert_uint_eq(l.n, 6);
    ck_assert_str_eq(job_name(l.v[0]), "job-one-3-x-1");
    ck_assert_str_eq(job_name(l.v[1]), "job-one-4-x-1");
    ck_assert_str_eq(job_name(l.v[2]), "job-one-3-x-2");
    ck_assert_str_eq(job_name(l.v[4]), "job-one-3-z");
    ck_assert_str_eq(job_name(l.v[5]), "job-one-4-z");
    job_list_free(&l);
}
END_TEST

/* 1000 jobs of 2000 values each: refused before any is made. */
START_TEST(expansion_values_bounded)
{
    size_t cap = 2000 * 24 + 256, n = 0;
    char *y = malloc(cap);
    ck_assert_ptr_nonnull(y);
    n += (size_t)sprintf(y + n, "testcase: t\n");
    for (int i = 0; i < 2000; i++)
        n += (size_t)sprintf(y + n, "k%d: v\n", i);
    for (int i = 0; i < 3; i++)
        n += (size_t)sprintf(y + n, "l%d: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n", i);
    load_fails(y, "expands into more than 1000000 values over all its jobs (1000 jobs of");
    free(y);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("job_paths");
    TCase *tc = tcase_create("paths");
    tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, component_rule);
    tcase_add_test(tc, component_bounded_and_distinct);
    tcase_add_test(tc, params_part);
    tcase_add_test(tc, compile_long_names);
    tcase_add_test(tc, compile_keeps_input);
    tcase_add_test(tc, compile_keeps_includes);
    tcase_add_test(tc, missing_directories);
    tcase_add_test(tc, includes_confined);
    tcase_add_test(tc, includes_not_regular);
    tcase_add_test(tc, misspelt_programs);
    tcase_add_test(tc, expansion_order_kept);
    tcase_add_test(tc, expansion_values_bounded);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
