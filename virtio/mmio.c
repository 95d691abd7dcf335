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
#include "virtio/mmio_int.h"

#define TRANSPORT_FEATURES ((1ULL << VIRTIO_F_VERSION_1) | \
                            (1ULL << VIRTIO_RING_F_INDIRECT_DESC) | \
                            (1ULL << VIRTIO_RING_F_EVENT_IDX))

/* ---- interrupts and errors (lock held) ---- */

void mmio_signal_irq(struct virtio_mmio *m, uint32_t bit)
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
    mmio_signal_irq(m, VIRTIO_MMIO_INT_CONFIG);
}

/* The guest broke the rules. */
void mmio_violation(struct virtio_mmio *m, const char *fmt, ...)
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

void mmio_reset_locked(struct virtio_mmio *m)
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
    mmio_reset_locked(m);
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

/* ---- queue processing ---- */

/* A drain on the notifying vCPU: the guest does not run on this vCPU until
 * the drain ends, so the interrupts its completions ask for are raised
 * once, at the end (batching; the driver takes every used entry per
 * interrupt).  Completions on other threads interrupt as usual. */
static __thread struct virtio_mmio *batching;
static __thread bool irq_owed;

void mmio_drain_here(struct virtio_mmio *m, uint16_t q)
{
    batching = m;
    irq_owed = false;
    virtio_mmio_process_queue(m, q);
    batching = NULL;
    if (irq_owed) {
        pthread_mutex_lock(&m->lock);
        /* A reset during the drain (another vCPU) dropped what was owed. */
        if (m->status & VIRTIO_STATUS_DRIVER_OK)
            mmio_signal_irq(m, VIRTIO_MMIO_INT_VRING);
        pthread_mutex_unlock(&m->lock);
    }
}


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
            mmio_violation(m, "queue %u: %s", qi, virtq_strerror((enum virtq_err)-r));
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
                mmio_signal_irq(m, VIRTIO_MMIO_INT_VRING);
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
        mmio_signal_irq(m, VIRTIO_MMIO_INT_CONFIG);
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
