/* Fuzz target: lkp {{ }} expressions (jlkp_eval).  Whatever the bytes, the
 * evaluator stays inside them, terminates, and either gives a value or one
 * message with a place inside the text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "job/lkpexpr.h"

static int lookup(void *ctx, const char *name, struct jlkp_val *out, char *err, size_t errlen)
{
    (void)ctx;
    (void)err;
    (void)errlen;
    *out = (struct jlkp_val){0};
    if (name[0] == 'n') {
        out->type = JLKP_INT;
        out->i = (long long)strlen(name);
        return 0;
    }
    if (name[0] == 'x')
        return -1;
    out->type = JLKP_STR;
    out->s = strdup(name);
    return out->s ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    char *text = malloc(len ? len : 1); /* exactly len bytes: ASan sees over-reads */
    if (!text)
        return 0;
    memcpy(text, data, len);
    struct jlkp_val v;
    char err[256];
    unsigned long line = 0, col = 0;
    if (jlkp_eval(text, len, lookup, NULL, &v, err, sizeof err, &line, &col) == 0) {
        int oom;
        if (v.type == JLKP_RE)
            abort(); /* never a result */
        free(jlkp_val_text(&v, &oom));
        jlkp_val_free(&v);
    } else {
        unsigned long lines = 0;
        for (size_t i = 0; i < len; i++)
            lines += text[i] == '\n';
        if (!err[0] || line > lines || col > len)
            abort();
    }
    free(text);
    return 0;
}
