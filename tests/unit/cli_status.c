/* exit_status(): how the end of a VM maps to minivmm's exit status, which
 * `git bisect run` reads as good (0), bad (1..127 but 125), skip (125) or
 * abort (>= 128). */
#include <stdbool.h>

#include "tests/unit/testutil.h"
#include "cli/status.h"

static const enum vm_end all_ends[] = {
    VM_RUNNING, VM_END_STATUS, VM_END_POWEROFF, VM_END_RESET, VM_END_SHUTDOWN,
    VM_END_PANIC, VM_END_TIMEOUT, VM_END_ERROR,
};
#define NENDS ((int)(sizeof(all_ends) / sizeof(all_ends[0])))

START_TEST(guest_status_passes_through)
{
    static const int same[] = { 0, 1, 7, 100, 122 };
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
        ck_assert_int_eq(exit_status(VM_END_STATUS, same[i], false), same[i]);
}
END_TEST

START_TEST(guest_status_high_is_capped)
{
    /* 123 and up would collide with minivmm's own meanings (124 timeout,
     * 125 skip, 126 crash, 127 no status, >= 128 abort) */
    static const int high[] = { 123, 124, 125, 126, 127, 128, 200, 254, 255 };
    for (size_t i = 0; i < sizeof(high) / sizeof(high[0]); i++)
        ck_assert_msg(exit_status(VM_END_STATUS, high[i], false) == 123,
                      "guest status %d -> %d, want 123", high[i],
                      exit_status(VM_END_STATUS, high[i], false));
}
END_TEST

START_TEST(vm_endings)
{
    ck_assert_int_eq(exit_status(VM_END_TIMEOUT, 0, false), 124);
    ck_assert_int_eq(exit_status(VM_END_SHUTDOWN, 0, false), 126);   /* triple fault */
    ck_assert_int_eq(exit_status(VM_END_PANIC, 0, false), 126);
    ck_assert_int_eq(exit_status(VM_END_PANIC, 0, true), 126);
    ck_assert_int_eq(exit_status(VM_END_POWEROFF, 0, false), 127);
    ck_assert_int_eq(exit_status(VM_END_RESET, 0, false), 127);
    ck_assert_int_eq(exit_status(VM_END_ERROR, 0, false), 255);
    ck_assert_int_eq(exit_status(VM_END_ERROR, 0, true), 255);
    /* guest_status means nothing without VM_END_STATUS */
    ck_assert_int_eq(exit_status(VM_END_POWEROFF, 3, false), 127);
    ck_assert_int_eq(exit_status(VM_END_TIMEOUT, 3, false), 124);
}
END_TEST

START_TEST(crash_wins)
{
    /* a crash line on the console before the end makes it a crash */
    ck_assert_int_eq(exit_status(VM_END_STATUS, 0, true), 126);
    ck_assert_int_eq(exit_status(VM_END_STATUS, 7, true), 126);
    ck_assert_int_eq(exit_status(VM_END_STATUS, 255, true), 126);
    ck_assert_int_eq(exit_status(VM_END_POWEROFF, 0, true), 126);
    ck_assert_int_eq(exit_status(VM_END_RESET, 0, true), 126);
    ck_assert_int_eq(exit_status(VM_END_TIMEOUT, 0, true), 126);
    ck_assert_int_eq(exit_status(VM_END_SHUTDOWN, 0, true), 126);
}
END_TEST

/* Whatever the VM does, minivmm never says "skip" (125 is only for a kernel
 * image that cannot be booted) and never aborts a bisection (128..254). */
START_TEST(never_skip_never_abort)
{
    for (int e = 0; e < NENDS; e++)
        for (int st = 0; st <= 255; st++)
            for (int c = 0; c < 2; c++) {
                int x = exit_status(all_ends[e], st, c);
                ck_assert_msg(x >= 0 && x <= 255, "end %s status %d crashed %d -> %d",
                              vm_end_name(all_ends[e]), st, c, x);
                ck_assert_msg(x != 125, "end %s status %d crashed %d -> 125 (skip)",
                              vm_end_name(all_ends[e]), st, c);
                ck_assert_msg(x < 128 || x == 255, "end %s status %d crashed %d -> %d (abort)",
                              vm_end_name(all_ends[e]), st, c, x);
                /* only a host error is 255, and a status 0 only comes from the guest */
                if (x == 255)
                    ck_assert(all_ends[e] == VM_END_ERROR || all_ends[e] == VM_RUNNING);
                if (x == 0)
                    ck_assert(all_ends[e] == VM_END_STATUS && st == 0 && !c);
            }
}
END_TEST

START_TEST(end_names)
{
    for (int e = 0; e < NENDS; e++) {
        const char *n = vm_end_name(all_ends[e]);
        ck_assert_ptr_nonnull(n);
        ck_assert_str_ne(n, "?");
        for (int f = 0; f < e; f++)
            ck_assert_str_ne(n, vm_end_name(all_ends[f]));
    }
    ck_assert_str_eq(vm_end_name(VM_END_TIMEOUT), "timeout");
    ck_assert_str_eq(vm_end_name(VM_END_SHUTDOWN), "triple-fault");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cli_status");
    TCase *tc = tcase_create("exit_status");
    tcase_add_test(tc, guest_status_passes_through);
    tcase_add_test(tc, guest_status_high_is_capped);
    tcase_add_test(tc, vm_endings);
    tcase_add_test(tc, crash_wins);
    tcase_add_test(tc, never_skip_never_abort);
    tcase_add_test(tc, end_names);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
