/* The modules `minivmm run` collects: see modules.h and docs/initrd.md. */
#include "initrd/modules.h"

#include <string.h>

const char *const initrd_optional_modules[] = { "virtio_blk" };
const size_t initrd_n_optional_modules = 1;

int initrd_modules_resolve_run(const char *moddir, const char *kver, const char *const *base,
                               size_t nbase, const char *const *extra, size_t nextra,
                               struct initrd_modules *out, char *err, size_t errlen)
{
    const char *names[32];
    size_t n = 0;
    for (size_t i = 0; i < nbase && n < sizeof(names) / sizeof(names[0]); i++)
        names[n++] = base[i];
    for (size_t i = 0; i < initrd_n_optional_modules && n < sizeof(names) / sizeof(names[0]); i++)
        names[n++] = initrd_optional_modules[i];
    size_t without_extra = n;
    for (size_t i = 0; i < nextra && n < sizeof(names) / sizeof(names[0]); i++)
        names[n++] = extra[i];
    /* All; when an optional one is what fails, with fewer. */
    if (initrd_modules_resolve(moddir, kver, names, n, out, err, errlen) == 0)
        return 0;
    if (n > without_extra &&
        initrd_modules_resolve(moddir, kver, names, without_extra, out, err, errlen) == 0)
        return 0;
    return initrd_modules_resolve(moddir, kver, base, nbase, out, err, errlen);
}
