/* virtio-mmio transport: the register file (virtio spec 4.2.2), every guest
 * read and write of a device's window.  The core is virtio/mmio.c. */
#include "virtio/mmio_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- registers (lock held) ---- */

static struct vq_state *sel_queue(struct virtio_mmio *m)
{
    return m->queue_sel < m->nq ? &m->q[m->queue_sel] : NULL;
}

static uint32_t reg_read(struct virtio_mmio *m, uint64_t off)
{
    struct vq_state *s = sel_queue(m);
    switch (off) {
    case VIRTIO_MMIO_MAGIC_VALUE:   return VIRTIO_MMIO_MAGIC;
    case VIRTIO_MMIO_VERSION:       return 2;
    case VIRTIO_MMIO_DEVICE_ID:     return m->ops->device_id;
    case VIRTIO_MMIO_VENDOR_ID:     return VIRTIO_MMIO_VENDOR;
    case VIRTIO_MMIO_DEVICE_FEATURES:
        if (m->dev_feat_sel > 1)
            return 0;
        return (uint32_t)(m->dev_features >> (32 * m->dev_feat_sel));
    case VIRTIO_MMIO_QUEUE_NUM_MAX: return s ? m->ops->queue_max : 0;
    case VIRTIO_MMIO_QUEUE_NUM:     return s ? s->num : 0;
    case VIRTIO_MMIO_QUEUE_READY:   return s ? s->ready : 0;
    case VIRTIO_MMIO_INTERRUPT_STATUS: return m->isr;
    case VIRTIO_MMIO_STATUS:        return m->status;
    case VIRTIO_MMIO_QUEUE_DESC_LOW:    return s ? (uint32_t)s->desc : 0;
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:   return s ? (uint32_t)(s->desc >> 32) : 0;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW:  return s ? (uint32_t)s->driver : 0;
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH: return s ? (uint32_t)(s->driver >> 32) : 0;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW:  return s ? (uint32_t)s->device : 0;
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: return s ? (uint32_t)(s->device >> 32) : 0;
    /* No shared memory regions: length and base all ones. */
    case VIRTIO_MMIO_SHM_LEN_LOW:
    case VIRTIO_MMIO_SHM_LEN_HIGH:
    case VIRTIO_MMIO_SHM_BASE_LOW:
    case VIRTIO_MMIO_SHM_BASE_HIGH: return 0xffffffffu;
    case VIRTIO_MMIO_CONFIG_GENERATION: return m->config_gen;
    default:                        return 0;
    }
}

/* Queue setup registers may be written only between FEATURES_OK and
 * DRIVER_OK, for an existing queue that is not enabled. */
static struct vq_state *queue_for_setup(struct virtio_mmio *m, const char *reg)
{
    struct vq_state *s = sel_queue(m);
    if (!s) {
        mmio_violation(m, "%s for queue %u, which does not exist", reg, m->queue_sel);
        return NULL;
    }
    if (!(m->status & VIRTIO_STATUS_FEATURES_OK) || (m->status & VIRTIO_STATUS_DRIVER_OK)) {
        mmio_violation(m, "%s written with status 0x%x", reg, m->status);
        return NULL;
    }
    if (s->ready) {
        mmio_violation(m, "%s written while queue %u is ready", reg, m->queue_sel);
        return NULL;
    }
    return s;
}

static void set_half(uint64_t *v, uint32_t val, bool high)
{
    if (high)
        *v = (*v & 0xffffffffULL) | ((uint64_t)val << 32);
    else
        *v = (*v & ~0xffffffffULL) | val;
}

