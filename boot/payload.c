/* Unpacking a bzImage payload on the host (see payload.h).  Each decoder
 * writes into one buffer of exactly the recorded size: a stream that wants
 * to write more, stops short, or leaves input unread is refused. */
#include <bzlib.h>
#include <lz4.h>
#include <lzma.h>
#include <lzo/lzo1x.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>
#include "boot/payload.h"

#define fail(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

/* What one decoder sees: the stream (without the size trailer), and the
 * output buffer it must fill exactly. */
struct job {
    const uint8_t *in;
    size_t inlen;
    uint8_t *out;
    size_t outlen;
    char *err;
    size_t errlen;
};

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static const uint8_t lzop_magic[9] = { 0x89, 'L', 'Z', 'O', 0, 0x0d, 0x0a, 0x1a, 0x0a };
#define LZ4_LEGACY_MAGIC 0x184c2102u
#define LZ4_LEGACY_BLOCK (8u << 20)

enum payload_format payload_format(const uint8_t *p, size_t len)
{
    if (len >= 2 && p[0] == 0x1f && (p[1] == 0x8b || p[1] == 0x9e))
        return PAYLOAD_GZIP;
    if (len >= 3 && !memcmp(p, "BZh", 3))
        return PAYLOAD_BZIP2;
    if (len >= 6 && !memcmp(p, "\xfd" "7zXZ\0", 6))
        return PAYLOAD_XZ;
    if (len >= 3 && !memcmp(p, "\x5d\0\0", 3))
        return PAYLOAD_LZMA;
    if (len >= sizeof(lzop_magic) && !memcmp(p, lzop_magic, sizeof(lzop_magic)))
        return PAYLOAD_LZO;
    if (len >= 4 && le32(p) == LZ4_LEGACY_MAGIC)
        return PAYLOAD_LZ4;
    if (len >= 4 && le32(p) == 0xfd2fb528u)
        return PAYLOAD_ZSTD;
    return PAYLOAD_UNKNOWN;
}

const char *payload_format_name(enum payload_format f)
{
    static const char *const names[] = { "unknown", "gzip", "bzip2", "lzma", "xz", "lzo", "lz4",
                                         "zstd" };
    return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "unknown";
}

/* The end of a streaming decode: every input byte used, every output byte made. */
static int stream_end(struct job *j, size_t in_left, size_t out_left, bool ended, const char *fmt)
{
    char *err = j->err;
    size_t errlen = j->errlen;
    if (!ended && !in_left)
        fail("%s payload is truncated", fmt);
    if (!ended)
        fail("%s payload unpacks to more than its recorded size (%zu bytes)", fmt, j->outlen);
    if (out_left)
        fail("%s payload unpacks to %zu bytes, %zu fewer than its recorded size", fmt,
             j->outlen - out_left, out_left);
    if (in_left)
        fail("%s payload has %zu bytes of trailing garbage", fmt, in_left);
    return 0;
}

/* zlib and libbz2 count in 32 bits: enough, since a kernel file is at
 * most 256 MiB and the recorded size is a 32-bit number. */
static int unpack_gzip(struct job *j)
{
    char *err = j->err;
    size_t errlen = j->errlen;
    z_stream z = { 0 };
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)   /* gzip wrapper only */
        fail("gzip: cannot initialise zlib");
    z.next_in = (Bytef *)j->in;
    z.avail_in = (uInt)j->inlen;
    z.next_out = j->out;
    z.avail_out = (uInt)j->outlen;
    int r;
    while ((r = inflate(&z, Z_FINISH)) == Z_OK)
        ;
    size_t in_left = z.avail_in, out_left = z.avail_out;
    const char *msg = z.msg;
    inflateEnd(&z);
    if (r != Z_STREAM_END && r != Z_BUF_ERROR)
        fail("gzip payload is corrupt (%s)", msg ? msg : "zlib error");
    return stream_end(j, in_left, out_left, r == Z_STREAM_END, "gzip");
}

