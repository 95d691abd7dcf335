/* virtio-mmio transport, register interface version 2 (modern only).
 *
 * The transport knows nothing about any device type: a device supplies a
 * struct virtio_dev_ops (ID, features, config space, queues) and gets each
 * available descriptor chain through handle_chain().  It completes a chain
 * with virtio_mmio_complete(), at once or later from any thread.
 *
 * Threads: the vCPU threads call virtio_mmio_io() (registers); with
 * notify_here set, a QueueNotify write drains that queue on the writing
 * vCPU.  Otherwise one I/O thread per device (virtio_mmio_start) waits on
 * the per-queue notify eventfds (bound with KVM ioeventfd to QueueNotify)
 * and pops chains (it also serves the kick that DRIVER_OK sends); one
 * thread drains a queue at a time.  Completions may come from device
 * worker threads.  One mutex per device
 * serialises registers, pops and pushes; handle_chain() is called without
 * it.  Interrupts: InterruptStatus is set, then 1 is written to the irq
 * eventfd (bound with KVM irqfd).
 *
 * The core (mmio.c) does not need KVM: tests build a guest_mem on a plain
 * buffer, call virtio_mmio_io() as the driver would and
 * virtio_mmio_process_queue() as the I/O thread would. */
#ifndef VIRTIO_MMIO_H
#define VIRTIO_MMIO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "virtio/virtqueue.h"
#include "vmm/mem.h"

/* Registers (offsets in the device window). */
#define VIRTIO_MMIO_MAGIC_VALUE         0x000
#define VIRTIO_MMIO_VERSION             0x004
#define VIRTIO_MMIO_DEVICE_ID           0x008
#define VIRTIO_MMIO_VENDOR_ID           0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL           0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034
#define VIRTIO_MMIO_QUEUE_NUM           0x038
#define VIRTIO_MMIO_QUEUE_READY         0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064
#define VIRTIO_MMIO_STATUS              0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4
#define VIRTIO_MMIO_SHM_SEL             0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW         0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH        0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW        0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH       0x0bc
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fc
#define VIRTIO_MMIO_CONFIG              0x100

#define VIRTIO_MMIO_MAGIC     0x74726976u   /* "virt" */
#define VIRTIO_MMIO_VENDOR    0x4d4d564du   /* "MVMM" */


/* Device status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE  0x01
#define VIRTIO_STATUS_DRIVER       0x02
#define VIRTIO_STATUS_DRIVER_OK    0x04
#define VIRTIO_STATUS_FEATURES_OK  0x08
#define VIRTIO_STATUS_NEEDS_RESET  0x40
#define VIRTIO_STATUS_FAILED       0x80

/* InterruptStatus bits. */
#define VIRTIO_MMIO_INT_VRING   0x1
#define VIRTIO_MMIO_INT_CONFIG  0x2

struct virtio_mmio;

struct virtio_dev_ops {
    const char *name;          /* for messages: "virtio-9p" */
    uint32_t device_id;
    uint64_t features;         /* device-specific bits; the transport adds
                                  VERSION_1, INDIRECT_DESC and EVENT_IDX */
    uint16_t num_queues;
    uint16_t queue_max;        /* power of 2 */
    uint32_t config_len;       /* bytes of config space (<= 0xf00) */
    /* Copies config bytes [off, off + len) (always inside config_len). */
    void (*config_read)(void *dev, uint32_t off, void *data, uint32_t len);
    /* Optional; writes are ignored without it. */
    void (*config_write)(void *dev, uint32_t off, const void *data, uint32_t len);
    /* One available chain of queue q; the device owns c until it passes it
     * to virtio_mmio_complete().  Called without the transport lock, from
     * the I/O thread (or whoever calls virtio_mmio_process_queue). */
    void (*handle_chain)(void *dev, struct virtio_mmio *m, uint16_t q,
                         struct virtq_chain *c);
    /* Optional: the driver reset the device.  Called from the vCPU thread
     * without the transport lock; return once no handler touches guest
     * buffers of the old queues any more (completions of old chains are
     * dropped by the transport anyway). */
    void (*reset)(void *dev);
};

/* The transport core without KVM: no bus registration, no irqfd, no
 * ioeventfd, no I/O thread yet.  Returns NULL on failure (errno set). */
struct virtio_mmio *virtio_mmio_create(const struct guest_mem *mem, uint64_t base,
                                       uint32_t irq, const struct virtio_dev_ops *ops,
                                       void *dev);
