/* Comparing two groups of runs metric by metric (`minivmm compare`,
 * docs/stats.md "Comparing"). */
#ifndef STATS_COMPARE_H
#define STATS_COMPARE_H
#include <stdbool.h>
#include <stdio.h>
#include "stats/stats.h"

struct cmp_side {
    size_t n;                   /* runs that have the metric; 0: missing */
    double mean, stddev;        /* sample standard deviation; 0 for one run */
};

struct cmp_row {
    const char *metric;         /* points into the stats compared */
    struct cmp_side a, b;
    bool has_change;            /* both sides there and A's mean not 0 */
    double change;              /* (B - A) / |A| in %, when has_change */
    bool flagged;               /* a change beyond the runs' noise (the rule: compare.c) */
};

/* Rows for every metric of A's runs then B's (first seen first). *rows is
 * malloc'd; -1 out of memory. */
int stats_compare(const struct stats *a, size_t na, const struct stats *b, size_t nb,
                  struct cmp_row **rows, size_t *nrows);
/* The table, or the JSON (DIRS_A/DIRS_B: the runs compared, named in it). */
void stats_compare_table(FILE *f, const struct cmp_row *r, size_t n, size_t na, size_t nb);
void stats_compare_json(FILE *f, const struct cmp_row *r, size_t n, const char *const *dirs_a,
                        size_t na, const char *const *dirs_b, size_t nb);
#endif