static int unpack_bzip2(struct job *j)
{
    char *err = j->err;
    size_t errlen = j->errlen;
    bz_stream b = { 0 };
    if (BZ2_bzDecompressInit(&b, 0, 0) != BZ_OK)
        fail("bzip2: cannot initialise libbz2");
    b.next_in = (char *)j->in;
    b.avail_in = (unsigned)j->inlen;
    b.next_out = (char *)j->out;
    b.avail_out = (unsigned)j->outlen;
    int r;
    for (;;) {
        unsigned ai = b.avail_in, ao = b.avail_out;
        r = BZ2_bzDecompress(&b);
        if (r != BZ_OK || (ai == b.avail_in && ao == b.avail_out))
            break;                        /* ended, failed, or no progress possible */
    }
    size_t in_left = b.avail_in, out_left = b.avail_out;
    BZ2_bzDecompressEnd(&b);
    if (r != BZ_OK && r != BZ_STREAM_END)
        fail("bzip2 payload is corrupt (libbz2 error %d)", r);
    return stream_end(j, in_left, out_left, r == BZ_STREAM_END, "bzip2");
}

/* xz and legacy lzma, both through liblzma. */
static int unpack_lzma(struct job *j, bool xz)
{
    char *err = j->err;
    size_t errlen = j->errlen;
    const char *fmt = xz ? "xz" : "lzma";
    lzma_stream s = LZMA_STREAM_INIT;
    const uint64_t memlimit = 512u << 20;          /* the kernel uses a 32 MiB dictionary */
    lzma_ret r = xz ? lzma_stream_decoder(&s, memlimit, 0) : lzma_alone_decoder(&s, memlimit);
    if (r != LZMA_OK)
        fail("%s: cannot initialise liblzma", fmt);
    s.next_in = j->in;
    s.avail_in = j->inlen;
    s.next_out = j->out;
    s.avail_out = j->outlen;
    do {
        size_t ai = s.avail_in, ao = s.avail_out;
        r = lzma_code(&s, LZMA_FINISH);
        if (r == LZMA_OK && ai == s.avail_in && ao == s.avail_out)
            break;
    } while (r == LZMA_OK);
    size_t in_left = s.avail_in, out_left = s.avail_out;
    lzma_end(&s);
    if (r == LZMA_BUF_ERROR && !out_left)
        return stream_end(j, in_left, 0, false, fmt);   /* wants more room */
    if (r == LZMA_BUF_ERROR)
        fail("%s payload is truncated", fmt);
    if (r != LZMA_OK && r != LZMA_STREAM_END)
        fail("%s payload is corrupt (liblzma error %d%s)", fmt, (int)r,
             r == LZMA_DATA_ERROR ? ": bad data" : r == LZMA_MEMLIMIT_ERROR ? ": too much memory" :
             r == LZMA_FORMAT_ERROR ? ": bad header" : "");
    return stream_end(j, in_left, out_left, r == LZMA_STREAM_END, fmt);
}

static int unpack_zstd(struct job *j)
{
    char *err = j->err;
    size_t errlen = j->errlen;
    /* One frame, decoded in one call into the exact output: a frame that
     * wants more room fails with dstSize_tooSmall. */
    size_t fsz = ZSTD_findFrameCompressedSize(j->in, j->inlen);
    if (ZSTD_isError(fsz))
        fail("zstd payload is %s", ZSTD_getErrorCode(fsz) == ZSTD_error_srcSize_wrong ?
             "truncated" : "corrupt");
    ZSTD_DCtx *d = ZSTD_createDCtx();
    if (!d)
        fail("zstd: out of memory");
    ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, 31);   /* the kernel uses --ultra -22 */
    size_t n = ZSTD_decompressDCtx(d, j->out, j->outlen, j->in, fsz);
    ZSTD_freeDCtx(d);
    if (ZSTD_isError(n)) {
        if (ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall)
            fail("zstd payload unpacks to more than its recorded size (%zu bytes)", j->outlen);
        fail("zstd payload is corrupt (%s)", ZSTD_getErrorName(n));
    }
    return stream_end(j, j->inlen - fsz, j->outlen - n, true, "zstd");
}

