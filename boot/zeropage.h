/* The zero page (struct boot_params) and the e820 memory map. */
#ifndef BOOT_ZEROPAGE_H
#define BOOT_ZEROPAGE_H
#include <stdint.h>
#include "boot/bzimage.h"

#define ZP_SIZE          4096
#define ZP_E820_MAX      128
#define E820_RAM         1
#define E820_RESERVED    2

struct e820_entry { uint64_t addr, size; uint32_t type; };

/* Fills map (at most ZP_E820_MAX entries) for RAM of low_size bytes below
 * the hole and high_size bytes from 4 GiB; returns the entry count. */
int e820_build(struct e820_entry *map, uint64_t low_size, uint64_t high_size);

struct zp_params {
    uint64_t cmdline_addr;
    uint64_t initrd_addr, initrd_size;      /* size 0: no initrd */
    uint64_t rsdp_addr;
    uint64_t low_size, high_size;
};

/* Writes the zero page (ZP_SIZE bytes) for the image described by bz and
 * img (the setup header is copied from the image, then fields are set). */
void zp_build(uint8_t *zp, const uint8_t *img, const struct bz_info *bz,
              const struct zp_params *p);

/* Where the initrd of `size` bytes goes: the highest page-aligned address
 * below both low RAM's end and the kernel's initrd_addr_max, above the
 * kernel's [kernel_end).  Returns 0 when it does not fit. */
uint64_t initrd_place(const struct bz_info *bz, uint64_t low_size, uint64_t kernel_end,
                      uint64_t size);
#endif
