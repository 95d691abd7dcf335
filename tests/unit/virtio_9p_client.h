/* A small 9P2000.L test client for the server tests: message builders
 * (T), reply readers (R) and one call per operation.  Shared by
 * virtio_9p.c, virtio_9p_wire.c, virtio_9p_confine.c and virtio_9p_limits.c. */
#ifndef VIRTIO_9P_CLIENT_H
#define VIRTIO_9P_CLIENT_H
#include "virtio/9p.h"
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

enum {
    Tlerror = 6, Rlerror, Tstatfs = 8, Rstatfs, Tlopen = 12, Rlopen, Tlcreate = 14, Rlcreate,
    Tsymlink = 16, Rsymlink, Tmknod = 18, Rmknod, Trename = 20, Rrename, Treadlink = 22, Rreadlink,
    Tgetattr = 24, Rgetattr, Tsetattr = 26, Rsetattr, Txattrwalk = 30, Rxattrwalk,
    Txattrcreate = 32, Rxattrcreate, Treaddir = 40, Rreaddir, Tfsync = 50, Rfsync,
    Tlock = 52, Rlock, Tgetlock = 54, Rgetlock, Tlink = 70, Rlink, Tmkdir = 72, Rmkdir,
    Trenameat = 74, Rrenameat, Tunlinkat = 76, Runlinkat, Tversion = 100, Rversion,
    Tauth = 102, Tattach = 104, Rattach, Tflush = 108, Rflush, Twalk = 110, Rwalk,
    Tread = 116, Rread, Twrite = 118, Rwrite, Tclunk = 120, Rclunk, Tremove = 122, Rremove,
};
#define NOFID 0xffffffffu
#define TAG 0x1234
#define BUFSZ (P9_MAX_MSIZE + 4096)

static __thread uint8_t tb[BUFSZ], rb[BUFSZ];
struct T { size_t n; };
struct R { size_t n, pos; uint8_t type; uint16_t tag; };
struct qid { uint8_t type; uint32_t version; uint64_t path; };

static void p8(struct T *t, uint8_t v) { ck_assert_uint_lt(t->n, BUFSZ); tb[t->n++] = v; }
static void p16(struct T *t, uint16_t v) { p8(t, (uint8_t)v); p8(t, (uint8_t)(v >> 8)); }
static void p32(struct T *t, uint32_t v) { p16(t, (uint16_t)v); p16(t, (uint16_t)(v >> 16)); }
static void p64(struct T *t, uint64_t v) { p32(t, (uint32_t)v); p32(t, (uint32_t)(v >> 32)); }
static void pstr(struct T *t, const char *s)
{
    size_t l = strlen(s);
    p16(t, (uint16_t)l);
    ck_assert_uint_lt(t->n + l, BUFSZ);
    memcpy(tb + t->n, s, l);
    t->n += l;
}
static struct T tbegin(uint8_t type)
{
    struct T t = { 0 };
    p32(&t, 0);
    p8(&t, type);
    p16(&t, TAG);
    return t;
}
static void tend(struct T *t)
{
    tb[0] = (uint8_t)t->n; tb[1] = (uint8_t)(t->n >> 8);
    tb[2] = (uint8_t)(t->n >> 16); tb[3] = (uint8_t)(t->n >> 24);
}

static uint8_t g8(struct R *r) { ck_assert_uint_lt(r->pos, r->n); return rb[r->pos++]; }
static uint16_t g16(struct R *r) { uint16_t a = g8(r); return (uint16_t)(a | g8(r) << 8); }
static uint32_t g32(struct R *r) { uint32_t a = g16(r); return a | (uint32_t)g16(r) << 16; }
static uint64_t g64(struct R *r) { uint64_t a = g32(r); return a | (uint64_t)g32(r) << 32; }
static void gstr(struct R *r, char *dst, size_t cap)
{
    uint16_t l = g16(r);
    ck_assert_uint_le(r->pos + l, r->n);
    ck_assert_uint_lt(l, cap);
    memcpy(dst, rb + r->pos, l);
    dst[l] = 0;
    r->pos += l;
}
static struct qid gqid(struct R *r)
{
    struct qid q;
    q.type = g8(r);
    q.version = g32(r);
    q.path = g64(r);
    return q;
}

/* Checks the reply frame; returns 0 for the matching R-message, the errno of
 * an Rlerror (with the whole Rlerror consumed). */
static int decode_reply(struct R *r, size_t len, uint8_t ttype, uint16_t tag)
{
    ck_assert_uint_ge(len, 7);
    r->n = len;
    r->pos = 0;
    ck_assert_uint_eq(g32(r), len);
    r->type = g8(r);
    r->tag = g16(r);
    ck_assert_uint_eq(r->tag, tag);
    if (r->type == Rlerror) {
        ck_assert_uint_eq(len, 11);
        int e = (int)g32(r);
        ck_assert_int_ne(e, 0);
        return e;
    }
    ck_assert_uint_eq(r->type, ttype + 1);
    return 0;
}

