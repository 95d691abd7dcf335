/* --expect 'METRIC OP VALUE': a job's stats as good or bad (docs/stats.md). */
#ifndef STATS_EXPECT_H
#define STATS_EXPECT_H
#include "stats/stats.h"

enum stats_op { STATS_LT, STATS_LE, STATS_GT, STATS_GE, STATS_EQ, STATS_NE };

struct stats_expect {
    char metric[STATS_KEY_MAX + 1];
    enum stats_op op;
    double value;
};

enum stats_verdict { STATS_HOLDS, STATS_FAILS, STATS_MISSING };

/* "METRIC OP VALUE", blanks around OP (metric names may hold < > = !), OP
 * one of < <= > >= == !=, VALUE a finite decimal number.  -1 and ERR. */
int stats_expect_parse(const char *text, struct stats_expect *e, char *err, size_t errlen);
const char *stats_op_name(enum stats_op op);
/* Whether S satisfies E; *got the metric's value when it is there. */
enum stats_verdict stats_expect_eval(const struct stats_expect *e, const struct stats *s,
                                     double *got);
/* The exit status the expectations give a job that passed: 1 if one fails,
 * else 125 if a metric is missing, else 0 (docs/stats.md). */
int stats_expect_status(const enum stats_verdict *v, size_t n);
#endif
