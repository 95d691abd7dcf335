/* The 9P server's operations on files: open, create, read, write, readdir,
 * fsync and attributes.  Each runs on the node a fid holds; names and
 * paths go through 9p_path.c (see 9p_int.h for the parts, docs/9p.md). */
#include "virtio/9p_int.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

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

/* ---- open, create, I/O ---------------------------------------------- */

int p9_t_lopen(struct p9_req *q)
{
    uint32_t fid = p9_get32(&q->r), flags = p9_get32(&q->r);
    DECODED(q);
    int acc;
    int hf = host_oflags(flags, &acc);
    if (hf < 0)
        return EINVAL;
    if (q->s->readonly && (acc != O_RDONLY || (hf & O_TRUNC)))
        return EROFS;
    struct fid *f = p9_fid_get(q->s, fid);
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
        int fd = p9_reopen(q->s, f->node->fd, hf);
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
    p9_fid_put(q->s, f);
    if (err)
        return err;
    struct p9_qid qid = p9_qid_of(q->s, &st);
    p9_put_qid(&q->w, &qid);
    p9_put32(&q->w, 0);
    return 0;
}

int p9_t_lcreate(struct p9_req *q)
{
    uint32_t fid = p9_get32(&q->r);
    const char *name = p9_req_str(q);
    uint32_t flags = p9_get32(&q->r), mode = p9_get32(&q->r), gid = p9_get32(&q->r);
    int err = p9_decoded_name(q, name), acc;
    if (err)
        return err;
    int hf = host_oflags(flags, &acc);
    if (hf < 0)
        return EINVAL;
    struct fid *f = p9_fid_get(q->s, fid);
    if (!f)
        return EBADF;
    mode_t m = p9_safe_mode(mode, false);
    struct stat st;
    int fd = -1, pfd = -1;
    pthread_mutex_lock(&f->lock);
    struct node *dir = f->node;
    if (f->ofd >= 0) {
        err = EINVAL;
        goto out;
    }
    if ((err = p9_take_entry(q->s)))
        goto out;
    fd = p9_create(dir, name, hf, m);
    if (fd < 0) {
        int e = errno;
        p9_give_entry(q->s);
        errno = e;
    }
    if (fd >= 0) {
        if (m & q->s->umask)
            fchmod(fd, m);
        uid_t u = p9_own_uid(q->s, f->uid);
        gid_t g = p9_own_gid(q->s, gid);
        if (u != (uid_t)-1 || g != (gid_t)-1)
            fchown(fd, u, g);
        char nm[16];
        p9_fdname(fd, nm);
        pfd = openat(q->s->procfd, nm, O_PATH | O_CLOEXEC);
        if (pfd < 0) {
            err = errno;
            goto out;
        }
    } else if (errno == EEXIST && !(flags & P9_DOTL_EXCL)) {
        /* Open the existing entry, but only if it is a regular file. */
        pfd = p9_lookup(dir, name);
        if (pfd < 0 || fstat(pfd, &st)) {
            err = errno;
            goto out;
        }
        if (!S_ISREG(st.st_mode)) {
            err = S_ISDIR(st.st_mode) ? EISDIR : EEXIST;
            goto out;
        }
        fd = p9_reopen(q->s, pfd, hf);
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
    struct node *n = p9_node_child(q->s, pfd, dir, name);
    pfd = -1;
    if (!n) {
        err = ENOMEM;
        goto out;
    }
    f->node = n;
    p9_node_put(dir);
    f->ofd = fd;
    f->oacc = acc;
    f->odir = false;
    f->oappend = hf & O_APPEND;
    fd = -1;
out:
    pthread_mutex_unlock(&f->lock);
    p9_fid_put(q->s, f);
    if (fd >= 0)
        close(fd);
    if (pfd >= 0)
        close(pfd);
    if (err)
        return err;
    struct p9_qid qid = p9_qid_of(q->s, &st);
    p9_put_qid(&q->w, &qid);
    p9_put32(&q->w, 0);
    return 0;
}

/* Tread and Treaddir: fid[4] offset[8] count[4].  The count is cut to what
 * fits in the reply after its count[4]; the caller puts the fid. */
static int read_args(struct p9_req *q, struct fid **f, uint64_t *off, uint32_t *count)
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
    *f = p9_fid_get(q->s, fid);
    return *f ? 0 : EBADF;
}

int p9_t_read(struct p9_req *q)
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
    p9_fid_put(q->s, f);
    if (err)
        return err;
    p9_put32(&q->w, (uint32_t)n);
    q->direct = (size_t)n;
    return 0;
}

