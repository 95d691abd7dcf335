/* run -j N without VMs: how many run at once on a host, which job starts
 * next, which status the run ends with (cli/runjobs.h), and the job
 * processes themselves with jobs that are plain functions. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/unit/testutil.h"
#include "cli/options.h"
#include "cli/runjobs.h"

#define MIB (1ULL << 20)
#define GIB (1ULL << 30)

START_TEST(fit_the_host)
{
    /* -j, capped by the jobs there are */
    ck_assert_int_eq(runjobs_fit(4, 10, 1, 512 * MIB, 8, 16 * GIB), 4);
    ck_assert_int_eq(runjobs_fit(4, 3, 1, 512 * MIB, 8, 16 * GIB), 3);
    /* by the host's CPUs: the vCPUs of the VMs at once, summed */
    ck_assert_int_eq(runjobs_fit(8, 10, 1, 512 * MIB, 2, 16 * GIB), 2);
    ck_assert_int_eq(runjobs_fit(8, 10, 2, 512 * MIB, 7, 16 * GIB), 3);
    /* by its memory */
    ck_assert_int_eq(runjobs_fit(8, 10, 1, 400 * MIB, 64, GIB), 2);
    ck_assert_int_eq(runjobs_fit(8, 10, 1, 4 * GIB, 64, 16 * GIB), 4);
    /* one always runs, even one that does not fit (as a sequential run does) */
    ck_assert_int_eq(runjobs_fit(4, 10, 8, 512 * MIB, 2, 16 * GIB), 1);
    ck_assert_int_eq(runjobs_fit(4, 10, 1, 32 * GIB, 2, 16 * GIB), 1);
    ck_assert_int_eq(runjobs_fit(4, 0, 1, 512 * MIB, 2, 16 * GIB), 1);
    /* no overflow at the extremes */
    ck_assert_int_eq(runjobs_fit(MAX_JOBS, 1000, MAX_CPUS, MAX_MEMORY, 1, 1), 1);
    ck_assert_int_eq(runjobs_fit(MAX_JOBS, 1000, 1, MIN_MEMORY, 1L << 20, UINT64_MAX), MAX_JOBS);
}
END_TEST

START_TEST(starts_in_job_order_up_to_the_limit)
{
    struct jobsched s;
    jobsched_init(&s, 5, 2, true);
    ck_assert_int_eq(jobsched_next(&s), 0);
    ck_assert_int_eq(jobsched_next(&s), 1);
    ck_assert_int_eq(jobsched_next(&s), -1);      /* two run */
    ck_assert(!jobsched_done(&s, 1, 0));
    ck_assert_int_eq(jobsched_next(&s), 2);
    ck_assert_int_eq(jobsched_next(&s), -1);
    ck_assert(!jobsched_done(&s, 0, 3));          /* --keep-going: a failure stops nothing */
    ck_assert_int_eq(jobsched_next(&s), 3);
    ck_assert(!jobsched_done(&s, 2, 0));
    ck_assert_int_eq(jobsched_next(&s), 4);
    ck_assert_int_eq(jobsched_next(&s), -1);      /* none left */
    ck_assert(!jobsched_over(&s));
    jobsched_done(&s, 3, 0);
    jobsched_done(&s, 4, 0);
    ck_assert(jobsched_over(&s));
    ck_assert_int_eq(jobsched_status(&s), 3);
}
END_TEST

START_TEST(status_of_the_first_failed_job_in_job_order)
{
    struct jobsched s;
    jobsched_init(&s, 4, 4, true);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(jobsched_next(&s), i);
    /* finish order 3, 2, 0, 1: job 3 fails first in time, job 1 is first in order */
    jobsched_done(&s, 3, 5);
    ck_assert_int_eq(jobsched_status(&s), 5);
    jobsched_done(&s, 2, 0);
    jobsched_done(&s, 0, 0);
    jobsched_done(&s, 1, 124);
    ck_assert(jobsched_over(&s));
    ck_assert_int_eq(jobsched_status(&s), 124);

    jobsched_init(&s, 3, 3, true);
    for (int i = 0; i < 3; i++)
        jobsched_next(&s);
    for (int i = 2; i >= 0; i--)
        jobsched_done(&s, (size_t)i, 0);
    ck_assert_int_eq(jobsched_status(&s), 0);
}
END_TEST

START_TEST(a_failure_stops_new_starts_without_keep_going)
{
    struct jobsched s;
    jobsched_init(&s, 6, 3, false);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(jobsched_next(&s), i);
    ck_assert(jobsched_done(&s, 2, 7));           /* the failure that stops the run */
    ck_assert_int_eq(jobsched_next(&s), -1);
    ck_assert(!jobsched_over(&s));                /* jobs 0 and 1 still run */
    ck_assert(!jobsched_done(&s, 1, 9));          /* a second failure says nothing */
    ck_assert(!jobsched_done(&s, 0, 0));
    ck_assert(jobsched_over(&s));
    ck_assert_int_eq(jobsched_status(&s), 9);     /* job 1 comes before job 2 */
    ck_assert_int_eq(s.next, 3);                  /* jobs 3..5 never started */
}
END_TEST

