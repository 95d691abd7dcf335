/* The x86 Linux boot protocol: reading a bzImage's setup header.
 * Pure functions over a byte buffer; nothing here touches KVM. */
#ifndef BOOT_BZIMAGE_H
#define BOOT_BZIMAGE_H
#include <stddef.h>
#include <stdint.h>

#define BZ_MIN_PROTOCOL   0x020c  /* 2.12: xloadflags, 64-bit entry */
#define XLF_KERNEL_64     (1u << 0)
#define LOADED_HIGH       (1u << 0)
#define CAN_USE_HEAP      (1u << 7)
#define SETUP_HDR_OFFSET  0x1f1

struct bz_info {
    uint16_t protocol;          /* e.g. 0x020f */
    uint32_t setup_size;        /* bytes of boot sector + setup (not loaded) */
    const uint8_t *kernel;      /* protected-mode kernel inside the image */
    size_t kernel_size;
    uint32_t hdr_len;           /* bytes of setup header from 0x1f1 to copy */
    uint8_t relocatable;
    uint32_t kernel_alignment;
    uint64_t pref_address;
    uint32_t init_size;         /* memory the kernel needs from its load address */
    uint32_t cmdline_size;      /* longest command line, without the NUL */
    uint32_t initrd_addr_max;   /* highest address an initrd byte may have */
    uint16_t xloadflags;
    const uint8_t *payload;     /* the compressed vmlinux inside kernel[] (boot/payload.h) */
    size_t payload_len;
    char version[65];           /* "6.1.0-56-amd64" or "" when the image has none */
};

/* Checks the image and fills *bz.  Returns 0, or -1 with a one-line reason
 * in err (not a bzImage, protocol too old, no 64-bit entry, truncated...). */
int bz_parse(const uint8_t *img, size_t len, struct bz_info *bz, char *err, size_t errlen);

/* Where to load the protected-mode kernel in guest RAM of low_ram bytes,
 * or 0 with a reason in err when it does not fit. */
uint64_t bz_load_address(const struct bz_info *bz, uint64_t low_ram, char *err, size_t errlen);
#endif
