/* ELF vmlinux: checking and placing its PT_LOAD segments (see vmlinux.h). */
#include <stdio.h>
#include <string.h>
#include "boot/bzimage.h"
#include "boot/layout.h"
#include "boot/vmlinux.h"

#define fail(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

#define EM_X86_64  62
#define ET_EXEC    2
#define PT_LOAD    1
#define EHDR_SIZE  64
#define PHDR_SIZE  56
#define MAX_PHDRS  64          /* Linux has about 5; more is not a kernel */

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

bool vmlinux_is_elf(const uint8_t *img, size_t len)
{
    return len >= 4 && !memcmp(img, "\x7f" "ELF", 4);
}

int vmlinux_parse(const uint8_t *img, size_t len, struct vmlinux_info *v, char *err, size_t errlen)
{
    memset(v, 0, sizeof(*v));
    if (!vmlinux_is_elf(img, len))
        fail("not an ELF file");
    if (len < EHDR_SIZE)
        fail("truncated: %zu bytes end inside the ELF header", len);
    if (img[4] != 2 || img[5] != 1)
        fail("not a 64-bit little-endian ELF file (an x86-64 vmlinux is)");
    if (rd16(img + 18) != EM_X86_64)
        fail("ELF machine %u is not x86-64", rd16(img + 18));
    if (rd16(img + 16) != ET_EXEC)
        fail("ELF type %u is not an executable (a vmlinux is)", rd16(img + 16));
    uint64_t phoff = rd64(img + 32);
    uint16_t phentsize = rd16(img + 54), phnum = rd16(img + 56);
    if (phentsize != PHDR_SIZE)
        fail("ELF program header size %u is not %u", phentsize, PHDR_SIZE);
    if (phnum == 0 || phnum > MAX_PHDRS)
        fail("%u ELF program headers (a vmlinux has 1 to %u)", phnum, MAX_PHDRS);
    if (phoff > len || (uint64_t)phnum * PHDR_SIZE > len - phoff)
        fail("truncated: program headers end beyond the file");

    uint64_t hi = 0;
    v->paddr_lo = UINT64_MAX;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = img + phoff + (uint64_t)i * PHDR_SIZE;
        if (rd32(ph) != PT_LOAD)
            continue;
        struct vmlinux_seg s = {
            .offset = rd64(ph + 8), .paddr = rd64(ph + 24),
            .filesz = rd64(ph + 32), .memsz = rd64(ph + 40),
        };
        if (s.memsz == 0)
            continue;
        if (v->nsegs == VMLINUX_MAX_SEGS)
            fail("more than %d loadable segments", VMLINUX_MAX_SEGS);
        if (s.filesz > s.memsz)
            fail("segment %u has more file bytes (%llu) than memory (%llu)", i,
                 (unsigned long long)s.filesz, (unsigned long long)s.memsz);
        if (s.offset > len || s.filesz > len - s.offset)
            fail("truncated: segment %u ends beyond the file", i);
        if (s.paddr + s.memsz < s.paddr || s.paddr + s.memsz > LAYOUT_MMIO_HOLE)
            fail("segment %u at 0x%llx (%llu bytes) is outside low RAM", i,
                 (unsigned long long)s.paddr, (unsigned long long)s.memsz);
        for (int k = 0; k < v->nsegs; k++) {
            const struct vmlinux_seg *o = &v->segs[k];
            if (s.paddr < o->paddr + o->memsz && o->paddr < s.paddr + s.memsz)
                fail("segments %d and %u overlap at 0x%llx", k, i, (unsigned long long)s.paddr);
        }
        v->segs[v->nsegs++] = s;
        if (s.paddr < v->paddr_lo)
            v->paddr_lo = s.paddr;
        if (s.paddr + s.memsz > hi)
            hi = s.paddr + s.memsz;
    }
    if (!v->nsegs)
        fail("no loadable segment");
    v->span = hi - v->paddr_lo;
    v->entry = rd64(img + 24);
    bool inside = false;
    for (int k = 0; k < v->nsegs; k++)
        inside |= v->entry >= v->segs[k].paddr && v->entry < v->segs[k].paddr + v->segs[k].filesz;
    if (!inside)
        fail("entry point 0x%llx is not inside a loaded segment", (unsigned long long)v->entry);
    return 0;
}