/* lz4's legacy frame: the magic, then blocks of (le32 size, data), each
 * unpacking to at most 8 MiB; a repeated magic starts another frame. */
static int unpack_lz4(struct job *j)
{
    char *err = j->err;
    size_t errlen = j->errlen;
    size_t at = 4, done = 0;
    while (at < j->inlen) {
        if (j->inlen - at < 4)
            fail("lz4 payload is truncated (in a block header)");
        uint32_t bsz = le32(j->in + at);
        at += 4;
        if (bsz == LZ4_LEGACY_MAGIC)
            continue;
        if (bsz == 0 || bsz > (uint32_t)LZ4_compressBound(LZ4_LEGACY_BLOCK))
            fail("lz4 payload is corrupt (block size %u)", bsz);
        if (bsz > j->inlen - at)
            fail("lz4 payload is truncated (a block of %u bytes has %zu)", bsz, j->inlen - at);
        size_t room = j->outlen - done;
        if (room > LZ4_LEGACY_BLOCK)
            room = LZ4_LEGACY_BLOCK;
        int n = LZ4_decompress_safe((const char *)j->in + at, (char *)j->out + done, (int)bsz,
                                    (int)room);
        if (n < 0)
            fail("lz4 payload is corrupt%s (block at byte %zu)", room < LZ4_LEGACY_BLOCK ?
                 " or unpacks to more than its recorded size" : "", at - 4);
        done += (size_t)n;
        at += bsz;
    }
    return stream_end(j, 0, j->outlen - done, true, "lz4");
}

/* lzop's container around LZO1X blocks, with its optional checksums. */
enum { F_ADLER32_D = 0x1, F_ADLER32_C = 0x2, F_H_EXTRA = 0x40, F_CRC32_D = 0x100,
       F_CRC32_C = 0x200, F_H_FILTER = 0x800, F_H_CRC32 = 0x1000 };

static bool lzo_sum_ok(uint32_t flags, uint32_t fa, uint32_t fc, const uint8_t **p,
                       const uint8_t *end, const uint8_t *data, size_t len)
{
    if (flags & fa) {
        if (end - *p < 4 || be32(*p) != (uint32_t)adler32(1, data, (uInt)len))
            return false;
        *p += 4;
    }
    if (flags & fc) {
        if (end - *p < 4 || be32(*p) != (uint32_t)crc32(0, data, (uInt)len))
            return false;
        *p += 4;
    }
    return true;
}

