/* minivmm rootfs's inputs, checked, and the cache key they make: the pure
 * part of the command (tests/unit/cli_rootfs.c, tests/fuzz/cli_rootfs.c).
 * docs/rootfs.md. */
#include "cli/rootfs.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "initrd/sha256.h"

/* Bumped when what is done to the tree after debootstrap changes. */
#define ROOTFS_FORMAT "minivmm-rootfs 1 minbase trim-docs"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int rootfs_parse_packages(char *list, struct rootfs_spec *spec, char *err, size_t errlen)
{
    spec->npackages = 0;
    if (!*list)
        return 0;
    for (char *p = list;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = 0;
        size_t n = strlen(p);
        if (!n) {
            snprintf(err, errlen, "--packages: empty package name (give P1,P2,... without "
                     "empty items)");
            return -1;
        }
        bool good = n >= 2 && n <= 128 && (islower((unsigned char)p[0]) ||
                                           isdigit((unsigned char)p[0]));
        for (size_t i = 0; good && i < n; i++) {
            unsigned char c = (unsigned char)p[i];
            good = islower(c) || isdigit(c) || c == '+' || c == '-' || c == '.';
        }
        if (!good) {
            snprintf(err, errlen, "--packages: '%.*s' is not a Debian package name "
                     "(a-z 0-9 + - . , at least 2 characters, starting with a letter or "
                     "digit)", n > 64 ? 64 : (int)n, p);
            for (char *c = err; *c; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                    *c = '?';
            return -1;
        }
        if (spec->npackages == ROOTFS_MAX_PACKAGES) {
            snprintf(err, errlen, "--packages: more than %d packages", ROOTFS_MAX_PACKAGES);
            return -1;
        }
        spec->packages[spec->npackages++] = p;
        if (!comma)
            break;
        p = comma + 1;
    }
    qsort(spec->packages, spec->npackages, sizeof(spec->packages[0]), cmp_str);
    size_t w = 0;
    for (size_t i = 0; i < spec->npackages; i++)
        if (!w || strcmp(spec->packages[w - 1], spec->packages[i]))
            spec->packages[w++] = spec->packages[i];
    spec->npackages = w;
    return 0;
}

int rootfs_check_suite(const char *suite, char *err, size_t errlen)
{
    size_t n = strlen(suite);
    /* Starting with a letter or digit: debootstrap would read "--..." as
     * one of its own options (--no-check-gpg, --make-tarball=...). */
    bool good = n >= 1 && n <= 64 && (islower((unsigned char)suite[0]) ||
                                      isdigit((unsigned char)suite[0]));
    for (size_t i = 0; good && i < n; i++)
        good = islower((unsigned char)suite[i]) || isdigit((unsigned char)suite[i]) ||
               suite[i] == '-' || suite[i] == '_';
    if (good)
        return 0;
    snprintf(err, errlen, "--suite: '%.64s' is not a suite name (a-z 0-9 - _, starting with a letter or digit, e.g. bookworm)",
             suite);
    for (char *c = err; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    return -1;
}

int rootfs_check_mirror(const char *url, char *err, size_t errlen)
{
    size_t n = strlen(url);
    bool good = n <= 1024 && (!strncmp(url, "http://", 7) || !strncmp(url, "https://", 8) ||
                              !strncmp(url, "file:/", 6));
    for (size_t i = 0; good && i < n; i++)
        good = (unsigned char)url[i] > 0x20 && url[i] != 0x7f;
    if (good && n > 8)
        return 0;
    snprintf(err, errlen, "--mirror: '%.64s' is not a mirror URL (http://, https:// or file:/, "
             "no spaces)", url);
    for (char *c = err; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    return -1;
}

static void key_field(struct sha256 *h, const char *name, const char *val)
{
    sha256_update(h, name, strlen(name));
    sha256_update(h, "=", 1);
    sha256_update(h, val, strlen(val));
    sha256_update(h, "\n", 1);         /* no field holds a newline: unambiguous */
}

void rootfs_cache_key(const struct rootfs_spec *spec, char hex[65])
{
    struct sha256 h;
    uint8_t d[SHA256_LEN];
    sha256_init(&h);
    key_field(&h, "format", ROOTFS_FORMAT);
    key_field(&h, "version", spec->version);
    key_field(&h, "suite", spec->suite);
    key_field(&h, "mirror", spec->mirror);
    key_field(&h, "arch", spec->arch);
    for (size_t i = 0; i < spec->npackages; i++)
        key_field(&h, "package", spec->packages[i]);
    sha256_final(&h, d);
    sha256_hex(d, hex);
}

/* Is word one of the space-separated words in list[0..len)? */
static bool has_word(const char *list, size_t len, const char *word)
{
    size_t wl = strlen(word);
    for (size_t i = 0; i < len;) {
        while (i < len && isspace((unsigned char)list[i]))
            i++;
        size_t s = i;
        while (i < len && !isspace((unsigned char)list[i]))
            i++;
        if (i - s == wl && !strncmp(list + s, word, wl))
            return true;
    }
    return false;
}

static int first_word(const char *s, size_t len, char *out, size_t outlen)
{
    size_t i = 0;
    while (i < len && isspace((unsigned char)s[i]))
        i++;
    size_t st = i;
    while (i < len && !isspace((unsigned char)s[i]))
        i++;
    if (i == st || i - st >= outlen)
        return -1;
    memcpy(out, s + st, i - st);
    out[i - st] = 0;
    return 0;
}

int rootfs_mirror_from_apt(const char *text, bool deb822, const char *suite, char *out,
                           size_t len)
{
    if (!deb822) {
        for (const char *l = text; *l;) {
            const char *e = strchr(l, '\n');
            size_t n = e ? (size_t)(e - l) : strlen(l);
            /* deb [options] URI SUITE COMPONENT... */
            if (n > 4 && !strncmp(l, "deb", 3) && isspace((unsigned char)l[3])) {
                const char *p = l + 3, *end = l + n;
                while (p < end && isspace((unsigned char)*p))
                    p++;
                if (p < end && *p == '[') {
                    const char *c = memchr(p, ']', (size_t)(end - p));
                    p = c ? c + 1 : end;
                }
                char uri[1100], su[128];
                if (first_word(p, (size_t)(end - p), uri, sizeof uri) == 0) {
                    const char *q = strstr(p, uri) + strlen(uri);
                    if (first_word(q, (size_t)(end - q), su, sizeof su) == 0 &&
                        !strcmp(su, suite) && strlen(uri) < len) {
                        snprintf(out, len, "%s", uri);
                        return 0;
                    }
                }
            }
            l += n + (e ? 1 : 0);
        }
        return -1;
    }
    /* deb822: stanzas separated by blank lines; fields Types, URIs, Suites. */
    const char *p = text;
    while (*p) {
        const char *types = NULL, *uris = NULL, *suites = NULL;
        size_t tl = 0, ul = 0, sl = 0;
        bool enabled = true;
        while (*p) {
            const char *e = strchr(p, '\n');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            const char *next = p + n + (e ? 1 : 0);
            size_t k = 0;
            while (k < n && isspace((unsigned char)p[k]))
                k++;
            if (k == n) {               /* blank line: end of stanza */
                p = next;
                break;
            }
            if (!strncasecmp(p, "Types:", 6))
                types = p + 6, tl = n - 6;
            else if (!strncasecmp(p, "URIs:", 5))
                uris = p + 5, ul = n - 5;
            else if (!strncasecmp(p, "Suites:", 7))
                suites = p + 7, sl = n - 7;
            else if (!strncasecmp(p, "Enabled:", 8))
                enabled = !has_word(p + 8, n - 8, "no");
            p = next;
        }
        char uri[1100];
        if (enabled && types && uris && suites && has_word(types, tl, "deb") &&
            has_word(suites, sl, suite) && first_word(uris, ul, uri, sizeof uri) == 0 &&
            strlen(uri) < len) {
            snprintf(out, len, "%s", uri);
            return 0;
        }
    }
    return -1;
}
