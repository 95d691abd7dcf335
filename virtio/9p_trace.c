/* Tracing of the 9P server (MINIVMM_TRACE_9P, docs/9p.md): "1" prints a
 * line per request and per error reply on stderr as it happens; "ring"
 * keeps the last TRACE_RING records in memory and prints them when the
 * server is freed. */
#include "virtio/9p_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void p9_trace_start(struct p9_server *s)
{
    const char *tr = getenv("MINIVMM_TRACE_9P");
    s->trace = tr && *tr && strcmp(tr, "0") != 0;
    if (s->trace && !strcmp(tr, "ring") && (s->ring = calloc(TRACE_RING, sizeof(*s->ring))))
        s->trace = false;       /* (without the memory: the line-by-line trace) */
}

void p9_trace_request(struct p9_server *s, const struct p9_rbuf *body, uint16_t tag, uint8_t type)
{
    if (s->trace || s->ring) {  /* the first two words: fid (and newfid, ...) */
        struct p9_rbuf t = *body;
        uint32_t a = p9_get32(&t), b = p9_get32(&t);
        trace(s, (struct trace_rec){ .a = a, .b = b, .err = -1, .tag = tag, .type = type });
    }
}

void p9_trace_error(struct p9_server *s, const struct iovec *in, int nin, size_t inlen, int err,
                    uint16_t tag, uint8_t type)
{
    if (s->trace || s->ring) {
        struct trace_rec t = { .err = err, .tag = tag, .type = type, .nin = (uint16_t)nin,
                               .inlen = inlen > UINT32_MAX ? UINT32_MAX : (uint32_t)inlen };
        struct p9_rbuf r;
        t.nhead = (uint8_t)(inlen < sizeof(t.head) ? inlen : sizeof(t.head));
        p9_rbuf_init(&r, in, nin, t.nhead);
        p9_get_bytes(&r, t.head, t.nhead);
        trace(s, t);
    }
}

void p9_trace_stop(struct p9_server *s)
{
    if (s->ring) {
        uint64_t end = atomic_load(&s->ring_next);
        for (uint64_t i = end > TRACE_RING ? end - TRACE_RING : 0; i < end; i++)
            trace_print(&s->ring[i % TRACE_RING]);
        free(s->ring);
        s->ring = NULL;
    }
}