static int unpack_lzo(struct job *j)
{
    char *err = j->err;
    size_t errlen = j->errlen;
    if (j->inlen < sizeof(lzop_magic))          /* the size trailer overlapped the magic */
        fail("lzo payload is truncated");
    const uint8_t *p = j->in + sizeof(lzop_magic), *end = j->in + j->inlen;
    /* p never passes end: every advance is checked by NEED first. */
#define NEED(n) do { if ((size_t)(end - p) < (size_t)(n)) fail("lzo payload is truncated"); } while (0)
    NEED(9);                                  /* up to and including the level */
    uint16_t version = be16(p);
    p += 4;                                   /* version, library version */
    if (version >= 0x0940)
        p += 2;                               /* version needed to extract */
    uint8_t method = *p++;
    if (version >= 0x0940)
        p++;                                  /* level */
    if (method < 1 || method > 3)
        fail("lzo payload is corrupt (method %u is not LZO1X)", method);
    NEED(4);
    uint32_t flags = be32(p);
    p += 4;
    if (flags & F_H_FILTER)
        fail("lzo payload uses a filter, which the kernel does not");
    NEED(version >= 0x0940 ? 13 : 9);
    p += version >= 0x0940 ? 12 : 8;          /* mode, mtime (low, high) */
    uint8_t namelen = *p++;
    NEED((size_t)namelen + 4);
    p += namelen;
    const uint8_t *hdr = j->in + sizeof(lzop_magic);
    uint32_t hsum = (flags & F_H_CRC32) ? (uint32_t)crc32(0, hdr, (uInt)(p - hdr)) :
                                          (uint32_t)adler32(1, hdr, (uInt)(p - hdr));
    if (be32(p) != hsum)
        fail("lzo payload is corrupt (header checksum)");
    p += 4;
    if (flags & F_H_EXTRA)
        fail("lzo payload has an extra header field, which the kernel does not");
    if (lzo_init() != LZO_E_OK)
        fail("lzo: cannot initialise liblzo2");
    size_t done = 0;
    for (;;) {
        NEED(4);
        uint32_t dlen = be32(p);
        p += 4;
        if (dlen == 0)
            break;
        NEED(4);
        uint32_t clen = be32(p);
        p += 4;
        if (dlen > (64u << 20) || clen > dlen)
            fail("lzo payload is corrupt (block of %u bytes from %u)", dlen, clen);
        if (dlen > j->outlen - done)
            return stream_end(j, 1, 0, false, "lzo");     /* more than recorded */
        const uint8_t *sums = p;
        size_t nsums = ((flags & F_ADLER32_D) ? 4 : 0) + ((flags & F_CRC32_D) ? 4 : 0);
        if (clen < dlen)
            nsums += ((flags & F_ADLER32_C) ? 4 : 0) + ((flags & F_CRC32_C) ? 4 : 0);
        NEED(nsums + clen);
        p += nsums;
        if (clen < dlen) {
            const uint8_t *cs = sums + ((flags & F_ADLER32_D) ? 4 : 0) + ((flags & F_CRC32_D) ? 4 : 0);
            if (!lzo_sum_ok(flags, F_ADLER32_C, F_CRC32_C, &cs, end, p, clen))
                fail("lzo payload is corrupt (checksum of a compressed block)");
            lzo_uint n = dlen;
            if (lzo1x_decompress_safe(p, clen, j->out + done, &n, NULL) != LZO_E_OK || n != dlen)
                fail("lzo payload is corrupt (block at byte %zu)", (size_t)(p - j->in));
        } else {
            memcpy(j->out + done, p, dlen);
        }
        if (!lzo_sum_ok(flags, F_ADLER32_D, F_CRC32_D, &sums, end, j->out + done, dlen))
            fail("lzo payload is corrupt (checksum of an unpacked block)");
        p += clen;
        done += dlen;
    }
#undef NEED
    return stream_end(j, (size_t)(end - p), j->outlen - done, true, "lzo");
}

int payload_unpack(const uint8_t *p, size_t len, size_t max, uint8_t **out, size_t *outlen,
                   char *err, size_t errlen)
{
    *out = NULL;
    *outlen = 0;
    enum payload_format f = payload_format(p, len);
    if (f == PAYLOAD_UNKNOWN)
        fail("payload format not recognised (none of gzip, bzip2, lzma, xz, lzo, lz4, zstd)");
    if (len < 8)
        fail("%s payload is truncated (%zu bytes)", payload_format_name(f), len);
    uint32_t size = le32(p + len - 4);
    if (size == 0 || size > max)
        fail("%s payload records an unpacked size of %u bytes; at most %zu fit",
             payload_format_name(f), size, max);
    struct job j = {
        .in = p, .inlen = f == PAYLOAD_GZIP ? len : len - 4, .outlen = size,
        .err = err, .errlen = errlen,
    };
    j.out = malloc(size);
    if (!j.out)
        fail("out of memory for a %u-byte kernel", size);
    int r = -1;
    switch (f) {
    case PAYLOAD_GZIP: r = unpack_gzip(&j); break;
    case PAYLOAD_BZIP2: r = unpack_bzip2(&j); break;
    case PAYLOAD_LZMA: r = unpack_lzma(&j, false); break;
    case PAYLOAD_XZ: r = unpack_lzma(&j, true); break;
    case PAYLOAD_LZO: r = unpack_lzo(&j); break;
    case PAYLOAD_LZ4: r = unpack_lz4(&j); break;
    case PAYLOAD_ZSTD: r = unpack_zstd(&j); break;
    case PAYLOAD_UNKNOWN: break;
    }
    if (r < 0) {
        free(j.out);
        return -1;
    }
    *out = j.out;
    *outlen = size;
    return 0;
}
