/* 9P2000.L wire encoding: little-endian fields read from hostile guest
 * buffers (scattered over several iovecs) and written into reply buffers.
 * Internal to the 9p server; the public interface is virtio/9p.h. */
#ifndef VIRTIO_9P_MSG_H
#define VIRTIO_9P_MSG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

enum {
    P9_TLERROR = 6, P9_RLERROR,
    P9_TSTATFS = 8, P9_RSTATFS,
    P9_TLOPEN = 12, P9_RLOPEN,
    P9_TLCREATE = 14, P9_RLCREATE,
    P9_TSYMLINK = 16, P9_RSYMLINK,
    P9_TMKNOD = 18, P9_RMKNOD,
    P9_TRENAME = 20, P9_RRENAME,
    P9_TREADLINK = 22, P9_RREADLINK,
    P9_TGETATTR = 24, P9_RGETATTR,
    P9_TSETATTR = 26, P9_RSETATTR,
    P9_TXATTRWALK = 30, P9_RXATTRWALK,
    P9_TXATTRCREATE = 32, P9_RXATTRCREATE,
    P9_TREADDIR = 40, P9_RREADDIR,
    P9_TFSYNC = 50, P9_RFSYNC,
    P9_TLOCK = 52, P9_RLOCK,
    P9_TGETLOCK = 54, P9_RGETLOCK,
    P9_TLINK = 70, P9_RLINK,
    P9_TMKDIR = 72, P9_RMKDIR,
    P9_TRENAMEAT = 74, P9_RRENAMEAT,
    P9_TUNLINKAT = 76, P9_RUNLINKAT,
    P9_TVERSION = 100, P9_RVERSION,
    P9_TAUTH = 102, P9_RAUTH,
    P9_TATTACH = 104, P9_RATTACH,
    P9_TFLUSH = 108, P9_RFLUSH,
    P9_TWALK = 110, P9_RWALK,
    P9_TREAD = 116, P9_RREAD,
    P9_TWRITE = 118, P9_RWRITE,
    P9_TCLUNK = 120, P9_RCLUNK,
    P9_TREMOVE = 122, P9_RREMOVE,
};

#define P9_NOTAG 0xffffu
#define P9_NOFID 0xffffffffu
#define P9_NONUNAME 0xffffffffu
#define P9_HDRSZ 7          /* size[4] type[1] tag[2] */
#define P9_MAXWELEM 16
#define P9_QID_SIZE 13

/* Qid types. */
#define P9_QTDIR 0x80
#define P9_QTSYMLINK 0x02
#define P9_QTFILE 0x00

/* Tgetattr / Rgetattr valid mask. */
#define P9_GETATTR_BASIC 0x000007ffULL

/* Tsetattr valid bits. */
#define P9_SETATTR_MODE 0x001
#define P9_SETATTR_UID 0x002
#define P9_SETATTR_GID 0x004
#define P9_SETATTR_SIZE 0x008
#define P9_SETATTR_ATIME 0x010
#define P9_SETATTR_MTIME 0x020
#define P9_SETATTR_CTIME 0x040
#define P9_SETATTR_ATIME_SET 0x080
#define P9_SETATTR_MTIME_SET 0x100

/* Open flags of 9P2000.L (the Linux generic values, independent of the host). */
#define P9_DOTL_ACCMODE 03
#define P9_DOTL_CREATE 0100
#define P9_DOTL_EXCL 0200
#define P9_DOTL_TRUNC 01000
#define P9_DOTL_APPEND 02000
#define P9_DOTL_NONBLOCK 04000
#define P9_DOTL_DSYNC 010000
#define P9_DOTL_DIRECT 040000
#define P9_DOTL_DIRECTORY 0200000
#define P9_DOTL_NOFOLLOW 0400000
#define P9_DOTL_SYNC 04000000

#define P9_DOTL_AT_REMOVEDIR 0x200

/* Lock types and status. */
#define P9_LOCK_TYPE_RDLCK 0
#define P9_LOCK_TYPE_WRLCK 1
#define P9_LOCK_TYPE_UNLCK 2
#define P9_LOCK_SUCCESS 0

struct p9_qid {
    uint8_t type;
    uint32_t version;
    uint64_t path;
};

/* Cursor over a message scattered across iovecs.  Reads past `left` set
 * `bad` and yield zeros; callers check `bad` once after decoding. */
struct p9_rbuf {
    const struct iovec *iov;
    int niov;
    int idx;        /* current iovec */
    size_t off;     /* offset inside iov[idx] */
    size_t left;    /* bytes of the message not yet consumed */
    bool bad;
};

/* Sum of iovec lengths, saturating at SIZE_MAX; negative counts give 0. */
size_t p9_iov_total(const struct iovec *iov, int n);
void p9_rbuf_init(struct p9_rbuf *r, const struct iovec *iov, int niov, size_t len);
void p9_get_bytes(struct p9_rbuf *r, void *dst, size_t n);
uint8_t p9_get8(struct p9_rbuf *r);
uint16_t p9_get16(struct p9_rbuf *r);
uint32_t p9_get32(struct p9_rbuf *r);
uint64_t p9_get64(struct p9_rbuf *r);
/* Reads a string[s] into a fresh NUL-terminated heap copy (NULL and `bad`
 * set when truncated; `*nul` set when it contains a NUL byte).  */
char *p9_get_str(struct p9_rbuf *r, bool *nul);
/* Describes the next n bytes as an iovec array in dst (at most dstmax
 * entries) without copying and consumes them.  Returns the entry count or
 * -1 when the message is shorter than n (sets `bad`) or dstmax is too small. */
int p9_get_iov(struct p9_rbuf *r, size_t n, struct iovec *dst, int dstmax);

/* Growable reply buffer bounded by `limit` (overflow sets `over`). */
struct p9_wbuf {
    uint8_t *p;
    size_t len, cap, limit;
    bool over;
};
void p9_put_bytes(struct p9_wbuf *w, const void *src, size_t n);
void p9_put8(struct p9_wbuf *w, uint8_t v);
void p9_put16(struct p9_wbuf *w, uint16_t v);
void p9_put32(struct p9_wbuf *w, uint32_t v);
void p9_put64(struct p9_wbuf *w, uint64_t v);
void p9_put_str(struct p9_wbuf *w, const char *s, size_t len);
void p9_put_qid(struct p9_wbuf *w, const struct p9_qid *q);
/* Overwrites 4 bytes at pos with v (pos + 4 <= len). */
void p9_patch32(struct p9_wbuf *w, size_t pos, uint32_t v);

/* Copies n bytes of src into the iovec array starting at byte offset off;
 * returns bytes copied (stops at the end of the buffers). */
size_t p9_iov_copy_to(const struct iovec *iov, int niov, size_t off, const void *src, size_t n);
/* Builds in dst (at most dstmax entries) the sub-array covering bytes
 * [off, off + n) of iov; returns the entry count or -1 if it does not fit. */
int p9_iov_slice(const struct iovec *iov, int niov, size_t off, size_t n, struct iovec *dst, int dstmax);
#endif
