/* The subset of lkp's `{{ ... }}` expressions (Ruby, evaluated per atomic
 * job) that lkp-tests' own jobs/ tree uses, evaluated without Ruby.
 * docs/jobs.md lists the subset; anything outside it is an error naming the
 * construct and its place, never a guess. */
#ifndef JOB_LKPEXPR_H
#define JOB_LKPEXPR_H
#include <stddef.h>

enum jlkp_type { JLKP_NIL, JLKP_BOOL, JLKP_INT, JLKP_STR, JLKP_RE };

struct jlkp_val {
    enum jlkp_type type;
    long long i;  /* JLKP_BOOL (0/1), JLKP_INT */
    char *s;      /* JLKP_STR, JLKP_RE (the pattern): malloc'd */
};

void jlkp_val_free(struct jlkp_val *v);

/* Looks a name up (`fs`, `aim7.test`): 0 and *out set (out->s malloc'd),
 * or -1 with a one-line message in err. */
typedef int (*jlkp_lookup_fn)(void *ctx, const char *name, struct jlkp_val *out, char *err,
                              size_t errlen);

/* Evaluates EXPR (LEN bytes, the text between `{{` and `}}`).  0 and *out,
 * or -1 with a message in ERR and the place to blame in *line (0-based line
 * within EXPR) and *col (0-based byte column within that line). */
int jlkp_eval(const char *expr, size_t len, jlkp_lookup_fn lookup, void *ctx,
              struct jlkp_val *out, char *err, size_t errlen, unsigned long *line,
              unsigned long *col);

/* Checks EXPR as jlkp_eval does without evaluating it (no name is looked
 * up): 0, or -1 with the message and place. */
int jlkp_check(const char *expr, size_t len, char *err, size_t errlen, unsigned long *line,
               unsigned long *col);
/* Ruby's truth: everything but nil and false. */
int jlkp_truthy(const struct jlkp_val *v);

/* The value as lkp writes it into the job: integers in decimal, strings as
 * they are, true/false.  NULL for nil (lkp drops the job) or out of memory
 * (*oom set). */
char *jlkp_val_text(const struct jlkp_val *v, int *oom);

#endif
