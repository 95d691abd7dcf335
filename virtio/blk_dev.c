/* virtio-blk device: the image file, request service, transport glue and
 * worker pool.  See blk_dev.h and docs/blk.md. */
#include "virtio/blk_dev.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virtio/mmio.h"

/* ---- the image ---- */

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)

int blk_disk_open(struct blk_disk *d, const struct blk_opt *o, char *err, size_t errlen)
{
    memset(d, 0, sizeof(*d));
    d->fd = d->dfd = -1;
    snprintf(d->path, sizeof(d->path), "%s", o->path);
    snprintf(d->serial, sizeof(d->serial), "%s", o->serial);
    d->cache = o->cache;
    const char *p = d->path;
    struct stat st0, st;
    if (stat(p, &st0) < 0)
        FAIL("--disk %s: %s", p, strerror(errno));
    if (S_ISDIR(st0.st_mode))
        FAIL("--disk %s: is a directory, not an image file", p);
    if (!S_ISREG(st0.st_mode))
        FAIL("--disk %s: not a regular file", p);
    /* O_NONBLOCK: a FIFO swapped in after the stat cannot hang us. */
    int flags = (o->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY;
    d->fd = open(p, flags | O_NONBLOCK);
    if (d->fd < 0) {
        if (!o->readonly && (errno == EACCES || errno == EROFS || errno == EPERM))
            FAIL("--disk %s: cannot open for writing: %s (add ,ro for a read-only disk)", p,
                 strerror(errno));
        FAIL("--disk %s: cannot open: %s", p, strerror(errno));
    }
    if (fstat(d->fd, &st) < 0)
        FAIL("--disk %s: %s", p, strerror(errno));
    if (!S_ISREG(st.st_mode) || st.st_dev != st0.st_dev || st.st_ino != st0.st_ino)
        FAIL("--disk %s: changed while being opened", p);
    fcntl(d->fd, F_SETFL, fcntl(d->fd, F_GETFL) & ~O_NONBLOCK);
    if (st.st_size == 0)
        FAIL("--disk %s: is empty (an image needs at least one 512-byte sector)", p);
    if (st.st_size % VIRTIO_BLK_SECTOR)
        FAIL("--disk %s: size %lld is not a multiple of 512", p, (long long)st.st_size);
    /* Two VMs never write one image: an open-file-description lock, held
     * as long as the descriptor (a write lock for a writable disk). */
    struct flock fl = { .l_type = o->readonly ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET };
    if (fcntl(d->fd, F_OFD_SETLK, &fl) < 0) {
        if (errno == EAGAIN || errno == EACCES)
            FAIL("--disk %s: locked by another process", p);
        FAIL("--disk %s: cannot lock the image: %s", p, strerror(errno));
    }
    if (o->cache == BLK_CACHE_NONE) {
        d->dfd = open(p, flags | O_DIRECT);
        struct stat sd;
        if (d->dfd < 0)
            FAIL("--disk %s: cache=none: cannot open with O_DIRECT: %s", p, strerror(errno));
        if (fstat(d->dfd, &sd) < 0 || sd.st_dev != st.st_dev || sd.st_ino != st.st_ino)
            FAIL("--disk %s: changed while being opened", p);
    }
    d->dev = st.st_dev;
    d->ino = st.st_ino;
    d->lim.capacity = (uint64_t)st.st_size / VIRTIO_BLK_SECTOR;
    d->lim.readonly = o->readonly;
    d->lim.discard = d->lim.write_zeroes = !o->readonly;
    return 0;
fail:
    blk_disk_close(d);
    return -1;
}

void blk_disk_close(struct blk_disk *d)
{
    if (d->fd >= 0)
        close(d->fd);
    if (d->dfd >= 0)
        close(d->dfd);
    d->fd = d->dfd = -1;
}

/* All of iov at off; 0 or -errno.  The end of the file before the end of
 * the request (the image shrank under us) is an error: never a write past
 * the size the disk was opened with, since blk_parse checked the range. */
static int rw_full(struct blk_disk *d, struct iovec *iov, int n, uint64_t off, bool write)
{
    int fd = d->dfd >= 0 ? d->dfd : d->fd;
    while (n > 0) {
        ssize_t r = write ? pwritev(fd, iov, n, (off_t)off) : preadv(fd, iov, n, (off_t)off);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EINVAL && fd == d->dfd) {
                fd = d->fd;        /* buffers or offset not aligned for O_DIRECT */
                continue;
            }
            return -errno;
        }
        if (r == 0)
            return -EIO;
        off += (uint64_t)r;
        while (n > 0 && (size_t)r >= iov->iov_len) {
            r -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + r;
            iov->iov_len -= (size_t)r;
        }
    }
    return 0;
}

