/* Setup header parsing: every field is checked against the file's length
 * before use, since the image may be truncated or not a kernel at all. */
#include <stdio.h>
#include <string.h>
#include "boot/bzimage.h"
#include "boot/layout.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

#define fail(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

int bz_parse(const uint8_t *img, size_t len, struct bz_info *bz, char *err, size_t errlen)
{
    memset(bz, 0, sizeof(*bz));
    if (len < 0x206 || rd16(img + 0x1fe) != 0xaa55 || memcmp(img + 0x202, "HdrS", 4) != 0)
        fail("not a bzImage: no Linux boot header (\"HdrS\" signature missing)");
    if (len < 0x26c)
        fail("truncated: %zu bytes end inside the setup header", len);
    bz->protocol = rd16(img + 0x206);
    if (bz->protocol < BZ_MIN_PROTOCOL)
        fail("boot protocol %u.%02u is too old (need 2.12 or newer)",
             bz->protocol >> 8, bz->protocol & 0xff);
    bz->xloadflags = rd16(img + 0x236);
    if (!(bz->xloadflags & XLF_KERNEL_64))
        fail("kernel has no 64-bit entry point (XLF_KERNEL_64 not set)");
    if (!(img[0x211] & LOADED_HIGH))
        fail("not a bzImage: kernel is not loaded high (zImage?)");

    unsigned setup_sects = img[0x1f1] ? img[0x1f1] : 4;
    bz->setup_size = (setup_sects + 1) * 512u;
    bz->hdr_len = 0x202 + img[0x201] - SETUP_HDR_OFFSET;   /* header ends after the jump */
    if (img[0x200] != 0xeb || SETUP_HDR_OFFSET + bz->hdr_len > bz->setup_size ||
        bz->hdr_len < 0x268 - SETUP_HDR_OFFSET)
        fail("setup header is malformed (bad jump at 0x200)");
    if (bz->setup_size >= len)
        fail("truncated: %zu bytes, setup alone needs %u", len, bz->setup_size);

    bz->kernel = img + bz->setup_size;
    bz->kernel_size = len - bz->setup_size;
    if (bz->kernel_size > UINT32_MAX)   /* init_size, which must cover it, is 32 bits */
        fail("kernel part of %zu bytes is not below 4 GiB", bz->kernel_size);
    uint64_t syssize = (uint64_t)rd32(img + 0x1f4) * 16;
    if (syssize == 0 || syssize > bz->kernel_size)
        fail("truncated: kernel needs %llu bytes after setup, file has %zu",
             (unsigned long long)syssize, bz->kernel_size);
    uint32_t payload_off = rd32(img + 0x248), payload_len = rd32(img + 0x24c);
    if ((uint64_t)payload_off + payload_len > bz->kernel_size)
        fail("truncated: compressed payload ends beyond the file");
    bz->payload = bz->kernel + payload_off;
    bz->payload_len = payload_len;

    bz->relocatable = img[0x234];
    bz->kernel_alignment = rd32(img + 0x230);
    if (bz->kernel_alignment == 0 || (bz->kernel_alignment & (bz->kernel_alignment - 1)))
        fail("invalid kernel_alignment 0x%x", bz->kernel_alignment);
    bz->pref_address = rd64(img + 0x258);
    bz->init_size = rd32(img + 0x260);
    if (bz->init_size < bz->kernel_size)
        bz->init_size = (uint32_t)bz->kernel_size;   /* the image must fit at least */
    bz->cmdline_size = rd32(img + 0x238);
    bz->initrd_addr_max = rd32(img + 0x22c);

    uint16_t vofs = rd16(img + 0x20e);
    if (vofs) {
        size_t at = 0x200 + (size_t)vofs, i = 0;
        while (at + i < bz->setup_size && i < sizeof(bz->version) - 1 &&
               img[at + i] > ' ' && img[at + i] < 0x7f) {
            bz->version[i] = (char)img[at + i];
            i++;
        }
        bz->version[i] = 0;
    }
    return 0;
}

uint64_t bz_load_address(const struct bz_info *bz, uint64_t low_ram, char *err, size_t errlen)
{
    uint64_t at = LAYOUT_HIMEM;
    if (bz->relocatable) {
        at = bz->pref_address;
        if (at < LAYOUT_HIMEM || (at & (bz->kernel_alignment - 1)))
            at = (LAYOUT_HIMEM + bz->kernel_alignment - 1) & ~(uint64_t)(bz->kernel_alignment - 1);
    }
    if (at > low_ram || bz->init_size > low_ram - at) {   /* no wrap near 2^64 */
        snprintf(err, errlen, "kernel needs %u MiB from 0x%llx but guest RAM below the "
                 "MMIO hole is %llu MiB", bz->init_size >> 20, (unsigned long long)at,
                 (unsigned long long)(low_ram >> 20));
        return 0;
    }
    return at;
}
