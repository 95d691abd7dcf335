/* lkp's include/ templates: the ERB subset they use (job/lkperb.c). */
#ifndef JOB_LKPERB_H
#define JOB_LKPERB_H
#include <stddef.h>
#include "job/lkpexpr.h"

/* Expands TEXT (LEN bytes): `%` control lines (if, unless, elsif, else, end)
 * and `<%= EXPR %>` evaluated with LOOKUP, as Ruby's ERB with trim_mode '%'
 * would.  0 and *OUT (malloc'd, NUL-terminated, *OUTLEN bytes), or -1 with a
 * one-line message in ERR and its place (1-based *LINE and *COL in TEXT).
 * A LOOKUP failure is such an error too: the caller tells lkp's KeyError
 * (the template is skipped) from its own context. */
int jlkp_erb(const char *text, size_t len, jlkp_lookup_fn lookup, void *ctx, char **out,
             size_t *outlen, char *err, size_t errlen, unsigned long *line, unsigned long *col);

#endif
