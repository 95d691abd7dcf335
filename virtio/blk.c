/* virtio-blk request parsing and option parsing: see blk.h. */
#include "virtio/blk.h"

#include <stdio.h>
#include <string.h>

static uint64_t iov_total(const struct iovec *v, int n)
{
    uint64_t t = 0;
    for (int i = 0; i < n; i++)
        t += v[i].iov_len;
    return t;
}

/* Copies len bytes at offset off of the stream v[0..n) into buf; the
 * caller checked that they are there. */
static void iov_get(const struct iovec *v, int n, uint64_t off, void *buf, size_t len)
{
    uint8_t *dst = buf;
    for (int i = 0; i < n && len; i++) {
        if (off >= v[i].iov_len) {
            off -= v[i].iov_len;
            continue;
        }
        size_t k = v[i].iov_len - (size_t)off;
        if (k > len)
            k = len;
        memcpy(dst, (const uint8_t *)v[i].iov_base + off, k);
        dst += k;
        len -= k;
        off = 0;
    }
}

/* The bytes [skip, skip + len) of the stream v[0..n) as iovecs in dst
 * (empty pieces left out).  Returns their number, or -1 when more than cap
 * would be needed or one is over VIRTIO_BLK_SIZE_MAX. */
static int iov_slice(const struct iovec *v, int n, uint64_t skip, uint64_t len,
                     struct iovec *dst, int cap)
{
    int k = 0;
    for (int i = 0; i < n && len; i++) {
        if (skip >= v[i].iov_len) {
            skip -= v[i].iov_len;
            continue;
        }
        uint64_t take = v[i].iov_len - skip;
        if (take > len)
            take = len;
        if (k == cap || take > VIRTIO_BLK_SIZE_MAX)
            return -1;
        dst[k].iov_base = (uint8_t *)v[i].iov_base + skip;
        dst[k].iov_len = (size_t)take;
        k++;
        len -= take;
        skip = 0;
    }
    return k;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

/* [sector, sector + count) inside the disk, without wrapping. */
static bool in_disk(const struct blk_limits *lim, uint64_t sector, uint64_t count)
{
    return sector <= lim->capacity && count <= lim->capacity - sector;
}

static uint8_t parse_ranges(const struct iovec *in, int nin, uint64_t in_len,
                            const struct blk_limits *lim, struct blk_req *r)
{
    bool wz = r->type == VIRTIO_BLK_T_WRITE_ZEROES;
    if (!(wz ? lim->write_zeroes : lim->discard))
        return VIRTIO_BLK_S_UNSUPP;
    if (lim->readonly)
        return VIRTIO_BLK_S_IOERR;
    uint64_t payload = in_len - VIRTIO_BLK_HDR;
    if (payload == 0 || payload % 16 || payload / 16 > VIRTIO_BLK_DISCARD_SEG_MAX)
        return VIRTIO_BLK_S_IOERR;
    r->nranges = (int)(payload / 16);
    for (int i = 0; i < r->nranges; i++) {
        uint8_t seg[16];
        iov_get(in, nin, VIRTIO_BLK_HDR + 16ULL * (unsigned)i, seg, sizeof(seg));
        struct blk_range *g = &r->ranges[i];
        g->sector = le64(seg);
        g->count = le32(seg + 8);
        g->flags = le32(seg + 12);
        /* Discard has no flags; write-zeroes knows only UNMAP. */
        if (g->flags & ~(wz ? VIRTIO_BLK_WZ_F_UNMAP : 0u))
            return VIRTIO_BLK_S_UNSUPP;
        if (g->count > VIRTIO_BLK_DISCARD_SECTORS_MAX || !in_disk(lim, g->sector, g->count))
            return VIRTIO_BLK_S_IOERR;
    }
    return VIRTIO_BLK_S_OK;
}

uint8_t blk_parse(const struct iovec *in, int nin, const struct iovec *out, int nout,
                  const struct blk_limits *lim, struct iovec *scratch, int cap,
                  struct blk_req *r)
{
    memset(r, 0, sizeof(*r));
    r->iov = scratch;
    uint64_t in_len = iov_total(in, nin), out_len = iov_total(out, nout);
    /* The status byte: the last writable byte. */
    for (int i = nout - 1; i >= 0; i--) {
        if (out[i].iov_len) {
            r->status = (uint8_t *)out[i].iov_base + out[i].iov_len - 1;
            break;
        }
    }
    if (!r->status || in_len < VIRTIO_BLK_HDR)
        return VIRTIO_BLK_S_IOERR;
    uint8_t hdr[VIRTIO_BLK_HDR];
    iov_get(in, nin, 0, hdr, sizeof(hdr));
    r->type = le32(hdr);
    r->sector = le64(hdr + 8);
    uint64_t wdata = out_len - 1;          /* writable bytes before the status */
    uint64_t rdata = in_len - VIRTIO_BLK_HDR;

