/* 9P2000.L file server over a host directory (see docs/9p.md).
 *
 * Confinement model: every fid refers to a `node`, an O_PATH|O_NOFOLLOW
 * descriptor of one object inside the export plus its lexical place (`ent`:
 * its name and the place it was walked from; memory only, so a fid costs one
 * descriptor at any depth).  The guest never hands us a path: walk names are
 * single components opened with
 * openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS) below the
 * current node's descriptor; ".." goes to the lexical parent place (opened
 * again from the export root along its names, never through a symlink) and
 * stays at the root.  Creating, linking, renaming and removing use *at() calls with a
 * validated single component relative to a node's descriptor, none of which
 * follow a trailing symlink.  Opening an object for I/O re-opens exactly the
 * inode held by the O_PATH descriptor through /proc/self/fd/N after fstat()
 * proved it is a regular file or directory, so neither a swapped name nor a
 * swapped symlink can redirect it, and fifos, sockets and devices are never
 * opened on the host. */
#include "virtio/9p.h"
#include "virtio/9p_limits.h"
#include "virtio/9p_msg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#define P9_MIN_MSIZE 4096
#define P9_MAX_FIDS 65536
#define P9_ENT_MEMORY (64u << 20)   /* lexical places (struct ent) per export */
#define FID_BUCKETS 4096
#define IOV_STACK 64
#define RESOLVE_STRICT (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

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

#define TRACE_RING 65536

struct trace_rec {
    uint32_t a, b;
    int err;                /* -1: a request; else the error of its reply */
    uint16_t tag;
    uint8_t type;
    uint8_t nhead;          /* error replies: the request's first bytes */
    uint8_t head[40];
    uint16_t nin;           /* and how it came: buffers, total length */
    uint32_t inlen;
};

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

