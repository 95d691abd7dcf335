/* The 9P server's operations on names: walk, and the directory changes
 * (mkdir, symlink, mknod, link, rename, renameat, unlinkat, remove).  Every
 * name is checked by p9_check_name and every lookup done in 9p_path.c; here
 * a checked single component meets only *at() calls relative to a node's
 * descriptor, none of which follows a trailing symlink (see 9p_int.h for the
 * parts, docs/9p.md). */
#include "virtio/9p_int.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int p9_t_walk(struct p9_req *q)
{
    uint32_t fid = p9_get32(&q->r), newfid = p9_get32(&q->r);
    uint16_t nw = p9_get16(&q->r);
    if (nw > P9_MAXWELEM)
        return q->r.bad ? EPROTO : EINVAL;
    const char *names[P9_MAXWELEM];
    for (int i = 0; i < nw; i++)
        names[i] = p9_req_str(q);
    DECODED(q);
    struct fid *f = p9_fid_get(q->s, fid);
    if (!f)
        return EBADF;
    pthread_mutex_lock(&f->lock);
    bool open = f->ofd >= 0;
    struct node *cur = p9_node_ref(f->node);
    uint32_t uid = f->uid;
    pthread_mutex_unlock(&f->lock);
    int err = 0;
    if (newfid == fid && open)
        err = EINVAL;           /* an open fid cannot move */
    if (newfid != fid) {        /* fail early; p9_fid_add re-checks */
        struct fid *g = p9_fid_get(q->s, newfid);
        if (g) {
            p9_fid_put(q->s, g);
            err = EINVAL;
        }
    }
    struct p9_qid qids[P9_MAXWELEM];
    int i = 0;
    for (; !err && i < nw; i++) {
        struct node *next = p9_walk_one(q->s, cur, names[i], &err);
        if (!next)
            break;
        p9_node_put(cur);
        cur = next;
        struct stat st;
        if (fstat(cur->fd, &st)) {
            err = errno;
            break;
        }
        qids[i] = p9_qid_of(q->s, &st);
    }
    if (err && i == 0) {
        p9_node_put(cur);
        p9_fid_put(q->s, f);
        return err;
    }
    if (i == nw) {              /* complete: bind newfid */
        if (newfid == fid) {
            pthread_mutex_lock(&f->lock);
            struct node *old = f->node;
            f->node = cur;
            pthread_mutex_unlock(&f->lock);
            p9_node_put(old);
        } else if ((err = p9_fid_add(q->s, newfid, cur, uid))) {
            p9_node_put(cur);
            p9_fid_put(q->s, f);
            return err;
        }
    } else {
        p9_node_put(cur);
    }
    p9_fid_put(q->s, f);
    p9_put16(&q->w, (uint16_t)i);
    for (int k = 0; k < i; k++)
        p9_put_qid(&q->w, &qids[k]);
    return 0;
}

/* After mkdir/mknod/symlink: looks the new entry up without following it,
 * fixes mode and owner when it is still what we made, returns its qid. */
static int finish_new(struct p9_server *s, struct node *dir, const char *name, mode_t type,
                      mode_t mode, uint32_t uid, uint32_t gid, struct p9_qid *qid)
{
    int fd = p9_lookup(dir, name);
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
            p9_fdname(fd, nm);
            fchmodat(s->procfd, nm, mode, 0);
        }
        uid_t u = p9_own_uid(s, uid);
        gid_t g = p9_own_gid(s, gid);
        if (u != (uid_t)-1 || g != (gid_t)-1)
            fchownat(fd, "", u, g, AT_EMPTY_PATH);
        fstat(fd, &st);
    }
    close(fd);
    *qid = p9_qid_of(s, &st);
    return 0;
}

/* Makes name in the directory fid stands for: a directory (S_IFDIR), a
 * symlink to target (S_IFLNK) or a file or fifo (S_IFREG, S_IFIFO), counted
 * against max=; the reply is its qid. */
static int make_new(struct p9_req *q, uint32_t fid, const char *name, mode_t type, mode_t m,
                    const char *target, uint32_t gid)
{
    uint32_t uid;
    struct node *d = p9_node_of(q, fid, &uid);
    if (!d)
        return EBADF;
    struct p9_qid qid;
    int err = p9_take_entry(q->s);
    if (!err) {
        if (type == S_IFDIR)
            err = ERR(mkdirat(d->fd, name, m));
        else if (type == S_IFLNK)   /* the target is stored, never resolved by the server */
            err = ERR(symlinkat(target, d->fd, name));
        else
            err = ERR(mknodat(d->fd, name, type | m, 0));
        if (err)
            p9_give_entry(q->s);
    }
    if (!err)
        err = finish_new(q->s, d, name, type, m, uid, gid, &qid);
    p9_node_put(d);
    if (!err)
        p9_put_qid(&q->w, &qid);
    return err;
}

int p9_t_mkdir(struct p9_req *q)
{
    uint32_t fid = p9_get32(&q->r);
    const char *name = p9_req_str(q);
    uint32_t mode = p9_get32(&q->r), gid = p9_get32(&q->r);
    int err = p9_decoded_name(q, name);
    return err ? err : make_new(q, fid, name, S_IFDIR, p9_safe_mode(mode, true), NULL, gid);
}

int p9_t_symlink(struct p9_req *q)
{
    uint32_t fid = p9_get32(&q->r);
    const char *name = p9_req_str(q), *target = p9_req_str(q);
    uint32_t gid = p9_get32(&q->r);
    int err = p9_decoded_name(q, name);
    return err ? err : make_new(q, fid, name, S_IFLNK, 0777, target, gid);
}

