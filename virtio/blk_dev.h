/* virtio-blk device: a raw image file behind the virtio-mmio transport.
 *
 * The image (struct blk_disk) is opened, checked and locked before the
 * guest exists (blk_disk_open); requests are checked by blk_parse()
 * (virtio/blk.h) and carried out on the image with preadv/pwritev,
 * fdatasync and fallocate (blk_disk_serve).  Where they run follows
 * virtio_serve_mode() (virtio/mmio.h): on the notifying vCPU (default), on
 * the transport's I/O thread, or in a worker pool.  docs/blk.md. */
#ifndef VIRTIO_BLK_DEV_H
#define VIRTIO_BLK_DEV_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include "virtio/blk.h"

#define VIRTIO_BLK_WORKERS 4

struct blk_disk {
    int fd;                    /* O_RDWR (O_RDONLY with ro), OFD-locked */
    int dfd;                   /* cache=none: O_DIRECT on the same file; else -1 */
    dev_t dev;
    ino_t ino;
    struct blk_limits lim;
    enum blk_cache cache;
    char serial[VIRTIO_BLK_SERIAL_MAX + 1];
    char path[4096];
};

/* Opens, checks (a regular file, size a non-zero multiple of 512) and locks
 * the image (F_OFD_SETLK: a write lock, a read lock with ro).  Returns 0, or
 * -1 with a one-line reason starting "--disk PATH: " in err. */
int blk_disk_open(struct blk_disk *d, const struct blk_opt *o, char *err, size_t errlen);
/* Closes (the lock goes with the descriptor).  Idempotent. */
void blk_disk_close(struct blk_disk *d);
/* Serves one chain on the image; returns the bytes written into the
 * writable buffers (the used length).  scratch: cap >= nin + nout. */
uint32_t blk_disk_serve(struct blk_disk *d, const struct iovec *in, int nin,
                        const struct iovec *out, int nout, struct iovec *scratch, int cap);

struct vm;
struct guest_mem;
struct virtio_blk;
/* The device for an opened disk (taken over: closed by virtio_blk_free,
 * or here on failure).  vm NULL: no KVM, the caller drives the transport
 * (tests; requests then go to the worker pool).  NULL with a reason in err. */
struct virtio_blk *virtio_blk_new(struct vm *vm, const struct guest_mem *mem, uint64_t base,
                                  uint32_t irq, struct blk_disk *disk, char *err, size_t errlen);
struct virtio_mmio *virtio_blk_transport(struct virtio_blk *b);
/* After the vCPUs have stopped: stops the I/O thread and workers (requests
 * in flight finish), closes the image, frees. */
void virtio_blk_free(struct virtio_blk *b);
#endif