/* Full device (virtio/mmio_kvm.c): create; then, when vm is not NULL, bind
 * the irq eventfd with vm_irqfd (fallback: vm_irq_pulse), each queue's
 * notify eventfd with vm_ioeventfd on QueueNotify (fallback: the register
 * handler signals the same eventfd), register VIRTIO_MMIO_SIZE bytes at base
 * on vm->mmio and start the I/O thread.  Prints one line and returns NULL on
 * failure. */
struct vm;
struct virtio_mmio *virtio_mmio_new(struct vm *vm, const struct guest_mem *mem,
                                    uint64_t base, uint32_t irq,
                                    const struct virtio_dev_ops *ops, void *dev);
/* Starts the I/O thread.  Returns 0 or -errno. */
int virtio_mmio_start(struct virtio_mmio *m);
/* Stops the I/O thread (no handle_chain calls after it returns); the
 * transport stays valid for virtio_mmio_complete().  Idempotent. */
void virtio_mmio_stop(struct virtio_mmio *m);
/* Stops the I/O thread and frees; no vCPU may call the handler any more and
 * the device must have no chains outstanding. */
void virtio_mmio_free(struct virtio_mmio *m);

/* The bus handler (bus_io_fn): offset relative to base, little-endian data. */
void virtio_mmio_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
                    bool is_write);
/* Pops every available chain of queue q and hands it to handle_chain.
 * Returns the number handed over, or -1 when the guest broke the rules (the
 * device is then marked NEEDS_RESET). */
int virtio_mmio_process_queue(struct virtio_mmio *m, uint16_t q);
/* The device is done with c: `len` bytes were written into c->out (clamped
 * to c->out_len).  Puts it on the used ring (unless the queue was reset
 * since), interrupts if the driver wants it, frees c.  Any thread. */
void virtio_mmio_complete(struct virtio_mmio *m, struct virtq_chain *c, uint32_t len);
/* True while c still belongs to a live queue (no reset since it was popped). */
bool virtio_mmio_chain_live(struct virtio_mmio *m, const struct virtq_chain *c);
/* Config space changed: bump ConfigGeneration and raise a config interrupt. */
void virtio_mmio_config_changed(struct virtio_mmio *m);

/* Descriptors for the VMM and tests. */
int virtio_mmio_irq_fd(const struct virtio_mmio *m);
int virtio_mmio_notify_fd(const struct virtio_mmio *m, uint16_t q);
uint32_t virtio_mmio_status(struct virtio_mmio *m);
/* Why the device went to NEEDS_RESET (the first violation; "" if never). */
const char *virtio_mmio_error(struct virtio_mmio *m, char *buf, size_t len);
/* How the interrupt is delivered when the irq eventfd cannot be used. */
void virtio_mmio_set_irq_hook(struct virtio_mmio *m, void (*fn)(void *opaque, uint32_t irq),
                              void *opaque);
/* QueueNotify drains the queue on the thread that wrote it (a vCPU),
 * instead of waking the I/O thread. */
void virtio_mmio_set_notify_here(struct virtio_mmio *m, bool on);
/* Where requests are served (MINIVMM_VIRTIO_SERVE; docs/9p.md, "Under
 * load").  VCPU (the default): the vCPU that wrote QueueNotify drains the
 * queue, serves each request and raises the interrupt with KVM_IRQ_LINE
 * before it re-enters the guest; no other thread wakes.  POOL: an
 * ioeventfd wakes the I/O thread, which hands requests to worker threads;
 * the interrupt goes through an irqfd (MINIVMM_VIRTIO_IRQ=line: KVM_IRQ_LINE
 * from the worker).  IO: as POOL, but the I/O thread serves each request
 * itself.  Returns -1 for any other value of the variable. */
enum { VIRTIO_SERVE_VCPU, VIRTIO_SERVE_POOL, VIRTIO_SERVE_IO };
int virtio_serve_mode(void);
/* Counts QueueNotify writes that reached the register handler (i.e. not
 * absorbed by an ioeventfd): a VM exit to user space each. */
uint64_t virtio_mmio_slow_notifies(struct virtio_mmio *m);

/* Kernel command line device description: "virtio_mmio.device=4K@0xd0000000:5".
 * Returns the length written, or -1 when buf is too small. */
int virtio_mmio_cmdline(char *buf, size_t len, uint64_t base, uint32_t size, uint32_t irq);
#endif
