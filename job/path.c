/* job_path_component: the one rule for every path component minivmm makes
 * from text it did not choose (testcase, a job's parameters or name, a
 * kernel's version string, the names compile writes).  docs/jobs.md, "File
 * and directory names", states the rule. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "job/job.h"

static int hexdigit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int kept(const char *s, size_t i)
{
    char c = s[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    if (i == 0 && (c == '.' || c == '-')) /* no hidden file, no option look-alike */
        return 0;
    if (c && strchr("-_+=:.,@", c))
        return 1;
    /* '%' stays unless it would read as an escape: "50%" is kept, "%41" is not */
    return c == '%' && !(hexdigit(s[i + 1]) && hexdigit(s[i + 2]));
}

char *job_path_component(const char *text, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    const size_t max = JOB_PATH_COMPONENT_MAX, cut_at = max - 17;
    size_t o = 0, cut = 0, i;
    if (!*text) {
        strcpy(out, "%00"); /* no input text contains a NUL: distinct */
        return out;
    }
    for (i = 0; text[i]; i++) {
        size_t need = kept(text, i) ? 1 : 3;
        if (o + need > max)
            break;
        if (kept(text, i)) {
            out[o++] = text[i];
        } else {
            unsigned char c = (unsigned char)text[i];
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
        if (o <= cut_at)
            cut = o;
    }
    if (!text[i]) {
        out[o] = 0;
        return out;
    }
    /* Too long: a prefix (never half an escape), '~' (always escaped above,
     * so no short name ends like this) and a hash of the whole text. */
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    snprintf(out + cut, max + 1 - cut, "~%016llx", (unsigned long long)h);
    return out;
}
