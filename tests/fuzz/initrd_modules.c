/* Fuzz target: reading a kernel module's metadata (initrd/modules.h) from
 * fuzzed bytes, as initrd_modules_resolve does for every module it takes:
 * gzip decompression (input starting 1f 8b), the ELF section headers and
 * .modinfo lookup (initrd_modinfo_get), the vermagic check and the
 * depends= list (initrd_module_meta).  Nothing may be read outside the
 * buffer; a value found lies inside .modinfo's bytes; every dependency
 * returned is a valid, normalised module name. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "initrd/modules.h"

static void check_deps(char **deps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(deps[i]);
        if (!l || l > 55)
            abort();
        for (size_t k = 0; k < l; k++) {
            char c = deps[i][k];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_'))
                abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    /* A copy of exactly len bytes, so that ASan sees any read past the end. */
    unsigned char *img = malloc(len ? len : 1);
    if (!img)
        return 0;
    memcpy(img, data, len);
    char err[256];
    if (len >= 2 && img[0] == 0x1f && img[1] == 0x8b) {
        unsigned char *out;
        size_t outlen;
        err[0] = 0;
        if (initrd_module_gunzip(img, len, &out, &outlen, err, sizeof err) < 0) {
            if (!err[0] || strchr(err, '\n'))
                abort();
            free(img);
            return 0;
        }
        free(img);
        img = realloc(out, outlen ? outlen : 1);  /* exact size again */
        len = outlen;
    }
    static const char *const keys[] = { "vermagic", "depends", "license", "" };
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const char *val;
        size_t vl;
        err[0] = 0;
        int r = initrd_modinfo_get(img, len, keys[k], &val, &vl, err, sizeof err);
        if (r == 1 && (val < (const char *)img || vl > len || val + vl > (const char *)img + len))
            abort();
        if (r < 0 && (!err[0] || strchr(err, '\n')))
            abort();
        if (r < -1 || r > 1)
            abort();
    }
    static const char *const kvers[] = { NULL, "6.1.0-57-amd64" };
    for (size_t k = 0; k < 2; k++) {
        char **deps;
        size_t n;
        err[0] = 0;
        if (initrd_module_meta(img, len, kvers[k], &deps, &n, err, sizeof err) == 0) {
            check_deps(deps, n);
            initrd_module_deps_free(deps, n);
        } else if (!err[0] || strchr(err, '\n')) {
            abort();
        }
    }
    free(img);
    return 0;
}
