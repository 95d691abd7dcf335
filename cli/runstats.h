/* minivmm run's stats: after each job, its outputs parsed into stats.json
 * and its --expect expressions judged (docs/stats.md). */
#ifndef CLI_RUNSTATS_H
#define CLI_RUNSTATS_H
#include "job/job.h"
#include "stats/expect.h"

#define RUN_MAX_EXPECT 32

struct run_expects {
    struct stats_expect e[RUN_MAX_EXPECT];
    const char *text[RUN_MAX_EXPECT];
    int n;
};

/* Adds one --expect; -1 after one line on stderr (a malformed expression). */
int run_expect_add(struct run_expects *x, const char *text);
/* Collects job J's stats in DIR and, when its status ST is 0, lets the
 * expectations decide: the status the job ends with.  One line per
 * expectation on stdout.  Nothing is parsed after a host error or signal. */
int run_stats(const char *dir, const struct job *j, const struct run_expects *x, int st);
#endif
