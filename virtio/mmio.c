/* virtio-mmio transport core (no KVM here; see mmio_kvm.c). */
#include "virtio/mmio.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "vmm/msglimit.h"

#define TRANSPORT_FEATURES ((1ULL << VIRTIO_F_VERSION_1) | \
                            (1ULL << VIRTIO_RING_F_INDIRECT_DESC) | \
                            (1ULL << VIRTIO_RING_F_EVENT_IDX))

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

/* ---- interrupts and errors (lock held) ---- */

static void signal_irq(struct virtio_mmio *m, uint32_t bit)
{
    m->isr |= bit;
    if (m->irq_hook) {
        m->irq_hook(m->irq_hook_opaque, m->irq);
        return;
    }
    uint64_t one = 1;
    /* Fails only if the counter would overflow: an interrupt is pending anyway. */
    if (write(m->irq_fd, &one, sizeof(one)) < 0) {
    }
}

/* The device stops and asks for a reset (lock held): the first reason is
 * kept and printed in one line; no interrupt storm after that. */
static void vfail(struct virtio_mmio *m, const char *who, const char *fmt, va_list ap)
{
    if (m->status & VIRTIO_STATUS_NEEDS_RESET)
        return;
    vsnprintf(m->err, sizeof(m->err), fmt, ap);
    if (msg_limit_ok(&m->errors, "guest errors of this virtio device"))
        fprintf(stderr, "minivmm: %s@0x%" PRIx64 ": %s: %s; device needs reset\n",
                m->ops->name ? m->ops->name : "virtio", m->base, who, m->err);
    m->status |= VIRTIO_STATUS_NEEDS_RESET;
    signal_irq(m, VIRTIO_MMIO_INT_CONFIG);
}

