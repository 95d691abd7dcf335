/* msg_limit: the first MSG_LIMIT_FIRST messages of a kind are printed, then
 * one "further ... suppressed" line, then nothing, however often a guest
 * provokes them. */
#include <stdlib.h>

#include "tests/unit/testutil.h"
#include "vmm/msglimit.h"

static int printed, other_printed;

static void provoke(void)
{
    struct msg_limit l = { 0 }, other = { 0 };
    printed = 0;
    for (int i = 0; i < 100000; i++)
        printed += msg_limit_ok(&l, "widget errors");
    other_printed = msg_limit_ok(&other, "gadget errors");     /* kinds count apart */
}

START_TEST(first_few_then_one_line)
{
    char *text = test_capture_stderr(provoke);
    ck_assert_int_eq(printed, MSG_LIMIT_FIRST);
    ck_assert_int_eq(other_printed, 1);
    ck_assert_str_eq(text, "minivmm: further widget errors suppressed\n");
    free(text);
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
