/* Stats: the numbers a job's programs leave, in lkp's convention.  A parser
 * (built in, or a user's programs/NAME/parse) turns a program's output into
 * `METRIC: value` lines; each accepted line becomes NAME.METRIC in the job's
 * stats.json (docs/stats.md).  Also: the flat JSON those files hold,
 * comparing groups of results (compare.c) and --expect (expect.c). */
#ifndef STATS_STATS_H
#define STATS_STATS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define STATS_KEY_MAX 200       /* bytes in a metric's full name */
#define STATS_LINE_MAX 4096     /* bytes in one `METRIC: value` line */
#define STATS_MAX 100000        /* metrics in one stats set */

struct stat_kv {
    char *key;
    double val;
};

/* Metrics in the order they were first set; keys are unique. */
struct stats {
    struct stat_kv *v;
    size_t n, cap;
    size_t *idx, icap;          /* hash index: 1 + position in v, 0 empty */
};

void stats_free(struct stats *s);
/* Sets KEY to VAL (replacing an earlier value).  -1: out of memory or full. */
int stats_set(struct stats *s, const char *key, double val);
const double *stats_get(const struct stats *s, const char *key);
/* A metric name: 1..STATS_KEY_MAX bytes of printable ASCII but ':', '"' and '\'. */
bool stats_key_ok(const char *key, size_t len);
/* A number as a parser may write it: decimal, optional sign, fraction and
 * exponent, finite (no nan, inf, hex).  The whole of S[0..len). */
bool stats_number(const char *s, size_t len, double *out);

/* Adds the `METRIC: value` lines of TEXT as PREFIX.METRIC (PREFIX NULL: as
 * METRIC).  Empty lines are skipped.  Any bad line (no ": ", a bad name, a
 * value that is not a finite decimal number, a line over STATS_LINE_MAX,
 * a NUL byte) rejects the whole text: -1, OUT unchanged, ERR says which
 * line and why.  -2: out of memory. */
int stats_parse_lines(const char *prefix, const char *text, size_t len, struct stats *out,
                      char *err, size_t errlen);

/* The built-in parser for program NAME (stats/parsers.c): 1 and *LINES (malloc'd
 * `METRIC: value` text, maybe empty) when there is one, 0 when NAME has
 * none, -1 out of memory.  TEXT is the program's output, any bytes. */
int stats_builtin(const char *name, const char *text, size_t len, char **lines);
/* Whether NAME has a built-in parser. */
bool stats_has_builtin(const char *name);

/* One flat JSON object {"METRIC": number, ...} and a newline. */
int stats_write_json(FILE *f, const struct stats *s);
/* Reads such an object (what stats_write_json writes; any JSON whitespace,
 * numbers as JSON writes them).  -1 and ERR on anything else. */
int stats_read_json(const char *text, size_t len, struct stats *out, char *err, size_t errlen);

/* A growing text buffer (NULL s after an allocation failure). */
struct sbuf {
    char *s;
    size_t len, cap;
    bool oom;
};
void sb_add(struct sbuf *b, const char *s, size_t n);
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A METRIC: value line with VAL written exactly (shortest form that reads back). */
void sb_metric(struct sbuf *b, const char *key, double val);
/* The text (caller frees), or NULL after an allocation failure. */
char *sb_finish(struct sbuf *b);
/* VAL in the shortest %g form that reads back as VAL; BUF of 32 bytes. */
const char *stats_fmt(double val, char buf[32]);
#endif
