/* Path resolution and confinement of the 9P server: the security boundary.
 * Every name the guest sends is checked here (p9_check_name) before any
 * host call uses it; every lookup and every openat2() of the server is
 * here (walk, "..", the parent of a fid, a new entry, re-opening for I/O).
 * The operations in 9p_ops_*.c only pass a checked single component to the
 * functions here or to *at() calls relative to a node's descriptor that do
 * not follow a trailing symlink (mkdirat, symlinkat, mknodat, linkat,
 * renameat, unlinkat).  A reviewer who reads this file knows what the guest
 * can reach.
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
#include "virtio/9p_int.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RESOLVE_STRICT (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

/* Every openat2() of the server: beneath dirfd, through no symlink and no
 * /proc magic link. */
static int openat2_strict(int dirfd, const char *name, int flags, mode_t mode)
{
    struct open_how how = { .flags = (uint64_t)flags, .mode = mode, .resolve = RESOLVE_STRICT };
    return (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
}

int p9_openat2_works(int rootfd)
{
    int fd = openat2_strict(rootfd, ".", O_PATH | O_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

int p9_lookup(const struct node *dir, const char *name)
{
    return openat2_strict(dir->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
}

int p9_create(const struct node *dir, const char *name, int flags, mode_t mode)
{
    return openat2_strict(dir->fd, name, flags | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
}

void p9_fdname(int fd, char buf[16])
{
    snprintf(buf, 16, "%d", fd);
}

/* Opens the very inode behind an O_PATH descriptor (never a path lookup). */
int p9_reopen(struct p9_server *s, int pfd, int flags)
{
    char nm[16];
    p9_fdname(pfd, nm);
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

struct node *p9_node_child(struct p9_server *s, int fd, struct node *parent, const char *name)
{
    return p9_node_new(fd, p9_ent_new(parent->ent, name, &s->ent_mem));
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
        int nfd = openat2_strict(fd >= 0 ? fd : s->root->fd, path,
                              O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC, 0);
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

/* A lexical place that no longer resolves (a name on the way was removed,
 * or became a symlink or a file): for the guest it is gone. */
static int gone(int err)
{
    return err == ELOOP || err == ENOTDIR || err == EXDEV ? ENOENT : err;
}

int p9_check_name(const char *n)
{
    if (!n[0] || strchr(n, '/') || !strcmp(n, ".") || !strcmp(n, ".."))
        return EINVAL;
    if (strlen(n) > NAME_MAX)
        return ENAMETOOLONG;
    return 0;
}

/* One walk step from cur (a directory); returns a new reference. */
struct node *p9_walk_one(struct p9_server *s, struct node *cur, const char *name, int *err)
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
            return p9_node_ref(p ? s->root : cur);
        int fd = open_ent(s, p);
        if (fd < 0) {
            *err = gone(errno);
            return NULL;
        }
        atomic_fetch_add(&p->refs, 1);
        struct node *n = p9_node_new(fd, p);
        if (!n)
            *err = ENOMEM;
        return n;
    }
    /* Linux (v9fs_fid_lookup_with_uid, at least to 6.1) walks the root
     * dentry's own name, "/", from the root fid when two processes of one
     * uid make their first lookups at once: it means the root itself. */
    if (!strcmp(name, "/") && cur == s->root)
        return p9_node_ref(cur);
    if ((*err = p9_check_name(name)))
        return NULL;
    int fd = p9_lookup(cur, name);
    if (fd < 0) {
        *err = errno;
        return NULL;
    }
    struct node *n = p9_node_child(s, fd, cur, name);
    if (!n)
        *err = ENOMEM;
    return n;
}

/* Opens n's lexical parent and checks that its name there still names the
 * inode n holds (no symlink followed); returns the parent's descriptor, or
 * -1 with *err set (ENOENT when the name moved on). */
int p9_parent_of(struct p9_server *s, struct node *n, int *err)
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
