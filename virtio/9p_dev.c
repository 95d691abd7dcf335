/* virtio-9p device glue: transport ops, config space, worker pool. */
#include "virtio/9p_dev.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "virtio/9p.h"
#include "virtio/mmio.h"
#include "vmm/vm.h"

/* Chains waiting for a worker.  When it is full the I/O thread waits: a
 * guest that re-posts buffers it has not got back cannot make us queue
 * without bound. */
#define WQ_CAP (2 * VIRTIO_9P_QUEUE_MAX)

struct virtio_9p;
struct worker {
    struct virtio_9p *p;
    pthread_t thread;
    uint64_t seq;              /* of the chain it is serving; 0 when idle */
};

struct virtio_9p {
    struct virtio_mmio *m;
    struct p9_server *srv;
    struct virtio_dev_ops ops;
    uint8_t config[2 + VIRTIO_9P_TAG_MAX];

    pthread_mutex_t lock;
    pthread_cond_t has_work, not_full, idle, done;
    struct virtq_chain *wq[WQ_CAP];
    uint64_t wseq[WQ_CAP];     /* arrival order of each queued chain, from 1 */
    uint64_t next_seq;
    unsigned wq_head, wq_count;
    int busy;                  /* chains inside p9_handle */
    bool stop;
    struct worker workers[VIRTIO_9P_WORKERS];
    int nworkers;
};

static void config_read(void *dev, uint32_t off, void *data, uint32_t len)
{
    struct virtio_9p *p = dev;
    memcpy(data, p->config + off, len);   /* the transport checked the range */
}

/* Served on the vCPU (the default) or the I/O thread (MINIVMM_VIRTIO_SERVE
 * vcpu or io, virtio/mmio.h): no worker pool; the thread that drains the
 * queue serves each request itself, one at a time, in order (one drainer at
 * a time in the transport), so Tflush needs no ordering of its own.
 * Counted in busy, so a reset still waits for it. */
static void handle_inline(struct virtio_9p *p, struct virtio_mmio *m, struct virtq_chain *c)
{
    pthread_mutex_lock(&p->lock);
    p->busy++;
    pthread_mutex_unlock(&p->lock);
    size_t len = 0;
    if (virtio_mmio_chain_live(m, c))
        len = p9_handle(p->srv, c->in, c->nin, c->out, c->nout);
    virtio_mmio_complete(m, c, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
    pthread_mutex_lock(&p->lock);
    if (--p->busy == 0)
        pthread_cond_broadcast(&p->idle);
    pthread_mutex_unlock(&p->lock);
}

static void handle_chain(void *dev, struct virtio_mmio *m, uint16_t q, struct virtq_chain *c)
{
    struct virtio_9p *p = dev;
    (void)q;
    if (p->nworkers == 0) {
        handle_inline(p, m, c);
        return;
    }
    pthread_mutex_lock(&p->lock);
    while (p->wq_count == WQ_CAP && !p->stop)
        pthread_cond_wait(&p->not_full, &p->lock);
    if (p->stop) {
        pthread_mutex_unlock(&p->lock);
        virtio_mmio_complete(m, c, 0);
        return;
    }
    unsigned slot = (p->wq_head + p->wq_count) % WQ_CAP;
    p->wq[slot] = c;
    p->wseq[slot] = ++p->next_seq;
    p->wq_count++;
    pthread_cond_signal(&p->has_work);
    pthread_mutex_unlock(&p->lock);
}

/* The driver reset the device: drop what no worker has started and wait for
 * the requests in flight, so no worker writes to the old buffers after the
 * driver's reset returns. */
static void reset(void *dev)
{
    struct virtio_9p *p = dev;
    pthread_mutex_lock(&p->lock);
    while (p->wq_count) {
        free(p->wq[p->wq_head]);
        p->wq_head = (p->wq_head + 1) % WQ_CAP;
        p->wq_count--;
    }
    pthread_cond_broadcast(&p->not_full);
    while (p->busy)
        pthread_cond_wait(&p->idle, &p->lock);
    pthread_mutex_unlock(&p->lock);
}

/* Is a chain that arrived before `seq` still being served?  Chains leave
 * the queue in arrival order, so the earlier ones are all in workers. */
static bool earlier_in_flight(const struct virtio_9p *p, uint64_t seq)
{
    for (int i = 0; i < p->nworkers; i++)
        if (p->workers[i].seq && p->workers[i].seq < seq)
            return true;
    return false;
}

static void *worker(void *arg)
{
    struct worker *w = arg;
    struct virtio_9p *p = w->p;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->stop && p->wq_count == 0)
            pthread_cond_wait(&p->has_work, &p->lock);
        if (p->stop)
            break;
        struct virtq_chain *c = p->wq[p->wq_head];
        w->seq = p->wseq[p->wq_head];
        p->wq_head = (p->wq_head + 1) % WQ_CAP;
        p->wq_count--;
        p->busy++;
        pthread_cond_signal(&p->not_full);
        /* 9P: the reply to a flushed request must reach the client before
         * Rflush, or the client may reuse the tag (and the buffers) while
         * the old reply is still being written.  A Tflush therefore waits
         * for every request that came before it. */
        if (p9_is_flush(c->in, c->nin))
            while (earlier_in_flight(p, w->seq))
                pthread_cond_wait(&p->done, &p->lock);
        pthread_mutex_unlock(&p->lock);

        size_t len = 0;
        if (virtio_mmio_chain_live(p->m, c))
            len = p9_handle(p->srv, c->in, c->nin, c->out, c->nout);
        virtio_mmio_complete(p->m, c, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);

        pthread_mutex_lock(&p->lock);
        w->seq = 0;
        pthread_cond_broadcast(&p->done);
        if (--p->busy == 0)
            pthread_cond_broadcast(&p->idle);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static void stop_workers(struct virtio_9p *p)
{
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->has_work);
    pthread_cond_broadcast(&p->not_full);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nworkers; i++)
        pthread_join(p->workers[i].thread, NULL);
    p->nworkers = 0;
    while (p->wq_count) {
        free(p->wq[p->wq_head]);
        p->wq_head = (p->wq_head + 1) % WQ_CAP;
        p->wq_count--;
    }
}