static void queue_ready(struct virtio_mmio *m, uint32_t val)
{
    if (val > 1) {
        mmio_violation(m, "QueueReady written with %u", val);
        return;
    }
    struct vq_state *s = sel_queue(m);
    if (val == 0) {
        if (!s) {
            mmio_violation(m, "QueueReady for queue %u, which does not exist", m->queue_sel);
            return;
        }
        if (m->status & VIRTIO_STATUS_DRIVER_OK) {
            mmio_violation(m, "queue %u disabled after DRIVER_OK", m->queue_sel);
            return;
        }
        if (s->ready)
            s->gen++;
        s->ready = false;
        return;
    }
    if (!(s = queue_for_setup(m, "QueueReady")))
        return;
    int r = virtq_setup(&s->vq, m->mem, (uint16_t)s->num, s->desc, s->driver, s->device,
                        m->drv_features & (1ULL << VIRTIO_RING_F_EVENT_IDX),
                        m->drv_features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC));
    if (r != VIRTQ_OK) {
        mmio_violation(m, "queue %u enabled with size %u, desc 0x%" PRIx64 ", driver 0x%" PRIx64
                  ", device 0x%" PRIx64 ": bad alignment or outside RAM",
                  m->queue_sel, s->num, s->desc, s->driver, s->device);
        return;
    }
    s->gen++;
    s->ready = true;
}


static void status_write(struct virtio_mmio *m, uint32_t val, bool *reset, int *drain)
{
    if (val == 0) {
        mmio_reset_locked(m);
        *reset = true;
        return;
    }
    if (val > 0xff) {
        mmio_violation(m, "Status written with 0x%x", val);
        return;
    }
    /* NEEDS_RESET belongs to the device; drivers write back what they read. */
    uint32_t now = m->status & ~VIRTIO_STATUS_NEEDS_RESET;
    uint32_t want = val & ~VIRTIO_STATUS_NEEDS_RESET;
    if (now & ~want) {
        mmio_violation(m, "Status 0x%x clears bits of 0x%x", val, m->status);
        return;
    }
    uint32_t added = want & ~now;
    if (added & VIRTIO_STATUS_FEATURES_OK) {
        if ((want & (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER)) !=
            (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER)) {
            mmio_violation(m, "FEATURES_OK before ACKNOWLEDGE and DRIVER");
            return;
        }
        /* Not an error: the device simply does not accept the features, and
         * the driver sees FEATURES_OK stay clear. */
        if (!(m->drv_features & (1ULL << VIRTIO_F_VERSION_1)) ||
            (m->drv_features & ~m->dev_features) || m->drv_features_bad)
            want &= ~VIRTIO_STATUS_FEATURES_OK;
    }
    if ((added & VIRTIO_STATUS_DRIVER_OK) && !(want & VIRTIO_STATUS_FEATURES_OK)) {
        mmio_violation(m, "DRIVER_OK without FEATURES_OK");
        return;
    }
    m->status = (m->status & VIRTIO_STATUS_NEEDS_RESET) | want;
    if (added & VIRTIO_STATUS_DRIVER_OK) {
        /* Buffers made available before DRIVER_OK are processed now: on
         * this thread (notify_here), or by the I/O thread. */
        if (m->notify_here) {
            *drain = DRAIN_ALL;
            return;
        }
        for (uint16_t i = 0; i < m->nq; i++) {
            uint64_t one = 1;
            if (m->q[i].ready && write(m->q[i].notify_fd, &one, sizeof(one)) < 0) {
            }
        }
    }
}

/* *drain: a queue the caller must drain after dropping the lock (QueueNotify
 * with notify_here), DRAIN_ALL for every queue (DRIVER_OK with notify_here),
 * else -1. */
