/* The 9P2000.L server (virtio/9p.h): a request in, a reply out.  This part
 * reads the header, dispatches to the operations, answers the session
 * messages, locks and xattrs itself, and makes and frees the server.  The
 * other parts are listed in 9p_int.h; see docs/9p.md. */
#include "virtio/9p_int.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <unistd.h>

char *p9_req_str(struct p9_req *q)
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
int p9_decoded(struct p9_req *q)
{
    if (q->r.bad || q->r.left)
        return EPROTO;
    return q->strnul ? EINVAL : 0;
}

int p9_decoded_name(struct p9_req *q, const char *name)
{
    int err = p9_decoded(q);
    if (!err && q->s->readonly)
        err = EROFS;
    return err ? err : p9_check_name(name);
}

static int p9_t_version(struct p9_req *q)
{
    uint32_t msize = p9_get32(&q->r);
    const char *v = p9_req_str(q);
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
    p9_fid_clunk_all(q->s);     /* a new session starts */
    atomic_store(&q->s->msize, msize);
    p9_put_str(&q->w, "9P2000.L", 8);
    return 0;
}

static int p9_t_attach(struct p9_req *q)
{
    uint32_t fid = p9_get32(&q->r), afid = p9_get32(&q->r);
    p9_req_str(q);              /* uname */
    p9_req_str(q);              /* aname: the export is the only tree */
    uint32_t uid = p9_get32(&q->r);
    DECODED(q);
    if (afid != P9_NOFID)
        return EINVAL;          /* no authentication */
    struct stat st;
    if (fstat(q->s->root->fd, &st))
        return errno;
    int err = p9_fid_add(q->s, fid, p9_node_ref(q->s->root), uid);
    if (err) {
        p9_node_put(q->s->root);
        return err;
    }
    struct p9_qid qid = p9_qid_of(q->s, &st);
    p9_put_qid(&q->w, &qid);
    return 0;
}

static int p9_t_flush(struct p9_req *q)
{
    p9_get16(&q->r);            /* the transport answers earlier requests first */
    DECODED(q);
    return 0;
}

static int p9_t_clunk(struct p9_req *q)
{
    uint32_t fid = p9_get32(&q->r);
    DECODED(q);
    return p9_fid_clunk(q->s, fid);
}

static int p9_t_lock(struct p9_req *q)
{
    uint32_t fid = p9_get32(&q->r);
    uint8_t type = p9_get8(&q->r);
    p9_get32(&q->r);            /* flags */
    p9_get64(&q->r);            /* start */
    p9_get64(&q->r);            /* length */
    p9_get32(&q->r);            /* proc_id */
    p9_req_str(q);              /* client_id */
    DECODED(q);
    if (type > P9_LOCK_TYPE_UNLCK)
        return EINVAL;
    int err = p9_fid_known(q->s, fid);
    if (err)
        return err;
    /* Locks are arbitrated by the guest kernel (see docs/9p.md). */
    p9_put8(&q->w, P9_LOCK_SUCCESS);
    return 0;
}

static int p9_t_getlock(struct p9_req *q)
{
    uint32_t fid = p9_get32(&q->r);
    uint8_t type = p9_get8(&q->r);
    uint64_t start = p9_get64(&q->r), len = p9_get64(&q->r);
    uint32_t pid = p9_get32(&q->r);
    const char *cid = p9_req_str(q);
    DECODED(q);
    if (type > P9_LOCK_TYPE_UNLCK)
        return EINVAL;
    int err = p9_fid_known(q->s, fid);
    if (err)
        return err;
    p9_put8(&q->w, P9_LOCK_TYPE_UNLCK);     /* no conflicting lock */
    p9_put64(&q->w, start);
    p9_put64(&q->w, len);
    p9_put32(&q->w, pid);
    p9_put_str(&q->w, cid, strlen(cid));
    return 0;
}

