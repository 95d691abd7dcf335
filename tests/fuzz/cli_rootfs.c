/* Fuzz target: what `minivmm rootfs` reads from outside (cli/rootfs.c): the
 * --packages list, the suite and mirror, and the host's APT sources in both
 * forms.  Whatever the bytes: no read outside the text, accepted package
 * names are sorted, unique and well formed, messages are one line, a found
 * mirror is a word of the text that fits the buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cli/rootfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    if (len < 1 || len > 65536)
        return 0;
    char *text = malloc(len);      /* data[1..] and a NUL: exactly what is needed */
    if (!text)
        return 0;
    memcpy(text, data + 1, len - 1);
    text[len - 1] = 0;
    char err[512] = "", out[64];
    struct rootfs_spec s = { .suite = "bookworm", .mirror = "http://x.example/debian",
                             .arch = "amd64", .version = "0" };
    switch (data[0] % 4) {
    case 0:
        if (rootfs_parse_packages(text, &s, err, sizeof err) == 0) {
            for (size_t i = 0; i < s.npackages; i++) {
                size_t n = strlen(s.packages[i]);
                if (n < 2 || strspn(s.packages[i], "abcdefghijklmnopqrstuvwxyz0123456789+-.") != n)
                    abort();
                if (i && strcmp(s.packages[i - 1], s.packages[i]) >= 0)
                    abort();
            }
            char hex[65];
            rootfs_cache_key(&s, hex);
            if (strlen(hex) != 64)
                abort();
        } else if (strchr(err, '\n')) {
            abort();
        }
        break;
    case 1:
    case 2:
        if (rootfs_mirror_from_apt(text, data[0] % 4 == 1, "bookworm", out, sizeof out) == 0 &&
            (strlen(out) >= sizeof out || !strstr(text, out)))
            abort();
        break;
    default:
        if ((rootfs_check_mirror(text, err, sizeof err) < 0 && strchr(err, '\n')) ||
            (rootfs_check_suite(text, err, sizeof err) < 0 && strchr(err, '\n')))
            abort();
        break;
    }
    free(text);
    return 0;
}
