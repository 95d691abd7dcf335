/* The kernel image and its boot path (see kernel.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "boot/payload.h"
#include "cli/kernel.h"
#include "cli/options.h"
#include "cli/status.h"

#define ERRF(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

const char *boot_path_name(enum boot_path p)
{
    return p == BOOT_PATH_BZIMAGE ? "bzimage" : "direct";
}

void kernel_cache_dir(char *buf, size_t len)
{
    const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME"), *t = getenv("TMPDIR");
    if (x && *x) {
        snprintf(buf, len, "%s/minivmm", x);
        return;
    }
    if (h && *h) {
        snprintf(buf, len, "%s/.cache/minivmm", h);
        return;
    }
    /* A shared directory: the name is predictable, so it is used only when it
     * is our own real directory that no one else may write into; else a
     * private one for this run (no cache kept across runs). */
    t = t && *t == '/' ? t : "/tmp";
    unsigned uid = (unsigned)getuid();
    snprintf(buf, len, "%s/minivmm-cache-%u", t, uid);
    struct stat st;
    if (mkdir(buf, 0700) && errno != EEXIST)
        return; /* the caller's mkdir names the problem */
    if (!lstat(buf, &st) && S_ISDIR(st.st_mode) && st.st_uid == uid && !(st.st_mode & 022))
        return;
    snprintf(buf, len, "%s/minivmm-cache-%u.XXXXXX", t, uid);
    if (!mkdtemp(buf))
        snprintf(buf, len, "%s/minivmm-cache-%u/unsafe", t, uid); /* fails in the caller */
}

#define HEAD_MAX (0x20000 + 0x1000)    /* a bzImage's setup: at most 256 sectors of 512 */
#define PHDR_SIZE 56
#define MAX_PHDRS 64

static uint64_t le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

int kernel_parse(struct kernel_image *k, struct kimage *f, char *err, size_t errlen)
{
    memset(k, 0, sizeof(*k));
    k->file = f;
    k->img = f->map;
    k->len = f->len;
    const uint8_t *img = f->map;
    size_t len = f->len;
    char why[400];
    if (kimage_need(f, 0, HEAD_MAX, err, errlen) < 0)
        return EXIT_HOST_ERROR;
    if (!vmlinux_is_elf(img, len)) {
        k->hdr = img;
        if (bz_parse(img, len, &k->bz, why, sizeof(why)) < 0)
            goto cannot;
        return 0;
    }
    k->elf = true;
    if (len >= 64) {                   /* the program headers, where vmlinux_parse reads them */
        uint64_t phoff = le(img + 32, 8), phnum = le(img + 56, 2);
        if (phnum <= MAX_PHDRS && phoff <= len && phnum * PHDR_SIZE <= len - phoff &&
            kimage_need(f, phoff, phnum * PHDR_SIZE, err, errlen) < 0)
            return EXIT_HOST_ERROR;
    }
    if (vmlinux_parse(img, len, &k->v, why, sizeof(why)) < 0)
        goto cannot;
    vmlinux_setup_header(&k->v, k->synth, &k->bz);
    kimage_elf_version(f, k->bz.version, sizeof(k->bz.version));
    k->hdr = k->synth;
    k->path = BOOT_PATH_DIRECT;
    return 0;
cannot:
    snprintf(err, errlen, "cannot boot %s: %s", f->path, why);
    return EXIT_CANNOT_TEST;
}

static uint64_t cache_max(void)
{
    const char *e = getenv("MINIVMM_KERNEL_CACHE_MAX");
    uint64_t v;
    return e && parse_size(e, &v) == 0 ? v : KCACHE_DEFAULT_MAX;
}

/* The bzImage's vmlinux, for the direct path: 0, or -1 with why not.  The
 * cache key is the XXH3-128 of the file, read in chunks; only on a miss is
 * the payload read (into the image's address space, given back after). */
static int unpack(struct kernel_image *k, const char *cache_dir, uint64_t low_ram, char *why,
                  size_t whylen)
{
    if (!k->bz.payload_len) {
        snprintf(why, whylen, "the image has no payload");
        return -1;
    }
    struct kimage *f = k->file;
    uint64_t poff = (uint64_t)(k->bz.payload - f->map);
    if (kimage_need(f, poff, 64, why, whylen) < 0)
        return -1;
    if (payload_format(k->bz.payload, k->bz.payload_len) == PAYLOAD_UNKNOWN) {
        snprintf(why, whylen, "its payload is in no format minivmm unpacks");
        return -1;
    }
    uint8_t key[KCACHE_KEY_LEN];
    if (kimage_key(f, key, why, whylen) < 0)
        return -1;
    if (!kcache_lookup(cache_dir, key, &k->kc)) {
        int r = kimage_need(f, poff, k->bz.payload_len, why, whylen);
        /* The payload must be the bytes the key was made of: a file
         * rewritten since then must not fill the cache under the old key. */
        if (r == 0)
            r = kimage_check(f, why, whylen);
        if (r == 0)
            r = kcache_fill(cache_dir, key, &k->bz, cache_max(), &k->kc, why, whylen);
        kimage_drop(f, poff, k->bz.payload_len);
        if (r < 0)
            return -1;
    }
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
        uint8_t *guest = gmem_ptr(mem, 0, base + k->v.span);
        if (k->elf_bytes) {                     /* unpacked from a bzImage */
            vmlinux_load(&k->v, k->elf_bytes, guest, base);
        } else {                                /* the ELF file: its segments straight in */
            for (int i = 0; i < k->v.nsegs; i++) {
                const struct vmlinux_seg *s = &k->v.segs[i];
                uint8_t *dst = guest + base + (s->paddr - k->v.paddr_lo);
                if (kimage_pread(k->file, s->offset, s->filesz, dst, err, errlen) < 0)
                    return -2;
                memset(dst + s->filesz, 0, s->memsz - s->filesz);
            }
        }
        *entry = k->v.entry - k->v.paddr_lo + base;
        /* The kernel's own bound (init_size) where it has one, else its span. */
        *end = base + (k->bz.init_size > k->v.span ? k->bz.init_size : k->v.span);
    } else {
        uint64_t load = bz_load_address(&k->bz, mem->low_size, err, errlen);
        if (!load)
            return -1;
        if (kimage_pread(k->file, k->bz.setup_size, k->bz.kernel_size,
                         gmem_ptr(mem, load, k->bz.kernel_size), err, errlen) < 0)
            return -2;
        *entry = load + 0x200;                 /* the 64-bit entry of the boot protocol */
        *end = load + k->bz.init_size;
    }
    return kimage_check(k->file, err, errlen) < 0 ? -2 : 0;
}

void kernel_release(struct kernel_image *k)
{
    kcache_release(&k->kc);
}
