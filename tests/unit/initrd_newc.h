/* A small, independent reader of cpio "newc" archives for the tests and
 * the fuzz target: it checks the structure the kernel's unpacker relies on
 * (magic, hex fields, NUL-terminated names, 4-byte padding with zero bytes,
 * exactly one TRAILER!!! and nothing after it) and lists the entries. */
#ifndef INITRD_NEWC_H
#define INITRD_NEWC_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct newc_ent {
    const char *name;               /* points into the archive */
    uint32_t ino, mode, uid, gid, nlink, mtime, size, rmajor, rminor;
    const unsigned char *data;      /* size bytes */
};

struct newc {
    struct newc_ent *v;             /* entries before the trailer */
    size_t n;
    char why[160];                  /* set when newc_parse fails */
};

static int newc_hex(const unsigned char *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        unsigned c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

static int newc_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* Parses buf[0..len).  Returns 0 and fills a (free with newc_free), or -1
 * with a->why set. */
static int newc_parse(const unsigned char *buf, size_t len, struct newc *a)
{
    memset(a, 0, sizeof *a);
    size_t off = 0, cap = 0;
    for (;;) {
        if (len - off < 110) {
            snprintf(a->why, sizeof a->why, "offset %zu: truncated header (no trailer)", off);
            return -1;
        }
        const unsigned char *h = buf + off;
        if (memcmp(h, "070701", 6)) {
            snprintf(a->why, sizeof a->why, "offset %zu: bad magic", off);
            return -1;
        }
        uint32_t f[13];
        for (int i = 0; i < 13; i++)
            if (newc_hex(h + 6 + 8 * i, &f[i]) < 0) {
                snprintf(a->why, sizeof a->why, "offset %zu: field %d not hex", off, i);
                return -1;
            }
        uint32_t namesize = f[11];
        if (namesize < 2 || namesize > len - off - 110) {
            snprintf(a->why, sizeof a->why, "offset %zu: bad namesize %u", off, namesize);
            return -1;
        }
        const char *name = (const char *)h + 110;
        if (name[namesize - 1] || memchr(name, 0, namesize - 1)) {
            snprintf(a->why, sizeof a->why, "offset %zu: name not a NUL-terminated string", off);
            return -1;
        }
        size_t hend = off + 110 + namesize, dstart = (hend + 3) & ~(size_t)3;
        if (dstart > len || !newc_zero(buf + hend, dstart - hend)) {
            snprintf(a->why, sizeof a->why, "%s: bad padding after the name", name);
            return -1;
        }
        uint32_t size = f[6];
        if (size > len - dstart) {
            snprintf(a->why, sizeof a->why, "%s: data beyond the end", name);
            return -1;
        }
        size_t dend = dstart + size, next = (dend + 3) & ~(size_t)3;
        if (next > len || !newc_zero(buf + dend, next - dend)) {
            snprintf(a->why, sizeof a->why, "%s: bad padding after the data", name);
            return -1;
        }
        if (!strcmp(name, "TRAILER!!!")) {
            if (next != len) {
                snprintf(a->why, sizeof a->why, "%zu bytes after the trailer", len - next);
                return -1;
            }
            return 0;
        }
        if (a->n == cap) {
            cap = cap ? 2 * cap : 16;
            struct newc_ent *nv = realloc(a->v, cap * sizeof *nv);
            if (!nv) {
                snprintf(a->why, sizeof a->why, "out of memory");
                return -1;
            }
            a->v = nv;
        }
        a->v[a->n++] = (struct newc_ent){
            .name = name, .ino = f[0], .mode = f[1], .uid = f[2], .gid = f[3],
            .nlink = f[4], .mtime = f[5], .size = size, .rmajor = f[9], .rminor = f[10],
            .data = buf + dstart,
        };
        off = next;
    }
}

static void newc_free(struct newc *a)
{
    free(a->v);
    memset(a, 0, sizeof *a);
}

static const struct newc_ent *newc_find(const struct newc *a, const char *name)
{
    for (size_t i = 0; i < a->n; i++)
        if (!strcmp(a->v[i].name, name))
            return &a->v[i];
    return NULL;
}
#endif
