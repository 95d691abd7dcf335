/* Fuzz target: lkp's include/ templates (jlkp_erb, the ERB subset).  Whatever
 * the bytes, the expander stays inside them, terminates, and either gives a
 * NUL-terminated text of the length it reports or one message with a place
 * inside the text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "job/lkperb.h"

static int lookup(void *ctx, const char *name, struct jlkp_val *out, char *err, size_t errlen)
{
    (void)ctx;
    (void)err;
    (void)errlen;
    *out = (struct jlkp_val){0};
    if (name[0] == 'x')
        return -1; /* lkp's KeyError */
    if (!strncmp(name, "job[", 4))
        return 0; /* nil */
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
    char *out = NULL, err[400];
    size_t n = 0;
    unsigned long line = 0, col = 0;
    if (jlkp_erb(text, len, lookup, NULL, &out, &n, err, sizeof err, &line, &col) == 0) {
        if (!out || strlen(out) != n)
            abort();
        free(out);
    } else {
        unsigned long lines = 1;
        for (size_t i = 0; i < len; i++)
            lines += text[i] == '\n';
        if (out || !err[0] || line < 1 || line > lines + 1)
            abort();
    }
    free(text);
    return 0;
}
