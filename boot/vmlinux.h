/* An uncompressed x86-64 ELF vmlinux (given as --kernel, or unpacked from
 * a bzImage's payload), entered at its 64-bit entry with the zero page, as
 * the kernel's own decompressor would enter it.  Pure functions over a
 * byte buffer; the image is hostile input and every field is checked. */
#ifndef BOOT_VMLINUX_H
#define BOOT_VMLINUX_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMLINUX_MAX_SEGS  16          /* Linux has 4 or 5 PT_LOADs */

struct vmlinux_seg {
    uint64_t offset;     /* in the file */
    uint64_t filesz;     /* bytes from the file; the rest up to memsz is zero */
    uint64_t memsz;
    uint64_t paddr;      /* physical address the kernel was linked for */
};

struct vmlinux_info {
    uint64_t entry;      /* physical entry (e_entry: startup_64) */
    uint64_t paddr_lo;   /* lowest physical address of any segment */
    uint64_t span;       /* from paddr_lo to the end of the highest segment */
    int nsegs;
    struct vmlinux_seg segs[VMLINUX_MAX_SEGS];
};

/* True when the bytes start like an ELF file. */
bool vmlinux_is_elf(const uint8_t *img, size_t len);
/* Checks an ELF64 x86-64 executable and fills *v: program headers inside
 * the file and not absurd in number, each PT_LOAD inside the file with
 * filesz <= memsz, no two overlapping, no address that wraps, the entry
 * inside a segment.  Returns 0, or -1 with a one-line reason in err. */
int vmlinux_parse(const uint8_t *img, size_t len, struct vmlinux_info *v, char *err, size_t errlen);
/* Where to load it in low RAM of low_ram bytes: at its link address
 * (paddr_lo, 16 MiB for Linux: where the kernel's decompressor puts it
 * without KASLR), which must be at least 1 MiB and fit.  Returns the base,
 * or 0 with a reason in err. */
uint64_t vmlinux_place(const struct vmlinux_info *v, uint64_t low_ram, char *err, size_t errlen);
/* The release in the image's "Linux version X ..." banner, into out (at
 * most outlen - 1 printable characters), or "" when there is none. */
void vmlinux_version(const uint8_t *img, size_t len, char *out, size_t outlen);
/* Writes a boot protocol setup header (at hdr + 0x1f1, hdr has 1024 bytes)
 * for an ELF vmlinux booted without a bzImage: protocol 2.15, 64-bit entry,
 * loaded high at its link address, command line up to 2047 bytes; fills *bz
 * as bz_parse would for it (no payload, kernel_size 0). */
struct bz_info;
void vmlinux_setup_header(const struct vmlinux_info *v, uint8_t hdr[1024], struct bz_info *bz);
/* Copies each segment to guest + base + (paddr - paddr_lo) and zeroes the
 * rest of its memsz.  guest points at guest physical address 0. */
void vmlinux_load(const struct vmlinux_info *v, const uint8_t *img, uint8_t *guest, uint64_t base);
#endif