/* Sends tb[0..n) (size field as encoded) in chunks of `chunk` bytes
 * (0: one buffer) and receives into rb split the same way. */
static int rpc_n(struct p9_server *s, size_t n, size_t chunk, struct R *r)
{
    static __thread struct iovec in[4096], out[4096];
    int nin = 0, nout = 0;
    size_t c = chunk ? chunk : BUFSZ;
    for (size_t off = 0; off < n; off += c, nin++) {
        ck_assert_int_lt(nin, 4096);
        in[nin].iov_base = tb + off;
        in[nin].iov_len = n - off < c ? n - off : c;
    }
    size_t ocap = chunk ? c * 4096 < BUFSZ ? c * 4096 : BUFSZ : BUFSZ;
    for (size_t off = 0; off < ocap; off += c, nout++) {
        out[nout].iov_base = rb + off;
        out[nout].iov_len = ocap - off < c ? ocap - off : c;
    }
    memset(rb, 0xee, 64);
    size_t len = p9_handle(s, in, nin, out, nout);
    return decode_reply(r, len, tb[4], (uint16_t)(tb[5] | tb[6] << 8));
}

static int rpc(struct p9_server *s, struct T *t, struct R *r)
{
    tend(t);
    return rpc_n(s, t->n, 0, r);
}

/* A call whose reply has no body. */
static int rpc_done(struct p9_server *s, struct T *t)
{
    struct R r;
    int e = rpc(s, t, &r);
    if (!e)
        ck_assert_uint_eq(r.pos, r.n);
    return e;
}

/* A call whose reply is one qid of type qtype. */
static int rpc_qid(struct p9_server *s, struct T *t, uint8_t qtype)
{
    struct R r;
    int e = rpc(s, t, &r);
    if (!e) {
        ck_assert_uint_eq(gqid(&r).type, qtype);
        ck_assert_uint_eq(r.pos, r.n);
    }
    return e;
}

static int c_version(struct p9_server *s, uint32_t msize, const char *ver, uint32_t *gotm, char *gotv)
{
    struct T t = tbegin(Tversion);
    struct R r;
    p32(&t, msize);
    pstr(&t, ver);
    int e = rpc(s, &t, &r);
    if (!e) {
        *gotm = g32(&r);
        gstr(&r, gotv, 64);
        ck_assert_uint_eq(r.pos, r.n);
    }
    return e;
}

static int c_attach(struct p9_server *s, uint32_t fid, uint32_t uid, struct qid *q)
{
    struct T t = tbegin(Tattach);
    struct R r;
    p32(&t, fid);
    p32(&t, NOFID);
    pstr(&t, "root");
    pstr(&t, "");
    p32(&t, uid);
    int e = rpc(s, &t, &r);
    if (!e) {
        struct qid x = gqid(&r);
        if (q)
            *q = x;
        ck_assert_uint_eq(r.pos, r.n);
    }
    return e;
}

/* Returns -errno for Rlerror, else the number of qids. */
static int c_walkv(struct p9_server *s, uint32_t fid, uint32_t newfid, int n, const char **names, struct qid *qids)
{
    struct T t = tbegin(Twalk);
    struct R r;
    p32(&t, fid);
    p32(&t, newfid);
    p16(&t, (uint16_t)n);
    for (int i = 0; i < n; i++)
        pstr(&t, names[i]);
    int e = rpc(s, &t, &r);
    if (e)
        return -e;
    int k = g16(&r);
    ck_assert_int_le(k, n);
    for (int i = 0; i < k; i++) {
        struct qid q = gqid(&r);
        if (qids)
            qids[i] = q;
    }
    ck_assert_uint_eq(r.pos, r.n);
    return k;
}

/* Walk along "a/b/c" ("" clones); 0 when complete, else errno (or EIO for partial). */
static int c_walk(struct p9_server *s, uint32_t fid, uint32_t newfid, const char *path, struct qid *last)
{
    char buf[1024];
    const char *names[16];
    int n = 0;
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = strtok(buf, "/"); p; p = strtok(NULL, "/"))
        names[n++] = p;
    struct qid qids[16];
    int k = c_walkv(s, fid, newfid, n, names, qids);
    if (k < 0)
        return -k;
    if (k != n)
        return EIO;
    if (last && n)
        *last = qids[n - 1];
    return 0;
}

