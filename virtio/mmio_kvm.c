/* virtio-mmio: binding a transport to a KVM VM (bus, irqfd, ioeventfd).
 * Kept apart from mmio.c so that the transport core links without vmm/. */
#include "virtio/mmio.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/layout.h"
#include "vmm/vm.h"

static void irq_pulse(void *opaque, uint32_t irq)
{
    vm_irq_pulse(opaque, irq);
}

struct virtio_mmio *virtio_mmio_new(struct vm *vm, const struct guest_mem *mem,
                                    uint64_t base, uint32_t irq,
                                    const struct virtio_dev_ops *ops, void *dev)
{
    const char *name = ops && ops->name ? ops->name : "virtio";
    struct virtio_mmio *m = virtio_mmio_create(mem, base, irq, ops, dev);
    if (!m) {
        fprintf(stderr, "minivmm: %s: cannot create the virtio-mmio transport: %s\n",
                name, strerror(errno));
        return NULL;
    }
    if (!vm)
        return m;

    /* Served on the vCPU (the default): the vCPU that writes QueueNotify
     * drains the queue itself and raises the interrupt with KVM_IRQ_LINE
     * before it goes back into the guest; no other thread wakes per
     * request (docs/9p.md, "Under load"). */
    bool here = virtio_serve_mode() == VIRTIO_SERVE_VCPU;

    /* Otherwise the interrupt: irqfd injects without a trip through this process's
     * threads (in the host kernel, through a kworker: an IOAPIC pin cannot
     * be set from the eventfd's wake-up); without it, or with
     * MINIVMM_VIRTIO_IRQ=line, the completing thread raises the line itself
     * with KVM_IRQ_LINE, the same edge (docs/9p.md, "Under load"). */
    const char *how = getenv("MINIVMM_VIRTIO_IRQ");
    if (here || (how && !strcmp(how, "line")) || vm_irqfd(vm, virtio_mmio_irq_fd(m), irq) < 0)
        virtio_mmio_set_irq_hook(m, irq_pulse, vm);

    /* Notifications: KVM signals the eventfd on the guest's write and the
     * vCPU goes straight back into the guest.  When that fails, the write
     * exits to the register handler, which signals the same eventfd. */
    for (uint16_t q = 0; !here && q < ops->num_queues; q++) {
        if (vm_ioeventfd(vm, virtio_mmio_notify_fd(m, q), base + VIRTIO_MMIO_QUEUE_NOTIFY,
                         4, q) < 0)
            fprintf(stderr, "minivmm: %s: no ioeventfd for queue %u, notifications "
                    "go through the MMIO exit\n", name, q);
    }
    virtio_mmio_set_notify_here(m, here);

    /* The I/O thread (none when served on the vCPU) first: once on the
     * bus, the device cannot be removed. */
    int e = here ? 0 : virtio_mmio_start(m);
    if (e < 0) {
        fprintf(stderr, "minivmm: %s: cannot start the I/O thread: %s\n", name, strerror(-e));
        virtio_mmio_free(m);
        return NULL;
    }
    if (bus_register(&vm->mmio, base, VIRTIO_MMIO_SIZE, virtio_mmio_io, m, name) < 0) {
        fprintf(stderr, "minivmm: %s: cannot map 0x%" PRIx64 ": the MMIO range is taken "
                "or the bus is full\n", name, base);
        virtio_mmio_free(m);
        return NULL;
    }
    return m;
}