static int write_zeros(int fd, uint64_t off, uint64_t len)
{
    static const uint8_t zero[65536];
    while (len) {
        size_t k = len < sizeof(zero) ? (size_t)len : sizeof(zero);
        ssize_t r = pwrite(fd, zero, k, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        off += (uint64_t)r;
        len -= (uint64_t)r;
    }
    return 0;
}

/* Discard: punch a hole (a hint: a file system without holes ignores it).
 * Write zeroes: a hole when the driver allows unmapping, else ZERO_RANGE;
 * without either, zeros are written. */
static int do_range(struct blk_disk *d, const struct blk_range *g, bool wz)
{
    off_t off = (off_t)(g->sector * VIRTIO_BLK_SECTOR);
    off_t len = (off_t)(g->count * VIRTIO_BLK_SECTOR);
    if (!len)
        return 0;
    if (!wz || (g->flags & VIRTIO_BLK_WZ_F_UNMAP)) {
        if (fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) == 0)
            return 0;
        if (!wz)
            return errno == EOPNOTSUPP || errno == ENOSYS ? 0 : -1;
    }
    if (fallocate(d->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off, len) == 0)
        return 0;
    if (fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) == 0)
        return 0;
    return write_zeros(d->fd, (uint64_t)off, (uint64_t)len);
}

static uint8_t execute(struct blk_disk *d, struct blk_req *r, uint32_t *written)
{
    switch (r->type) {
    case VIRTIO_BLK_T_IN:
        *written = (uint32_t)r->len;
        return rw_full(d, r->iov, r->niov, r->sector * VIRTIO_BLK_SECTOR, false)
               ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
    case VIRTIO_BLK_T_OUT:
        return rw_full(d, r->iov, r->niov, r->sector * VIRTIO_BLK_SECTOR, true)
               ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
    case VIRTIO_BLK_T_FLUSH:
        /* Durable once the guest's flush is answered (cache=unsafe: no). */
        if (d->cache != BLK_CACHE_UNSAFE && !d->lim.readonly && fdatasync(d->fd) < 0)
            return VIRTIO_BLK_S_IOERR;
        return VIRTIO_BLK_S_OK;
    case VIRTIO_BLK_T_GET_ID: {
        uint8_t id[VIRTIO_BLK_ID_BYTES] = { 0 };
        memcpy(id, d->serial, strnlen(d->serial, sizeof(id)));
        size_t off = 0;
        for (int i = 0; i < r->niov; i++) {
            memcpy(r->iov[i].iov_base, id + off, r->iov[i].iov_len);
            off += r->iov[i].iov_len;
        }
        *written = (uint32_t)r->len;
        return VIRTIO_BLK_S_OK;
    }
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        for (int i = 0; i < r->nranges; i++)
            if (do_range(d, &r->ranges[i], r->type == VIRTIO_BLK_T_WRITE_ZEROES))
                return VIRTIO_BLK_S_IOERR;
        return VIRTIO_BLK_S_OK;
    }
    return VIRTIO_BLK_S_UNSUPP;
}

uint32_t blk_disk_serve(struct blk_disk *d, const struct iovec *in, int nin,
                        const struct iovec *out, int nout, struct iovec *scratch, int cap)
{
    struct blk_req r;
    uint32_t written = 0;
    uint8_t st = blk_parse(in, nin, out, nout, &d->lim, scratch, cap, &r);
    if (st == VIRTIO_BLK_S_OK)
        st = execute(d, &r, &written);
    if (!r.status)
        return 0;
    *r.status = st;
    return st == VIRTIO_BLK_S_OK ? written + 1 : 1;
}

