/* What a guest may cost the host through one 9p export: bytes it adds to
 * the export (max=) and fids (each holds host descriptors).  Internal to
 * the 9p server; the rules are in docs/9p.md ("Limits"). */
#ifndef VIRTIO_9P_LIMITS_H
#define VIRTIO_9P_LIMITS_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* What one new directory entry (file, directory, symlink, fifo, hard link)
 * counts against max=: about what an inode and its entry cost on disk. */
#define P9_ENTRY_BYTES 4096

struct p9_quota {
    uint64_t max;               /* 0: no bound */
    _Atomic uint64_t added;     /* counted so far; never given back */
    atomic_bool told;           /* the stderr line was printed */
    char what[96];              /* the export, for that line */
};

/* Counts n bytes against q.  Returns n, or with `partial` as much as is
 * left, or 0 when nothing is left (then prints one stderr line, the first
 * time).  Always n when q has no bound. */
uint64_t p9_quota_take(struct p9_quota *q, uint64_t n, bool partial);
/* Gives back bytes taken for something that did not happen. */
void p9_quota_give(struct p9_quota *q, uint64_t n);

/* A Twrite of *count bytes at off (at the end with append) to fd: counts
 * the growth it would cause; cuts *count to what is left, or EDQUOT when
 * nothing is.  *took: what was counted, *size: the file's size before. */
int p9_quota_write(struct p9_quota *q, int fd, bool append, uint64_t off, uint32_t *count,
                   uint64_t *took, uint64_t *size);
/* After that write wrote n bytes (n < 0: failed): gives back what it did
 * not grow. */
void p9_quota_wrote(struct p9_quota *q, bool append, uint64_t off, long n, uint64_t took,
                    uint64_t size);

/* Descriptors: every fid holds at most two (its O_PATH descriptor and an
 * open one), so the fids of all exports together are bounded by what
 * RLIMIT_NOFILE leaves after P9_FD_RESERVE for the rest of the VMM.
 * p9_fids_limit() (re)computes the bound from the current soft limit. */
#define P9_FD_RESERVE 256
void p9_fids_limit(void);
/* One more fid: 0, or EMFILE when the process-wide bound is reached. */
int p9_fids_take(void);
void p9_fids_give(void);
#endif
