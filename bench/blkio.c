/* bench/blkio: the I/O primitive behind virtio-blk's requests on this host:
 * 4 KiB reads at random offsets of an image file (page cache, as with
 * cache=writeback), by preadv one at a time and by io_uring (liburing) one
 * at a time and in batches of 32, the most a drain of one notify could
 * hand over at once.  Each way runs ROUNDS times, interleaved; prints ns per
 * read for each and the ratios.  Built by bench/blkio only when liburing
 * is installed; minivmm itself does not link liburing (docs/blk.md). */
#include <fcntl.h>
#include <liburing.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define SIZE   (256ULL << 20)
#define BLK    4096
#define READS  200000
#define BATCH  32
#define ROUNDS 5

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static uint64_t *offsets(void)
{
    uint64_t *o = malloc(READS * sizeof(*o));
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < READS; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        o[i] = (x % (SIZE / BLK)) * BLK;
    }
    return o;
}

static double by_preadv(int fd, const uint64_t *o, char *buf)
{
    double t0 = now();
    for (int i = 0; i < READS; i++) {
        struct iovec v = { buf, BLK };
        if (preadv(fd, &v, 1, (off_t)o[i]) != BLK)
            exit(1);
    }
    return (now() - t0) * 1e9 / READS;
}

static double by_uring(struct io_uring *r, int fd, const uint64_t *o, char *buf, int batch)
{
    static struct iovec v[BATCH];
    double t0 = now();
    for (int i = 0; i < READS; i += batch) {
        for (int k = 0; k < batch; k++) {
            v[k] = (struct iovec){ buf + (size_t)k * BLK, BLK };
            struct io_uring_sqe *s = io_uring_get_sqe(r);
            io_uring_prep_readv(s, fd, &v[k], 1, o[i + k]);
        }
        if (io_uring_submit_and_wait(r, batch) < batch)
            exit(2);
        for (int k = 0; k < batch; k++) {
            struct io_uring_cqe *c;
            if (io_uring_wait_cqe(r, &c) || c->res != BLK)
                exit(3);
            io_uring_cqe_seen(r, c);
        }
    }
    return (now() - t0) * 1e9 / READS;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "/tmp/minivmm-blkio.img";
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    char *buf = aligned_alloc(BLK, (size_t)BATCH * BLK);
    if (fd < 0 || !buf)
        return 1;
    memset(buf, 0x5a, (size_t)BATCH * BLK);
    for (uint64_t off = 0; off < SIZE; off += (size_t)BATCH * BLK)
        if (pwrite(fd, buf, (size_t)BATCH * BLK, (off_t)off) < 0)
            return 1;
    uint64_t *o = offsets();
    struct io_uring r;
    if (io_uring_queue_init(64, &r, 0) < 0)
        return 4;
    double p[ROUNDS], u1[ROUNDS], u32[ROUNDS];
    for (int k = 0; k < ROUNDS; k++) {
        p[k] = by_preadv(fd, o, buf);
        u1[k] = by_uring(&r, fd, o, buf, 1);
        u32[k] = by_uring(&r, fd, o, buf, BATCH);
        printf("round %d: preadv %.0f ns, io_uring depth 1 %.0f ns, depth %d %.0f ns per read\n",
               k + 1, p[k], u1[k], BATCH, u32[k]);
    }
    double sp = 0, s1 = 0, s32 = 0;
    for (int k = 0; k < ROUNDS; k++)
        sp += p[k], s1 += u1[k], s32 += u32[k];
    printf("mean: preadv %.0f ns; io_uring depth 1 %.0f ns (%.2fx preadv's time), depth %d %.0f ns (%.2fx)\n",
           sp / ROUNDS, s1 / ROUNDS, s1 / sp, BATCH, s32 / ROUNDS, s32 / sp);
    io_uring_queue_exit(&r);
    unlink(path);
    return 0;
}