static int p9_t_xattrwalk(struct p9_req *q)
{
    uint32_t fid = p9_get32(&q->r);
    p9_get32(&q->r);            /* newfid */
    p9_req_str(q);
    DECODED(q);
    int err = p9_fid_known(q->s, fid);
    return err ? err : EOPNOTSUPP;
}

static int p9_t_xattrcreate(struct p9_req *q)
{
    uint32_t fid = p9_get32(&q->r);
    p9_req_str(q);
    p9_get64(&q->r);            /* attr_size */
    p9_get32(&q->r);            /* flags */
    DECODED(q);
    RO(q);
    int err = p9_fid_known(q->s, fid);
    return err ? err : EOPNOTSUPP;
}

static int dispatch(struct p9_req *q, uint8_t type)
{
    switch (type) {
    case P9_TVERSION: return p9_t_version(q);
    case P9_TATTACH: return p9_t_attach(q);
    case P9_TFLUSH: return p9_t_flush(q);
    case P9_TWALK: return p9_t_walk(q);
    case P9_TCLUNK: return p9_t_clunk(q);
    case P9_TREMOVE: return p9_t_remove(q);
    case P9_TLOPEN: return p9_t_lopen(q);
    case P9_TLCREATE: return p9_t_lcreate(q);
    case P9_TREAD: return p9_t_read(q);
    case P9_TWRITE: return p9_t_write(q);
    case P9_TREADDIR: return p9_t_readdir(q);
    case P9_TFSYNC: return p9_t_fsync(q);
    case P9_TGETATTR: return p9_t_getattr(q);
    case P9_TSETATTR: return p9_t_setattr(q);
    case P9_TREADLINK: return p9_t_readlink(q);
    case P9_TSTATFS: return p9_t_statfs(q);
    case P9_TMKDIR: return p9_t_mkdir(q);
    case P9_TSYMLINK: return p9_t_symlink(q);
    case P9_TMKNOD: return p9_t_mknod(q);
    case P9_TLINK: return p9_t_link(q);
    case P9_TRENAME: return p9_t_rename(q);
    case P9_TRENAMEAT: return p9_t_renameat(q);
    case P9_TUNLINKAT: return p9_t_unlinkat(q);
    case P9_TLOCK: return p9_t_lock(q);
    case P9_TGETLOCK: return p9_t_getlock(q);
    case P9_TXATTRWALK: return p9_t_xattrwalk(q);
    case P9_TXATTRCREATE: return p9_t_xattrcreate(q);
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
    struct p9_req q = { .s = s, .out = out, .nout = nout };
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
            p9_trace_request(s, &q.r, tag, type);
            err = dispatch(&q, type);
        }
    }
    for (int i = 0; i < q.nstr; i++)
        free(q.strs[i]);
    if (!err && q.w.over)
        err = EMSGSIZE;         /* the reply does not fit the guest's buffers */
    uint8_t rtype = (uint8_t)(type + 1);
    if (err)
        p9_trace_error(s, in, nin, inlen, err, tag, type);
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
    s->root = p9_node_new(fd, p9_ent_new(NULL, "", &s->ent_mem));
    if (!s->root) {
        snprintf(err, errlen, "9p: out of memory");
        goto fail;
    }
    s->procfd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (s->procfd < 0) {
        snprintf(err, errlen, "9p: cannot open /proc/self/fd (is /proc mounted?): %s", strerror(errno));
        goto fail;
    }
    if (p9_openat2_works(fd) < 0) {
        snprintf(err, errlen, "9p: openat2 unavailable (Linux >= 5.6 needed): %s", strerror(errno));
        goto fail;
    }
    s->readonly = readonly;
    p9_trace_start(s);
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
    p9_node_put(s->root);
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
    p9_trace_stop(s);           /* the workers have stopped */
    p9_fid_clunk_all(s);
    p9_node_put(s->root);
    close(s->procfd);
    pthread_mutex_destroy(&s->tlock);
    free(s);
}