static int c_fid1(struct p9_server *s, uint8_t type, uint32_t fid)
{
    struct T t = tbegin(type);
    struct R r;
    p32(&t, fid);
    int e = rpc(s, &t, &r);
    if (!e && type != Treadlink && type != Tstatfs)
        ck_assert_uint_eq(r.pos, r.n);
    return e;
}
#define c_clunk(s, f) c_fid1(s, Tclunk, f)
#define c_remove(s, f) c_fid1(s, Tremove, f)

static int c_lopen(struct p9_server *s, uint32_t fid, uint32_t flags)
{
    struct T t = tbegin(Tlopen);
    struct R r;
    p32(&t, fid);
    p32(&t, flags);
    int e = rpc(s, &t, &r);
    if (!e) {
        gqid(&r);
        g32(&r);
        ck_assert_uint_eq(r.pos, r.n);
    }
    return e;
}

static int c_lcreate(struct p9_server *s, uint32_t fid, const char *name, uint32_t flags, uint32_t mode, uint32_t gid)
{
    struct T t = tbegin(Tlcreate);
    struct R r;
    p32(&t, fid);
    pstr(&t, name);
    p32(&t, flags);
    p32(&t, mode);
    p32(&t, gid);
    int e = rpc(s, &t, &r);
    if (!e) {
        struct qid q = gqid(&r);
        ck_assert_uint_eq(q.type, 0);
        g32(&r);
        ck_assert_uint_eq(r.pos, r.n);
    }
    return e;
}

/* Returns bytes written or -errno. */
static long c_write(struct p9_server *s, uint32_t fid, uint64_t off, const void *data, uint32_t len)
{
    struct T t = tbegin(Twrite);
    struct R r;
    p32(&t, fid);
    p64(&t, off);
    p32(&t, len);
    ck_assert_uint_le(t.n + len, BUFSZ);
    memcpy(tb + t.n, data, len);
    t.n += len;
    int e = rpc(s, &t, &r);
    if (e)
        return -e;
    long n = g32(&r);
    ck_assert_uint_eq(r.pos, r.n);
    return n;
}

/* Returns bytes read (copied to dst) or -errno. */
static long c_read(struct p9_server *s, uint32_t fid, uint64_t off, uint32_t count, void *dst)
{
    struct T t = tbegin(Tread);
    struct R r;
    p32(&t, fid);
    p64(&t, off);
    p32(&t, count);
    int e = rpc(s, &t, &r);
    if (e)
        return -e;
    uint32_t n = g32(&r);
    ck_assert_uint_eq(r.pos + n, r.n);
    ck_assert_uint_le(n, count);
    memcpy(dst, rb + r.pos, n);
    return n;
}

static int c_mkdir(struct p9_server *s, uint32_t dfid, const char *name, uint32_t mode, uint32_t gid)
{
    struct T t = tbegin(Tmkdir);
    p32(&t, dfid);
    pstr(&t, name);
    p32(&t, mode);
    p32(&t, gid);
    return rpc_qid(s, &t, 0x80);
}

static int c_symlink(struct p9_server *s, uint32_t dfid, const char *name, const char *target, uint32_t gid)
{
    struct T t = tbegin(Tsymlink);
    p32(&t, dfid);
    pstr(&t, name);
    pstr(&t, target);
    p32(&t, gid);
    return rpc_qid(s, &t, 0x02);
}

static int c_mknod(struct p9_server *s, uint32_t dfid, const char *name, uint32_t mode, uint32_t maj, uint32_t min)
{
    struct T t = tbegin(Tmknod);
    struct R r;
    p32(&t, dfid);
    pstr(&t, name);
    p32(&t, mode);
    p32(&t, maj);
    p32(&t, min);
    p32(&t, 0);
    int e = rpc(s, &t, &r);
    if (!e) {
        gqid(&r);
        ck_assert_uint_eq(r.pos, r.n);
    }
    return e;
}

static int c_link(struct p9_server *s, uint32_t dfid, uint32_t fid, const char *name)
{
    struct T t = tbegin(Tlink);
    p32(&t, dfid);
    p32(&t, fid);
    pstr(&t, name);
    return rpc_done(s, &t);
}

static int c_rename(struct p9_server *s, uint32_t fid, uint32_t dfid, const char *name)
{
    struct T t = tbegin(Trename);
    p32(&t, fid);
    p32(&t, dfid);
    pstr(&t, name);
    return rpc_done(s, &t);
}

static int c_renameat(struct p9_server *s, uint32_t ofid, const char *on, uint32_t nfid, const char *nn)
{
    struct T t = tbegin(Trenameat);
    p32(&t, ofid);
    pstr(&t, on);
    p32(&t, nfid);
    pstr(&t, nn);
    return rpc_done(s, &t);
}

static int c_unlinkat(struct p9_server *s, uint32_t dfid, const char *name, uint32_t flags)
{
    struct T t = tbegin(Tunlinkat);
    p32(&t, dfid);
    pstr(&t, name);
    p32(&t, flags);
    return rpc_done(s, &t);
}

