/* Wraps a flat 64-bit kernel (linked at 1 MiB, 64-bit entry at +0x200)
 * into a bzImage: boot sector + one setup sector holding a 2.15 setup
 * header, then the kernel.  With PAYLOAD (the kernel's ELF, compressed, as
 * a real bzImage carries its vmlinux), the kernel part is the flat kernel
 * padded with zeros to INIT_SIZE (so that a bzImage-style load zeroes its
 * .bss), then the payload, which the setup header points at.  With
 * REALMODE (tests/guest/setup16.S, linked at 0x26c), the setup sector also
 * holds a 16-bit real-mode entry where the jmp at 0x200 lands, for loaders
 * that enter the setup (QEMU).
 * usage: mkbzimage KERNEL.bin INIT_SIZE OUT [PAYLOAD [REALMODE]] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void w16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void w32(uint8_t *p, uint32_t v) { w16(p, (uint16_t)v); w16(p + 2, (uint16_t)(v >> 16)); }

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 6) {
        fprintf(stderr, "usage: mkbzimage KERNEL.bin INIT_SIZE OUT [PAYLOAD [REALMODE]]\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 1; }
    static uint8_t kernel[4 << 20];
    size_t klen = fread(kernel, 1, 1 << 20, f);
    fclose(f);
    uint32_t init_size = (uint32_t)strtoul(argv[2], NULL, 0);
    uint32_t payload_off = 0, payload_len = 0;
    if (argc >= 5) {
        if (init_size < klen || init_size > (2u << 20)) {
            fprintf(stderr, "mkbzimage: INIT_SIZE 0x%x does not fit\n", init_size);
            return 1;
        }
        f = fopen(argv[4], "rb");
        if (!f) { perror(argv[4]); return 1; }
        payload_off = init_size;               /* the flat kernel's .bss ends here */
        payload_len = (uint32_t)fread(kernel + payload_off, 1, (2u << 20), f);
        fclose(f);
        klen = payload_off + payload_len;
        init_size = (uint32_t)((klen + 0xfff) & ~(size_t)0xfff);
    }
    size_t padded = (klen + 15) & ~(size_t)15;
    uint8_t setup[1024] = { 0 };
    setup[0x1f1] = 1;                              /* setup_sects */
    w32(setup + 0x1f4, (uint32_t)(padded / 16));   /* syssize */
    w16(setup + 0x1fe, 0xaa55);
    setup[0x200] = 0xeb;                           /* jmp over the header */
    setup[0x201] = 0x6a;
    memcpy(setup + 0x202, "HdrS", 4);
    w16(setup + 0x206, 0x020f);                    /* protocol 2.15 */
    const char *ver = "tinyguest-1.0 (minivmm test guest)";
    w16(setup + 0x20e, 0x3d8 - 0x200);             /* kernel_version */
    memcpy(setup + 0x3d8, ver, strlen(ver) + 1);
    if (argc == 6) {                               /* real-mode code: 0x26c..0x3d7 */
        f = fopen(argv[5], "rb");
        if (!f) { perror(argv[5]); return 1; }
        size_t n = fread(setup + 0x26c, 1, 0x3d8 - 0x26c, f);
        int more = fgetc(f) != EOF;
        fclose(f);
        if (!n || more) {
            fprintf(stderr, "mkbzimage: %s is empty or longer than %d bytes\n", argv[5], 0x3d8 - 0x26c);
            return 1;
        }
    }
    setup[0x211] = 1;                              /* LOADED_HIGH */
    w32(setup + 0x214, 0x100000);                  /* code32_start */
    w32(setup + 0x22c, 0x7fffffff);                /* initrd_addr_max */
    w32(setup + 0x230, 0x200000);                  /* kernel_alignment */
    setup[0x234] = 0;                              /* not relocatable */
    w16(setup + 0x236, 1);                         /* XLF_KERNEL_64 */
    w32(setup + 0x238, 2047);                      /* cmdline_size */
    w32(setup + 0x258, 0x100000);                  /* pref_address */
    w32(setup + 0x248, payload_off);               /* payload_offset */
    w32(setup + 0x24c, payload_len);               /* payload_length */
    w32(setup + 0x260, init_size);
    f = fopen(argv[3], "wb");
    if (!f) { perror(argv[3]); return 1; }
    static const uint8_t zero[16];
    if (fwrite(setup, 1, sizeof(setup), f) != sizeof(setup) || fwrite(kernel, 1, klen, f) != klen ||
        fwrite(zero, 1, padded - klen, f) != padded - klen || fclose(f)) {
        perror(argv[3]);
        return 1;
    }
    return 0;
}