/* ---- the device ---- */

#define WQ_CAP (2 * VIRTIO_BLK_QUEUE_MAX)

struct virtio_blk {
    struct virtio_mmio *m;
    struct blk_disk disk;
    struct virtio_dev_ops ops;
    uint8_t config[VIRTIO_BLK_CONFIG_LEN];

    pthread_mutex_t lock;
    pthread_cond_t has_work, not_full, idle;
    struct virtq_chain *wq[WQ_CAP];
    unsigned wq_head, wq_count;
    int busy;                  /* chains being served */
    bool stop;
    pthread_t workers[VIRTIO_BLK_WORKERS];
    int nworkers;
};

static void config_read(void *dev, uint32_t off, void *data, uint32_t len)
{
    struct virtio_blk *b = dev;
    memcpy(data, b->config + off, len);   /* the transport checked the range */
}

static void serve(struct virtio_blk *b, struct virtq_chain *c)
{
    struct iovec scratch[VIRTIO_BLK_QUEUE_MAX];
    uint32_t len = 0;
    if (virtio_mmio_chain_live(b->m, c))
        len = blk_disk_serve(&b->disk, c->in, c->nin, c->out, c->nout, scratch,
                             VIRTIO_BLK_QUEUE_MAX);
    virtio_mmio_complete(b->m, c, len);
}

/* Serves c with the lock held on entry and on return (dropped meanwhile),
 * counted in busy so that a reset waits for it. */
static void serve_counted(struct virtio_blk *b, struct virtq_chain *c)
{
    b->busy++;
    pthread_mutex_unlock(&b->lock);
    serve(b, c);
    pthread_mutex_lock(&b->lock);
    if (--b->busy == 0)
        pthread_cond_broadcast(&b->idle);
}

static void handle_chain(void *dev, struct virtio_mmio *m, uint16_t q, struct virtq_chain *c)
{
    struct virtio_blk *b = dev;
    (void)m;
    (void)q;
    pthread_mutex_lock(&b->lock);
    if (b->nworkers == 0) {            /* on the vCPU or the I/O thread */
        serve_counted(b, c);
        pthread_mutex_unlock(&b->lock);
        return;
    }
    while (b->wq_count == WQ_CAP && !b->stop)
        pthread_cond_wait(&b->not_full, &b->lock);
    if (b->stop) {
        pthread_mutex_unlock(&b->lock);
        virtio_mmio_complete(b->m, c, 0);
        return;
    }
    b->wq[(b->wq_head + b->wq_count) % WQ_CAP] = c;
    b->wq_count++;
    pthread_cond_signal(&b->has_work);
    pthread_mutex_unlock(&b->lock);
}

static void drop_queued(struct virtio_blk *b)
{
    while (b->wq_count) {
        free(b->wq[b->wq_head]);
        b->wq_head = (b->wq_head + 1) % WQ_CAP;
        b->wq_count--;
    }
}

/* The driver reset the device: what no worker started is dropped, and the
 * requests in flight finish before the reset returns. */
static void reset(void *dev)
{
    struct virtio_blk *b = dev;
    pthread_mutex_lock(&b->lock);
    drop_queued(b);
    pthread_cond_broadcast(&b->not_full);
    while (b->busy)
        pthread_cond_wait(&b->idle, &b->lock);
    pthread_mutex_unlock(&b->lock);
}

