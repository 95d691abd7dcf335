/* Shared helpers for libcheck unit tests: each test file ends with
 * TEST_MAIN(suite_fn) which runs the suite and exits non-zero on failure. */
#ifndef TESTUTIL_H
#define TESTUTIL_H
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define TEST_MAIN(suite_fn)                                        \
    int main(void)                                                 \
    {                                                              \
        SRunner *sr = srunner_create(suite_fn());                  \
        srunner_run_all(sr, CK_NORMAL);                            \
        int failed = srunner_ntests_failed(sr);                    \
        srunner_free(sr);                                          \
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;               \
    }

/* Runs fn with stderr going to a temporary file; returns what it wrote
 * (malloc'd, NUL-terminated). */
static inline char *test_capture_stderr(void (*fn)(void))
{
    char name[] = "/tmp/minivmm-stderr-XXXXXX";
    int fd = mkstemp(name);
    ck_assert(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    off_t n = lseek(fd, 0, SEEK_END);
    char *text = calloc(1, (size_t)n + 1);
    ck_assert(text != NULL);
    ck_assert(pread(fd, text, (size_t)n, 0) == n);
    close(fd);
    unlink(name);
    return text;
}
#endif