int p9_t_write(struct p9_req *q)
{
    uint32_t fid = p9_get32(&q->r);
    uint64_t off = p9_get64(&q->r);
    uint32_t count = p9_get32(&q->r);
    if (q->r.bad || count != q->r.left)
        return EPROTO;
    RO(q);
    if (off > INT64_MAX)
        return EINVAL;
    struct fid *f = p9_fid_get(q->s, fid);
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
    p9_fid_put(q->s, f);
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

int p9_t_readdir(struct p9_req *q)
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
            struct p9_qid qid = p9_qid_of(q->s, &est);
            p9_put_qid(&q->w, &qid);
            p9_put64(&q->w, (uint64_t)d->d_off);
            p9_put8(&q->w, d->d_type);
            p9_put_str(&q->w, d->d_name, nl);
            emitted++;
            pos += d->d_reclen;
        }
    }
    pthread_mutex_unlock(&f->lock);
    p9_fid_put(q->s, f);
    free(dbuf);
    if (!err && full && !emitted)
        err = EINVAL;           /* count cannot hold the next entry */
    if (err)
        return err;
    p9_patch32(&q->w, start - 4, (uint32_t)(q->w.len - start));
    return 0;
}

int p9_t_fsync(struct p9_req *q)
{
    uint32_t fid = p9_get32(&q->r), datasync = p9_get32(&q->r);
    DECODED(q);
    struct fid *f = p9_fid_get(q->s, fid);
    if (!f)
        return EBADF;
    pthread_mutex_lock(&f->lock);
    int fd = f->ofd;
    pthread_mutex_unlock(&f->lock);
    int err = fd < 0 ? EBADF : ERR(datasync ? fdatasync(fd) : fsync(fd));
    p9_fid_put(q->s, f);
    return err;
}

/* ---- attributes ----------------------------------------------------- */

int p9_t_getattr(struct p9_req *q)
{
    uint32_t fid = p9_get32(&q->r);
    p9_get64(&q->r);            /* request mask: we always answer the basic set */
    DECODED(q);
    struct node *n = p9_node_of(q, fid, NULL);
    if (!n)
        return EBADF;
    struct stat st;
    int err = ERR(fstat(n->fd, &st));
    p9_node_put(n);
    if (err)
        return err;
    struct p9_qid qid = p9_qid_of(q->s, &st);
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

int p9_t_setattr(struct p9_req *q)
{
    uint32_t fid = p9_get32(&q->r), valid = p9_get32(&q->r), mode = p9_get32(&q->r);
    uint32_t uid = p9_get32(&q->r), gid = p9_get32(&q->r);
    uint64_t size = p9_get64(&q->r);
    uint64_t as = p9_get64(&q->r), ans = p9_get64(&q->r);
    uint64_t ms = p9_get64(&q->r), mns = p9_get64(&q->r);
    DECODED(q);
    RO(q);
    struct fid *f = p9_fid_get(q->s, fid);
    if (!f)
        return EBADF;
    pthread_mutex_lock(&f->lock);
    struct node *n = p9_node_ref(f->node);
    int wfd = f->ofd >= 0 && f->oacc != O_RDONLY ? dup(f->ofd) : -1;
    pthread_mutex_unlock(&f->lock);
    p9_fid_put(q->s, f);
    struct stat st;
    char nm[16];
    p9_fdname(n->fd, nm);
    int err = ERR(fstat(n->fd, &st));
    /* Every call below acts on the inode held by n->fd, never on a name. */
    if (!err && (valid & P9_SETATTR_MODE)) {
        if (S_ISLNK(st.st_mode))
            err = EOPNOTSUPP;
        else
            err = ERR(fchmodat(q->s->procfd, nm, p9_safe_mode(mode, S_ISDIR(st.st_mode)), 0));
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
            else if ((fd = wfd >= 0 ? wfd : p9_reopen(q->s, n->fd, O_WRONLY)) < 0)
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
    p9_node_put(n);
    return err;
}

int p9_t_readlink(struct p9_req *q)
{
    uint32_t fid = p9_get32(&q->r);
    DECODED(q);
    struct node *n = p9_node_of(q, fid, NULL);
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
    p9_node_put(n);
    if (err)
        return err;
    p9_put_str(&q->w, buf, (size_t)len);
    return 0;
}

int p9_t_statfs(struct p9_req *q)
{
    uint32_t fid = p9_get32(&q->r);
    DECODED(q);
    int err = p9_fid_known(q->s, fid);
    if (err)
        return err;
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
