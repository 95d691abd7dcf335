/* Internal interface between the parts of the 9P2000.L server (see
 * docs/9p.md and docs/architecture.md).  Not for use outside virtio/9p_*.c:
 * the transport and the VMM see only virtio/9p.h.
 *
 *   9p_server.c    requests in, replies out: the header, dispatch, the
 *                  session messages, locks and xattrs, server lifetime
 *   9p_msg.c       the message codec (every byte of a T-message is hostile)
 *   9p_fid.c       the fid table, nodes and their lexical places
 *   9p_path.c      path resolution and confinement, the security boundary:
 *                  every guest name is checked and every lookup made here
 *   9p_ops_file.c  open, create, I/O, attributes
 *   9p_ops_dir.c   walk and the directory changes
 *   9p_limits.c    max= and the fid budget
 *   9p_trace.c     MINIVMM_TRACE_9P
 * (9p_dev.c, the virtio device in front of them, uses only 9p.h.) */
#ifndef VIRTIO_9P_INT_H
#define VIRTIO_9P_INT_H
#include "virtio/9p.h"
#include "virtio/9p_limits.h"
#include "virtio/9p_msg.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#define P9_MIN_MSIZE 4096
#define P9_MAX_FIDS 65536
#define P9_ENT_MEMORY (64u << 20)   /* lexical places (struct ent) per export */
#define FID_BUCKETS 4096
#define IOV_STACK 64

/* Where the guest found an object: its name in the lexical parent.  Memory
 * only (no descriptor), immutable, shared by every node below it, so a fid
 * deep in a tree costs one descriptor, not one per level. */
struct ent {
    atomic_int refs;
    struct ent *parent;     /* NULL for the root */
    unsigned depth;         /* components below the root */
    size_t cost;            /* bytes counted in *acct */
    _Atomic size_t *acct;   /* the server's ent memory */
    char name[];            /* "" for the root */
};

struct node {
    atomic_int refs;
    int fd;                 /* O_PATH|O_NOFOLLOW: the object itself */
    struct ent *ent;        /* its lexical place */
};

struct fid {
    uint32_t id;
    struct fid *next;       /* hash chain (table lock) */
    int refs;               /* table lock */
    pthread_mutex_t lock;   /* guards node, ofd, oacc; serialises readdir */
    struct node *node;
    int ofd;                /* opened descriptor, -1 until Tlopen/Tlcreate */
    int oacc;               /* O_RDONLY / O_WRONLY / O_RDWR of ofd */
    bool odir, oappend;
    uint32_t uid;           /* n_uname of the attach this fid descends from */
};

struct trace_rec;

struct p9_server {
    struct node *root;
    _Atomic size_t ent_mem;  /* bytes of struct ent, at most P9_ENT_MEMORY */
    struct p9_quota quota;  /* what the guest may add (max=) */
    bool readonly;
    bool as_root;           /* euid 0: created files get the guest's uid/gid */
    mode_t umask;
    dev_t rootdev;
    int procfd;             /* /proc/self/fd, for re-opening O_PATH descriptors */
    pthread_mutex_t tlock;
    struct fid *buckets[FID_BUCKETS];
    unsigned nfids;
    _Atomic uint32_t msize;
    bool trace;             /* MINIVMM_TRACE_9P=1: one stderr line per request */
    struct trace_rec *ring; /* MINIVMM_TRACE_9P=ring: kept in memory, printed at exit */
    _Atomic uint64_t ring_next;
};

struct p9_req {
    struct p9_server *s;
    struct p9_rbuf r;
    struct p9_wbuf w;       /* reply body (after the 7-byte header) */
    const struct iovec *out;
    int nout;
    size_t direct;          /* bytes already placed in out after the body */
    char *strs[P9_MAXWELEM + 4];
    int nstr;
    bool strnul;
};

/* ---- request plumbing (9p_server.c) --------------------------------- */

/* The next string of the request (freed with the request); "" when it is
 * malformed (then decoding has failed). */
char *p9_req_str(struct p9_req *q);
/* Status of decoding: malformed, trailing bytes, or NUL inside a string. */
int p9_decoded(struct p9_req *q);

#define DECODED(q)                \
    do {                          \
        int e_ = p9_decoded(q);   \
        if (e_)                   \
            return e_;            \
    } while (0)

#define RO(q)                     \
    do {                          \
        if ((q)->s->readonly)     \
            return EROFS;         \
    } while (0)

#define ERR(x) ((x) < 0 ? errno : 0)

/* For a request that makes or changes a name: decoding, then a read-only
 * export (EROFS), then the name itself (p9_check_name). */
int p9_decoded_name(struct p9_req *q, const char *name);

/* ---- nodes and the fid table (9p_fid.c) ----------------------------- */

/* A new place `name` below parent (reference taken); NULL when the export's
 * budget for them (P9_ENT_MEMORY) is spent or memory is short. */
