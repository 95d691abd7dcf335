/* Fuzz target: virtio-blk requests (virtio/blk.c's blk_parse and
 * virtio/blk_dev.c's blk_disk_serve) on a 64-sector image in a memfd.  The
 * input is: a flags byte (read-only; discard and write-zeroes offered),
 * the number of device-readable buffers (the rest are writable), then
 * NBUF buffer lengths (le16 each, modulo 2049), then the bytes the guest put in
 * the buffers (header, data, segments).  Whatever the chain says: data
 * iovecs lie inside the chain's buffers, the used length is at most the
 * writable bytes, the image never changes size and a read-only image
 * never changes at all (ASan: each buffer is a heap block of exactly its
 * size). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "virtio/blk_dev.h"

#define SECTORS 64
#define NBUF 6

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    if (len < 2 + 2 * NBUF)
        return 0;
    uint8_t flags = data[0];
    int nin = data[1] % (NBUF + 1);
    size_t blen[NBUF];
    for (int i = 0; i < NBUF; i++)
        blen[i] = (size_t)(data[2 + 2 * i] | data[3 + 2 * i] << 8) % 2049;
    data += 2 + 2 * NBUF;
    len -= 2 + 2 * NBUF;

    static int fd = -1;
    static uint8_t *orig;
    if (fd < 0) {
        fd = memfd_create("blk-fuzz", 0);
        orig = malloc(SECTORS * 512);
        if (fd < 0 || !orig)
            abort();
        for (int i = 0; i < SECTORS * 512; i++)
            orig[i] = (uint8_t)(i * 13);
    }
    if (pwrite(fd, orig, SECTORS * 512, 0) != SECTORS * 512 || ftruncate(fd, SECTORS * 512))
        abort();
    struct blk_disk d = { .fd = fd, .dfd = -1, .cache = BLK_CACHE_UNSAFE };
    d.lim.capacity = SECTORS;
    d.lim.readonly = flags & 1;
    d.lim.discard = flags & 2;
    d.lim.write_zeroes = flags & 4;
    memcpy(d.serial, "fuzz", 5);

    struct iovec iov[NBUF];
    uint8_t *bufs[NBUF];
    uint64_t wtotal = 0;
    for (int i = 0; i < NBUF; i++) {
        bufs[i] = malloc(blen[i] ? blen[i] : 1);
        if (!bufs[i])
            abort();
        size_t k = len < blen[i] ? len : blen[i];
        memcpy(bufs[i], data, k);
        data += k;
        len -= k;
        iov[i] = (struct iovec){ bufs[i], blen[i] };
        if (i >= nin)
            wtotal += blen[i];
    }
    struct iovec scratch[NBUF];
    struct blk_req r;
    if (blk_parse(iov, nin, iov + nin, NBUF - nin, &d.lim, scratch, NBUF, &r) == 0) {
        for (int i = 0; i < r.niov; i++) {
            int inside = 0;
            for (int j = 0; j < NBUF; j++)
                if ((uint8_t *)r.iov[i].iov_base >= bufs[j] &&
                    (uint8_t *)r.iov[i].iov_base + r.iov[i].iov_len <= bufs[j] + blen[j])
                    inside = 1;
            if (!inside || !r.iov[i].iov_len)
                abort();
        }
    }
    uint32_t used = blk_disk_serve(&d, iov, nin, iov + nin, NBUF - nin, scratch, NBUF);
    if (used > wtotal)
        abort();
    struct stat st;
    if (fstat(fd, &st) || st.st_size != SECTORS * 512)
        abort();
    if (d.lim.readonly) {
        static uint8_t now[SECTORS * 512];
        if (pread(fd, now, sizeof(now), 0) != (ssize_t)sizeof(now) || memcmp(now, orig, sizeof(now)))
            abort();
    }
    for (int i = 0; i < NBUF; i++)
        free(bufs[i]);
    return 0;
}
