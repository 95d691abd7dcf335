/* The hook between minivmm run and stats/: programs of a job -> stats. */
#include <stdio.h>
#include <stdlib.h>
#include "stats/collect.h"
#include "cli/runstats.h"
#include "cli/sandbox.h"
#include "cli/status.h"

int run_expect_add(struct run_expects *x, const char *text)
{
    char err[300];
    if (x->n == RUN_MAX_EXPECT) {
        fprintf(stderr, "minivmm run: too many --expect (at most %d)\n", RUN_MAX_EXPECT);
        return -1;
    }
    if (stats_expect_parse(text, &x->e[x->n], err, sizeof(err)) < 0) {
        fprintf(stderr, "minivmm run: %s\n", err);
        return -1;
    }
    x->text[x->n++] = text;
    return 0;
}

int run_stats(const char *dir, const struct job *j, const struct run_expects *x, int st)
{
    if (st >= 128)
        return st;                      /* host error or interrupted: nothing to parse */
    size_t n = job_nprograms(j);
    struct stats_prog *p = calloc(n ? n : 1, sizeof(*p));
    struct stats s = { 0 };
    char who[300];
    snprintf(who, sizeof(who), "minivmm: %s: stats", job_name(j));
    if (p) {
        for (size_t i = 0; i < n; i++)
            p[i] = (struct stats_prog){ job_program_name(j, i), job_program_dir(j, i),
                                        job_program_type(j, i) == JOB_PROG_TEST };
        stats_collect(who, dir, p, n, sig_caught, &s);
    } else {
        fprintf(stderr, "%s: out of memory\n", who);
    }
    free(p);
    enum stats_verdict v[RUN_MAX_EXPECT];
    for (int i = 0; i < x->n; i++) {
        double got = 0;
        char num[32];
        v[i] = stats_expect_eval(&x->e[i], &s, &got);
        printf("minivmm: %s: expect %s: %s%s\n", job_name(j), x->text[i],
               v[i] == STATS_MISSING ? "missing" : stats_fmt(got, num),
               v[i] == STATS_HOLDS ? " (holds)" : v[i] == STATS_FAILS ? " (fails: bad)"
                                                 : " (cannot test)");
    }
    stats_free(&s);
    if (sig_caught())
        return 128 + sig_caught();      /* as a job interrupted while it ran */
    if (st == 0 && x->n)
        st = stats_expect_status(v, (size_t)x->n);
    return st;
}