struct ent *p9_ent_new(struct ent *parent, const char *name, _Atomic size_t *acct);
/* Takes over fd and ent (both released on failure). */
struct node *p9_node_new(int fd, struct ent *ent);
struct node *p9_node_ref(struct node *n);
void p9_node_put(struct node *n);
/* The fid with that number, with a reference dropped by p9_fid_put; NULL if none. */
struct fid *p9_fid_get(struct p9_server *s, uint32_t id);
void p9_fid_put(struct p9_server *s, struct fid *f);
/* Inserts a new fid holding node (ownership passes to the fid on success). */
int p9_fid_add(struct p9_server *s, uint32_t id, struct node *node, uint32_t uid);
/* Removes fid id from the table; returns 0 or EBADF. */
int p9_fid_clunk(struct p9_server *s, uint32_t id);
/* 0 if fid id exists, else EBADF. */
int p9_fid_known(struct p9_server *s, uint32_t id);
void p9_fid_clunk_all(struct p9_server *s);
/* The node a fid stands for, with a reference the caller drops with
 * p9_node_put, and the fid's uid when uid is not NULL.  NULL: unknown fid. */
struct node *p9_node_of(struct p9_req *q, uint32_t fid, uint32_t *uid);
struct p9_qid p9_qid_of(const struct p9_server *s, const struct stat *st);

/* ---- path resolution and confinement (9p_path.c) -------------------- */

/* 0, or EINVAL / ENAMETOOLONG: name must be one component, not "." or "..".
 * Every name the guest sends passes here before any *at() call uses it. */
int p9_check_name(const char *n);
/* 0 if openat2() with RESOLVE_STRICT works here (Linux >= 5.6), else -1. */
int p9_openat2_works(int rootfd);
/* O_PATH descriptor of name (a checked single component) in dir, without
 * following it; -1 with errno. */
int p9_lookup(const struct node *dir, const char *name);
/* Creates and opens name (a checked single component) in dir: flags plus
 * O_CREAT|O_EXCL|O_NOFOLLOW; -1 with errno. */
int p9_create(const struct node *dir, const char *name, int flags, mode_t mode);
/* The name of fd in /proc/self/fd (s->procfd). */
void p9_fdname(int fd, char buf[16]);
/* Opens the very inode behind an O_PATH descriptor (never a path lookup). */
int p9_reopen(struct p9_server *s, int pfd, int flags);
/* Node for a descriptor just opened below parent; consumes fd on failure. */
struct node *p9_node_child(struct p9_server *s, int fd, struct node *parent, const char *name);
/* One walk step from cur (a directory); returns a new reference. */
struct node *p9_walk_one(struct p9_server *s, struct node *cur, const char *name, int *err);
/* Opens n's lexical parent and checks that its name there still names the
 * inode n holds; returns the descriptor, or -1 with *err set. */
int p9_parent_of(struct p9_server *s, struct node *n, int *err);

/* ---- the operations (9p_ops_file.c, 9p_ops_dir.c) ------------------- */

/* Each decodes its T-message from q->r, puts the R-message body into q->w
 * and returns 0, or returns the errno for an Rlerror. */
int p9_t_lopen(struct p9_req *q);
int p9_t_lcreate(struct p9_req *q);
int p9_t_read(struct p9_req *q);
int p9_t_write(struct p9_req *q);
int p9_t_readdir(struct p9_req *q);
int p9_t_fsync(struct p9_req *q);
int p9_t_getattr(struct p9_req *q);
int p9_t_setattr(struct p9_req *q);
int p9_t_readlink(struct p9_req *q);
int p9_t_statfs(struct p9_req *q);
int p9_t_walk(struct p9_req *q);
int p9_t_mkdir(struct p9_req *q);
int p9_t_symlink(struct p9_req *q);
int p9_t_mknod(struct p9_req *q);
int p9_t_link(struct p9_req *q);
int p9_t_rename(struct p9_req *q);
int p9_t_renameat(struct p9_req *q);
int p9_t_unlinkat(struct p9_req *q);
int p9_t_remove(struct p9_req *q);

/* ---- tracing (9p_trace.c) ------------------------------------------- */

/* Reads MINIVMM_TRACE_9P (at p9_server_new). */
void p9_trace_start(struct p9_server *s);
/* A request, its body at `body` (records its first two words). */
void p9_trace_request(struct p9_server *s, const struct p9_rbuf *body, uint16_t tag, uint8_t type);
/* An Rlerror reply: err and the request's first bytes as it came in. */
void p9_trace_error(struct p9_server *s, const struct iovec *in, int nin, size_t inlen, int err,
                    uint16_t tag, uint8_t type);
/* Prints what the ring holds and frees it (the workers have stopped). */
void p9_trace_stop(struct p9_server *s);

/* ---- small rules the operations share ------------------------------- */

/* Guest-created set-user-ID / set-group-ID executables would be a way to
 * root on the host; only a directory keeps its set-group-ID bit. */
static inline mode_t p9_safe_mode(uint32_t mode, bool dir)
{
    mode_t m = mode & 07777;
    return m & ~(mode_t)(dir ? S_ISUID : (S_ISUID | S_ISGID));
}

static inline uid_t p9_own_uid(const struct p9_server *s, uint32_t uid)
{
    return s->as_root && uid != P9_NONUNAME ? (uid_t)uid : (uid_t)-1;
}

static inline gid_t p9_own_gid(const struct p9_server *s, uint32_t gid)
{
    return s->as_root && gid != P9_NONUNAME ? (gid_t)gid : (gid_t)-1;
}

/* max=: every new name counts P9_ENTRY_BYTES (given back if it is not made). */
static inline int p9_take_entry(struct p9_server *s)
{
    return p9_quota_take(&s->quota, P9_ENTRY_BYTES, false) ? 0 : EDQUOT;
}

static inline void p9_give_entry(struct p9_server *s)
{
    p9_quota_give(&s->quota, P9_ENTRY_BYTES);
}
#endif
