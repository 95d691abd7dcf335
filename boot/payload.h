/* A bzImage's compressed payload (the kernel's vmlinux.bin, which its own
 * decompressor would unpack in the guest), unpacked on the host instead.
 * Every format Linux offers on x86, through Debian's libraries.  The payload
 * is hostile input: every format is checked for truncation, corruption, an
 * output larger than allowed, and trailing bytes. */
#ifndef BOOT_PAYLOAD_H
#define BOOT_PAYLOAD_H
#include <stddef.h>
#include <stdint.h>

enum payload_format {
    PAYLOAD_UNKNOWN = 0,
    PAYLOAD_GZIP,
    PAYLOAD_BZIP2,
    PAYLOAD_LZMA,      /* legacy .lzma (lzma_alone) */
    PAYLOAD_XZ,        /* .xz, the kernel's with the x86 BCJ filter and CRC32 */
    PAYLOAD_LZO,       /* lzop's container */
    PAYLOAD_LZ4,       /* lz4's legacy frame */
    PAYLOAD_ZSTD,
};

/* The format, by its magic bytes. */
enum payload_format payload_format(const uint8_t *p, size_t len);
const char *payload_format_name(enum payload_format f);

/* Unpacks a payload as the kernel's build lays it out: the compressed
 * stream, then (all formats but gzip, whose own trailer holds it) the
 * unpacked size as a little-endian 32-bit number.  The output must have
 * exactly that size, at most max bytes; the stream must end exactly where
 * the payload does.  On success *out is malloc'd (*outlen bytes) and 0 is
 * returned; else -1 with a one-line reason in err. */
int payload_unpack(const uint8_t *p, size_t len, size_t max, uint8_t **out, size_t *outlen,
                   char *err, size_t errlen);
#endif