    switch (r->type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT: {
        bool write = r->type == VIRTIO_BLK_T_OUT;
        if (write ? wdata != 0 : rdata != 0)
            return VIRTIO_BLK_S_IOERR;       /* data on the wrong side */
        if (write && lim->readonly)
            return VIRTIO_BLK_S_IOERR;
        r->len = write ? rdata : wdata;
        if (r->len % VIRTIO_BLK_SECTOR ||
            !in_disk(lim, r->sector, r->len / VIRTIO_BLK_SECTOR))
            return VIRTIO_BLK_S_IOERR;
        int k = write ? iov_slice(in, nin, VIRTIO_BLK_HDR, r->len, scratch, cap)
                      : iov_slice(out, nout, 0, r->len, scratch, cap);
        if (k < 0 || k > VIRTIO_BLK_SEG_MAX)
            return VIRTIO_BLK_S_IOERR;
        r->niov = k;
        return VIRTIO_BLK_S_OK;
    }
    case VIRTIO_BLK_T_FLUSH:
        return rdata || wdata ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
    case VIRTIO_BLK_T_GET_ID: {
        if (rdata)
            return VIRTIO_BLK_S_IOERR;
        r->len = wdata < VIRTIO_BLK_ID_BYTES ? wdata : VIRTIO_BLK_ID_BYTES;
        int k = iov_slice(out, nout, 0, r->len, scratch, cap);
        if (k < 0)
            return VIRTIO_BLK_S_IOERR;
        r->niov = k;
        return VIRTIO_BLK_S_OK;
    }
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        if (wdata)
            return VIRTIO_BLK_S_IOERR;
        return parse_ranges(in, nin, in_len, lim, r);
    default:
        return VIRTIO_BLK_S_UNSUPP;
    }
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void blk_config(uint8_t *cfg, const struct blk_limits *lim)
{
    memset(cfg, 0, VIRTIO_BLK_CONFIG_LEN);
    put32(cfg + 0, (uint32_t)lim->capacity);
    put32(cfg + 4, (uint32_t)(lim->capacity >> 32));
    put32(cfg + 8, VIRTIO_BLK_SIZE_MAX);
    put32(cfg + 12, VIRTIO_BLK_SEG_MAX);
    put32(cfg + 20, VIRTIO_BLK_SECTOR);                 /* blk_size */
    put32(cfg + 36, VIRTIO_BLK_DISCARD_SECTORS_MAX);    /* max_discard_sectors */
    put32(cfg + 40, VIRTIO_BLK_DISCARD_SEG_MAX);        /* max_discard_seg */
    put32(cfg + 44, VIRTIO_BLK_DISCARD_ALIGN);          /* discard_sector_alignment */
    put32(cfg + 48, VIRTIO_BLK_DISCARD_SECTORS_MAX);    /* max_write_zeroes_sectors */
    put32(cfg + 52, VIRTIO_BLK_DISCARD_SEG_MAX);        /* max_write_zeroes_seg */
    cfg[56] = 1;                                        /* write_zeroes_may_unmap */
}

const char *blk_cache_name(enum blk_cache c)
{
    return c == BLK_CACHE_UNSAFE ? "unsafe" : c == BLK_CACHE_NONE ? "none" : "writeback";
}

static bool serial_valid(const char *s, size_t n)
{
    if (n == 0 || n > VIRTIO_BLK_SERIAL_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == ',')
            return false;
    return true;
}

int blk_parse_opt(const char *s, int index, struct blk_opt *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof(*d));
    const char *comma = strchr(s, ',');
    size_t plen = comma ? (size_t)(comma - s) : strlen(s);
    if (plen == 0 || plen >= sizeof(d->path)) {
        snprintf(err, errlen, "--disk needs an image file "
                 "(FILE[,ro][,serial=S][,cache=unsafe|writeback|none])");
        return -1;
    }
    memcpy(d->path, s, plen);
    snprintf(d->serial, sizeof(d->serial), "minivmm-disk%d", index);
    while (comma) {
        const char *opt = comma + 1;
        comma = strchr(opt, ',');
        size_t n = comma ? (size_t)(comma - opt) : strlen(opt);
        if (n == 2 && !strncmp(opt, "ro", 2)) {
            d->readonly = true;
        } else if (n >= 7 && !strncmp(opt, "serial=", 7)) {
            if (!serial_valid(opt + 7, n - 7)) {
                snprintf(err, errlen, "--disk %s: serial must be 1 to %d printable characters "
                         "without space or comma", d->path, VIRTIO_BLK_SERIAL_MAX);
                return -1;
            }
            memcpy(d->serial, opt + 7, n - 7);
            d->serial[n - 7] = 0;
        } else if (n == 12 && !strncmp(opt, "cache=unsafe", 12)) {
            d->cache = BLK_CACHE_UNSAFE;
        } else if (n == 15 && !strncmp(opt, "cache=writeback", 15)) {
            d->cache = BLK_CACHE_WRITEBACK;
        } else if (n == 10 && !strncmp(opt, "cache=none", 10)) {
            d->cache = BLK_CACHE_NONE;
        } else {
            snprintf(err, errlen, "--disk %s: unknown option '%.*s' (ro, serial=S, "
                     "cache=unsafe|writeback|none)", d->path, (int)(n > 40 ? 40 : n), opt);
            return -1;
        }
    }
    return 0;
}
