/* A small ACPI Machine Language (AML) encoder: just what minivmm's DSDT needs
 * (names, integers, strings, EISA ids, packages, buffers, scopes, devices) and
 * the resource descriptors of a _CRS template.  See docs/acpi.md.
 *
 * The encoder writes into a caller-owned buffer.  Any overflow or bad argument
 * sets `err` and every later call does nothing, so a whole block of calls can be
 * checked once at the end. */
#ifndef BOOT_AML_H
#define BOOT_AML_H
#include <stddef.h>
#include <stdint.h>

struct aml {
    uint8_t *buf;
    size_t len, cap;
    int err;        /* nonzero: overflow or bad argument; output is unusable */
};

void aml_init(struct aml *a, uint8_t *buf, size_t cap);
void aml_byte(struct aml *a, uint8_t b);
void aml_bytes(struct aml *a, const void *p, size_t n);

/* NameString: optional leading '\' (root), then 1..4 NameSegs of 1..4 chars
 * separated by '.', each padded with '_' to 4 chars (e.g. "\\_SB", "COM1"). */
void aml_namestring(struct aml *a, const char *path);
/* Integer with the shortest encoding: ZeroOp, OneOp, Byte/Word/DWord/QWord. */
void aml_integer(struct aml *a, uint64_t v);
/* String of printable ASCII. */
void aml_string(struct aml *a, const char *s);
/* Compressed EISA id ("PNP0501" -> DWord 0x0105D041). */
void aml_eisaid(struct aml *a, const char *id);
/* Name(path, ...): the caller emits the data object next. */
void aml_name(struct aml *a, const char *path);

/* Package-length blocks: *_begin returns a mark for aml_end, which inserts the
 * PkgLength in front of everything written since. */
size_t aml_scope_begin(struct aml *a, const char *path);
size_t aml_device_begin(struct aml *a, const char *path);
size_t aml_package_begin(struct aml *a, uint8_t nelems);
void aml_end(struct aml *a, size_t mark);
/* Buffer(n) { bytes } */
void aml_buffer(struct aml *a, const uint8_t *bytes, size_t n);

/* Encodes a PkgLength for a block whose content (after the PkgLength) is
 * `content` bytes.  Writes 1..4 bytes into out; returns the count, 0 if too big. */
size_t aml_pkglen_encode(size_t content, uint8_t out[4]);

/* Resource template (the byte list of a _CRS buffer). */
struct aml_res {
    uint8_t b[128];
    size_t n;
    int err;
};
void aml_res_init(struct aml_res *r);
/* IO(Decode16, base, base, 1, len) */
void aml_res_io(struct aml_res *r, uint16_t base, uint8_t len);
/* IRQNoFlags() {irq}: ISA, edge, active high, exclusive; irq 0..15 */
void aml_res_irq(struct aml_res *r, unsigned irq);
/* Memory32Fixed(ReadWrite, base, size) */
void aml_res_mem32(struct aml_res *r, uint32_t base, uint32_t size);
/* Interrupt(ResourceConsumer, Edge, ActiveHigh, Exclusive) {gsi} */
void aml_res_extirq_edge(struct aml_res *r, uint32_t gsi);
/* EndTag (checksum 0 = "treat as valid"); call last. */
void aml_res_end(struct aml_res *r);
#endif