START_TEST(a_signal_stops_new_starts)
{
    struct jobsched s;
    jobsched_init(&s, 4, 2, true);
    jobsched_next(&s);
    jobsched_next(&s);
    jobsched_stop(&s);
    ck_assert_int_eq(jobsched_next(&s), -1);
    jobsched_done(&s, 0, 143);
    ck_assert(!jobsched_over(&s));
    jobsched_done(&s, 1, 143);
    ck_assert(jobsched_over(&s));
}
END_TEST

START_TEST(sequential_is_limit_one)
{
    struct jobsched s;
    jobsched_init(&s, 3, 0, false);               /* below 1: 1 */
    ck_assert_int_eq(jobsched_next(&s), 0);
    ck_assert_int_eq(jobsched_next(&s), -1);
    ck_assert(!jobsched_done(&s, 0, 0));
    ck_assert_int_eq(jobsched_next(&s), 1);
    ck_assert(jobsched_done(&s, 1, 2));
    ck_assert_int_eq(jobsched_next(&s), -1);
    ck_assert(jobsched_over(&s));
    ck_assert_int_eq(jobsched_status(&s), 2);
}
END_TEST

START_TEST(jobs_option)
{
    char err[128];
    int n = 0;
    ck_assert_int_eq(opt_jobs("1", &n, err, sizeof(err)), 0);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(opt_jobs("256", &n, err, sizeof(err)), 0);
    ck_assert_int_eq(n, 256);
    static const char *bad[] = { "0", "257", "99999", "x", "", "-1", "+2", " 2", "2 ", "0x4",
                                 "4294967297", "18446744073709551617" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        n = 42;
        ck_assert_msg(opt_jobs(bad[i], &n, err, sizeof(err)) == -1, "'%s' accepted", bad[i]);
        ck_assert_int_eq(n, 42);
        ck_assert_ptr_nonnull(strstr(err, "-j/--jobs '"));
        ck_assert_ptr_null(strchr(err, '\n'));
    }
}
END_TEST

/* ---- the job processes, with jobs that are functions ---- */

static char dir_root[] = "/tmp/minivmm-runjobs-XXXXXX";
static int prepared[8], nprepared;
static const int statuses[] = { 4, 0, 7, 0 };

static int t_prepare(void *ctx, size_t i, char *dir, size_t len)
{
    (void)ctx;
    prepared[nprepared++] = (int)i;
    snprintf(dir, len, "%s/%zu", dir_root, i);
    return mkdir(dir, 0755) == 0 ? 0 : 255;
}

/* Whether minivmm's stdout (the file run_four gives it) holds text. */
static bool printed(const char *text)
{
    char p[256], buf[4096];
    snprintf(p, sizeof(p), "%s/stdout", dir_root);
    FILE *f = fopen(p, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    return strstr(buf, text) != NULL;
}

/* Job 0 fails (4) only once job 2 has failed (7) and its line is out: job 2
 * fails first in time, job 0 first in job order. */
static int t_run(void *ctx, size_t i, const char *dir)
{
    (void)ctx;
    if (i == 0)
        while (!printed("line of job 2"))
            usleep(1000);
    fprintf(stderr, "message of job %zu\n", i);
    runjobs_line();
    printf("line of job %zu in %s\n", i, dir);
    return statuses[i];
}

static const char *t_name(void *ctx, size_t i)
{
    (void)ctx;
    static const char *names[] = { "j0", "j1", "j2", "j3" };
    return names[i];
}

static int run_result;
static void run_four(void)
{
    struct runjobs r = { 4, 3, true, NULL, t_prepare, t_run, t_name };
    fflush(stdout);
    int saved = dup(1);
    char out[256];
    snprintf(out, sizeof(out), "%s/stdout", dir_root);
    int fd = open(out, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    dup2(fd, 1);
    close(fd);
    run_result = runjobs(&r);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
}

START_TEST(job_processes)
{
    ck_assert_ptr_nonnull(mkdtemp(dir_root));
    char *err = test_capture_stderr(run_four);
    ck_assert_int_eq(run_result, 4);                /* job 0's, though job 2 failed first */
    ck_assert_int_eq(nprepared, 4);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(prepared[i], i);           /* directories made in job order */
    for (int i = 0; i < 4; i++) {
        char want[64];
        snprintf(want, sizeof(want), "message of job %d\n", i);
        ck_assert_ptr_nonnull(strstr(err, want));
    }
    char p[256], out[1024] = "";
    snprintf(p, sizeof(p), "%s/stdout", dir_root);
    FILE *f = fopen(p, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(out, 1, sizeof(out) - 1, f);
    fclose(f);
    out[n] = 0;
    /* one line each; job 0 ended after job 2 */
    ck_assert_ptr_nonnull(strstr(out, "line of job 1"));
    ck_assert_ptr_nonnull(strstr(out, "line of job 3"));
    char *l0 = strstr(out, "line of job 0"), *l2 = strstr(out, "line of job 2");
    ck_assert(l0 && l2 && l2 < l0);
    free(err);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir_root);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cli_runjobs");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, fit_the_host);
    tcase_add_test(tc, starts_in_job_order_up_to_the_limit);
    tcase_add_test(tc, status_of_the_first_failed_job_in_job_order);
    tcase_add_test(tc, a_failure_stops_new_starts_without_keep_going);
    tcase_add_test(tc, a_signal_stops_new_starts);
    tcase_add_test(tc, sequential_is_limit_one);
    tcase_add_test(tc, jobs_option);
    tcase_add_test(tc, job_processes);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
