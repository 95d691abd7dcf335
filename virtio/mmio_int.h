/* What the parts of the virtio-mmio transport share (virtio/mmio.c: core,
 * interrupts, queue processing; virtio/mmio_regs.c: the register file). */
#ifndef VIRTIO_MMIO_INT_H
#define VIRTIO_MMIO_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "virtio/mmio.h"
#include "vmm/msglimit.h"

/* reg_write's drain result: every queue (DRIVER_OK with notify_here). */
#define DRAIN_ALL (-2)

struct vq_state {
    struct virtq vq;           /* valid while ready */
    uint32_t num;              /* QueueNum register */
    bool ready;
    uint64_t desc, driver, device;
    uint32_t gen;              /* bumped on reset/disable: old chains are stale */
    int notify_fd;
    pthread_mutex_t drain;     /* one drainer at a time: pops and hand-offs stay in order */
};

struct virtio_mmio {
    pthread_mutex_t lock;
    const struct guest_mem *mem;
    uint64_t base;
    uint32_t irq;
    const struct virtio_dev_ops *ops;
    void *dev;

    uint64_t dev_features;
    uint64_t drv_features;
    bool drv_features_bad;     /* bits written above feature word 1 */
    uint32_t dev_feat_sel, drv_feat_sel, queue_sel;
    uint32_t status, isr, config_gen;
    struct vq_state *q;
    uint16_t nq;

    int irq_fd, stop_fd;
    void (*irq_hook)(void *, uint32_t);
    void *irq_hook_opaque;
    pthread_t thread;
    bool thread_started;
    uint64_t slow_notifies;
    bool notify_here;          /* QueueNotify drains on the writing (vCPU) thread */
    char err[160];
    struct msg_limit errors;    /* guest errors printed (a guest can loop reset + error) */
};

/* Lock held: */
void mmio_signal_irq(struct virtio_mmio *m, uint32_t bit);
void mmio_violation(struct virtio_mmio *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void mmio_reset_locked(struct virtio_mmio *m);
/* Lock not held: drains queue q on this thread, one interrupt at the end. */
void mmio_drain_here(struct virtio_mmio *m, uint16_t q);
#endif
