/* kernel_cache_dir's shared fallback (no XDG_CACHE_HOME, no HOME): the
 * predictable ${TMPDIR}/minivmm-cache-UID is used only when it is the user's
 * own real directory that group and others cannot write; a planted link or a
 * writable directory gives a private directory for the run instead. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/testutil.h"
#include "cli/kernel.h"

static char tmp[] = "/tmp/minivmm-cachedir-XXXXXX";
static char shared[PATH_MAX];

static void setup(void)
{
    strcpy(tmp, "/tmp/minivmm-cachedir-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    unsetenv("XDG_CACHE_HOME");
    unsetenv("HOME");
    setenv("TMPDIR", tmp, 1);
    snprintf(shared, sizeof shared, "%s/minivmm-cache-%u", tmp, (unsigned)getuid());
}

static void teardown(void)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    ck_assert_int_eq(system(cmd), 0);
}

static char *dir(void)
{
    static char buf[PATH_MAX];
    kernel_cache_dir(buf, sizeof buf);
    return buf;
}

START_TEST(made_private_when_missing)
{
    ck_assert_str_eq(dir(), shared);
    struct stat st;
    ck_assert_int_eq(lstat(shared, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_int_eq(st.st_mode & 077, 0);
    ck_assert_str_eq(dir(), shared); /* and used again */
}
END_TEST

START_TEST(own_readable_directory_used)
{
    ck_assert_int_eq(mkdir(shared, 0755), 0);
    ck_assert_int_eq(chmod(shared, 0755), 0);
    ck_assert_str_eq(dir(), shared);
}
END_TEST

START_TEST(planted_link_not_followed)
{
    char target[PATH_MAX];
    snprintf(target, sizeof target, "%s/elsewhere", tmp);
    ck_assert_int_eq(mkdir(target, 0700), 0);
    ck_assert_int_eq(symlink(target, shared), 0);
    char *d = dir();
    ck_assert_str_ne(d, shared);
    ck_assert_msg(!strncmp(d, shared, strlen(shared)) && d[strlen(shared)] == '.', "%s", d);
    struct stat st;
    ck_assert_int_eq(lstat(d, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_int_eq(st.st_mode & 077, 0);
}
END_TEST

START_TEST(writable_by_others_not_used)
{
    ck_assert_int_eq(mkdir(shared, 0700), 0);
    ck_assert_int_eq(chmod(shared, 0777), 0);
    ck_assert_str_ne(dir(), shared);
    ck_assert_int_eq(chmod(shared, 0770), 0);
    ck_assert_str_ne(dir(), shared);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cli_cachedir");
    TCase *tc = tcase_create("cachedir");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, made_private_when_missing);
    tcase_add_test(tc, own_readable_directory_used);
    tcase_add_test(tc, planted_link_not_followed);
    tcase_add_test(tc, writable_by_others_not_used);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
