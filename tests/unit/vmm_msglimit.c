/* msg_limit: the first MSG_LIMIT_FIRST messages of a kind are printed, then
 * one "further ... suppressed" line, then nothing, however often a guest
 * provokes them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/testutil.h"
#include "vmm/msglimit.h"

START_TEST(first_few_then_one_line)
{
    char name[] = "/tmp/minivmm-msglimit-XXXXXX";
    int fd = mkstemp(name);
    ck_assert(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    struct msg_limit l = { 0 }, other = { 0 };
    int printed = 0;
    for (int i = 0; i < 100000; i++)
        printed += msg_limit_ok(&l, "widget errors");
    int other_printed = msg_limit_ok(&other, "gadget errors");   /* kinds count apart */
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char text[512] = "";
    ck_assert(pread(fd, text, sizeof(text) - 1, 0) >= 0);
    close(fd);
    unlink(name);
    ck_assert_int_eq(printed, MSG_LIMIT_FIRST);
    ck_assert_int_eq(other_printed, 1);
    ck_assert_str_eq(text, "minivmm: further widget errors suppressed\n");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("vmm_msglimit");
    TCase *tc = tcase_create("msglimit");
    tcase_add_test(tc, first_few_then_one_line);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