/* The guest broke the rules. */
static void violation(struct virtio_mmio *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void violation(struct virtio_mmio *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(m, "guest error", fmt, ap);
    va_end(ap);
}

/* The host cannot go on serving the device. */
static void host_failure(struct virtio_mmio *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void host_failure(struct virtio_mmio *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(m, "host error", fmt, ap);
    va_end(ap);
}

static void reset_locked(struct virtio_mmio *m)
{
    m->status = 0;
    m->isr = 0;
    m->drv_features = 0;
    m->drv_features_bad = false;
    m->dev_feat_sel = m->drv_feat_sel = m->queue_sel = 0;
    for (uint16_t i = 0; i < m->nq; i++) {
        struct vq_state *s = &m->q[i];
        s->ready = false;
        s->num = m->ops->queue_max;
        s->desc = s->driver = s->device = 0;
        s->gen++;
        memset(&s->vq, 0, sizeof(s->vq));
    }
}

/* ---- construction ---- */

struct virtio_mmio *virtio_mmio_create(const struct guest_mem *mem, uint64_t base,
                                       uint32_t irq, const struct virtio_dev_ops *ops,
                                       void *dev)
{
    if (!mem || !ops || !ops->handle_chain || ops->num_queues == 0 ||
        ops->queue_max == 0 || ops->queue_max > VIRTQ_MAX_SIZE ||
        (ops->queue_max & (ops->queue_max - 1)) ||
        ops->config_len > 0x1000 - VIRTIO_MMIO_CONFIG ||
        (ops->config_len && !ops->config_read)) {
        errno = EINVAL;
        return NULL;
    }
    struct virtio_mmio *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->q = calloc(ops->num_queues, sizeof(*m->q));
    if (!m->q) {
        free(m);
        return NULL;
    }
    pthread_mutex_init(&m->lock, NULL);
    m->mem = mem;
    m->base = base;
    m->irq = irq;
    m->ops = ops;
    m->dev = dev;
    m->nq = ops->num_queues;
    m->dev_features = ops->features | TRANSPORT_FEATURES;
    m->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    m->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    bool ok = m->irq_fd >= 0 && m->stop_fd >= 0;
    for (uint16_t i = 0; i < m->nq; i++) {
        m->q[i].notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        ok = ok && m->q[i].notify_fd >= 0;
        pthread_mutex_init(&m->q[i].drain, NULL);
    }
    reset_locked(m);
    if (!ok) {
        int e = errno;
        virtio_mmio_free(m);
        errno = e;
        return NULL;
    }
    return m;
}

static void *io_thread(void *arg)
{
    struct virtio_mmio *m = arg;
    struct pollfd *p = calloc(m->nq + 1u, sizeof(*p));
    if (!p) {
        fprintf(stderr, "minivmm: %s: out of memory in I/O thread\n", m->ops->name);
        return NULL;
    }
    p[0].fd = m->stop_fd;
    p[0].events = POLLIN;
    for (uint16_t i = 0; i < m->nq; i++) {
        p[i + 1].fd = m->q[i].notify_fd;
        p[i + 1].events = POLLIN;
    }
    for (;;) {
        int r = poll(p, m->nq + 1u, -1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "minivmm: %s: poll: %s\n", m->ops->name, strerror(errno));
            break;
        }
        if (p[0].revents)
            break;
        for (uint16_t i = 0; i < m->nq; i++) {
            if (!p[i + 1].revents)
                continue;
            uint64_t v;
            if (read(m->q[i].notify_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
                continue;
            virtio_mmio_process_queue(m, i);
        }
    }
    free(p);
    return NULL;
}

int virtio_mmio_start(struct virtio_mmio *m)
{
    if (m->thread_started)
        return 0;
    int e = pthread_create(&m->thread, NULL, io_thread, m);
    if (e)
        return -e;
    char name[16];
    snprintf(name, sizeof(name), "vio-%.11s", m->ops->name ? m->ops->name : "dev");
    pthread_setname_np(m->thread, name);
    m->thread_started = true;
    return 0;
}

void virtio_mmio_stop(struct virtio_mmio *m)
{
    if (m->thread_started) {
        uint64_t one = 1;
        if (write(m->stop_fd, &one, sizeof(one)) < 0) {
        }
        pthread_join(m->thread, NULL);
        m->thread_started = false;
        if (read(m->stop_fd, &one, sizeof(one)) < 0) {
        }
    }
}

void virtio_mmio_free(struct virtio_mmio *m)
{
    if (!m)
        return;
    virtio_mmio_stop(m);
    if (m->irq_fd >= 0)
        close(m->irq_fd);
    if (m->stop_fd >= 0)
        close(m->stop_fd);
    for (uint16_t i = 0; i < m->nq; i++) {
        if (m->q[i].notify_fd >= 0)
            close(m->q[i].notify_fd);
        pthread_mutex_destroy(&m->q[i].drain);
    }
    pthread_mutex_destroy(&m->lock);
    free(m->q);
    free(m);
}

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
        violation(m, "%s for queue %u, which does not exist", reg, m->queue_sel);
        return NULL;
    }
    if (!(m->status & VIRTIO_STATUS_FEATURES_OK) || (m->status & VIRTIO_STATUS_DRIVER_OK)) {
        violation(m, "%s written with status 0x%x", reg, m->status);
        return NULL;
    }
    if (s->ready) {
        violation(m, "%s written while queue %u is ready", reg, m->queue_sel);
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
        violation(m, "QueueReady written with %u", val);
        return;
    }
    struct vq_state *s = sel_queue(m);
    if (val == 0) {
        if (!s) {
            violation(m, "QueueReady for queue %u, which does not exist", m->queue_sel);
            return;
        }
        if (m->status & VIRTIO_STATUS_DRIVER_OK) {
            violation(m, "queue %u disabled after DRIVER_OK", m->queue_sel);
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
        violation(m, "queue %u enabled with size %u, desc 0x%" PRIx64 ", driver 0x%" PRIx64
                  ", device 0x%" PRIx64 ": bad alignment or outside RAM",
                  m->queue_sel, s->num, s->desc, s->driver, s->device);
        return;
    }
    s->gen++;
    s->ready = true;
}

#define DRAIN_ALL (-2)

static void status_write(struct virtio_mmio *m, uint32_t val, bool *reset, int *drain)
{
    if (val == 0) {
        reset_locked(m);
        *reset = true;
        return;
    }
    if (val > 0xff) {
        violation(m, "Status written with 0x%x", val);
        return;
    }
    /* NEEDS_RESET belongs to the device; drivers write back what they read. */
    uint32_t now = m->status & ~VIRTIO_STATUS_NEEDS_RESET;
    uint32_t want = val & ~VIRTIO_STATUS_NEEDS_RESET;
    if (now & ~want) {
        violation(m, "Status 0x%x clears bits of 0x%x", val, m->status);
        return;
    }
    uint32_t added = want & ~now;
    if (added & VIRTIO_STATUS_FEATURES_OK) {
        if ((want & (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER)) !=
            (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER)) {
            violation(m, "FEATURES_OK before ACKNOWLEDGE and DRIVER");
            return;
        }
        /* Not an error: the device simply does not accept the features, and
         * the driver sees FEATURES_OK stay clear. */
        if (!(m->drv_features & (1ULL << VIRTIO_F_VERSION_1)) ||
            (m->drv_features & ~m->dev_features) || m->drv_features_bad)
            want &= ~VIRTIO_STATUS_FEATURES_OK;
    }
    if ((added & VIRTIO_STATUS_DRIVER_OK) && !(want & VIRTIO_STATUS_FEATURES_OK)) {
        violation(m, "DRIVER_OK without FEATURES_OK");
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
            violation(m, "DriverFeatures written with status 0x%x", m->status);
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
            violation(m, "QueueNum %u (max %u, must be a power of 2)", val, m->ops->queue_max);
            return;
        }
        s->num = val;
        return;
    case VIRTIO_MMIO_QUEUE_READY:
        queue_ready(m, val);
        return;
    case VIRTIO_MMIO_QUEUE_NOTIFY:
        if (val >= m->nq) {
            violation(m, "QueueNotify for queue %u, which does not exist", val);
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
        violation(m, "write 0x%x to read-only or unknown register 0x%03" PRIx64, val, off);
        return;
    }
}

static void config_io(struct virtio_mmio *m, uint64_t off, uint8_t *data, uint32_t len,
                      bool is_write)
{
    if (len != 1 && len != 2 && len != 4) {
        if (!is_write)
            memset(data, 0, len);
        violation(m, "%u-byte config access at 0x%" PRIx64, len, off + VIRTIO_MMIO_CONFIG);
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

/* A drain on the notifying vCPU: the guest does not run on this vCPU until
 * the drain ends, so the interrupts its completions ask for are raised
 * once, at the end (batching; the driver takes every used entry per
 * interrupt).  Completions on other threads interrupt as usual. */
static __thread struct virtio_mmio *batching;
static __thread bool irq_owed;

static void drain_here(struct virtio_mmio *m, uint16_t q)
{
    batching = m;
    irq_owed = false;
    virtio_mmio_process_queue(m, q);
    batching = NULL;
    if (irq_owed) {
        pthread_mutex_lock(&m->lock);
        /* A reset during the drain (another vCPU) dropped what was owed. */
        if (m->status & VIRTIO_STATUS_DRIVER_OK)
            signal_irq(m, VIRTIO_MMIO_INT_VRING);
        pthread_mutex_unlock(&m->lock);
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
        violation(m, "%u-byte %s at register 0x%03" PRIx64 " (only aligned 32-bit allowed)",
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
        drain_here(m, (uint16_t)drain);
    for (uint16_t q = 0; drain == DRAIN_ALL && q < m->nq; q++)
        drain_here(m, q);
}

/* ---- queue processing ---- */

int virtio_mmio_process_queue(struct virtio_mmio *m, uint16_t qi)
{
    if (qi >= m->nq)
        return -1;
    struct vq_state *s = &m->q[qi];
    struct virtq_chain *c = NULL;
    int handled = 0;
    pthread_mutex_lock(&s->drain);
    pthread_mutex_lock(&m->lock);
    for (;;) {
        if (!(m->status & VIRTIO_STATUS_DRIVER_OK) ||
            (m->status & VIRTIO_STATUS_NEEDS_RESET) || !s->ready)
            break;
        virtq_disable_notify(&s->vq);
        if (c && c->cap < s->vq.num) {
            free(c);
            c = NULL;
        }
        if (!c && !(c = virtq_chain_new(s->vq.num))) {
            /* Waiting for the next notification could wait forever (with
             * EVENT_IDX the driver does not kick again for what it has
             * posted), so the device fails visibly instead. */
            host_failure(m, "out of memory for a descriptor chain of queue %u", qi);
            handled = -1;
            break;
        }
        int r = virtq_pop(&s->vq, c);
        if (r < 0) {
            violation(m, "queue %u: %s", qi, virtq_strerror((enum virtq_err)-r));
            handled = -1;
            break;
        }
        if (r == 0) {
            if (virtq_enable_notify(&s->vq))
                continue;
            break;
        }
        c->queue = qi;
        c->gen = s->gen;
        pthread_mutex_unlock(&m->lock);
        m->ops->handle_chain(m->dev, m, qi, c);
        c = NULL;
        handled++;
        pthread_mutex_lock(&m->lock);
    }
    pthread_mutex_unlock(&m->lock);
    pthread_mutex_unlock(&s->drain);
    free(c);
    return handled;
}

static bool chain_live_locked(struct virtio_mmio *m, const struct virtq_chain *c)
{
    return c->queue < m->nq && m->q[c->queue].ready && m->q[c->queue].gen == c->gen &&
           !(m->status & VIRTIO_STATUS_NEEDS_RESET);
}

bool virtio_mmio_chain_live(struct virtio_mmio *m, const struct virtq_chain *c)
{
    pthread_mutex_lock(&m->lock);
    bool live = chain_live_locked(m, c);
    pthread_mutex_unlock(&m->lock);
    return live;
}

void virtio_mmio_complete(struct virtio_mmio *m, struct virtq_chain *c, uint32_t len)
{
    pthread_mutex_lock(&m->lock);
    if (chain_live_locked(m, c)) {
        struct virtq *q = &m->q[c->queue].vq;
        if (len > c->out_len)
            len = (uint32_t)c->out_len;
        virtq_push(q, c->head, len);
        if (virtq_need_interrupt(q)) {
            if (batching == m)
                irq_owed = true;
            else
                signal_irq(m, VIRTIO_MMIO_INT_VRING);
        }
    }
    pthread_mutex_unlock(&m->lock);
    free(c);
}

void virtio_mmio_config_changed(struct virtio_mmio *m)
{
    pthread_mutex_lock(&m->lock);
    m->config_gen++;
    if (m->status & VIRTIO_STATUS_DRIVER_OK)
        signal_irq(m, VIRTIO_MMIO_INT_CONFIG);
    pthread_mutex_unlock(&m->lock);
}

/* ---- accessors ---- */

int virtio_mmio_irq_fd(const struct virtio_mmio *m) { return m->irq_fd; }

int virtio_mmio_notify_fd(const struct virtio_mmio *m, uint16_t q)
{
    return q < m->nq ? m->q[q].notify_fd : -1;
}

uint32_t virtio_mmio_status(struct virtio_mmio *m)
{
    pthread_mutex_lock(&m->lock);
    uint32_t s = m->status;
    pthread_mutex_unlock(&m->lock);
    return s;
}

const char *virtio_mmio_error(struct virtio_mmio *m, char *buf, size_t len)
{
    pthread_mutex_lock(&m->lock);
    snprintf(buf, len, "%s", m->err);
    pthread_mutex_unlock(&m->lock);
    return buf;
}

void virtio_mmio_set_irq_hook(struct virtio_mmio *m, void (*fn)(void *, uint32_t), void *opaque)
{
    pthread_mutex_lock(&m->lock);
    m->irq_hook = fn;
    m->irq_hook_opaque = opaque;
    pthread_mutex_unlock(&m->lock);
}

void virtio_mmio_set_notify_here(struct virtio_mmio *m, bool on)
{
    pthread_mutex_lock(&m->lock);
    m->notify_here = on;
    pthread_mutex_unlock(&m->lock);
}

int virtio_serve_mode(void)
{
    const char *how = getenv("MINIVMM_VIRTIO_SERVE");
    if (!how || !*how || !strcmp(how, "vcpu"))
        return VIRTIO_SERVE_VCPU;
    if (!strcmp(how, "pool"))
        return VIRTIO_SERVE_POOL;
    if (!strcmp(how, "io"))
        return VIRTIO_SERVE_IO;
    return -1;
}

uint64_t virtio_mmio_slow_notifies(struct virtio_mmio *m)
{
    pthread_mutex_lock(&m->lock);
    uint64_t n = m->slow_notifies;
    pthread_mutex_unlock(&m->lock);
    return n;
}

int virtio_mmio_cmdline(char *buf, size_t len, uint64_t base, uint32_t size, uint32_t irq)
{
    int n;
    if (size && size % 1024 == 0)
        n = snprintf(buf, len, "virtio_mmio.device=%" PRIu32 "K@0x%" PRIx64 ":%" PRIu32,
                     size / 1024, base, irq);
    else
        n = snprintf(buf, len, "virtio_mmio.device=%" PRIu32 "@0x%" PRIx64 ":%" PRIu32,
                     size, base, irq);
    if (n < 0 || (size_t)n >= len)
        return -1;
    return n;
}
