/* Private to job/lkpexpr*.c: the evaluator's state and its lexing,
 * literal and value helpers (job/lkpexpr_lit.c). */
#ifndef JOB_LKPEXPR_INT_H
#define JOB_LKPEXPR_INT_H
#include <stddef.h>
#include "job/lkpexpr.h"

struct ev {
    const char *s;
    size_t len, pos;
    jlkp_lookup_fn lookup;
    void *ctx;
    char *err;
    size_t errlen;
    size_t errpos;
    int failed;
    int depth;
};

/* Records the first error (message and offset); returns -1. */
int jx_fail_at(struct ev *e, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int jx_is_ident(int ch, int first);
void jx_blanks(struct ev *e, int nl);       /* blanks; newlines too when NL */
int jx_accept(struct ev *e, const char *w); /* consumes the token W if next */
int jx_peek(struct ev *e, const char *w);
void jx_separators(struct ev *e);           /* newlines and ';' */
int jx_is_reserved(const char *w, size_t n);
int jx_truthy(const struct jlkp_val *v);
const char *jx_type_name(enum jlkp_type t);
int jx_equal(const struct jlkp_val *a, const struct jlkp_val *b);
long long jx_re_match(struct ev *e, size_t at, const char *str, const char *re);
int jx_string_lit(struct ev *e, int on, struct jlkp_val *v);
int jx_regex_lit(struct ev *e, int on, struct jlkp_val *v);
int jx_arith(struct ev *e, size_t at, char op, struct jlkp_val *a, struct jlkp_val *b);
/* A whole expression, `and`/`or`/`not` included (job/lkpexpr.c). */
int jx_expr(struct ev *e, int on, struct jlkp_val *v);

#endif
