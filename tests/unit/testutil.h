/* Shared helpers for libcheck unit tests: each test file ends with
 * TEST_MAIN(suite_fn) which runs the suite and exits non-zero on failure. */
#ifndef TESTUTIL_H
#define TESTUTIL_H
#include <check.h>
#include <stdlib.h>

#define TEST_MAIN(suite_fn)                                        \
    int main(void)                                                 \
    {                                                              \
        SRunner *sr = srunner_create(suite_fn());                  \
        srunner_run_all(sr, CK_NORMAL);                            \
        int failed = srunner_ntests_failed(sr);                    \
        srunner_free(sr);                                          \
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;               \
    }
#endif
