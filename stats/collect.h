/* After a job's VM ended: every program's output in the result directory
 * through its parser into PROGRAM.json and stats.json (docs/stats.md). */
#ifndef STATS_COLLECT_H
#define STATS_COLLECT_H
#include <stdbool.h>
#include "stats/stats.h"

#define STATS_INPUT_MAX (64u << 20)     /* bytes of a program's output parsed */
#define STATS_PARSER_OUT_MAX (1u << 20) /* bytes a user's parser may print */
#define STATS_PARSER_TIMEOUT 60         /* seconds a user's parser may run */

struct stats_prog {
    const char *name;   /* its output is DIR/NAME */
    const char *dir;    /* the program's host directory: DIR/parse, if any, parses */
    bool test;          /* a test: NAME.exit_status from DIR/NAME.status */
};

/* Parses the outputs of PROGS in result directory DIR into OUT (PROGRAM.METRIC),
 * writes DIR/PROGRAM.json (programs with metrics) and DIR/stats.json.  Each
 * problem (a parser's output rejected, a file the guest left in the way) is
 * one line on stderr starting with WHO; it never stops the others.  STOP
 * (or NULL) is asked while a user's parser runs and between programs: when
 * it returns non-zero the parser is killed and nothing more is parsed.  -1
 * only when stats.json could not be written (OUT is still filled). */
int stats_collect(const char *who, const char *dir, const struct stats_prog *progs, size_t n,
                  int (*stop)(void), struct stats *out);
#endif