int p9_t_mknod(struct p9_req *q)
{
    uint32_t fid = p9_get32(&q->r);
    const char *name = p9_req_str(q);
    uint32_t mode = p9_get32(&q->r);
    p9_get32(&q->r);            /* major */
    p9_get32(&q->r);            /* minor */
    uint32_t gid = p9_get32(&q->r);
    int err = p9_decoded_name(q, name);
    if (err)
        return err;
    mode_t type = mode & S_IFMT;
    if (type == 0)
        type = S_IFREG;
    if (type == S_IFCHR || type == S_IFBLK || type == S_IFSOCK)
        return EPERM;           /* no device nodes or sockets on the host */
    if (type != S_IFREG && type != S_IFIFO)
        return EINVAL;
    return make_new(q, fid, name, type, p9_safe_mode(mode, false), NULL, gid);
}

int p9_t_link(struct p9_req *q)
{
    uint32_t dfid = p9_get32(&q->r), fid = p9_get32(&q->r);
    const char *name = p9_req_str(q);
    int err = p9_decoded_name(q, name);
    if (err)
        return err;
    struct node *d = p9_node_of(q, dfid, NULL);
    if (!d)
        return EBADF;
    struct node *n = p9_node_of(q, fid, NULL);
    if (!n) {
        p9_node_put(d);
        return EBADF;
    }
    struct stat st;
    err = ERR(fstat(n->fd, &st));
    if (!err && S_ISDIR(st.st_mode))
        err = EPERM;
    if (!err && !(err = p9_take_entry(q->s))) {
        /* Links the inode held by the fid, never a name. */
        err = ERR(linkat(n->fd, "", d->fd, name, AT_EMPTY_PATH));
        if (err == ENOENT && !S_ISLNK(st.st_mode)) {   /* no CAP_DAC_READ_SEARCH */
            char nm[16];
            p9_fdname(n->fd, nm);
            err = ERR(linkat(q->s->procfd, nm, d->fd, name, AT_SYMLINK_FOLLOW));
        }
        if (err)
            p9_give_entry(q->s);
    }
    p9_node_put(n);
    p9_node_put(d);
    return err;
}

int p9_t_rename(struct p9_req *q)
{
    uint32_t fid = p9_get32(&q->r), dfid = p9_get32(&q->r);
    const char *name = p9_req_str(q);
    int err = p9_decoded_name(q, name);
    if (err)
        return err;
    struct fid *f = p9_fid_get(q->s, fid);
    if (!f)
        return EBADF;
    struct node *d = p9_node_of(q, dfid, NULL);
    if (!d) {
        p9_fid_put(q->s, f);
        return EBADF;
    }
    pthread_mutex_lock(&f->lock);
    struct node *n = f->node;
    int pfd = -1;
    if (!n->ent->parent)
        err = EBUSY;            /* the export root */
    else if ((pfd = p9_parent_of(q->s, n, &err)) >= 0)
        err = ERR(renameat(pfd, n->ent->name, d->fd, name));
    if (!err) {                 /* the fid now lives at its new place */
        int fd = fcntl(n->fd, F_DUPFD_CLOEXEC, 0);
        struct node *nn = fd >= 0 ? p9_node_child(q->s, fd, d, name) : NULL;
        if (nn) {
            f->node = nn;
            p9_node_put(n);
        }
    }
    pthread_mutex_unlock(&f->lock);
    if (pfd >= 0)
        close(pfd);
    p9_node_put(d);
    p9_fid_put(q->s, f);
    return err;
}

int p9_t_renameat(struct p9_req *q)
{
    uint32_t ofid = p9_get32(&q->r);
    const char *oname = p9_req_str(q);
    uint32_t nfid = p9_get32(&q->r);
    const char *nname = p9_req_str(q);
    int err = p9_decoded_name(q, oname);
    if (!err)
        err = p9_check_name(nname);
    if (err)
        return err;
    struct node *od = p9_node_of(q, ofid, NULL);
    if (!od)
        return EBADF;
    struct node *nd = p9_node_of(q, nfid, NULL);
    if (!nd) {
        p9_node_put(od);
        return EBADF;
    }
    err = ERR(renameat(od->fd, oname, nd->fd, nname));
    p9_node_put(nd);
    p9_node_put(od);
    return err;
}

int p9_t_unlinkat(struct p9_req *q)
{
    uint32_t fid = p9_get32(&q->r);
    const char *name = p9_req_str(q);
    uint32_t flags = p9_get32(&q->r);
    int err = p9_decoded_name(q, name);
    if (err)
        return err;
    if (flags & ~(uint32_t)P9_DOTL_AT_REMOVEDIR)
        return EINVAL;
    struct node *d = p9_node_of(q, fid, NULL);
    if (!d)
        return EBADF;
    err = ERR(unlinkat(d->fd, name, flags ? AT_REMOVEDIR : 0));
    p9_node_put(d);
    return err;
}

int p9_t_remove(struct p9_req *q)
{
    uint32_t fid = p9_get32(&q->r);
    DECODED(q);
    struct node *n = p9_node_of(q, fid, NULL);
    if (!n)
        return EBADF;
    int err = 0, pfd = -1;
    struct stat st;
    if (q->s->readonly)
        err = EROFS;
    else if (!n->ent->parent)
        err = EBUSY;
    else if (!(err = ERR(fstat(n->fd, &st))) && (pfd = p9_parent_of(q->s, n, &err)) >= 0)
        err = ERR(unlinkat(pfd, n->ent->name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0));
    if (pfd >= 0)
        close(pfd);
    p9_node_put(n);
    p9_fid_clunk(q->s, fid);    /* clunked even when the remove failed */
    return err;
}