static void reg_write(struct virtio_mmio *m, uint64_t off, uint32_t val, bool *reset,
                      int *drain)
{
    struct vq_state *s;
    switch (off) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
        m->dev_feat_sel = val;
        return;
    case VIRTIO_MMIO_DRIVER_FEATURES:
        if ((m->status & (VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER)) !=
            VIRTIO_STATUS_DRIVER) {
            mmio_violation(m, "DriverFeatures written with status 0x%x", m->status);
            return;
        }
        if (m->drv_feat_sel <= 1)
            set_half(&m->drv_features, val, m->drv_feat_sel == 1);
        else if (val)
            m->drv_features_bad = true;
        return;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
        m->drv_feat_sel = val;
        return;
    case VIRTIO_MMIO_QUEUE_SEL:
        m->queue_sel = val;
        return;
    case VIRTIO_MMIO_QUEUE_NUM:
        if (!(s = queue_for_setup(m, "QueueNum")))
            return;
        if (val == 0 || val > m->ops->queue_max || (val & (val - 1))) {
            mmio_violation(m, "QueueNum %u (max %u, must be a power of 2)", val, m->ops->queue_max);
            return;
        }
        s->num = val;
        return;
    case VIRTIO_MMIO_QUEUE_READY:
        queue_ready(m, val);
        return;
    case VIRTIO_MMIO_QUEUE_NOTIFY:
        if (val >= m->nq) {
            mmio_violation(m, "QueueNotify for queue %u, which does not exist", val);
            return;
        }
        /* Normally absorbed by the ioeventfd; this is the slow path, or
         * (notify_here) the chosen one. */
        m->slow_notifies++;
        if (m->notify_here) {
            *drain = (int)val;
            return;
        }
        {
            uint64_t one = 1;
            if (write(m->q[val].notify_fd, &one, sizeof(one)) < 0) {
            }
        }
        return;
    case VIRTIO_MMIO_INTERRUPT_ACK:
        m->isr &= ~val;
        return;
    case VIRTIO_MMIO_STATUS:
        status_write(m, val, reset, drain);
        return;
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
        if ((s = queue_for_setup(m, "QueueDesc")))
            set_half(&s->desc, val, off == VIRTIO_MMIO_QUEUE_DESC_HIGH);
        return;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
        if ((s = queue_for_setup(m, "QueueDriver")))
            set_half(&s->driver, val, off == VIRTIO_MMIO_QUEUE_DRIVER_HIGH);
        return;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
        if ((s = queue_for_setup(m, "QueueDevice")))
            set_half(&s->device, val, off == VIRTIO_MMIO_QUEUE_DEVICE_HIGH);
        return;
    case VIRTIO_MMIO_SHM_SEL:
        return;   /* no regions; reads of the selected one say so */
    default:
        mmio_violation(m, "write 0x%x to read-only or unknown register 0x%03" PRIx64, val, off);
        return;
    }
}

static void config_io(struct virtio_mmio *m, uint64_t off, uint8_t *data, uint32_t len,
                      bool is_write)
{
    if (len != 1 && len != 2 && len != 4) {
        if (!is_write)
            memset(data, 0, len);
        mmio_violation(m, "%u-byte config access at 0x%" PRIx64, len, off + VIRTIO_MMIO_CONFIG);
        return;
    }
    uint32_t clen = m->ops->config_len;
    uint32_t n = off >= clen ? 0 : (clen - off < len ? (uint32_t)(clen - off) : len);
    if (!is_write) {
        memset(data, 0, len);
        if (n)
            m->ops->config_read(m->dev, (uint32_t)off, data, n);
    } else if (n && m->ops->config_write) {
        m->ops->config_write(m->dev, (uint32_t)off, data, n);
    }
}

void virtio_mmio_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
    struct virtio_mmio *m = opaque;
    bool reset = false;
    int drain = -1;
    pthread_mutex_lock(&m->lock);
    if (offset >= VIRTIO_MMIO_CONFIG) {
        config_io(m, offset - VIRTIO_MMIO_CONFIG, data, len, is_write);
    } else if (len != 4 || (offset & 3)) {
        if (!is_write)
            memset(data, 0, len);
        mmio_violation(m, "%u-byte %s at register 0x%03" PRIx64 " (only aligned 32-bit allowed)",
                  len, is_write ? "write" : "read", offset);
    } else if (is_write) {
        uint32_t v = (uint32_t)data[0] | (uint32_t)data[1] << 8 |
                     (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
        reg_write(m, offset, v, &reset, &drain);
    } else {
        uint32_t v = reg_read(m, offset);
        for (int i = 0; i < 4; i++)
            data[i] = (uint8_t)(v >> (8 * i));
    }
    pthread_mutex_unlock(&m->lock);
    if (reset && m->ops->reset)
        m->ops->reset(m->dev);
    if (drain >= 0)
        mmio_drain_here(m, (uint16_t)drain);
    for (uint16_t q = 0; drain == DRAIN_ALL && q < m->nq; q++)
        mmio_drain_here(m, q);
}
