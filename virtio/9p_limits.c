/* Bounds on what a guest can make the 9p server hold or add (docs/9p.md). */
#include "virtio/9p_limits.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>

uint64_t p9_quota_take(struct p9_quota *q, uint64_t n, bool partial)
{
    if (!q->max || !n)
        return n;
    uint64_t cur = atomic_load(&q->added);
    for (;;) {
        uint64_t left = cur < q->max ? q->max - cur : 0;
        uint64_t take = n <= left ? n : partial ? left : 0;
        if (take < n && !atomic_exchange(&q->told, true))
            fprintf(stderr, "minivmm: 9p export %s: the guest has added its max=%" PRIu64
                    " bytes; further growth gets EDQUOT (\"Disk quota exceeded\")\n",
                    q->what, q->max);
        if (!take)
            return 0;
        if (atomic_compare_exchange_weak(&q->added, &cur, cur + take))
            return take;
    }
}

void p9_quota_give(struct p9_quota *q, uint64_t n)
{
    if (q->max && n)
        atomic_fetch_sub(&q->added, n);
}

/* max=: the growth a write of *count bytes at off (or at the end) would
 * cause is counted; a write that would pass the bound is cut to what is
 * left (EDQUOT when nothing is).  *took: what was counted, *size: the file
 * size before. */
int p9_quota_write(struct p9_quota *q, int fd, bool append, uint64_t off,
                       uint32_t *count, uint64_t *took, uint64_t *size)
{
    struct stat st;
    *took = 0;
    if (!q->max)
        return 0;
    if (fstat(fd, &st))
        return errno;
    *size = (uint64_t)st.st_size;
    uint64_t end = (append ? *size : off) + *count;
    uint64_t grow = end > *size ? end - *size : 0;
    *took = p9_quota_take(q, grow, true);
    if (*took < grow) {
        if (grow - *took >= *count) {
            p9_quota_give(q, *took);
            *took = 0;
            return EDQUOT;
        }
        *count -= (uint32_t)(grow - *took);
    }
    return 0;
}

void p9_quota_wrote(struct p9_quota *q, bool append, uint64_t off, long n, uint64_t took,
                    uint64_t size)
{
    uint64_t end = (append ? size : off) + (uint64_t)(n > 0 ? n : 0);
    uint64_t grew = end > size ? end - size : 0;
    p9_quota_give(q, took > grew ? took - grew : 0);
}

static atomic_long fids_all;        /* fids of every export in this process */
static atomic_long fids_all_max = 1L << 40;

void p9_fids_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl))
        return;
    long n = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1UL << 40) ? 1L << 40 : (long)rl.rlim_cur;
    n = n > 2 * P9_FD_RESERVE ? (n - P9_FD_RESERVE) / 2 : n / 4;
    atomic_store(&fids_all_max, n);
}

int p9_fids_take(void)
{
    if (atomic_fetch_add(&fids_all, 1) >= atomic_load(&fids_all_max)) {
        atomic_fetch_sub(&fids_all, 1);
        return EMFILE;
    }
    return 0;
}

void p9_fids_give(void)
{
    atomic_fetch_sub(&fids_all, 1);
}
