#include <string.h>
#include "boot/layout.h"
#include "boot/zeropage.h"

static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)v); wr16(p + 2, (uint16_t)(v >> 16)); }
static void wr64(uint8_t *p, uint64_t v) { wr32(p, (uint32_t)v); wr32(p + 4, (uint32_t)(v >> 32)); }

int e820_build(struct e820_entry *map, uint64_t low_size, uint64_t high_size)
{
    int n = 0;
    map[n++] = (struct e820_entry){ 0, LAYOUT_EBDA, E820_RAM };
    map[n++] = (struct e820_entry){ LAYOUT_EBDA, LAYOUT_HIMEM - LAYOUT_EBDA, E820_RESERVED };
    if (low_size > LAYOUT_HIMEM)
        map[n++] = (struct e820_entry){ LAYOUT_HIMEM, low_size - LAYOUT_HIMEM, E820_RAM };
    if (high_size)
        map[n++] = (struct e820_entry){ 0x100000000ULL, high_size, E820_RAM };
    return n;
}

void zp_build(uint8_t *zp, const uint8_t *img, const struct bz_info *bz,
              const struct zp_params *p)
{
    memset(zp, 0, ZP_SIZE);
    memcpy(zp + SETUP_HDR_OFFSET, img + SETUP_HDR_OFFSET, bz->hdr_len);

    struct e820_entry map[ZP_E820_MAX];
    int n = e820_build(map, p->low_size, p->high_size);
    for (int i = 0; i < n; i++) {
        uint8_t *e = zp + 0x2d0 + 20 * i;
        wr64(e, map[i].addr);
        wr64(e + 8, map[i].size);
        wr32(e + 16, map[i].type);
    }
    zp[0x1e8] = (uint8_t)n;                     /* e820_entries */
    wr64(zp + 0x070, p->rsdp_addr);             /* acpi_rsdp_addr */

    zp[0x210] = 0xff;                           /* type_of_loader: undefined */
    zp[0x211] |= CAN_USE_HEAP;                  /* loadflags */
    wr16(zp + 0x224, 0xfe00 - 0x200);           /* heap_end_ptr */
    wr32(zp + 0x228, (uint32_t)p->cmdline_addr);
    wr32(zp + 0x0c8, (uint32_t)(p->cmdline_addr >> 32));
    wr32(zp + 0x218, (uint32_t)p->initrd_addr);  /* ramdisk_image */
    wr32(zp + 0x21c, (uint32_t)p->initrd_size);  /* ramdisk_size */
    wr32(zp + 0x0c0, (uint32_t)(p->initrd_addr >> 32));
    wr32(zp + 0x0c4, (uint32_t)(p->initrd_size >> 32));
    wr16(zp + 0x1fa, 0xffff);                   /* vid_mode: normal */
}

uint64_t initrd_place(const struct bz_info *bz, uint64_t low_size, uint64_t kernel_end,
                      uint64_t size)
{
    uint64_t top = low_size;
    uint64_t max = bz->initrd_addr_max ? (uint64_t)bz->initrd_addr_max + 1 : 0x38000000ULL;
    if (top > max)
        top = max;
    if (size > top)
        return 0;
    uint64_t at = (top - size) & ~0xfffULL;
    return at >= kernel_end ? at : 0;
}
