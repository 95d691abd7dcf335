/* 9P2000.L message encoding for the tiny guest: little-endian fields,
 * size[4] type[1] tag[2] then the body (layouts as in virtio/9p_msg.h). */
#ifndef TINYGUEST_P9MSG_H
#define TINYGUEST_P9MSG_H
#include <stdint.h>
#include "vq.h"

enum {
    RLERROR = 7, TLOPEN = 12, TLCREATE = 14, TREADDIR = 40, TMKDIR = 72, TVERSION = 100,
    TATTACH = 104, TWALK = 110, TREAD = 116, TWRITE = 118, TCLUNK = 120, TREMOVE = 122,
};
#define NOFID 0xffffffffu

struct msg { uint8_t *b; uint32_t n; };

static inline void put(struct msg *m, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        m->b[m->n++] = (uint8_t)(v >> (8 * i));
}
static inline void put_str(struct msg *m, const char *s)
{
    uint32_t n = 0;
    while (s[n])
        n++;
    put(m, n, 2);
    for (uint32_t i = 0; i < n; i++)
        m->b[m->n++] = (uint8_t)s[i];
}
/* Starts a message in slot's request buffer. */
static inline struct msg begin(int slot, uint8_t type, uint16_t tag)
{
    struct msg m = { vq_req(slot), 4 };
    put(&m, type, 1);
    put(&m, tag, 2);
    return m;
}
/* Writes the size field; returns the length. */
static inline uint32_t finish(struct msg *m)
{
    struct msg s = { m->b, 0 };
    put(&s, m->n, 4);
    return m->n;
}
static inline uint32_t le(const uint8_t *p, int bytes)
{
    uint32_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}
#endif
