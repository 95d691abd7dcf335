/* The kernel image and its boot path (see kernel.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "boot/payload.h"
#include "vmm/kernel.h"
#include "vmm/options.h"

#define ERRF(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

const char *boot_path_name(enum boot_path p)
{
    return p == BOOT_PATH_BZIMAGE ? "bzimage" : "direct";
}

void kernel_cache_dir(char *buf, size_t len)
{
    const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
    if (x && *x)
        snprintf(buf, len, "%s/minivmm", x);
    else if (h && *h)
        snprintf(buf, len, "%s/.cache/minivmm", h);
    else
        snprintf(buf, len, "/tmp/minivmm-cache-%u", (unsigned)getuid());
}

int kernel_parse(struct kernel_image *k, const uint8_t *img, size_t len, char *err, size_t errlen)
{
    memset(k, 0, sizeof(*k));
    k->img = img;
    k->len = len;
    if (!vmlinux_is_elf(img, len)) {
        k->hdr = img;
        return bz_parse(img, len, &k->bz, err, errlen);
    }
    k->elf = true;
    if (vmlinux_parse(img, len, &k->v, err, errlen) < 0)
        return -1;
    vmlinux_setup_header(&k->v, k->synth, &k->bz);
    vmlinux_version(img, len, k->bz.version, sizeof(k->bz.version));
    k->hdr = k->synth;
    k->elf_bytes = img;
    k->elf_len = len;
    k->path = BOOT_PATH_DIRECT;
    return 0;
}

static uint64_t cache_max(void)
{
    const char *e = getenv("MINIVMM_KERNEL_CACHE_MAX");
    uint64_t v;
    return e && parse_size(e, &v) == 0 ? v : KCACHE_DEFAULT_MAX;
}

/* The bzImage's vmlinux, for the direct path: 0, or -1 with why not. */
static int unpack(struct kernel_image *k, const char *cache_dir, uint64_t low_ram, char *why,
                  size_t whylen)
{
    if (!k->bz.payload_len) {
        snprintf(why, whylen, "the image has no payload");
        return -1;
    }
    if (payload_format(k->bz.payload, k->bz.payload_len) == PAYLOAD_UNKNOWN) {
        snprintf(why, whylen, "its payload is in no format minivmm unpacks");
        return -1;
    }
    if (kcache_get(cache_dir, k->img, k->len, &k->bz, cache_max(), &k->kc, why, whylen) < 0)
        return -1;
    if (vmlinux_parse(k->kc.elf, k->kc.len, &k->v, why, whylen) < 0 ||
        !vmlinux_place(&k->v, low_ram, why, whylen)) {
        kcache_release(&k->kc);
        return -1;
    }
    k->elf_bytes = k->kc.elf;
    k->elf_len = k->kc.len;
    return 0;
}

int kernel_prepare(struct kernel_image *k, enum boot_path want, const char *cache_dir,
                   uint64_t low_ram, char *err, size_t errlen)
{
    if (k->elf) {
        if (!vmlinux_place(&k->v, low_ram, err, errlen))
            return -1;
        k->path = BOOT_PATH_DIRECT;
        return 0;
    }
    k->path = BOOT_PATH_BZIMAGE;
    if (want != BOOT_PATH_DIRECT)
        return 0;
    char why[300];
    if (unpack(k, cache_dir, low_ram, why, sizeof(why)) < 0) {
        fprintf(stderr, "minivmm: booting through the kernel's own decompressor (--boot-path "
                "bzimage): %s\n", why);
        return 0;
    }
    k->path = BOOT_PATH_DIRECT;
    return 0;
}

int kernel_load(struct kernel_image *k, struct guest_mem *mem, uint64_t *entry, uint64_t *end,
                char *err, size_t errlen)
{
    if (k->path == BOOT_PATH_DIRECT) {
        uint64_t base = vmlinux_place(&k->v, mem->low_size, err, errlen);
        if (!base)
            return -1;
        vmlinux_load(&k->v, k->elf_bytes, gmem_ptr(mem, 0, base + k->v.span), base);
        *entry = k->v.entry - k->v.paddr_lo + base;
        /* The kernel's own bound (init_size) where it has one, else its span. */
        *end = base + (k->bz.init_size > k->v.span ? k->bz.init_size : k->v.span);
        return 0;
    }
    uint64_t load = bz_load_address(&k->bz, mem->low_size, err, errlen);
    if (!load)
        return -1;
    memcpy(gmem_ptr(mem, load, k->bz.kernel_size), k->bz.kernel, k->bz.kernel_size);
    *entry = load + 0x200;                     /* the 64-bit entry of the boot protocol */
    *end = load + k->bz.init_size;
    return 0;
}

void kernel_release(struct kernel_image *k)
{
    kcache_release(&k->kc);
}