#define SA_MODE 0x1
#define SA_UID 0x2
#define SA_GID 0x4
#define SA_SIZE 0x8
#define SA_ATIME 0x10
#define SA_MTIME 0x20
#define SA_ATIME_SET 0x80
#define SA_MTIME_SET 0x100
static int c_setattr(struct p9_server *s, uint32_t fid, uint32_t valid, uint32_t mode, uint32_t uid,
                     uint32_t gid, uint64_t size, uint64_t at, uint64_t mt)
{
    struct T t = tbegin(Tsetattr);
    p32(&t, fid);
    p32(&t, valid);
    p32(&t, mode);
    p32(&t, uid);
    p32(&t, gid);
    p64(&t, size);
    p64(&t, at);
    p64(&t, 5);
    p64(&t, mt);
    p64(&t, 7);
    return rpc_done(s, &t);
}

struct gattr {
    struct qid qid;
    uint32_t mode, uid, gid;
    uint64_t nlink, rdev, size, mtime;
};
static int c_getattr(struct p9_server *s, uint32_t fid, struct gattr *a)
{
    struct T t = tbegin(Tgetattr);
    struct R r;
    p32(&t, fid);
    p64(&t, 0x7ff);
    int e = rpc(s, &t, &r);
    if (e)
        return e;
    ck_assert_uint_eq(g64(&r) & 0x7ff, 0x7ff);
    a->qid = gqid(&r);
    a->mode = g32(&r);
    a->uid = g32(&r);
    a->gid = g32(&r);
    a->nlink = g64(&r);
    a->rdev = g64(&r);
    a->size = g64(&r);
    g64(&r);
    g64(&r);
    g64(&r);
    g64(&r);
    a->mtime = g64(&r);
    for (int i = 0; i < 7; i++)
        g64(&r);
    ck_assert_uint_eq(r.pos, r.n);
    return 0;
}

static int c_readlink(struct p9_server *s, uint32_t fid, char *dst, size_t cap)
{
    struct T t = tbegin(Treadlink);
    struct R r;
    p32(&t, fid);
    int e = rpc(s, &t, &r);
    if (!e) {
        gstr(&r, dst, cap);
        ck_assert_uint_eq(r.pos, r.n);
    }
    return e;
}

/* Reads a whole directory with replies of at most `count` bytes; names are
 * appended to out separated by '\n'; returns the number of entries or -errno. */
__attribute__((unused)) static int c_readdir_all(struct p9_server *s, uint32_t fid, uint32_t count, char *out, size_t cap)
{
    uint64_t off = 0;
    int total = 0;
    out[0] = 0;
    for (int rounds = 0; rounds < 100000; rounds++) {
        struct T t = tbegin(Treaddir);
        struct R r;
        p32(&t, fid);
        p64(&t, off);
        p32(&t, count);
        int e = rpc(s, &t, &r);
        if (e)
            return -e;
        uint32_t n = g32(&r);
        ck_assert_uint_le(n, count);
        ck_assert_uint_eq(r.pos + n, r.n);
        if (!n)
            return total;
        while (r.pos < r.n) {   /* whole entries only */
            gqid(&r);
            off = g64(&r);
            g8(&r);
            char name[256];
            gstr(&r, name, sizeof(name));
            ck_assert_uint_lt(strlen(out) + strlen(name) + 2, cap);
            strcat(out, name);
            strcat(out, "\n");
            total++;
        }
    }
    ck_abort_msg("readdir never ended");
    return -1;
}

/* ---- host-side helpers ---------------------------------------------- */

/* What the test wrote to stderr, redirected to the file fd. */
__attribute__((unused)) static size_t stderr_text(int fd, char *buf, size_t cap)
{
    fflush(stderr);
    ssize_t n = pread(fd, buf, cap - 1, 0);
    ck_assert_int_ge(n, 0);
    buf[n] = 0;
    return (size_t)n;
}

static void put_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(content, f);
    fclose(f);
}

static char *slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static void rm_rf(const char *path)
{
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
    ck_assert_int_eq(system(cmd), 0);
}

/* A server on dir (read-only if ro), with Tversion and Tattach (fid 0,
 * uid 0) done. */
__attribute__((unused)) static struct p9_server *c_start(const char *dir, bool ro)
{
    char err[256] = "";
    struct p9_server *s = p9_server_new(dir, ro, err, sizeof(err));
    ck_assert_msg(s != NULL, "%s", err);
    uint32_t m;
    char v[64];
    ck_assert_int_eq(c_version(s, P9_MAX_MSIZE, "9P2000.L", &m, v), 0);
    ck_assert_int_eq(c_attach(s, 0, 0, NULL), 0);
    return s;
}

#endif
