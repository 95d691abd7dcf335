/* A program's string value split into words as a shell would split it
 * (docs/jobs.md "Keys"): the program's arguments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "job/job_internal.h"

int jsplit_words(struct jctx *c, const struct jnode *v, char ***argv, size_t *argc)
{
    const char *s = v->str;
    size_t len = strlen(s);
    char *w = malloc(len + 1);
    char **av = calloc(len / 2 + 2, sizeof *av);
    size_t n = 0;
    if (!w || !av) {
        free(w);
        free(av);
        return jerr_node(c, v, "out of memory");
    }
    size_t i = 0;
    for (;;) {
        while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')
            i++;
        if (!s[i])
            break;
        size_t wl = 0;
        while (s[i] && s[i] != ' ' && s[i] != '\t' && s[i] != '\n') {
            char ch = s[i];
            if (ch == '\'') {
                const char *q = strchr(s + i + 1, '\'');
                if (!q)
                    goto unterminated;
                size_t l = (size_t)(q - (s + i + 1));
                memcpy(w + wl, s + i + 1, l);
                wl += l;
                i += l + 2;
            } else if (ch == '"') {
                i++;
                for (;;) {
                    if (!s[i])
                        goto unterminated;
                    if (s[i] == '"') {
                        i++;
                        break;
                    }
                    if (s[i] == '\\' && s[i + 1] && strchr("\\\"$`\n", s[i + 1])) {
                        if (s[i + 1] != '\n')
                            w[wl++] = s[i + 1];
                        i += 2;
                        continue;
                    }
                    w[wl++] = s[i++];
                }
            } else if (ch == '\\') {
                if (s[i + 1] == '\n') {
                    i += 2;
                } else if (s[i + 1]) {
                    w[wl++] = s[i + 1];
                    i += 2;
                } else {
                    i++; /* a lone trailing backslash is dropped */
                }
            } else {
                w[wl++] = ch;
                i++;
            }
        }
        if (!(av[n] = strndup(w, wl)))
            goto oom;
        n++;
    }
    free(w);
    *argv = av;
    *argc = n;
    return 0;
unterminated:
    free(w);
    for (size_t k = 0; k < n; k++)
        free(av[k]);
    free(av);
    return jerr_node(c, v, "unterminated quote in '%s'", s);
oom:
    free(w);
    for (size_t k = 0; k < n; k++)
        free(av[k]);
    free(av);
    return jerr_node(c, v, "out of memory");
}

/* ---- building a job ---- */
