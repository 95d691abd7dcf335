/* The kernel image and the way it boots.
 *
 * --kernel is a bzImage or an uncompressed x86-64 ELF vmlinux.  A bzImage
 * boots one of two ways (--boot-path):
 *   direct   (default) its payload is unpacked on the host, once, into the
 *            unpacked-kernel cache (cli/kcache.h), and the vmlinux inside is
 *            loaded at its link address and entered at its 64-bit entry with
 *            the zero page: the kernel's own decompressor never runs;
 *   bzimage  the protected-mode part is loaded as it is and entered at
 *            +0x200, and the kernel decompresses itself (KASLR included).
 * When the direct path cannot be taken (a payload in no known format, a
 * corrupt one, a vmlinux that does not fit), minivmm says why in one line
 * on stderr and boots the bzImage way.  An ELF vmlinux always boots direct. */
#ifndef CLI_KERNEL_H
#define CLI_KERNEL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "boot/bzimage.h"
#include "boot/vmlinux.h"
#include "cli/kcache.h"
#include "cli/kimage.h"
#include "vmm/mem.h"
#include "cli/options.h"

struct kernel_image {
    struct kimage *file;        /* the --kernel file (not owned) */
    const uint8_t *img;         /* its bytes, as far as read (file->map) */
    size_t len;
    bool elf;                   /* an ELF vmlinux given as --kernel */
    struct bz_info bz;          /* the setup header (made up for an ELF) */
    const uint8_t *hdr;         /* where the zero page's setup header is copied from */
    uint8_t synth[1024];        /* the made-up header of an ELF */
    enum boot_path path;        /* how it will boot, once prepared */
    struct kcache_entry kc;     /* the vmlinux, when direct from a bzImage */
    struct vmlinux_info v;
    const uint8_t *elf_bytes;
    size_t elf_len;
};

/* Recognises the file: a bzImage or an ELF vmlinux, checked, reading only
 * its headers (and, for an ELF, its banner in chunks).  Returns 0, or the
 * exit status with a one-line message in err: 125 "cannot boot PATH: why",
 * 255 when the file could not be read. */
int kernel_parse(struct kernel_image *k, struct kimage *f, char *err, size_t errlen);
/* Decides the boot path for guest RAM of low_ram bytes below the MMIO hole
 * and, for the direct path from a bzImage, gets the vmlinux from cache_dir
 * (or unpacks it).  Falls back to the bzImage path with one line on stderr.
 * Returns 0, or -1 with a reason in err when an ELF cannot be placed. */
int kernel_prepare(struct kernel_image *k, enum boot_path want, const char *cache_dir,
                   uint64_t low_ram, char *err, size_t errlen);
/* Puts the kernel into guest memory, from the file straight there (a
 * bzImage's protected-mode part, an ELF's segments) or from the unpacked
 * vmlinux; *entry is where the boot CPU starts (64-bit, RSI = zero page)
 * and *end the first byte it may use no more.  Returns 0, or -1 with a
 * reason in err (it does not fit: 125), or -2 (the file could not be
 * read, or changed since it was opened: 255). */
int kernel_load(struct kernel_image *k, struct guest_mem *mem, uint64_t *entry, uint64_t *end,
                char *err, size_t errlen);
void kernel_release(struct kernel_image *k);
const char *boot_path_name(enum boot_path p);

/* Where minivmm keeps its caches: $XDG_CACHE_HOME/minivmm, else
 * $HOME/.cache/minivmm, else ${TMPDIR:-/tmp}/minivmm-cache-UID when that is
 * the user's own directory (made 0700 if missing) that group and others
 * cannot write, else a new private directory for this run. */
void kernel_cache_dir(char *buf, size_t len);
#endif
