/* 9P2000.L wire encoding over scattered, hostile buffers.  Every read is
 * bounds-checked against the message length the caller established; the
 * guest's bytes are copied exactly once, so concurrent changes by the guest
 * cannot make a checked value differ from the used one. */
#include "virtio/9p_msg.h"

#include <stdlib.h>
#include <string.h>

size_t p9_iov_total(const struct iovec *iov, int n)
{
    size_t t = 0;
    for (int i = 0; i < n; i++) {
        if (iov[i].iov_len > SIZE_MAX - t)
            return SIZE_MAX;
        t += iov[i].iov_len;
    }
    return t;
}

void p9_rbuf_init(struct p9_rbuf *r, const struct iovec *iov, int niov, size_t len)
{
    r->iov = iov;
    r->niov = niov > 0 ? niov : 0;
    r->idx = 0;
    r->off = 0;
    r->left = len;
    r->bad = false;
}

/* Moves past buffers that are exhausted. */
static void rb_settle(struct p9_rbuf *r)
{
    while (r->idx < r->niov && r->off >= r->iov[r->idx].iov_len) {
        r->idx++;
        r->off = 0;
    }
}

void p9_get_bytes(struct p9_rbuf *r, void *dst, size_t n)
{
    uint8_t *d = dst;
    if (r->bad || n > r->left) {
        r->bad = true;
        memset(dst, 0, n);
        return;
    }
    r->left -= n;
    while (n) {
        rb_settle(r);
        if (r->idx >= r->niov) {        /* cannot happen: left <= total */
            r->bad = true;
            memset(d, 0, n);
            return;
        }
        size_t avail = r->iov[r->idx].iov_len - r->off;
        size_t k = n < avail ? n : avail;
        memcpy(d, (const uint8_t *)r->iov[r->idx].iov_base + r->off, k);
        d += k;
        n -= k;
        r->off += k;
    }
}

uint8_t p9_get8(struct p9_rbuf *r)
{
    uint8_t b[1];
    p9_get_bytes(r, b, 1);
    return b[0];
}

uint16_t p9_get16(struct p9_rbuf *r)
{
    uint8_t b[2];
    p9_get_bytes(r, b, 2);
    return (uint16_t)(b[0] | b[1] << 8);
}

uint32_t p9_get32(struct p9_rbuf *r)
{
    uint8_t b[4];
    p9_get_bytes(r, b, 4);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

uint64_t p9_get64(struct p9_rbuf *r)
{
    uint64_t lo = p9_get32(r);
    uint64_t hi = p9_get32(r);
    return lo | hi << 32;
}

char *p9_get_str(struct p9_rbuf *r, bool *nul)
{
    uint16_t n = p9_get16(r);
    if (r->bad || n > r->left) {
        r->bad = true;
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (!s) {
        r->bad = true;
        return NULL;
    }
    p9_get_bytes(r, s, n);
    s[n] = 0;
    if (memchr(s, 0, n))
        *nul = true;
    return s;
}

int p9_get_iov(struct p9_rbuf *r, size_t n, struct iovec *dst, int dstmax)
{
    if (r->bad || n > r->left) {
        r->bad = true;
        return -1;
    }
    int k = 0;
    size_t need = n;
    int idx = r->idx;
    size_t off = r->off;
    while (need) {
        while (idx < r->niov && off >= r->iov[idx].iov_len) {
            idx++;
            off = 0;
        }
        if (idx >= r->niov) {
            r->bad = true;
            return -1;
        }
        if (k >= dstmax)
            return -1;
        size_t avail = r->iov[idx].iov_len - off;
        size_t take = need < avail ? need : avail;
        dst[k].iov_base = (uint8_t *)r->iov[idx].iov_base + off;
        dst[k].iov_len = take;
        k++;
        need -= take;
        off += take;
    }
    r->idx = idx;
    r->off = off;
    r->left -= n;
    return k;
}

static bool wb_reserve(struct p9_wbuf *w, size_t n)
{
    if (w->over || n > w->limit || w->len > w->limit - n) {
        w->over = true;
        return false;
    }
    if (w->len + n > w->cap) {
        size_t nc = w->cap ? w->cap : 256;
        while (nc < w->len + n)
            nc *= 2;
        if (nc > w->limit)
            nc = w->limit;
        uint8_t *p = realloc(w->p, nc);
        if (!p) {
            w->over = true;
            return false;
        }
        w->p = p;
        w->cap = nc;
    }
    return true;
}

void p9_put_bytes(struct p9_wbuf *w, const void *src, size_t n)
{
    if (!wb_reserve(w, n))
        return;
    if (n)
        memcpy(w->p + w->len, src, n);
    w->len += n;
}

void p9_put8(struct p9_wbuf *w, uint8_t v)
{
    p9_put_bytes(w, &v, 1);
}

void p9_put16(struct p9_wbuf *w, uint16_t v)
{
    uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    p9_put_bytes(w, b, 2);
}

void p9_put32(struct p9_wbuf *w, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    p9_put_bytes(w, b, 4);
}

void p9_put64(struct p9_wbuf *w, uint64_t v)
{
    p9_put32(w, (uint32_t)v);
    p9_put32(w, (uint32_t)(v >> 32));
}

void p9_put_str(struct p9_wbuf *w, const char *s, size_t len)
{
    if (len > UINT16_MAX) {
        w->over = true;
        return;
    }
    p9_put16(w, (uint16_t)len);
    p9_put_bytes(w, s, len);
}

void p9_put_qid(struct p9_wbuf *w, const struct p9_qid *q)
{
    p9_put8(w, q->type);
    p9_put32(w, q->version);
    p9_put64(w, q->path);
}

void p9_patch32(struct p9_wbuf *w, size_t pos, uint32_t v)
{
    if (w->over || pos > w->len || w->len - pos < 4)
        return;
    w->p[pos] = (uint8_t)v;
    w->p[pos + 1] = (uint8_t)(v >> 8);
    w->p[pos + 2] = (uint8_t)(v >> 16);
    w->p[pos + 3] = (uint8_t)(v >> 24);
}

size_t p9_iov_copy_to(const struct iovec *iov, int niov, size_t off, const void *src, size_t n)
{
    const uint8_t *s = src;
    size_t done = 0;
    for (int i = 0; i < niov && done < n; i++) {
        size_t l = iov[i].iov_len;
        if (off >= l) {
            off -= l;
            continue;
        }
        size_t k = l - off;
        if (k > n - done)
            k = n - done;
        memcpy((uint8_t *)iov[i].iov_base + off, s + done, k);
        done += k;
        off = 0;
    }
    return done;
}

int p9_iov_slice(const struct iovec *iov, int niov, size_t off, size_t n, struct iovec *dst, int dstmax)
{
    int k = 0;
    for (int i = 0; i < niov && n; i++) {
        size_t l = iov[i].iov_len;
        if (off >= l) {
            off -= l;
            continue;
        }
        if (k >= dstmax)
            return -1;
        size_t take = l - off;
        if (take > n)
            take = n;
        dst[k].iov_base = (uint8_t *)iov[i].iov_base + off;
        dst[k].iov_len = take;
        k++;
        n -= take;
        off = 0;
    }
    return n ? -1 : k;
}
