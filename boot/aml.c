/* A small AML encoder (ACPI 6.x, section 20 "ACPI Machine Language
 * Specification") and ACPI resource descriptors (section 6.4). */
#include "boot/aml.h"

#include <string.h>

enum {
    AML_ZERO = 0x00, AML_ONE = 0x01, AML_NAME = 0x08, AML_BYTE = 0x0a,
    AML_WORD = 0x0b, AML_DWORD = 0x0c, AML_STRING = 0x0d, AML_QWORD = 0x0e,
    AML_SCOPE = 0x10, AML_BUFFER = 0x11, AML_PACKAGE = 0x12,
    AML_EXT = 0x5b, AML_EXT_DEVICE = 0x82,
    AML_ROOT = 0x5c, AML_DUAL_NAME = 0x2e, AML_MULTI_NAME = 0x2f,
};

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
    a->buf = buf;
    a->len = 0;
    a->cap = buf ? cap : 0;
    a->err = buf == NULL;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
    if (a->err)
        return;
    if (n > a->cap - a->len) {
        a->err = 1;
        return;
    }
    memcpy(a->buf + a->len, p, n);
    a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
    aml_bytes(a, &b, 1);
}

static void le(struct aml *a, uint64_t v, int n)
{
    uint8_t b[8];
    for (int i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    aml_bytes(a, b, (size_t)n);
}

static int lead_char(char c)
{
    return (c >= 'A' && c <= 'Z') || c == '_';
}

static int name_char(char c)
{
    return lead_char(c) || (c >= '0' && c <= '9');
}

void aml_namestring(struct aml *a, const char *path)
{
    char segs[4][4];
    int nseg = 0;
    int root = 0;

    if (a->err)
        return;
    if (!path) {
        a->err = 1;
        return;
    }
    if (*path == '\\') {
        root = 1;
        path++;
    }
    for (;;) {
        size_t n = strcspn(path, ".");
        if (n < 1 || n > 4 || nseg == 4 || !lead_char(path[0])) {
            a->err = 1;
            return;
        }
        for (size_t i = 0; i < 4; i++) {
            char c = i < n ? path[i] : '_';
            if (!name_char(c)) {
                a->err = 1;
                return;
            }
            segs[nseg][i] = c;
        }
        nseg++;
        path += n;
        if (*path == '\0')
            break;
        path++; /* '.' */
    }
    if (root)
        aml_byte(a, AML_ROOT);
    if (nseg == 2) {
        aml_byte(a, AML_DUAL_NAME);
    } else if (nseg > 2) {
        aml_byte(a, AML_MULTI_NAME);
        aml_byte(a, (uint8_t)nseg);
    }
    for (int i = 0; i < nseg; i++)
        aml_bytes(a, segs[i], 4);
}

void aml_integer(struct aml *a, uint64_t v)
{
    if (v == 0) {
        aml_byte(a, AML_ZERO);
    } else if (v == 1) {
        aml_byte(a, AML_ONE);
    } else if (v <= 0xff) {
        aml_byte(a, AML_BYTE);
        le(a, v, 1);
    } else if (v <= 0xffff) {
        aml_byte(a, AML_WORD);
        le(a, v, 2);
    } else if (v <= 0xffffffff) {
        aml_byte(a, AML_DWORD);
        le(a, v, 4);
    } else {
        aml_byte(a, AML_QWORD);
        le(a, v, 8);
    }
}

void aml_string(struct aml *a, const char *s)
{
    if (a->err)
        return;
    if (!s) {
        a->err = 1;
        return;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p > 0x7f) {
            a->err = 1;
            return;
        }
    }
    aml_byte(a, AML_STRING);
    aml_bytes(a, s, strlen(s) + 1);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void aml_eisaid(struct aml *a, const char *id)
{
    uint8_t b[4];
    int h[4];

    if (a->err)
        return;
    if (!id || strlen(id) != 7) {
        a->err = 1;
        return;
    }
    for (int i = 0; i < 3; i++) {
        if (id[i] < 'A' || id[i] > 'Z') {
            a->err = 1;
            return;
        }
    }
    for (int i = 0; i < 4; i++) {
        h[i] = hexval(id[3 + i]);
        if (h[i] < 0) {
            a->err = 1;
            return;
        }
    }
    /* Three 5-bit letters ('A' = 1), then the 16-bit product id, all big
     * endian; the result is stored as a little-endian DWord. */
    unsigned c1 = (unsigned)(id[0] - 0x40), c2 = (unsigned)(id[1] - 0x40),
             c3 = (unsigned)(id[2] - 0x40);
    b[0] = (uint8_t)((c1 << 2) | (c2 >> 3));
    b[1] = (uint8_t)(((c2 & 7) << 5) | c3);
    b[2] = (uint8_t)((h[0] << 4) | h[1]);
    b[3] = (uint8_t)((h[2] << 4) | h[3]);
    aml_byte(a, AML_DWORD);
    aml_bytes(a, b, 4);
}

void aml_name(struct aml *a, const char *path)
{
    aml_byte(a, AML_NAME);
    aml_namestring(a, path);
}

size_t aml_pkglen_encode(size_t content, uint8_t out[4])
{
    if (content + 1 <= 0x3f) {
        out[0] = (uint8_t)(content + 1);
        return 1;
    }
    for (size_t n = 2; n <= 4; n++) {
        size_t v = content + n;
        if (v < ((size_t)1 << (4 + 8 * (n - 1)))) {
            out[0] = (uint8_t)(((n - 1) << 6) | (v & 0x0f));
            for (size_t i = 1; i < n; i++)
                out[i] = (uint8_t)(v >> (4 + 8 * (i - 1)));
            return n;
        }
    }
    return 0;
}

void aml_end(struct aml *a, size_t mark)
{
    uint8_t pl[4];
    size_t n;

    if (a->err)
        return;
    if (mark > a->len) {
        a->err = 1;
        return;
    }
    n = aml_pkglen_encode(a->len - mark, pl);
    if (n == 0 || n > a->cap - a->len) {
        a->err = 1;
        return;
    }
    memmove(a->buf + mark + n, a->buf + mark, a->len - mark);
    memcpy(a->buf + mark, pl, n);
    a->len += n;
}

size_t aml_scope_begin(struct aml *a, const char *path)
{
    aml_byte(a, AML_SCOPE);
    size_t mark = a->len;
    aml_namestring(a, path);
    return mark;
}

size_t aml_device_begin(struct aml *a, const char *path)
{
    aml_byte(a, AML_EXT);
    aml_byte(a, AML_EXT_DEVICE);
    size_t mark = a->len;
    aml_namestring(a, path);
    return mark;
}

size_t aml_package_begin(struct aml *a, uint8_t nelems)
{
    aml_byte(a, AML_PACKAGE);
    size_t mark = a->len;
    aml_byte(a, nelems);
    return mark;
}

void aml_buffer(struct aml *a, const uint8_t *bytes, size_t n)
{
    aml_byte(a, AML_BUFFER);
    size_t mark = a->len;
    aml_integer(a, n);
    aml_bytes(a, bytes, n);
    aml_end(a, mark);
}

/* Resource descriptors. */

void aml_res_init(struct aml_res *r)
{
    r->n = 0;
    r->err = 0;
}

static void res_put(struct aml_res *r, const uint8_t *p, size_t n)
{
    if (r->err)
        return;
    if (n > sizeof(r->b) - r->n) {
        r->err = 1;
        return;
    }
    memcpy(r->b + r->n, p, n);
    r->n += n;
}

void aml_res_io(struct aml_res *r, uint16_t base, uint8_t len)
{
    /* Small item 0x08 (I/O port), 7 data bytes; info bit 0: 16-bit decode. */
    const uint8_t d[8] = { 0x47, 0x01, (uint8_t)base, (uint8_t)(base >> 8),
                           (uint8_t)base, (uint8_t)(base >> 8), 0x01, len };
    res_put(r, d, sizeof(d));
}

void aml_res_irq(struct aml_res *r, unsigned irq)
{
    /* Small item 0x04 (IRQ), 2 data bytes: no flags byte = edge, high, exclusive. */
    if (irq > 15) {
        r->err = 1;
        return;
    }
    uint16_t mask = (uint16_t)(1u << irq);
    const uint8_t d[3] = { 0x22, (uint8_t)mask, (uint8_t)(mask >> 8) };
    res_put(r, d, sizeof(d));
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void aml_res_mem32(struct aml_res *r, uint32_t base, uint32_t size)
{
    /* Large item 0x06 (32-bit fixed memory range), 9 data bytes; info bit 0:
     * read/write. */
    uint8_t d[12] = { 0x86, 0x09, 0x00, 0x01 };
    put_le32(d + 4, base);
    put_le32(d + 8, size);
    res_put(r, d, sizeof(d));
}

void aml_res_extirq_edge(struct aml_res *r, uint32_t gsi)
{
    /* Large item 0x09 (extended interrupt), 6 data bytes.  Flags: bit 0
     * consumer, bit 1 edge, bit 2 clear = active high, bit 3 clear =
     * exclusive.  Then a table of one 32-bit interrupt number. */
    uint8_t d[9] = { 0x89, 0x06, 0x00, 0x03, 0x01 };
    put_le32(d + 5, gsi);
    res_put(r, d, sizeof(d));
}

void aml_res_end(struct aml_res *r)
{
    const uint8_t d[2] = { 0x79, 0x00 };
    res_put(r, d, sizeof(d));
}
