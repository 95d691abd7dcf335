/* virtio-9p device: a host directory exported to the guest over virtio-mmio.
 *
 * Device ID 9, feature VIRTIO_9P_MOUNT_TAG, config space = le16 tag_len +
 * tag bytes (no NUL), one request queue.  By default the vCPU that notifies
 * runs p9_handle() (virtio/9p.h) on each chain and completes it before it
 * re-enters the guest; with MINIVMM_VIRTIO_SERVE=pool the transport's I/O
 * thread hands each chain to a small worker pool, so a slow request does
 * not hold up the others (virtio/mmio.h, virtio_serve_mode).
 *
 * The guest mounts it with: mount -t 9p -o trans=virtio,version=9p2000.L TAG DIR */
#ifndef VIRTIO_9P_DEV_H
#define VIRTIO_9P_DEV_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define VIRTIO_ID_9P            9
#define VIRTIO_9P_MOUNT_TAG     0     /* feature bit */
#define VIRTIO_9P_QUEUE_MAX     128
#define VIRTIO_9P_WORKERS       4
/* Neither the virtio spec nor Linux (which reads the u16 tag_len and
 * allocates tag_len + 1 bytes) limit the tag; the 31 bytes some VMMs use is
 * their own choice.  We allow up to 255 bytes, which keeps the config space
 * small and the tag usable on a command line. */
#define VIRTIO_9P_TAG_MAX       255

struct vm;
struct virtio_9p;

/* Exports host_dir as `tag` at MMIO base with interrupt irq, over guest
 * memory mem.  With vm NULL the transport is not bound to KVM and has no
 * I/O thread: the caller drives it (tests).  Returns NULL with a one-line
 * reason in err on failure. */
struct guest_mem;
struct virtio_9p *virtio_9p_new(struct vm *vm, const struct guest_mem *mem,
                                uint64_t base, uint32_t irq,
                                const char *host_dir, const char *tag, bool readonly,
                                char *err, size_t errlen);
/* Bounds the bytes the guest can add to the export (p9_server_set_max,
 * docs/9p.md "Limits"); 0: no bound.  Before the guest runs. */
void virtio_9p_set_max(struct virtio_9p *p, uint64_t max_bytes);
/* The device's virtio-mmio transport (to drive it without KVM). */
struct virtio_mmio *virtio_9p_transport(struct virtio_9p *p);
/* After the vCPUs have stopped: stops the I/O thread and workers, frees. */
void virtio_9p_free(struct virtio_9p *p);

/* A tag is 1..VIRTIO_9P_TAG_MAX printable ASCII characters without space,
 * comma, quotes or backslash (it ends up in mount commands and fstab). */
static inline bool virtio_9p_tag_valid(const char *tag)
{
    if (!tag)
        return false;
    size_t n = 0;
    for (; tag[n]; n++) {
        unsigned char ch = (unsigned char)tag[n];
        if (n >= VIRTIO_9P_TAG_MAX || ch <= 0x20 || ch >= 0x7f || ch == ',' ||
            ch == '"' || ch == '\'' || ch == '\\')
            return false;
    }
    if (n == 0)
        return false;
    return true;
}

/* Writes the config space for tag into buf; returns its length, or 0 when
 * the tag is invalid or buf too small. */
static inline size_t virtio_9p_config(uint8_t *buf, size_t len, const char *tag)
{
    if (!virtio_9p_tag_valid(tag))
        return 0;
    size_t n = strlen(tag);
    if (len < 2 + n)
        return 0;
    buf[0] = (uint8_t)n;
    buf[1] = (uint8_t)(n >> 8);
    memcpy(buf + 2, tag, n);
    return 2 + n;
}
#endif