struct virtio_9p *virtio_9p_new(struct vm *vm, const struct guest_mem *mem,
                                uint64_t base, uint32_t irq,
                                const char *host_dir, const char *tag, bool readonly,
                                char *err, size_t errlen)
{
    if (!virtio_9p_tag_valid(tag)) {
        snprintf(err, errlen, "virtio-9p: invalid mount tag \"%.40s\": 1 to %d printable "
                 "characters without space, comma, quotes or backslash",
                 tag ? tag : "", VIRTIO_9P_TAG_MAX);
        return NULL;
    }
    if (!mem) {
        snprintf(err, errlen, "virtio-9p: no guest memory");
        return NULL;
    }
    struct virtio_9p *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "virtio-9p: out of memory");
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->has_work, NULL);
    pthread_cond_init(&p->not_full, NULL);
    pthread_cond_init(&p->idle, NULL);
    pthread_cond_init(&p->done, NULL);

    size_t clen = virtio_9p_config(p->config, sizeof(p->config), tag);
    p->ops = (struct virtio_dev_ops){
        .name = "virtio-9p",
        .device_id = VIRTIO_ID_9P,
        .features = 1ULL << VIRTIO_9P_MOUNT_TAG,
        .num_queues = 1,
        .queue_max = VIRTIO_9P_QUEUE_MAX,
        .config_len = (uint32_t)clen,
        .config_read = config_read,
        .handle_chain = handle_chain,
        .reset = reset,
    };

    p->srv = p9_server_new(host_dir, readonly, err, errlen);
    if (!p->srv)
        goto fail;
    /* Without a VM (tests drive the transport) the pool, as before. */
    int mode = vm ? virtio_serve_mode() : VIRTIO_SERVE_POOL;
    if (mode < 0) {
        snprintf(err, errlen, "MINIVMM_VIRTIO_SERVE=%.40s: must be vcpu, pool or io",
                 getenv("MINIVMM_VIRTIO_SERVE"));
        goto fail;
    }
    int nworkers = mode == VIRTIO_SERVE_POOL ? VIRTIO_9P_WORKERS : 0;
    for (int i = 0; i < nworkers; i++) {
        p->workers[i].p = p;
        int e = pthread_create(&p->workers[i].thread, NULL, worker, &p->workers[i]);
        if (e) {
            snprintf(err, errlen, "virtio-9p: cannot start worker threads: %s", strerror(e));
            goto fail;
        }
        char name[16];
        snprintf(name, sizeof(name), "9p-worker-%u", (unsigned)i & 0xf);
        pthread_setname_np(p->workers[i].thread, name);
        p->nworkers++;
    }
    p->m = virtio_mmio_new(vm, mem, base, irq, &p->ops, p);
    if (!p->m) {
        snprintf(err, errlen, "virtio-9p: cannot set up the virtio-mmio device at 0x%" PRIx64,
                 base);
        goto fail;
    }
    return p;

fail:
    stop_workers(p);
    if (p->srv)
        p9_server_free(p->srv);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->has_work);
    pthread_cond_destroy(&p->not_full);
    pthread_cond_destroy(&p->idle);
    pthread_cond_destroy(&p->done);
    free(p);
    return NULL;
}

void virtio_9p_free(struct virtio_9p *p)
{
    if (!p)
        return;
    virtio_mmio_stop(p->m);    /* no new chains */
    stop_workers(p);           /* in-flight ones finish and complete */
    virtio_mmio_free(p->m);
    p9_server_free(p->srv);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->has_work);
    pthread_cond_destroy(&p->not_full);
    pthread_cond_destroy(&p->idle);
    pthread_cond_destroy(&p->done);
    free(p);
}

void virtio_9p_set_max(struct virtio_9p *p, uint64_t max_bytes)
{
    p9_server_set_max(p->srv, max_bytes);
}

struct virtio_mmio *virtio_9p_transport(struct virtio_9p *p)
{
    return p->m;
}
