/* Where minivmm finds its data (job_data_find, job_default_program_dir):
 * the rule of docs/install.md on scratch directory trees. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "job/job.h"
#include "tests/unit/jobfiles.h"

static void setup_tmp(void)
{
    (void)read_file;
    strcpy(tmpdir, "/tmp/job_datadir.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

/* mkdir -p tmpdir/REL */
static char *dir(const char *rel)
{
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/%s'", tmpdir, rel);
    ck_assert_int_eq(system(cmd), 0);
    return tmp_path(rel);
}

static char *file(const char *rel)
{
    write_file(tmp_path(rel), "x\n");
    return tmp_path(rel);
}

/* ./minivmm in a checkout: the directory with programs/ and tests/deps.sh;
 * a directory with programs/ only is data beside the binary. */
START_TEST(checkout)
{
    struct job_data d;
    dir("src/programs");
    dir("src/tests");
    file("src/tests/deps.sh");
    char exe[PATH_MAX], want[PATH_MAX];
    snprintf(exe, sizeof exe, "%s/src/minivmm", tmpdir);
    snprintf(want, sizeof want, "%s/src", tmpdir);
    ck_assert_int_eq(job_data_find(exe, NULL, "/nonexistent/share/minivmm", &d),
                     JOB_DATA_CHECKOUT);
    ck_assert_str_eq(d.dir, want);
    snprintf(want, sizeof want, "%s/src/programs", tmpdir);
    ck_assert_str_eq(d.programs, want);
    /* programs/ beside a binary without tests/deps.sh: data, but no checkout
     * (an unpacked tarball, the rig's /rig) */
    dir("flat/programs");
    snprintf(exe, sizeof exe, "%s/flat/minivmm", tmpdir);
    snprintf(want, sizeof want, "%s/flat", tmpdir);
    ck_assert_int_eq(job_data_find(exe, NULL, "/nonexistent/share/minivmm", &d),
                     JOB_DATA_INSTALLED);
    ck_assert_str_eq(d.dir, want);
    /* tests/deps.sh without programs/ is neither */
    dir("half/tests");
    file("half/tests/deps.sh");
    snprintf(exe, sizeof exe, "%s/half/minivmm", tmpdir);
    ck_assert_int_eq(job_data_find(exe, NULL, "/nonexistent/share/minivmm", &d), JOB_DATA_NONE);
}
END_TEST

/* PREFIX/bin/minivmm -> PREFIX/share/minivmm, wherever PREFIX is (a DESTDIR
 * staging tree too); before the directory built in. */
START_TEST(installed_beside)
{
    struct job_data d;
    dir("d/opt/x/bin");
    dir("d/opt/x/share/minivmm/programs");
    char *builtin = dir("builtin");
    char exe[PATH_MAX], want[PATH_MAX];
    snprintf(exe, sizeof exe, "%s/d/opt/x/bin/minivmm", tmpdir);
    snprintf(want, sizeof want, "%s/d/opt/x/share/minivmm", tmpdir);
    ck_assert_int_eq(job_data_find(exe, NULL, builtin, &d), JOB_DATA_INSTALLED);
    ck_assert_str_eq(d.dir, want);
    /* no share/minivmm beside it: the built-in directory */
    snprintf(exe, sizeof exe, "%s/elsewhere/minivmm", tmpdir);
    ck_assert_int_eq(job_data_find(exe, NULL, builtin, &d), JOB_DATA_INSTALLED);
    ck_assert_str_eq(d.dir, builtin);
    /* the executable unknown (no /proc): the built-in directory */
    ck_assert_int_eq(job_data_find(NULL, NULL, builtin, &d), JOB_DATA_INSTALLED);
    ck_assert_str_eq(d.dir, builtin);
    /* an executable at / looks at /share/minivmm */
    ck_assert_int_eq(job_data_find("/minivmm", NULL, "/nonexistent", &d), JOB_DATA_NONE);
    ck_assert_str_eq(d.dir, "/share/minivmm");
}
END_TEST

/* Nothing found: NONE, naming both places; never a silent empty path. */
START_TEST(none)
{
    struct job_data d;
    char exe[PATH_MAX], want[PATH_MAX];
    snprintf(exe, sizeof exe, "%s/usr/bin/minivmm", tmpdir);
    ck_assert_int_eq(job_data_find(exe, NULL, "/nonexistent/share/minivmm", &d), JOB_DATA_NONE);
    snprintf(want, sizeof want, "%s/usr/share/minivmm and /nonexistent/share/minivmm", tmpdir);
    ck_assert_str_eq(d.looked, want);
    snprintf(want, sizeof want, "%s/usr/share/minivmm", tmpdir);
    ck_assert_str_eq(d.dir, want);
}
END_TEST

/* MINIVMM_DATADIR is the only place looked at when set. */
START_TEST(environment)
{
    struct job_data d;
    dir("d/opt/x/bin");
    dir("d/opt/x/share/minivmm/programs");
    char exe[PATH_MAX];
    snprintf(exe, sizeof exe, "%s/d/opt/x/bin/minivmm", tmpdir);
    char *env = dir("mine");
    ck_assert_int_eq(job_data_find(exe, env, NULL, &d), JOB_DATA_INSTALLED);
    ck_assert_str_eq(d.dir, env);
    ck_assert_int_eq(job_data_find(exe, tmp_path("missing"), NULL, &d), JOB_DATA_NONE);
    ck_assert_ptr_nonnull(strstr(d.looked, "(MINIVMM_DATADIR)"));
    ck_assert_int_eq(job_data_find(exe, "", NULL, &d), JOB_DATA_INSTALLED); /* empty: unset */
}
END_TEST

/* job_default_program_dir: a readable directory, else NULL and one line. */
START_TEST(default_program_dir)
{
    char err[1024];
    char *data = dir("data");
    ck_assert_int_eq(setenv("MINIVMM_DATADIR", data, 1), 0);
    ck_assert_ptr_null(job_default_program_dir(err, sizeof err));
    ck_assert_msg(strstr(err, "/data/programs: No such file or directory"), "%s", err);
    file("data/programs");
    ck_assert_ptr_null(job_default_program_dir(err, sizeof err));
    ck_assert_msg(strstr(err, "/data/programs: Not a directory"), "%s", err);
    ck_assert_int_eq(unlink(tmp_path("data/programs")), 0);
    char *p = dir("data/programs");
    const char *got = job_default_program_dir(err, sizeof err);
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, p);
    ck_assert_int_eq(setenv("MINIVMM_DATADIR", tmp_path("gone"), 1), 0);
    ck_assert_ptr_null(job_default_program_dir(err, sizeof err));
    ck_assert_msg(strstr(err, "data directory is missing (looked for ") &&
                  strstr(err, "/gone (MINIVMM_DATADIR))") && !strchr(err, '\n'), "%s", err);
    unsetenv("MINIVMM_DATADIR");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("job_datadir");
    TCase *tc = tcase_create("datadir");
    tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
    tcase_add_test(tc, checkout);
    tcase_add_test(tc, installed_beside);
    tcase_add_test(tc, none);
    tcase_add_test(tc, environment);
    tcase_add_test(tc, default_program_dir);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