static void *worker(void *arg)
{
    struct virtio_blk *b = arg;
    pthread_mutex_lock(&b->lock);
    for (;;) {
        while (!b->stop && b->wq_count == 0)
            pthread_cond_wait(&b->has_work, &b->lock);
        if (b->stop)
            break;
        struct virtq_chain *c = b->wq[b->wq_head];
        b->wq_head = (b->wq_head + 1) % WQ_CAP;
        b->wq_count--;
        pthread_cond_signal(&b->not_full);
        serve_counted(b, c);
    }
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

static void stop_workers(struct virtio_blk *b)
{
    pthread_mutex_lock(&b->lock);
    b->stop = true;
    pthread_cond_broadcast(&b->has_work);
    pthread_cond_broadcast(&b->not_full);
    pthread_mutex_unlock(&b->lock);
    for (int i = 0; i < b->nworkers; i++)
        pthread_join(b->workers[i], NULL);
    b->nworkers = 0;
    drop_queued(b);
}

static void destroy(struct virtio_blk *b)
{
    blk_disk_close(&b->disk);
    pthread_mutex_destroy(&b->lock);
    pthread_cond_destroy(&b->has_work);
    pthread_cond_destroy(&b->not_full);
    pthread_cond_destroy(&b->idle);
    free(b);
}

struct virtio_blk *virtio_blk_new(struct vm *vm, const struct guest_mem *mem, uint64_t base,
                                  uint32_t irq, struct blk_disk *disk, char *err, size_t errlen)
{
    struct virtio_blk *b = calloc(1, sizeof(*b));
    if (!b) {
        snprintf(err, errlen, "--disk %s: out of memory", disk->path);
        blk_disk_close(disk);
        return NULL;
    }
    b->disk = *disk;
    disk->fd = disk->dfd = -1;         /* ours now */
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->has_work, NULL);
    pthread_cond_init(&b->not_full, NULL);
    pthread_cond_init(&b->idle, NULL);
    blk_config(b->config, &b->disk.lim);
    uint64_t feat = 1ULL << VIRTIO_BLK_F_SIZE_MAX | 1ULL << VIRTIO_BLK_F_SEG_MAX |
                    1ULL << VIRTIO_BLK_F_BLK_SIZE | 1ULL << VIRTIO_BLK_F_FLUSH;
    if (b->disk.lim.readonly)
        feat |= 1ULL << VIRTIO_BLK_F_RO;
    else
        feat |= 1ULL << VIRTIO_BLK_F_DISCARD | 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
    b->ops = (struct virtio_dev_ops){
        .name = "virtio-blk",
        .device_id = VIRTIO_ID_BLOCK,
        .features = feat,
        .num_queues = 1,
        .queue_max = VIRTIO_BLK_QUEUE_MAX,
        .config_len = VIRTIO_BLK_CONFIG_LEN,
        .config_read = config_read,
        .handle_chain = handle_chain,
        .reset = reset,
    };
    int mode = vm ? virtio_serve_mode() : VIRTIO_SERVE_POOL;
    if (mode < 0) {
        snprintf(err, errlen, "MINIVMM_VIRTIO_SERVE=%.40s: must be vcpu, pool or io",
                 getenv("MINIVMM_VIRTIO_SERVE"));
        goto fail;
    }
    for (int i = 0; mode == VIRTIO_SERVE_POOL && i < VIRTIO_BLK_WORKERS; i++) {
        int e = pthread_create(&b->workers[i], NULL, worker, b);
        if (e) {
            snprintf(err, errlen, "--disk %s: cannot start worker threads: %s",
                     b->disk.path, strerror(e));
            goto fail;
        }
        pthread_setname_np(b->workers[i], "blk-worker");
        b->nworkers++;
    }
    b->m = virtio_mmio_new(vm, mem, base, irq, &b->ops, b);
    if (!b->m) {
        snprintf(err, errlen, "--disk %s: cannot set up the virtio-mmio device at 0x%" PRIx64,
                 b->disk.path, base);
        goto fail;
    }
    return b;
fail:
    stop_workers(b);
    destroy(b);
    return NULL;
}

struct virtio_mmio *virtio_blk_transport(struct virtio_blk *b)
{
    return b->m;
}

void virtio_blk_free(struct virtio_blk *b)
{
    if (!b)
        return;
    virtio_mmio_stop(b->m);    /* no new chains */
    stop_workers(b);           /* in-flight ones finish and complete */
    virtio_mmio_free(b->m);
    destroy(b);
}