uint64_t vmlinux_place(const struct vmlinux_info *v, uint64_t low_ram, char *err, size_t errlen)
{
    uint64_t at = v->paddr_lo;
    if (at < LAYOUT_HIMEM) {
        snprintf(err, errlen, "kernel is linked at 0x%llx, below 1 MiB",
                 (unsigned long long)at);
        return 0;
    }
    if (at > low_ram || v->span > low_ram - at) {
        snprintf(err, errlen, "kernel needs %llu MiB from 0x%llx but guest RAM below the MMIO "
                 "hole is %llu MiB", (unsigned long long)(v->span >> 20), (unsigned long long)at,
                 (unsigned long long)(low_ram >> 20));
        return 0;
    }
    return at;
}

void vmlinux_load(const struct vmlinux_info *v, const uint8_t *img, uint8_t *guest, uint64_t base)
{
    for (int k = 0; k < v->nsegs; k++) {
        const struct vmlinux_seg *s = &v->segs[k];
        uint8_t *dst = guest + base + (s->paddr - v->paddr_lo);
        memcpy(dst, img + s->offset, s->filesz);
        memset(dst + s->filesz, 0, s->memsz - s->filesz);
    }
}

void vmlinux_version(const uint8_t *img, size_t len, char *out, size_t outlen)
{
    static const char banner[] = "Linux version ";
    const size_t bl = sizeof(banner) - 1;
    out[0] = 0;
    const uint8_t *p = memmem(img, len, banner, bl);
    if (!p || !outlen)
        return;
    p += bl;
    size_t i = 0;
    while (p + i < img + len && i < outlen - 1 && p[i] > ' ' && p[i] < 0x7f) {
        out[i] = (char)p[i];
        i++;
    }
    out[i] = 0;
}

static void wr16(uint8_t *p, uint16_t x) { p[0] = (uint8_t)x; p[1] = (uint8_t)(x >> 8); }
static void wr32(uint8_t *p, uint32_t x) { wr16(p, (uint16_t)x); wr16(p + 2, (uint16_t)(x >> 16)); }

void vmlinux_setup_header(const struct vmlinux_info *v, uint8_t hdr[1024], struct bz_info *bz)
{
    memset(hdr, 0, 1024);
    wr16(hdr + 0x1fe, 0xaa55);                 /* boot_flag */
    hdr[0x200] = 0xeb;                         /* jump over the header to 0x268 */
    hdr[0x201] = 0x268 - 0x202;
    memcpy(hdr + 0x202, "HdrS", 4);
    wr16(hdr + 0x206, 0x020f);                 /* protocol 2.15 */
    hdr[0x211] = LOADED_HIGH;
    wr32(hdr + 0x214, (uint32_t)v->paddr_lo);  /* code32_start */
    wr32(hdr + 0x22c, 0x7fffffff);             /* initrd_addr_max */
    wr32(hdr + 0x230, 0x200000);               /* kernel_alignment */
    wr16(hdr + 0x236, XLF_KERNEL_64);
    wr32(hdr + 0x238, 2047);                   /* cmdline_size: Linux's COMMAND_LINE_SIZE - 1 */
    wr32(hdr + 0x260, (uint32_t)v->span);      /* init_size */
    memset(bz, 0, sizeof(*bz));
    bz->protocol = 0x020f;
    bz->setup_size = 0;
    bz->hdr_len = 0x268 - SETUP_HDR_OFFSET;
    bz->kernel_alignment = 0x200000;
    bz->pref_address = v->paddr_lo;
    bz->init_size = (uint32_t)v->span;
    bz->cmdline_size = 2047;
    bz->initrd_addr_max = 0x7fffffff;
    bz->xloadflags = XLF_KERNEL_64;
}
