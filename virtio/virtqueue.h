/* Split virtqueues (virtio 1.x, "modern" layout), device side.
 *
 * Everything in the rings is written by the guest and is hostile: every
 * index, address, length and flag is checked before use, each buffer goes
 * through gmem_ptr(), and every guest field is read exactly once into a
 * local before it is checked (the guest may change it meanwhile).
 *
 * Not thread-safe by itself: the owner (virtio/mmio.c) serialises pop, push
 * and notification calls on one queue with its lock. */
#ifndef VIRTIO_VIRTQUEUE_H
#define VIRTIO_VIRTQUEUE_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include "vmm/mem.h"

/* Descriptor flags. */
#define VIRTQ_DESC_F_NEXT      1
#define VIRTQ_DESC_F_WRITE     2
#define VIRTQ_DESC_F_INDIRECT  4
/* avail->flags: the driver does not want interrupts (without EVENT_IDX). */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
/* used->flags: the device does not want notifications (without EVENT_IDX). */
#define VIRTQ_USED_F_NO_NOTIFY 1

/* Feature bits handled by the transport/ring code. */
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX     29
#define VIRTIO_F_VERSION_1          32

/* Largest queue size the ring code accepts (the spec's limit). */
#define VIRTQ_MAX_SIZE 32768

/* Guest layout (little-endian; x86 hosts only, so no byte swapping). */
struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

/* Why a queue operation failed: the guest broke the rules. */
enum virtq_err {
    VIRTQ_OK = 0,
    VIRTQ_E_HEAD,          /* head index >= queue size */
    VIRTQ_E_AVAIL_IDX,     /* avail idx more than queue size ahead */
    VIRTQ_E_NEXT,          /* next index >= table size */
    VIRTQ_E_LOOP,          /* chain longer than the queue size (loop) */
    VIRTQ_E_ADDR,          /* buffer not entirely in guest RAM */
    VIRTQ_E_ORDER,         /* readable descriptor after a writable one */
    VIRTQ_E_INDIRECT,      /* bad indirect table (feature off, size, nested, NEXT) */
};
const char *virtq_strerror(enum virtq_err e);

/* One descriptor chain as the device sees it: in[] the device-readable
 * buffers, out[] the device-writable ones (out == iov + nin).  The iovecs
 * point into guest RAM; at most `cap` (the queue size) of them. */
struct virtq_chain {
    uint16_t head;         /* what goes into the used ring */
    uint16_t queue;        /* set by the transport */
    uint32_t gen;          /* set by the transport: queue generation at pop */
    int nin, nout;
    uint64_t in_len, out_len;  /* total bytes of each side */
    struct iovec *in, *out;
    int cap;
    struct iovec iov[];
};

struct virtq {
    const struct guest_mem *mem;
    uint16_t num;                  /* queue size, power of 2 */
    bool event_idx, indirect;      /* negotiated features */
    uint64_t desc_gpa, avail_gpa, used_gpa;
    /* Host pointers, valid after virtq_setup(): the whole ring areas were
     * checked to be in RAM, and guest RAM never moves. */
    struct virtq_desc *desc;
    uint16_t *avail;               /* flags, idx, ring[num], used_event */
    uint8_t *used;                 /* flags, idx, {id, len}[num], avail_event */
    uint16_t last_avail;           /* next avail entry the device consumes */
    uint16_t used_idx;             /* device's copy of used->idx */
    uint16_t signalled_used;       /* used_idx when we last decided about an interrupt */
    bool signalled_valid;
};

/* Sets the queue up; returns VIRTQ_OK or VIRTQ_E_ADDR (bad size, alignment
 * or a ring outside RAM).  Resets the indices. */
int virtq_setup(struct virtq *q, const struct guest_mem *mem, uint16_t num,
                uint64_t desc, uint64_t avail, uint64_t used,
                bool event_idx, bool indirect);
/* Allocates a chain able to hold a chain of queue size `num`. */
struct virtq_chain *virtq_chain_new(uint16_t num);

/* Takes the next available chain into c (c->cap >= q->num).  Returns 1 when
 * a chain was taken, 0 when the ring is empty, or -enum virtq_err when the
 * guest broke the rules (the device should then need a reset; the entry is
 * not consumed). */
int virtq_pop(struct virtq *q, struct virtq_chain *c);
/* Puts head on the used ring with `len` bytes written (release store). */
void virtq_push(struct virtq *q, uint16_t head, uint32_t len);
/* After one or more pushes: does the driver want an interrupt?  Honours
 * used_event with EVENT_IDX, VIRTQ_AVAIL_F_NO_INTERRUPT without. */
bool virtq_need_interrupt(struct virtq *q);
/* Notification suppression while the device drains the ring: disable asks
 * the driver not to notify; enable asks again and returns true when new
 * buffers arrived meanwhile (the caller must then process again). */
void virtq_disable_notify(struct virtq *q);
bool virtq_enable_notify(struct virtq *q);
/* True when avail idx != last_avail. */
bool virtq_has_avail(struct virtq *q);

/* The event-index rule of the spec: notify when new_idx has passed
 * event_idx since old_idx. */
static inline bool vring_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old_idx)
{
    return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old_idx);
}
#endif