struct req {
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

/* ---- nodes ---------------------------------------------------------- */

static void ent_put(struct ent *e)
{
    while (e && atomic_fetch_sub(&e->refs, 1) == 1) {
        struct ent *p = e->parent;
        atomic_fetch_sub(e->acct, e->cost);
        free(e);
        e = p;
    }
}

/* A new place `name` below parent (reference taken); NULL when the export's
 * budget for them (P9_ENT_MEMORY) is spent or memory is short. */
static struct ent *ent_new(struct ent *parent, const char *name, _Atomic size_t *acct)
{
    size_t len = strlen(name), cost = sizeof(struct ent) + len + 1;
    if (atomic_fetch_add(acct, cost) + cost > P9_ENT_MEMORY) {
        atomic_fetch_sub(acct, cost);
        return NULL;
    }
    struct ent *e = malloc(cost);
    if (!e) {
        atomic_fetch_sub(acct, cost);
        return NULL;
    }
    atomic_init(&e->refs, 1);
    if (parent)
        atomic_fetch_add(&parent->refs, 1);
    e->parent = parent;
    e->depth = parent ? parent->depth + 1 : 0;
    e->cost = cost;
    e->acct = acct;
    memcpy(e->name, name, len + 1);
    return e;
}

/* Takes over fd and ent (both released on failure). */
static struct node *node_new(int fd, struct ent *ent)
{
    struct node *n = ent ? malloc(sizeof(*n)) : NULL;
    if (!n) {
        close(fd);
        ent_put(ent);
        return NULL;
    }
    atomic_init(&n->refs, 1);
    n->fd = fd;
    n->ent = ent;
    return n;
}

static struct node *node_ref(struct node *n)
{
    atomic_fetch_add(&n->refs, 1);
    return n;
}

static void node_put(struct node *n)
{
    if (n && atomic_fetch_sub(&n->refs, 1) == 1) {
        close(n->fd);
        ent_put(n->ent);
        free(n);
    }
}

/* Node for a descriptor just opened below parent; consumes fd on failure. */
static struct node *node_child(struct p9_server *s, int fd, struct node *parent, const char *name);

/* ---- fid table ------------------------------------------------------ */

static struct fid *fid_get(struct p9_server *s, uint32_t id)
{
    pthread_mutex_lock(&s->tlock);
    struct fid *f = s->buckets[id % FID_BUCKETS];
    while (f && f->id != id)
        f = f->next;
    if (f)
        f->refs++;
    pthread_mutex_unlock(&s->tlock);
    return f;
}

static void fid_destroy(struct fid *f)
{
    if (f->ofd >= 0)
        close(f->ofd);
    node_put(f->node);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

static void fid_put(struct p9_server *s, struct fid *f)
{
    pthread_mutex_lock(&s->tlock);
    bool last = --f->refs == 0;
    pthread_mutex_unlock(&s->tlock);
    if (last)
        fid_destroy(f);
}

/* Inserts a new fid holding node (ownership passes to the fid on success). */
static int fid_add(struct p9_server *s, uint32_t id, struct node *node, uint32_t uid)
{
    if (id == P9_NOFID)
        return EINVAL;
    struct fid *f = calloc(1, sizeof(*f));
    if (!f)
        return ENOMEM;
    f->id = id;
    f->refs = 1;
    f->node = node;
    f->ofd = -1;
    f->uid = uid;
    pthread_mutex_init(&f->lock, NULL);
    pthread_mutex_lock(&s->tlock);
    struct fid **b = &s->buckets[id % FID_BUCKETS], *g = *b;
    while (g && g->id != id)
        g = g->next;
    int err = g ? EINVAL : s->nfids >= P9_MAX_FIDS ? ENFILE : p9_fids_take();
    if (!err) {
        f->next = *b;
        *b = f;
        s->nfids++;
    }
    pthread_mutex_unlock(&s->tlock);
    if (err) {
        pthread_mutex_destroy(&f->lock);
        free(f);
    }
    return err;
}

/* Removes fid id from the table; returns 0 or EBADF. */
static int fid_clunk(struct p9_server *s, uint32_t id)
{
    pthread_mutex_lock(&s->tlock);
    struct fid **pp = &s->buckets[id % FID_BUCKETS];
    while (*pp && (*pp)->id != id)
        pp = &(*pp)->next;
    struct fid *f = *pp;
    bool last = false;
    if (f) {
        *pp = f->next;
        s->nfids--;
        p9_fids_give();
        last = --f->refs == 0;
    }
    pthread_mutex_unlock(&s->tlock);
    if (last)
        fid_destroy(f);
    return f ? 0 : EBADF;
}

static void fid_clunk_all(struct p9_server *s)
{
    for (;;) {
        pthread_mutex_lock(&s->tlock);
        struct fid *f = NULL;
        for (int i = 0; i < FID_BUCKETS && !f; i++)
            f = s->buckets[i];
        uint32_t id = f ? f->id : 0;
        pthread_mutex_unlock(&s->tlock);
        if (!f)
            return;
        fid_clunk(s, id);
    }
}

/* The node a fid stands for, with a reference the caller drops with
 * node_put, and the fid's uid when uid is not NULL.  NULL: unknown fid. */
static struct node *node_of(struct req *q, uint32_t fid, uint32_t *uid)
{
    struct fid *f = fid_get(q->s, fid);
    if (!f)
        return NULL;
    pthread_mutex_lock(&f->lock);
    struct node *n = node_ref(f->node);
    if (uid)
        *uid = f->uid;
    pthread_mutex_unlock(&f->lock);
    fid_put(q->s, f);
    return n;
}

/* ---- helpers -------------------------------------------------------- */

static int sys_openat2(int dirfd, const char *name, int flags, mode_t mode, uint64_t resolve)
{
    struct open_how how = { .flags = (uint64_t)flags, .mode = mode, .resolve = resolve };
    return (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
}

static void fdname(int fd, char buf[16])
{
    snprintf(buf, 16, "%d", fd);
}

/* Opens the very inode behind an O_PATH descriptor (never a path lookup). */
static int reopen(struct p9_server *s, int pfd, int flags)
{
    char nm[16];
    fdname(pfd, nm);
    struct stat a, b;
    int fd = openat(s->procfd, nm, flags | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(pfd, &a) || fstat(fd, &b) || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
        close(fd);
        errno = ESTALE;
        return -1;
    }
    return fd;
}

static struct node *node_child(struct p9_server *s, int fd, struct node *parent, const char *name)
{
    return node_new(fd, ent_new(parent->ent, name, &s->ent_mem));
}

/* Opens (O_PATH) the directory now at the lexical place e: its names, from the
 * export root, a PATH_MAX chunk at a time, each beneath the last and never
 * through a symlink.  The names are single components (never ".."), so
 * nothing outside the export can be reached.  -1 with errno on failure. */
static int open_ent(struct p9_server *s, const struct ent *e)
{
    if (!e->parent)
        return fcntl(s->root->fd, F_DUPFD_CLOEXEC, 0);
    const struct ent **v = malloc(sizeof(*v) * e->depth);
    char *path = malloc(PATH_MAX);
    int fd = -1, err = ENOMEM;
    if (!v || !path)
        goto out;
    unsigned k = e->depth;
    for (const struct ent *x = e; x->parent; x = x->parent)
        v[--k] = x;
    for (err = 0; k < e->depth && !err;) {
        size_t len = 0;
        for (; k < e->depth; k++) {
            size_t n = strlen(v[k]->name);
            if (len && len + 1 + n >= PATH_MAX)
                break;
            if (len)
                path[len++] = '/';
            memcpy(path + len, v[k]->name, n + 1);
            len += n;
        }
        int nfd = sys_openat2(fd >= 0 ? fd : s->root->fd, path,
                              O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE_STRICT);
        err = nfd < 0 ? errno : 0;
        if (fd >= 0)
            close(fd);
        fd = nfd;
    }
out:
    free(v);
    free(path);
    if (err) {
        if (fd >= 0)
            close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

static struct p9_qid qid_of(const struct p9_server *s, const struct stat *st)
{
    struct p9_qid q = { .type = P9_QTFILE, .version = 0, .path = st->st_ino };
    if (S_ISDIR(st->st_mode))
        q.type = P9_QTDIR;
    else if (S_ISLNK(st->st_mode))
        q.type = P9_QTSYMLINK;
    if (st->st_dev != s->rootdev)    /* another file system mounted inside */
        q.path ^= ((uint64_t)st->st_dev * 0x9e3779b97f4a7c15ULL) & 0xffff000000000000ULL;
    return q;
}

/* A lexical place that no longer resolves (a name on the way was removed,
 * or became a symlink or a file): for the guest it is gone. */
static int gone(int err)
{
    return err == ELOOP || err == ENOTDIR || err == EXDEV ? ENOENT : err;
}

static int check_name(const char *n)
{
    if (!n[0] || strchr(n, '/') || !strcmp(n, ".") || !strcmp(n, ".."))
        return EINVAL;
    if (strlen(n) > NAME_MAX)
        return ENAMETOOLONG;
    return 0;
}

/* Guest-created set-user-ID / set-group-ID executables would be a way to
 * root on the host; only a directory keeps its set-group-ID bit. */
static mode_t safe_mode(uint32_t mode, bool dir)
{
    mode_t m = mode & 07777;
    return m & ~(mode_t)(dir ? S_ISUID : (S_ISUID | S_ISGID));
}

static int host_oflags(uint32_t fl, int *acc)
{
    int a = fl & P9_DOTL_ACCMODE;
    if (a == 3)
        return -1;
    int h = a == 0 ? O_RDONLY : a == 1 ? O_WRONLY : O_RDWR;
    if (fl & P9_DOTL_TRUNC)
        h |= O_TRUNC;
    if (fl & P9_DOTL_APPEND)
        h |= O_APPEND;
    if (fl & P9_DOTL_DSYNC)
        h |= O_DSYNC;
    if (fl & P9_DOTL_SYNC)
        h |= O_SYNC;
    *acc = h & O_ACCMODE;
    return h | O_CLOEXEC | O_NOCTTY;
}

/* ---- request plumbing ----------------------------------------------- */

static char *get_str(struct req *q)
{
    char *s = p9_get_str(&q->r, &q->strnul);
    if (s) {
        if (q->nstr < (int)(sizeof(q->strs) / sizeof(q->strs[0])))
            q->strs[q->nstr++] = s;
        else {
            free(s);
            q->r.bad = true;
            s = NULL;
        }
    }
    return s ? s : "";
}

/* Status of decoding: malformed, trailing bytes, or NUL inside a string. */
static int decoded(struct req *q)
{
    if (q->r.bad || q->r.left)
        return EPROTO;
    return q->strnul ? EINVAL : 0;
}

#define DECODED(q)                \
    do {                          \
        int e_ = decoded(q);      \
        if (e_)                   \
            return e_;            \
    } while (0)

#define RO(q)                     \
    do {                          \
        if ((q)->s->readonly)     \
            return EROFS;         \
    } while (0)

#define ERR(x) ((x) < 0 ? errno : 0)

/* ---- session -------------------------------------------------------- */

static int t_version(struct req *q)
{
    uint32_t msize = p9_get32(&q->r);
    const char *v = get_str(q);
    DECODED(q);
    if (msize < P9_MIN_MSIZE)
        return EINVAL;
    if (msize > P9_MAX_MSIZE)
        msize = P9_MAX_MSIZE;
    p9_put32(&q->w, msize);
    if (strcmp(v, "9P2000.L")) {
        p9_put_str(&q->w, "unknown", 7);
        return 0;
    }
    fid_clunk_all(q->s);        /* a new session starts */
    atomic_store(&q->s->msize, msize);
    p9_put_str(&q->w, "9P2000.L", 8);
    return 0;
}

static int t_attach(struct req *q)
{
    uint32_t fid = p9_get32(&q->r), afid = p9_get32(&q->r);
    get_str(q);                 /* uname */
    get_str(q);                 /* aname: the export is the only tree */
    uint32_t uid = p9_get32(&q->r);
    DECODED(q);
    if (afid != P9_NOFID)
        return EINVAL;          /* no authentication */
    struct stat st;
    if (fstat(q->s->root->fd, &st))
        return errno;
    int err = fid_add(q->s, fid, node_ref(q->s->root), uid);
    if (err) {
        node_put(q->s->root);
        return err;
    }
    struct p9_qid qid = qid_of(q->s, &st);
    p9_put_qid(&q->w, &qid);
    return 0;
}

static int t_flush(struct req *q)
{
    p9_get16(&q->r);            /* the transport answers earlier requests first */
    DECODED(q);
    return 0;
}

static int t_clunk(struct req *q)
{
    uint32_t fid = p9_get32(&q->r);
    DECODED(q);
    return fid_clunk(q->s, fid);
}

/* One walk step from cur (a directory); returns a new reference. */
static struct node *walk_one(struct p9_server *s, struct node *cur, const char *name, int *err)
{
    struct stat st;
    if (fstat(cur->fd, &st)) {
        *err = errno;
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        *err = ENOTDIR;
        return NULL;
    }
    if (!strcmp(name, "..")) {  /* lexical parent; the root is its own parent */
        struct ent *p = cur->ent->parent;
        if (!p || !p->parent)
            return node_ref(p ? s->root : cur);
        int fd = open_ent(s, p);
        if (fd < 0) {
            *err = gone(errno);
            return NULL;
        }
        atomic_fetch_add(&p->refs, 1);
        struct node *n = node_new(fd, p);
        if (!n)
            *err = ENOMEM;
        return n;
    }
    /* Linux (v9fs_fid_lookup_with_uid, at least to 6.1) walks the root
     * dentry's own name, "/", from the root fid when two processes of one
     * uid make their first lookups at once: it means the root itself. */
    if (!strcmp(name, "/") && cur == s->root)
        return node_ref(cur);
    if ((*err = check_name(name)))
        return NULL;
    int fd = sys_openat2(cur->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0, RESOLVE_STRICT);
    if (fd < 0) {
        *err = errno;
        return NULL;
    }
    struct node *n = node_child(s, fd, cur, name);
    if (!n)
        *err = ENOMEM;
    return n;
}

static int t_walk(struct req *q)
{
    uint32_t fid = p9_get32(&q->r), newfid = p9_get32(&q->r);
    uint16_t nw = p9_get16(&q->r);
    if (nw > P9_MAXWELEM)
        return q->r.bad ? EPROTO : EINVAL;
    const char *names[P9_MAXWELEM];
    for (int i = 0; i < nw; i++)
        names[i] = get_str(q);
    DECODED(q);
    struct fid *f = fid_get(q->s, fid);
    if (!f)
        return EBADF;
    pthread_mutex_lock(&f->lock);
    bool open = f->ofd >= 0;
    struct node *cur = node_ref(f->node);
    uint32_t uid = f->uid;
    pthread_mutex_unlock(&f->lock);
    int err = 0;
    if (newfid == fid && open)
        err = EINVAL;           /* an open fid cannot move */
    if (newfid != fid) {        /* fail early; fid_add re-checks */
        struct fid *g = fid_get(q->s, newfid);
        if (g) {
            fid_put(q->s, g);
            err = EINVAL;
        }
    }
    struct p9_qid qids[P9_MAXWELEM];
    int i = 0;
    for (; !err && i < nw; i++) {
        struct node *next = walk_one(q->s, cur, names[i], &err);
        if (!next)
            break;
        node_put(cur);
        cur = next;
        struct stat st;
        if (fstat(cur->fd, &st)) {
            err = errno;
            break;
        }
        qids[i] = qid_of(q->s, &st);
    }
    if (err && i == 0) {
        node_put(cur);
        fid_put(q->s, f);
        return err;
    }
    if (i == nw) {              /* complete: bind newfid */
        if (newfid == fid) {
            pthread_mutex_lock(&f->lock);
            struct node *old = f->node;
            f->node = cur;
            pthread_mutex_unlock(&f->lock);
            node_put(old);
        } else if ((err = fid_add(q->s, newfid, cur, uid))) {
            node_put(cur);
            fid_put(q->s, f);
            return err;
        }
    } else {
        node_put(cur);
    }
    fid_put(q->s, f);
    p9_put16(&q->w, (uint16_t)i);
    for (int k = 0; k < i; k++)
        p9_put_qid(&q->w, &qids[k]);
    return 0;
}

/* ---- open, create, I/O ---------------------------------------------- */

static int t_lopen(struct req *q)
{
    uint32_t fid = p9_get32(&q->r), flags = p9_get32(&q->r);
    DECODED(q);
    int acc;
    int hf = host_oflags(flags, &acc);
    if (hf < 0)
        return EINVAL;
    if (q->s->readonly && (acc != O_RDONLY || (hf & O_TRUNC)))
        return EROFS;
    struct fid *f = fid_get(q->s, fid);
    if (!f)
        return EBADF;
    int err = 0;
    struct stat st;
    pthread_mutex_lock(&f->lock);
    if (f->ofd >= 0)
        err = EINVAL;
    else if (fstat(f->node->fd, &st))
        err = errno;
    else if (S_ISDIR(st.st_mode)) {
        if (acc != O_RDONLY)
            err = EISDIR;
        else
            hf = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    } else if (S_ISLNK(st.st_mode))
        err = ELOOP;
    else if (!S_ISREG(st.st_mode))
        err = EPERM;            /* fifos, sockets, devices: never opened on the host */
    if (!err) {
        int fd = reopen(q->s, f->node->fd, hf);
        if (fd < 0)
            err = errno;
        else {
            f->ofd = fd;
            f->oacc = acc;
            f->odir = S_ISDIR(st.st_mode);
            f->oappend = hf & O_APPEND;
        }
    }
    pthread_mutex_unlock(&f->lock);
    fid_put(q->s, f);
    if (err)
        return err;
    struct p9_qid qid = qid_of(q->s, &st);
    p9_put_qid(&q->w, &qid);
    p9_put32(&q->w, 0);
    return 0;
}

static uid_t own_uid(const struct p9_server *s, uint32_t uid)
{
    return s->as_root && uid != P9_NONUNAME ? (uid_t)uid : (uid_t)-1;
}

static gid_t own_gid(const struct p9_server *s, uint32_t gid)
{
    return s->as_root && gid != P9_NONUNAME ? (gid_t)gid : (gid_t)-1;
}

/* max=: every new name counts P9_ENTRY_BYTES (given back if it is not made). */
static int take_entry(struct p9_server *s)
{
    return p9_quota_take(&s->quota, P9_ENTRY_BYTES, false) ? 0 : EDQUOT;
}

static void give_entry(struct p9_server *s)
{
    p9_quota_give(&s->quota, P9_ENTRY_BYTES);
}

/* After mkdir/mknod/symlink: looks the new entry up without following it,
 * fixes mode and owner when it is still what we made, returns its qid. */
static int finish_new(struct p9_server *s, struct node *dir, const char *name, mode_t type,
                      mode_t mode, uint32_t uid, uint32_t gid, struct p9_qid *qid)
{
    int fd = sys_openat2(dir->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0, RESOLVE_STRICT);
    if (fd < 0)
        return errno;
    struct stat st;
    if (fstat(fd, &st)) {
        int e = errno;
        close(fd);
        return e;
    }
    if ((st.st_mode & S_IFMT) == type) {
        if (type != S_IFLNK && (mode & s->umask)) {
            char nm[16];
            fdname(fd, nm);
            fchmodat(s->procfd, nm, mode, 0);
        }
        uid_t u = own_uid(s, uid);
        gid_t g = own_gid(s, gid);
        if (u != (uid_t)-1 || g != (gid_t)-1)
            fchownat(fd, "", u, g, AT_EMPTY_PATH);
        fstat(fd, &st);
    }
    close(fd);
    *qid = qid_of(s, &st);
    return 0;
}

static int t_lcreate(struct req *q)
{
    uint32_t fid = p9_get32(&q->r);
    const char *name = get_str(q);
    uint32_t flags = p9_get32(&q->r), mode = p9_get32(&q->r), gid = p9_get32(&q->r);
    DECODED(q);
    RO(q);
    int err = check_name(name), acc;
    if (err)
        return err;
    int hf = host_oflags(flags, &acc);
    if (hf < 0)
        return EINVAL;
    struct fid *f = fid_get(q->s, fid);
    if (!f)
        return EBADF;
    mode_t m = safe_mode(mode, false);
    struct stat st;
    int fd = -1, pfd = -1;
    pthread_mutex_lock(&f->lock);
    struct node *dir = f->node;
    if (f->ofd >= 0) {
        err = EINVAL;
        goto out;
    }
    if ((err = take_entry(q->s)))
        goto out;
    fd = sys_openat2(dir->fd, name, hf | O_CREAT | O_EXCL | O_NOFOLLOW, m, RESOLVE_STRICT);
    if (fd < 0) {
        int e = errno;
        give_entry(q->s);
        errno = e;
    }
    if (fd >= 0) {
        if (m & q->s->umask)
            fchmod(fd, m);
        uid_t u = own_uid(q->s, f->uid);
        gid_t g = own_gid(q->s, gid);
        if (u != (uid_t)-1 || g != (gid_t)-1)
            fchown(fd, u, g);
        char nm[16];
        fdname(fd, nm);
        pfd = openat(q->s->procfd, nm, O_PATH | O_CLOEXEC);
        if (pfd < 0) {
            err = errno;
            goto out;
        }
    } else if (errno == EEXIST && !(flags & P9_DOTL_EXCL)) {
        /* Open the existing entry, but only if it is a regular file. */
        pfd = sys_openat2(dir->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0, RESOLVE_STRICT);
        if (pfd < 0 || fstat(pfd, &st)) {
            err = errno;
            goto out;
        }
        if (!S_ISREG(st.st_mode)) {
            err = S_ISDIR(st.st_mode) ? EISDIR : EEXIST;
            goto out;
        }
        fd = reopen(q->s, pfd, hf);
        if (fd < 0) {
            err = errno;
            goto out;
        }
    } else {
        err = errno;
        goto out;
    }
    if (fstat(fd, &st)) {
        err = errno;
        goto out;
    }
    struct node *n = node_child(q->s, pfd, dir, name);
    pfd = -1;
    if (!n) {
        err = ENOMEM;
        goto out;
    }
    f->node = n;
    node_put(dir);
    f->ofd = fd;
    f->oacc = acc;
    f->odir = false;
    f->oappend = hf & O_APPEND;
    fd = -1;
out:
    pthread_mutex_unlock(&f->lock);
    fid_put(q->s, f);
    if (fd >= 0)
        close(fd);
    if (pfd >= 0)
        close(pfd);
    if (err)
        return err;
    struct p9_qid qid = qid_of(q->s, &st);
    p9_put_qid(&q->w, &qid);
    p9_put32(&q->w, 0);
    return 0;
}

/* Tread and Treaddir: fid[4] offset[8] count[4].  The count is cut to what
 * fits in the reply after its count[4]; the caller puts the fid. */
static int read_args(struct req *q, struct fid **f, uint64_t *off, uint32_t *count)
{
    uint32_t fid = p9_get32(&q->r);
    *off = p9_get64(&q->r);
    *count = p9_get32(&q->r);
    DECODED(q);
    if (*off > INT64_MAX)
        return EINVAL;
    size_t max = q->w.limit - 4;
    if (*count > max)
        *count = (uint32_t)max;
    *f = fid_get(q->s, fid);
    return *f ? 0 : EBADF;
}

static int t_read(struct req *q)
{
    uint64_t off;
    uint32_t count;
    struct fid *f;
    int e = read_args(q, &f, &off, &count);
    if (e)
        return e;
    pthread_mutex_lock(&f->lock);
    int fd = f->ofd;
    bool dir = f->odir;
    pthread_mutex_unlock(&f->lock);
    int err = 0;
    ssize_t n = 0;
    if (fd < 0 || dir)
        err = fd < 0 ? EBADF : EISDIR;
    else if (count) {
        /* Straight into the guest's buffers after header and count[4]. */
        struct iovec sv[IOV_STACK];
        int k = p9_iov_slice(q->out, q->nout, P9_HDRSZ + 4, count, sv, IOV_STACK);
        struct iovec *v = sv;
        if (k < 0 && q->nout <= IOV_MAX) {
            v = malloc(sizeof(*v) * (size_t)q->nout);
            k = v ? p9_iov_slice(q->out, q->nout, P9_HDRSZ + 4, count, v, q->nout) : -1;
        }
        if (k >= 0) {
            n = preadv(fd, v, k, (off_t)off);
        } else {                /* too scattered: bounce */
            void *b = malloc(count);
            n = b ? pread(fd, b, count, (off_t)off) : (errno = ENOMEM, -1);
            if (n > 0)
                p9_iov_copy_to(q->out, q->nout, P9_HDRSZ + 4, b, (size_t)n);
            free(b);
        }
        if (n < 0)
            err = errno;
        if (v != sv)
            free(v);
    }
    fid_put(q->s, f);
    if (err)
        return err;
    p9_put32(&q->w, (uint32_t)n);
    q->direct = (size_t)n;
    return 0;
}

static int t_write(struct req *q)
{
    uint32_t fid = p9_get32(&q->r);
    uint64_t off = p9_get64(&q->r);
    uint32_t count = p9_get32(&q->r);
    if (q->r.bad || count != q->r.left)
        return EPROTO;
    RO(q);
    if (off > INT64_MAX)
        return EINVAL;
    struct fid *f = fid_get(q->s, fid);
    if (!f)
        return EBADF;
    pthread_mutex_lock(&f->lock);
    int fd = f->ofd, acc = f->oacc;
    bool append = f->oappend;
    pthread_mutex_unlock(&f->lock);
    int err = 0;
    ssize_t n = 0;
    uint64_t took = 0, size = 0;
    if (fd < 0 || acc == O_RDONLY)
        err = EBADF;
    else if (count && !(err = p9_quota_write(&q->s->quota, fd, append, off, &count, &took, &size))) {
        /* Straight from the guest's buffers. */
        struct iovec sv[IOV_STACK];
        struct iovec *v = sv;
        struct p9_rbuf save = q->r;
        int k = p9_get_iov(&q->r, count, sv, IOV_STACK);
        if (k < 0 && !q->r.bad && q->r.niov <= IOV_MAX) {
            v = malloc(sizeof(*v) * (size_t)q->r.niov);
            k = v ? p9_get_iov(&q->r, count, v, q->r.niov) : -1;
        }
        if (k >= 0) {
            n = pwritev(fd, v, k, (off_t)off);
        } else {                /* too scattered: bounce */
            q->r = save;
            void *b = malloc(count);
            if (b) {
                p9_get_bytes(&q->r, b, count);
                n = pwrite(fd, b, count, (off_t)off);
            } else {
                errno = ENOMEM;
                n = -1;
            }
            free(b);
        }
        if (n < 0)
            err = errno;
        if (v != sv)
            free(v);
        p9_quota_wrote(&q->s->quota, append, off, n, took, size);
    }
    fid_put(q->s, f);
    if (err)
        return err;
    p9_put32(&q->w, (uint32_t)n);
    return 0;
}

struct ldirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int t_readdir(struct req *q)
{
    uint64_t off;
    uint32_t count;
    struct fid *f;
    int e = read_args(q, &f, &off, &count);
    if (e)
        return e;
    enum { DBUF = 32768 };
    char *dbuf = malloc(DBUF);
    int err = dbuf ? 0 : ENOMEM;
    struct stat dst;
    pthread_mutex_lock(&f->lock);   /* seek + getdents must not interleave */
    int fd = f->ofd;
    if (!err && (fd < 0 || !f->odir))
        err = fd < 0 ? EBADF : ENOTDIR;
    if (!err && (fstat(fd, &dst) || lseek(fd, (off_t)off, SEEK_SET) < 0))
        err = errno;
    p9_put32(&q->w, 0);
    size_t start = q->w.len;
    bool full = false;
    int emitted = 0;
    while (!err && !full) {
        long n = syscall(SYS_getdents64, fd, dbuf, DBUF);
        if (n < 0)
            err = errno;
        if (n <= 0)
            break;
        for (long pos = 0; pos < n;) {
            struct ldirent64 *d = (struct ldirent64 *)(dbuf + pos);
            size_t nl = strnlen(d->d_name, d->d_reclen);
            size_t need = P9_QID_SIZE + 8 + 1 + 2 + nl;
            if (q->w.len - start + need > count) {
                full = true;
                break;
            }
            struct stat est = { .st_ino = d->d_ino, .st_dev = dst.st_dev,
                                .st_mode = d->d_type == DT_DIR ? S_IFDIR
                                         : d->d_type == DT_LNK ? S_IFLNK : S_IFREG };
            struct p9_qid qid = qid_of(q->s, &est);
            p9_put_qid(&q->w, &qid);
            p9_put64(&q->w, (uint64_t)d->d_off);
            p9_put8(&q->w, d->d_type);
            p9_put_str(&q->w, d->d_name, nl);
            emitted++;
            pos += d->d_reclen;
        }
    }
    pthread_mutex_unlock(&f->lock);
    fid_put(q->s, f);
    free(dbuf);
    if (!err && full && !emitted)
        err = EINVAL;           /* count cannot hold the next entry */
    if (err)
        return err;
    p9_patch32(&q->w, start - 4, (uint32_t)(q->w.len - start));
    return 0;
}

static int t_fsync(struct req *q)
{
    uint32_t fid = p9_get32(&q->r), datasync = p9_get32(&q->r);
    DECODED(q);
    struct fid *f = fid_get(q->s, fid);
    if (!f)
        return EBADF;
    pthread_mutex_lock(&f->lock);
    int fd = f->ofd;
    pthread_mutex_unlock(&f->lock);
    int err = fd < 0 ? EBADF : ERR(datasync ? fdatasync(fd) : fsync(fd));
    fid_put(q->s, f);
    return err;
}

/* ---- attributes ----------------------------------------------------- */

static int t_getattr(struct req *q)
{
    uint32_t fid = p9_get32(&q->r);
    p9_get64(&q->r);            /* request mask: we always answer the basic set */
    DECODED(q);
    struct node *n = node_of(q, fid, NULL);
    if (!n)
        return EBADF;
    struct stat st;
    int err = ERR(fstat(n->fd, &st));
    node_put(n);
    if (err)
        return err;
    struct p9_qid qid = qid_of(q->s, &st);
    p9_put64(&q->w, P9_GETATTR_BASIC);
    p9_put_qid(&q->w, &qid);
    p9_put32(&q->w, st.st_mode);
    p9_put32(&q->w, st.st_uid);
    p9_put32(&q->w, st.st_gid);
    p9_put64(&q->w, st.st_nlink);
    p9_put64(&q->w, st.st_rdev);
    p9_put64(&q->w, (uint64_t)st.st_size);
    p9_put64(&q->w, (uint64_t)st.st_blksize);
    p9_put64(&q->w, (uint64_t)st.st_blocks);
    p9_put64(&q->w, (uint64_t)st.st_atim.tv_sec);
    p9_put64(&q->w, (uint64_t)st.st_atim.tv_nsec);
    p9_put64(&q->w, (uint64_t)st.st_mtim.tv_sec);
    p9_put64(&q->w, (uint64_t)st.st_mtim.tv_nsec);
    p9_put64(&q->w, (uint64_t)st.st_ctim.tv_sec);
    p9_put64(&q->w, (uint64_t)st.st_ctim.tv_nsec);
    for (int i = 0; i < 4; i++)
        p9_put64(&q->w, 0);     /* btime, gen, data_version */
    return 0;
}

static int t_setattr(struct req *q)
{
    uint32_t fid = p9_get32(&q->r), valid = p9_get32(&q->r), mode = p9_get32(&q->r);
    uint32_t uid = p9_get32(&q->r), gid = p9_get32(&q->r);
    uint64_t size = p9_get64(&q->r);
    uint64_t as = p9_get64(&q->r), ans = p9_get64(&q->r);
    uint64_t ms = p9_get64(&q->r), mns = p9_get64(&q->r);
    DECODED(q);
    RO(q);
    struct fid *f = fid_get(q->s, fid);
    if (!f)
        return EBADF;
    pthread_mutex_lock(&f->lock);
    struct node *n = node_ref(f->node);
    int wfd = f->ofd >= 0 && f->oacc != O_RDONLY ? dup(f->ofd) : -1;
    pthread_mutex_unlock(&f->lock);
    fid_put(q->s, f);
    struct stat st;
    char nm[16];
    fdname(n->fd, nm);
    int err = ERR(fstat(n->fd, &st));
    /* Every call below acts on the inode held by n->fd, never on a name. */
    if (!err && (valid & P9_SETATTR_MODE)) {
        if (S_ISLNK(st.st_mode))
            err = EOPNOTSUPP;
        else
            err = ERR(fchmodat(q->s->procfd, nm, safe_mode(mode, S_ISDIR(st.st_mode)), 0));
    }
    if (!err && (valid & (P9_SETATTR_UID | P9_SETATTR_GID)))
        err = ERR(fchownat(n->fd, "", valid & P9_SETATTR_UID ? (uid_t)uid : (uid_t)-1,
                           valid & P9_SETATTR_GID ? (gid_t)gid : (gid_t)-1, AT_EMPTY_PATH));
    if (!err && (valid & P9_SETATTR_SIZE)) {
        if (S_ISDIR(st.st_mode))
            err = EISDIR;
        else if (!S_ISREG(st.st_mode))
            err = EINVAL;
        else if (size > INT64_MAX)
            err = EFBIG;
        else {
            uint64_t grow = size > (uint64_t)st.st_size ? size - (uint64_t)st.st_size : 0;
            int fd = -1;
            bool took = p9_quota_take(&q->s->quota, grow, false) == grow;
            if (!took)
                err = EDQUOT;
            else if ((fd = wfd >= 0 ? wfd : reopen(q->s, n->fd, O_WRONLY)) < 0)
                err = errno;
            else
                err = ERR(ftruncate(fd, (off_t)size));
            if (err && took)
                p9_quota_give(&q->s->quota, grow);
            if (fd >= 0 && fd != wfd)
                close(fd);
        }
    }
    if (!err && (valid & (P9_SETATTR_ATIME | P9_SETATTR_MTIME | P9_SETATTR_CTIME))) {
        struct timespec ts[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
        if (valid & P9_SETATTR_ATIME) {
            if (valid & P9_SETATTR_ATIME_SET) {
                if (ans >= 1000000000ULL)
                    err = EINVAL;
                ts[0] = (struct timespec){ (time_t)as, (long)ans };
            } else
                ts[0].tv_nsec = UTIME_NOW;
        }
        if (valid & P9_SETATTR_MTIME) {
            if (valid & P9_SETATTR_MTIME_SET) {
                if (mns >= 1000000000ULL)
                    err = EINVAL;
                ts[1] = (struct timespec){ (time_t)ms, (long)mns };
            } else
                ts[1].tv_nsec = UTIME_NOW;
        }
        if (!err)
            err = ERR(utimensat(n->fd, "", ts, AT_EMPTY_PATH));
    }
    if (wfd >= 0)
        close(wfd);
    node_put(n);
    return err;
}

static int t_readlink(struct req *q)
{
    uint32_t fid = p9_get32(&q->r);
    DECODED(q);
    struct node *n = node_of(q, fid, NULL);
    if (!n)
        return EBADF;
    struct stat st;
    char buf[PATH_MAX];
    ssize_t len = -1;
    int err = ERR(fstat(n->fd, &st));
    if (!err && !S_ISLNK(st.st_mode))
        err = EINVAL;
    if (!err) {
        len = readlinkat(n->fd, "", buf, sizeof(buf));
        if (len < 0)
            err = errno;
        else if ((size_t)len >= sizeof(buf))
            err = ENAMETOOLONG;
    }
    node_put(n);
    if (err)
        return err;
    p9_put_str(&q->w, buf, (size_t)len);
    return 0;
}

static int t_statfs(struct req *q)
{
    uint32_t fid = p9_get32(&q->r);
    DECODED(q);
    struct fid *f = fid_get(q->s, fid);
    if (!f)
        return EBADF;
    fid_put(q->s, f);
    struct statfs sf;
    if (fstatfs(q->s->root->fd, &sf))
        return errno;
    uint64_t fsid = (uint64_t)(uint32_t)sf.f_fsid.__val[0] |
                    (uint64_t)(uint32_t)sf.f_fsid.__val[1] << 32;
    p9_put32(&q->w, (uint32_t)sf.f_type);
    p9_put32(&q->w, (uint32_t)sf.f_bsize);
    p9_put64(&q->w, sf.f_blocks);
    p9_put64(&q->w, sf.f_bfree);
    p9_put64(&q->w, sf.f_bavail);
    p9_put64(&q->w, sf.f_files);
    p9_put64(&q->w, sf.f_ffree);
    p9_put64(&q->w, fsid);
    p9_put32(&q->w, (uint32_t)sf.f_namelen);
    return 0;
}

/* ---- directory changes ---------------------------------------------- */

static int t_mkdir(struct req *q)
{
    uint32_t fid = p9_get32(&q->r);
    const char *name = get_str(q);
    uint32_t mode = p9_get32(&q->r), gid = p9_get32(&q->r);
    DECODED(q);
    RO(q);
    int err = check_name(name);
    if (err)
        return err;
    uint32_t uid;
    struct node *d = node_of(q, fid, &uid);
    if (!d)
        return EBADF;
    mode_t m = safe_mode(mode, true);
    struct p9_qid qid;
    if (!(err = take_entry(q->s)) && (err = ERR(mkdirat(d->fd, name, m))))
        give_entry(q->s);
    if (!err)
        err = finish_new(q->s, d, name, S_IFDIR, m, uid, gid, &qid);
    node_put(d);
    if (!err)
        p9_put_qid(&q->w, &qid);
    return err;
}

static int t_symlink(struct req *q)
{
    uint32_t fid = p9_get32(&q->r);
    const char *name = get_str(q), *target = get_str(q);
    uint32_t gid = p9_get32(&q->r);
    DECODED(q);
    RO(q);
    int err = check_name(name);
    if (err)
        return err;
    uint32_t uid;
    struct node *d = node_of(q, fid, &uid);
    if (!d)
        return EBADF;
    struct p9_qid qid;
    /* The target is stored, never resolved by the server. */
    if (!(err = take_entry(q->s)) && (err = ERR(symlinkat(target, d->fd, name))))
        give_entry(q->s);
    if (!err)
        err = finish_new(q->s, d, name, S_IFLNK, 0777, uid, gid, &qid);
    node_put(d);
    if (!err)
        p9_put_qid(&q->w, &qid);
    return err;
}

static int t_mknod(struct req *q)
{
    uint32_t fid = p9_get32(&q->r);
    const char *name = get_str(q);
    uint32_t mode = p9_get32(&q->r);
    p9_get32(&q->r);            /* major */
    p9_get32(&q->r);            /* minor */
    uint32_t gid = p9_get32(&q->r);
    DECODED(q);
    RO(q);
    int err = check_name(name);
    if (err)
        return err;
    mode_t type = mode & S_IFMT;
    if (type == 0)
        type = S_IFREG;
    if (type == S_IFCHR || type == S_IFBLK || type == S_IFSOCK)
        return EPERM;           /* no device nodes or sockets on the host */
    if (type != S_IFREG && type != S_IFIFO)
        return EINVAL;
    uint32_t uid;
    struct node *d = node_of(q, fid, &uid);
    if (!d)
        return EBADF;
    mode_t m = safe_mode(mode, false);
    struct p9_qid qid;
    if (!(err = take_entry(q->s)) && (err = ERR(mknodat(d->fd, name, type | m, 0))))
        give_entry(q->s);
    if (!err)
        err = finish_new(q->s, d, name, type, m, uid, gid, &qid);
    node_put(d);
    if (!err)
        p9_put_qid(&q->w, &qid);
    return err;
}

static int t_link(struct req *q)
{
    uint32_t dfid = p9_get32(&q->r), fid = p9_get32(&q->r);
    const char *name = get_str(q);
    DECODED(q);
    RO(q);
    int err = check_name(name);
    if (err)
        return err;
    struct node *d = node_of(q, dfid, NULL);
    if (!d)
        return EBADF;
    struct node *n = node_of(q, fid, NULL);
    if (!n) {
        node_put(d);
        return EBADF;
    }
    struct stat st;
    err = ERR(fstat(n->fd, &st));
    if (!err && S_ISDIR(st.st_mode))
        err = EPERM;
    if (!err && !(err = take_entry(q->s))) {
        /* Links the inode held by the fid, never a name. */
        err = ERR(linkat(n->fd, "", d->fd, name, AT_EMPTY_PATH));
        if (err == ENOENT && !S_ISLNK(st.st_mode)) {   /* no CAP_DAC_READ_SEARCH */
            char nm[16];
            fdname(n->fd, nm);
            err = ERR(linkat(q->s->procfd, nm, d->fd, name, AT_SYMLINK_FOLLOW));
        }
        if (err)
            give_entry(q->s);
    }
    node_put(n);
    node_put(d);
    return err;
}

/* Opens n's lexical parent and checks that its name there still names the
 * inode n holds (no symlink followed); returns the parent's descriptor, or
 * -1 with *err set (ENOENT when the name moved on). */
static int parent_of(struct p9_server *s, struct node *n, int *err)
{
    struct stat a, b;
    int pfd = open_ent(s, n->ent->parent);
    if (pfd < 0) {
        *err = gone(errno);
        return -1;
    }
    if (fstat(n->fd, &a) || fstatat(pfd, n->ent->name, &b, AT_SYMLINK_NOFOLLOW))
        *err = gone(errno);
    else
        *err = a.st_dev == b.st_dev && a.st_ino == b.st_ino ? 0 : ENOENT;
    if (*err) {
        close(pfd);
        return -1;
    }
    return pfd;
}

static int t_rename(struct req *q)
{
    uint32_t fid = p9_get32(&q->r), dfid = p9_get32(&q->r);
    const char *name = get_str(q);
    DECODED(q);
    RO(q);
    int err = check_name(name);
    if (err)
        return err;
    struct fid *f = fid_get(q->s, fid);
    if (!f)
        return EBADF;
    struct node *d = node_of(q, dfid, NULL);
    if (!d) {
        fid_put(q->s, f);
        return EBADF;
    }
    pthread_mutex_lock(&f->lock);
    struct node *n = f->node;
    int pfd = -1;
    if (!n->ent->parent)
        err = EBUSY;            /* the export root */
    else if ((pfd = parent_of(q->s, n, &err)) >= 0)
        err = ERR(renameat(pfd, n->ent->name, d->fd, name));
    if (!err) {                 /* the fid now lives at its new place */
        int fd = fcntl(n->fd, F_DUPFD_CLOEXEC, 0);
        struct node *nn = fd >= 0 ? node_child(q->s, fd, d, name) : NULL;
        if (nn) {
            f->node = nn;
            node_put(n);
        }
    }
    pthread_mutex_unlock(&f->lock);
    if (pfd >= 0)
        close(pfd);
    node_put(d);
    fid_put(q->s, f);
    return err;
}

static int t_renameat(struct req *q)
{
    uint32_t ofid = p9_get32(&q->r);
    const char *oname = get_str(q);
    uint32_t nfid = p9_get32(&q->r);
    const char *nname = get_str(q);
    DECODED(q);
    RO(q);
    int err = check_name(oname);
    if (!err)
        err = check_name(nname);
    if (err)
        return err;
    struct node *od = node_of(q, ofid, NULL);
    if (!od)
        return EBADF;
    struct node *nd = node_of(q, nfid, NULL);
    if (!nd) {
        node_put(od);
        return EBADF;
    }
    err = ERR(renameat(od->fd, oname, nd->fd, nname));
    node_put(nd);
    node_put(od);
    return err;
}

static int t_unlinkat(struct req *q)
{
    uint32_t fid = p9_get32(&q->r);
    const char *name = get_str(q);
    uint32_t flags = p9_get32(&q->r);
    DECODED(q);
    RO(q);
    int err = check_name(name);
    if (err)
        return err;
    if (flags & ~(uint32_t)P9_DOTL_AT_REMOVEDIR)
        return EINVAL;
    struct node *d = node_of(q, fid, NULL);
    if (!d)
        return EBADF;
    err = ERR(unlinkat(d->fd, name, flags ? AT_REMOVEDIR : 0));
    node_put(d);
    return err;
}

static int t_remove(struct req *q)
{
    uint32_t fid = p9_get32(&q->r);
    DECODED(q);
    struct node *n = node_of(q, fid, NULL);
    if (!n)
        return EBADF;
    int err = 0, pfd = -1;
    struct stat st;
    if (q->s->readonly)
        err = EROFS;
    else if (!n->ent->parent)
        err = EBUSY;
    else if (!(err = ERR(fstat(n->fd, &st))) && (pfd = parent_of(q->s, n, &err)) >= 0)
        err = ERR(unlinkat(pfd, n->ent->name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0));
    if (pfd >= 0)
        close(pfd);
    node_put(n);
    fid_clunk(q->s, fid);       /* clunked even when the remove failed */
    return err;
}

/* ---- locks and xattrs ----------------------------------------------- */

static int t_lock(struct req *q)
{
    uint32_t fid = p9_get32(&q->r);
    uint8_t type = p9_get8(&q->r);
    p9_get32(&q->r);            /* flags */
    p9_get64(&q->r);            /* start */
    p9_get64(&q->r);            /* length */
    p9_get32(&q->r);            /* proc_id */
    get_str(q);                 /* client_id */
    DECODED(q);
    if (type > P9_LOCK_TYPE_UNLCK)
        return EINVAL;
    struct fid *f = fid_get(q->s, fid);
    if (!f)
        return EBADF;
    fid_put(q->s, f);
    /* Locks are arbitrated by the guest kernel (see docs/9p.md). */
    p9_put8(&q->w, P9_LOCK_SUCCESS);
    return 0;
}

static int t_getlock(struct req *q)
{
    uint32_t fid = p9_get32(&q->r);
    uint8_t type = p9_get8(&q->r);
    uint64_t start = p9_get64(&q->r), len = p9_get64(&q->r);
    uint32_t pid = p9_get32(&q->r);
    const char *cid = get_str(q);
    DECODED(q);
    if (type > P9_LOCK_TYPE_UNLCK)
        return EINVAL;
    struct fid *f = fid_get(q->s, fid);
    if (!f)
        return EBADF;
    fid_put(q->s, f);
    p9_put8(&q->w, P9_LOCK_TYPE_UNLCK);     /* no conflicting lock */
    p9_put64(&q->w, start);
    p9_put64(&q->w, len);
    p9_put32(&q->w, pid);
    p9_put_str(&q->w, cid, strlen(cid));
    return 0;
}

static int t_xattrwalk(struct req *q)
{
    uint32_t fid = p9_get32(&q->r);
    p9_get32(&q->r);            /* newfid */
    get_str(q);
    DECODED(q);
    struct fid *f = fid_get(q->s, fid);
    if (!f)
        return EBADF;
    fid_put(q->s, f);
    return EOPNOTSUPP;
}

static int t_xattrcreate(struct req *q)
{
    uint32_t fid = p9_get32(&q->r);
    get_str(q);
    p9_get64(&q->r);            /* attr_size */
    p9_get32(&q->r);            /* flags */
    DECODED(q);
    RO(q);
    struct fid *f = fid_get(q->s, fid);
    if (!f)
        return EBADF;
    fid_put(q->s, f);
    return EOPNOTSUPP;
}

/* ---- dispatch ------------------------------------------------------- */

static int dispatch(struct req *q, uint8_t type)
{
    switch (type) {
    case P9_TVERSION: return t_version(q);
    case P9_TATTACH: return t_attach(q);
    case P9_TFLUSH: return t_flush(q);
    case P9_TWALK: return t_walk(q);
    case P9_TCLUNK: return t_clunk(q);
    case P9_TREMOVE: return t_remove(q);
    case P9_TLOPEN: return t_lopen(q);
    case P9_TLCREATE: return t_lcreate(q);
    case P9_TREAD: return t_read(q);
    case P9_TWRITE: return t_write(q);
    case P9_TREADDIR: return t_readdir(q);
    case P9_TFSYNC: return t_fsync(q);
    case P9_TGETATTR: return t_getattr(q);
    case P9_TSETATTR: return t_setattr(q);
    case P9_TREADLINK: return t_readlink(q);
    case P9_TSTATFS: return t_statfs(q);
    case P9_TMKDIR: return t_mkdir(q);
    case P9_TSYMLINK: return t_symlink(q);
    case P9_TMKNOD: return t_mknod(q);
    case P9_TLINK: return t_link(q);
    case P9_TRENAME: return t_rename(q);
    case P9_TRENAMEAT: return t_renameat(q);
    case P9_TUNLINKAT: return t_unlinkat(q);
    case P9_TLOCK: return t_lock(q);
    case P9_TGETLOCK: return t_getlock(q);
    case P9_TXATTRWALK: return t_xattrwalk(q);
    case P9_TXATTRCREATE: return t_xattrcreate(q);
    default: return EOPNOTSUPP;
    }
}

bool p9_is_flush(const struct iovec *in, int nin)
{
    if (p9_iov_total(in, nin) < P9_HDRSZ)
        return false;
    struct p9_rbuf r;
    p9_rbuf_init(&r, in, nin, P9_HDRSZ);
    p9_get32(&r);
    return p9_get8(&r) == P9_TFLUSH;
}

/* ---- tracing (MINIVMM_TRACE_9P) ------------------------------------ */

static void trace_print(const struct trace_rec *r)
{
    if (r->err < 0) {
        fprintf(stderr, "minivmm: 9p T%u tag %u %u %u\n", r->type, r->tag, r->a, r->b);
        return;
    }
    char hex[2 * sizeof(r->head) + 1] = "";
    for (int i = 0; i < r->nhead; i++)
        snprintf(hex + 2 * i, 3, "%02x", r->head[i]);
    fprintf(stderr, "minivmm: 9p T%u tag %u -> Rlerror %d (%s) [request in %u buffers, %u bytes: %s]\n",
            r->type, r->tag, r->err, strerror(r->err), r->nin, r->inlen, hex);
}

static void trace(struct p9_server *s, struct trace_rec r)
{
    if (s->ring)
        s->ring[atomic_fetch_add(&s->ring_next, 1) % TRACE_RING] = r;
    else
        trace_print(&r);
}

size_t p9_handle(struct p9_server *s, const struct iovec *in, int nin, const struct iovec *out, int nout)
{
    if (nin < 0 || !in)
        nin = 0;
    if (nout < 0 || !out)
        nout = 0;
    size_t outcap = p9_iov_total(out, nout);
    if (outcap < P9_HDRSZ + 4)
        return 0;
    uint32_t msize = atomic_load(&s->msize);
    size_t limit = outcap < msize ? outcap : msize;
    struct req q = { .s = s, .out = out, .nout = nout };
    q.w.limit = limit - P9_HDRSZ;
    size_t inlen = p9_iov_total(in, nin);
    uint16_t tag = P9_NOTAG;
    uint8_t type = 0;
    int err;
    if (inlen < P9_HDRSZ) {
        err = EPROTO;           /* not even a header: the tag is unknown */
    } else {
        p9_rbuf_init(&q.r, in, nin, P9_HDRSZ);
        uint32_t size = p9_get32(&q.r);
        type = p9_get8(&q.r);
        tag = p9_get16(&q.r);
        if (size < P9_HDRSZ || size > inlen || (type != P9_TVERSION && size > msize)) {
            err = EPROTO;
        } else {
            q.r.left = size - P9_HDRSZ;
            if (s->trace || s->ring) {  /* the first two words: fid (and newfid, ...) */
                struct p9_rbuf t = q.r;
                uint32_t a = p9_get32(&t), b = p9_get32(&t);
                trace(s, (struct trace_rec){ .a = a, .b = b, .err = -1, .tag = tag, .type = type });
            }
            err = dispatch(&q, type);
        }
    }
    for (int i = 0; i < q.nstr; i++)
        free(q.strs[i]);
    if (!err && q.w.over)
        err = EMSGSIZE;         /* the reply does not fit the guest's buffers */
    uint8_t rtype = (uint8_t)(type + 1);
    if (err && (s->trace || s->ring)) {
        struct trace_rec t = { .err = err, .tag = tag, .type = type, .nin = (uint16_t)nin,
                               .inlen = inlen > UINT32_MAX ? UINT32_MAX : (uint32_t)inlen };
        struct p9_rbuf r;
        t.nhead = (uint8_t)(inlen < sizeof(t.head) ? inlen : sizeof(t.head));
        p9_rbuf_init(&r, in, nin, t.nhead);
        p9_get_bytes(&r, t.head, t.nhead);
        trace(s, t);
    }
    if (err) {
        q.w.len = 0;
        q.w.over = false;
        q.direct = 0;
        p9_put32(&q.w, (uint32_t)err);
        rtype = P9_RLERROR;
    }
    size_t total = P9_HDRSZ + q.w.len + q.direct;
    uint8_t hdr[P9_HDRSZ] = { (uint8_t)total, (uint8_t)(total >> 8), (uint8_t)(total >> 16),
                              (uint8_t)(total >> 24), rtype, (uint8_t)tag, (uint8_t)(tag >> 8) };
    p9_iov_copy_to(out, nout, 0, hdr, P9_HDRSZ);
    p9_iov_copy_to(out, nout, P9_HDRSZ, q.w.p, q.w.len);
    free(q.w.p);
    return total;
}

/* ---- lifetime ------------------------------------------------------- */

struct p9_server *p9_server_new(const char *root, bool readonly, char *err, size_t errlen)
{
    struct p9_server *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "9p: out of memory");
        return NULL;
    }
    s->procfd = -1;
    int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        snprintf(err, errlen, "9p: cannot open export directory %s: %s", root, strerror(errno));
        goto fail;
    }
    s->rootdev = st.st_dev;
    s->root = node_new(fd, ent_new(NULL, "", &s->ent_mem));
    if (!s->root) {
        snprintf(err, errlen, "9p: out of memory");
        goto fail;
    }
    s->procfd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (s->procfd < 0) {
        snprintf(err, errlen, "9p: cannot open /proc/self/fd (is /proc mounted?): %s", strerror(errno));
        goto fail;
    }
    int probe = sys_openat2(fd, ".", O_PATH | O_CLOEXEC, 0, RESOLVE_STRICT);
    if (probe < 0) {
        snprintf(err, errlen, "9p: openat2 unavailable (Linux >= 5.6 needed): %s", strerror(errno));
        goto fail;
    }
    close(probe);
    s->readonly = readonly;
    const char *tr = getenv("MINIVMM_TRACE_9P");
    s->trace = tr && *tr && strcmp(tr, "0") != 0;
    if (s->trace && !strcmp(tr, "ring") && (s->ring = calloc(TRACE_RING, sizeof(*s->ring))))
        s->trace = false;       /* (without the memory: the line-by-line trace) */
    s->as_root = geteuid() == 0;
    s->umask = umask(022);
    umask(s->umask);
    atomic_init(&s->msize, P9_MAX_MSIZE);
    pthread_mutex_init(&s->tlock, NULL);
    /* Every fid holds a descriptor: allow as many as the hard limit does. */
    struct rlimit rl;
    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    p9_fids_limit();            /* and never more fids than it allows */
    snprintf(s->quota.what, sizeof(s->quota.what), "%s", root);
    return s;
fail:
    if (s->procfd >= 0)
        close(s->procfd);
    node_put(s->root);
    free(s);
    return NULL;
}

void p9_server_set_max(struct p9_server *s, uint64_t max_bytes)
{
    s->quota.max = max_bytes;
}

void p9_server_free(struct p9_server *s)
{
    if (!s)
        return;
    if (s->ring) {              /* the workers have stopped */
        uint64_t end = atomic_load(&s->ring_next);
        for (uint64_t i = end > TRACE_RING ? end - TRACE_RING : 0; i < end; i++)
            trace_print(&s->ring[i % TRACE_RING]);
        free(s->ring);
    }
    fid_clunk_all(s);
    node_put(s->root);
    close(s->procfd);
    pthread_mutex_destroy(&s->tlock);
    free(s);
}
