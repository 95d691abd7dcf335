/* ACPI tables: structure checked byte by byte here, and independently by the
 * ACPICA tools (iasl -d disassembles each table, acpiexec loads the DSDT and
 * evaluates \_S5).  Both tools come from Debian's acpica-tools. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/acpi.h"
#include "boot/aml.h"
#include "boot/layout.h"
#include "tests/unit/testutil.h"

static uint8_t mem[LAYOUT_ACPI_MAX];

static const struct acpi_mmio_dev two_virtio[2] = {
    { VIRTIO_MMIO_BASE, VIRTIO_MMIO_SIZE, 5 },
    { VIRTIO_MMIO_BASE + VIRTIO_MMIO_SIZE, VIRTIO_MMIO_SIZE, 6 },
};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static uint8_t sum8(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

struct tables {
    long len;
    const uint8_t *rsdp, *xsdt, *fadt, *madt, *dsdt;
};

/* Returns the table at guest address gpa after checking that it lies inside
 * what acpi_build reported, has signature sig and a zero checksum. */
static const uint8_t *table_at(uint64_t base, long len, uint64_t gpa, const char *sig)
{
    ck_assert_msg(gpa >= base && gpa + 36 <= base + (uint64_t)len,
                  "%s at 0x%llx outside [0x%llx, +0x%lx)", sig,
                  (unsigned long long)gpa, (unsigned long long)base, len);
    ck_assert_msg(gpa % 8 == 0, "%s not 8-byte aligned", sig);
    const uint8_t *t = mem + (gpa - base);
    ck_assert_msg(memcmp(t, sig, 4) == 0, "expected %s, found %.4s", sig, (const char *)t);
    uint32_t tl = rd32(t + 4);
    ck_assert_msg(tl >= 36 && gpa + tl <= base + (uint64_t)len, "%s length %u", sig, tl);
    ck_assert_msg(sum8(t, tl) == 0, "%s checksum", sig);
    ck_assert(memcmp(t + 10, "MINVMM", 6) == 0);
    return t;
}

/* Builds into mem at guest address base and follows the pointers like an OS. */
static struct tables build_at(uint64_t base, int ncpus, const struct acpi_mmio_dev *v, int nv)
{
    struct acpi_config cfg = { .ncpus = ncpus, .virtio = v, .nvirtio = nv };
    struct tables t = { 0 };

    memset(mem, 0xa5, sizeof(mem));
    t.len = acpi_build(mem, base, sizeof(mem), &cfg);
    ck_assert_msg(t.len > 36 && t.len <= (long)sizeof(mem), "acpi_build returned %ld", t.len);
    t.rsdp = mem;
    t.xsdt = table_at(base, t.len, rd64(mem + 24), "XSDT");
    ck_assert_int_eq(rd32(t.xsdt + 4), 36 + 2 * 8);
    t.fadt = table_at(base, t.len, rd64(t.xsdt + 36), "FACP");
    t.madt = table_at(base, t.len, rd64(t.xsdt + 44), "APIC");
    t.dsdt = table_at(base, t.len, rd64(t.fadt + 140), "DSDT");
    return t;
}

static struct tables build(int ncpus, const struct acpi_mmio_dev *v, int nv)
{
    return build_at(LAYOUT_ACPI, ncpus, v, nv);
}

START_TEST(rsdp_is_valid_and_first)
{
    struct tables t = build(1, NULL, 0);
    ck_assert(memcmp(mem, "RSD PTR ", 8) == 0);
    ck_assert_int_eq(sum8(mem, 20), 0);          /* ACPI 1.0 checksum */
    ck_assert_int_eq(mem[15], 2);                /* revision */
    ck_assert_int_eq(rd32(mem + 20), 36);        /* length */
    ck_assert_int_eq(sum8(mem, 36), 0);          /* extended checksum */
    ck_assert(memcmp(mem + 9, "MINVMM", 6) == 0);
    ck_assert_int_eq(rd32(mem + 16), 0);         /* no RSDT: XSDT only */
    ck_assert(rd64(mem + 24) > LAYOUT_ACPI);
    /* The BIOS-area scan: on a 16-byte boundary inside [0xE0000, 0x100000). */
    ck_assert(LAYOUT_ACPI % 16 == 0 && LAYOUT_ACPI >= 0xe0000 &&
              LAYOUT_ACPI + 36 <= 0x100000);
    (void)t;
}
END_TEST

START_TEST(every_table_is_inside_and_disjoint)
{
    for (int nv = 0; nv <= 2; nv += 2) {
        struct tables t = build(4, two_virtio, nv);
        const uint8_t *tab[] = { t.xsdt, t.fadt, t.madt, t.dsdt };
        for (int i = 0; i < 4; i++) {
            size_t a0 = (size_t)(tab[i] - mem), a1 = a0 + rd32(tab[i] + 4);
            ck_assert(a0 >= 36);                 /* after the RSDP */
            for (int j = i + 1; j < 4; j++) {
                size_t b0 = (size_t)(tab[j] - mem), b1 = b0 + rd32(tab[j] + 4);
                ck_assert_msg(a1 <= b0 || b1 <= a0, "tables %d and %d overlap", i, j);
            }
        }
        /* The last table ends exactly at the returned length. */
        ck_assert_int_eq((long)(t.dsdt - mem) + (long)rd32(t.dsdt + 4), t.len);
    }
}
END_TEST

static void check_gas_io8(const uint8_t *g, uint16_t port)
{
    ck_assert_int_eq(g[0], 1);   /* SystemIO */
    ck_assert_int_eq(g[1], 8);   /* bit width */
    ck_assert_int_eq(g[2], 0);   /* bit offset */
    ck_assert_int_eq(g[3], 1);   /* byte access */
    ck_assert_uint_eq(rd64(g + 4), port);
}

START_TEST(fadt_fields)
{
    struct tables t = build(2, two_virtio, 2);
    const uint8_t *f = t.fadt;
    ck_assert_int_eq(rd32(f + 4), 276);
    ck_assert_int_eq(f[8], 6);
    uint32_t flags = rd32(f + 112);
    ck_assert_uint_eq(flags, (1u << 20) | (1u << 4) | (1u << 5) | (1u << 10));
    ck_assert_uint_eq(rd16(f + 109), (1u << 2) | (1u << 5)); /* no VGA, no CMOS RTC */
    ck_assert_int_eq(rd16(f + 46), 0);                       /* no SCI */
    check_gas_io8(f + 116, PORT_ACPI_RESET);
    ck_assert_int_eq(f[128], ACPI_RESET_VALUE);
    check_gas_io8(f + 244, PORT_ACPI_SLEEP_CTL);
    check_gas_io8(f + 256, PORT_ACPI_SLEEP_STS);
    uint64_t dsdt = LAYOUT_ACPI + (uint64_t)(t.dsdt - mem);
    ck_assert_uint_eq(rd64(f + 140), dsdt);
    ck_assert_uint_eq(rd32(f + 40), dsdt);
    /* No legacy fixed hardware at all. */
    for (int off = 56; off < 88; off++)
        ck_assert_msg(f[off] == 0, "FADT byte %d", off);
}
END_TEST

START_TEST(fadt_above_4g_keeps_only_x_dsdt)
{
    uint64_t base = 0x100000000ULL;
    struct tables t = build_at(base, 1, NULL, 0);
    ck_assert_uint_eq(rd64(t.fadt + 140), base + (uint64_t)(t.dsdt - mem));
    ck_assert_uint_eq(rd32(t.fadt + 40), 0);
}
END_TEST

static const int cpu_counts[] = { 1, 4, 64 };

START_TEST(madt_entries)
{
    int n = cpu_counts[_i];
    struct tables t = build(n, two_virtio, 2);
    const uint8_t *m = t.madt;
    uint32_t len = rd32(m + 4);
    int lapics = 0, ioapics = 0, nmis = 0, others = 0;

    ck_assert_uint_eq(rd32(m + 36), LAYOUT_LAPIC);
    ck_assert_uint_eq(rd32(m + 40) & 1, 1);                  /* PCAT_COMPAT */
    for (uint32_t off = 44; off < len;) {
        const uint8_t *e = m + off;
        ck_assert_msg(e[1] >= 2 && off + e[1] <= len, "entry at %u has length %u", off, e[1]);
        switch (e[0]) {
        case 0:
            ck_assert_int_eq(e[1], 8);
            ck_assert_int_eq(e[2], lapics);                  /* processor UID */
            ck_assert_int_eq(e[3], lapics);                  /* APIC ID */
            ck_assert_uint_eq(rd32(e + 4), 1);               /* enabled */
            lapics++;
            break;
        case 1:
            ck_assert_int_eq(e[1], 12);
            ck_assert_uint_eq(rd32(e + 4), LAYOUT_IOAPIC);
            ck_assert_uint_eq(rd32(e + 8), 0);               /* GSI base */
            ioapics++;
            break;
        case 4:
            ck_assert_int_eq(e[1], 6);
            ck_assert_int_eq(e[2], 0xff);                    /* all CPUs */
            ck_assert_int_eq(e[5], 1);                       /* LINT1 */
            nmis++;
            break;
        default:
            others++;
        }
        off += e[1];
    }
    ck_assert_int_eq(lapics, n);
    ck_assert_int_eq(ioapics, 1);
    ck_assert_int_eq(nmis, 1);
    ck_assert_int_eq(others, 0);
    ck_assert_uint_eq(len, 44 + 8 * (uint32_t)n + 12 + 6);
}
END_TEST

static int count_mem(const uint8_t *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    int c = 0;
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(p + i, s, k) == 0)
            c++;
    return c;
}

/* Decodes a PkgLength (ACPI 6.2 section 20.2.4) at p; *nbytes gets its size. */
static size_t pkglen_decode(const uint8_t *p, size_t *nbytes)
{
    size_t follow = p[0] >> 6, v;
    if (follow == 0) {
        *nbytes = 1;
        return p[0] & 0x3f;
    }
    v = p[0] & 0x0f;
    for (size_t i = 1; i <= follow; i++)
        v |= (size_t)p[i] << (4 + 8 * (i - 1));
    *nbytes = follow + 1;
    return v;
}

/* The \_SB scope follows \_S5 and is the last object: its PkgLength must end
 * exactly at the end of the table (iasl would not notice an overlong one). */
static void check_sb_scope(const uint8_t *dsdt, size_t s5_len, size_t min_pkglen_bytes)
{
    size_t n = rd32(dsdt + 4), pos = 36 + s5_len, nb;
    ck_assert_int_eq(dsdt[pos], 0x10);                       /* ScopeOp */
    size_t len = pkglen_decode(dsdt + pos + 1, &nb);
    ck_assert_uint_ge(nb, min_pkglen_bytes);
    ck_assert_uint_eq(pos + 1 + len, n);
    ck_assert(memcmp(dsdt + pos + 1 + nb, "\\_SB_", 5) == 0);
}

START_TEST(dsdt_bytes)
{
    struct tables t = build(4, two_virtio, 2);
    size_t n = rd32(t.dsdt + 4);
    ck_assert_int_eq(t.dsdt[8], 2);                          /* 64-bit integers */
    /* Name(_S5, Package(4) {5, 5, 0, 0}) at the root, first thing in the AML. */
    static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
                                  0x0a, ACPI_S5_SLP_TYP, 0x0a, ACPI_S5_SLP_TYP, 0x00, 0x00 };
    ck_assert(memcmp(t.dsdt + 36, s5, sizeof(s5)) == 0);
    check_sb_scope(t.dsdt, sizeof(s5), 2);
    ck_assert_int_eq(count_mem(t.dsdt, n, "LNRO0005"), 2);
    ck_assert_int_eq(count_mem(t.dsdt, n, "ACPI0007"), 4);
    /* Memory32Fixed(ReadWrite, 0xD0001000, 0x1000), then Interrupt(...) {6}. */
    static const uint8_t crs1[] = { 0x86, 0x09, 0x00, 0x01, 0x00, 0x10, 0x00, 0xd0,
                                    0x00, 0x10, 0x00, 0x00, 0x89, 0x06, 0x00, 0x03,
                                    0x01, 0x06, 0x00, 0x00, 0x00, 0x79, 0x00 };
    int found = 0;
    for (size_t i = 0; i + sizeof(crs1) <= n; i++)
        found += memcmp(t.dsdt + i, crs1, sizeof(crs1)) == 0;
    ck_assert_int_eq(found, 1);

    t = build(1, NULL, 0);
    ck_assert_int_eq(count_mem(t.dsdt, rd32(t.dsdt + 4), "LNRO0005"), 0);
    check_sb_scope(t.dsdt, sizeof(s5), 1);

    /* Big enough for a 3-byte PkgLength around \_SB. */
    static struct acpi_mmio_dev many[ACPI_MAX_VIRTIO];
    for (int i = 0; i < ACPI_MAX_VIRTIO; i++)
        many[i] = (struct acpi_mmio_dev){ VIRTIO_MMIO_BASE + (uint64_t)i * VIRTIO_MMIO_SIZE,
                                          VIRTIO_MMIO_SIZE, 5 };
    t = build(ACPI_MAX_CPUS, many, ACPI_MAX_VIRTIO);
    ck_assert_uint_gt(rd32(t.dsdt + 4), 4096);
    check_sb_scope(t.dsdt, sizeof(s5), 3);
    ck_assert_int_eq(count_mem(t.dsdt, rd32(t.dsdt + 4), "LNRO0005"), ACPI_MAX_VIRTIO);
}
END_TEST

START_TEST(aml_pkglen_boundaries)
{
    uint8_t b[4];
    ck_assert_uint_eq(aml_pkglen_encode(0, b), 1);
    ck_assert_int_eq(b[0], 1);
    ck_assert_uint_eq(aml_pkglen_encode(62, b), 1);
    ck_assert_int_eq(b[0], 63);
    ck_assert_uint_eq(aml_pkglen_encode(63, b), 2);          /* 65 = 0x41 */
    ck_assert_int_eq(b[0], 0x41);
    ck_assert_int_eq(b[1], 0x04);
    ck_assert_uint_eq(aml_pkglen_encode(4093, b), 2);        /* 4095 */
    ck_assert_int_eq(b[0], 0x4f);
    ck_assert_int_eq(b[1], 0xff);
    ck_assert_uint_eq(aml_pkglen_encode(4094, b), 3);        /* 4097 = 0x1001 */
    ck_assert_int_eq(b[0], 0x81);
    ck_assert_int_eq(b[1], 0x00);
    ck_assert_int_eq(b[2], 0x01);
    ck_assert_uint_eq(aml_pkglen_encode((1u << 28), b), 0);

    /* EISA id compression and bad names. */
    uint8_t buf[16];
    struct aml a;
    aml_init(&a, buf, sizeof(buf));
    aml_eisaid(&a, "PNP0501");
    ck_assert_int_eq(a.err, 0);
    ck_assert_uint_eq(a.len, 5);
    ck_assert_int_eq(buf[0], 0x0c);
    ck_assert_uint_eq(rd32(buf + 1), 0x0105d041);
    aml_namestring(&a, "1BAD");
    ck_assert_int_ne(a.err, 0);
    aml_init(&a, buf, 4);
    aml_string(&a, "LNRO0005");                              /* does not fit */
    ck_assert_int_ne(a.err, 0);
}
END_TEST

START_TEST(bad_config_and_small_buffer)
{
    struct acpi_config cfg = { .ncpus = 2, .virtio = two_virtio, .nvirtio = 2 };
    struct acpi_mmio_dev bad[1];

    ck_assert_int_eq(acpi_build(mem, LAYOUT_ACPI, sizeof(mem), NULL), -1);
    ck_assert_int_eq(acpi_build(NULL, LAYOUT_ACPI, sizeof(mem), &cfg), -1);
    cfg.ncpus = 0;
    ck_assert_int_eq(acpi_build(mem, LAYOUT_ACPI, sizeof(mem), &cfg), -1);
    cfg.ncpus = -1;
    ck_assert_int_eq(acpi_build(mem, LAYOUT_ACPI, sizeof(mem), &cfg), -1);
    cfg.ncpus = 65;
    ck_assert_int_eq(acpi_build(mem, LAYOUT_ACPI, sizeof(mem), &cfg), -1);
    cfg.ncpus = 64;
    ck_assert_int_gt(acpi_build(mem, LAYOUT_ACPI, sizeof(mem), &cfg), 0);
    cfg.nvirtio = -1;
    ck_assert_int_eq(acpi_build(mem, LAYOUT_ACPI, sizeof(mem), &cfg), -1);
    cfg.nvirtio = 1;
    cfg.virtio = NULL;
    ck_assert_int_eq(acpi_build(mem, LAYOUT_ACPI, sizeof(mem), &cfg), -1);

    cfg.virtio = bad;
    bad[0] = (struct acpi_mmio_dev){ 0x100000000ULL, 0x1000, 5 };   /* above 4 GiB */
    ck_assert_int_eq(acpi_build(mem, LAYOUT_ACPI, sizeof(mem), &cfg), -1);
    bad[0] = (struct acpi_mmio_dev){ 0xfffff000ULL, 0x2000, 5 };    /* crosses 4 GiB */
    ck_assert_int_eq(acpi_build(mem, LAYOUT_ACPI, sizeof(mem), &cfg), -1);
    bad[0] = (struct acpi_mmio_dev){ 0xd0000000ULL, 0, 5 };         /* empty */
    ck_assert_int_eq(acpi_build(mem, LAYOUT_ACPI, sizeof(mem), &cfg), -1);
    bad[0] = (struct acpi_mmio_dev){ 0xd0000000ULL, 0x1000, 24 };   /* no such pin */
    ck_assert_int_eq(acpi_build(mem, LAYOUT_ACPI, sizeof(mem), &cfg), -1);
    bad[0] = (struct acpi_mmio_dev){ 0xfffff000ULL, 0x1000, 23 };   /* the last valid */
    ck_assert_int_gt(acpi_build(mem, LAYOUT_ACPI, sizeof(mem), &cfg), 0);

    /* max too small: every size below what is needed fails without writing
     * past max; the exact size works. */
    cfg.virtio = two_virtio;
    cfg.nvirtio = 2;
    cfg.ncpus = 4;
    long need = acpi_build(mem, LAYOUT_ACPI, sizeof(mem), &cfg);
    ck_assert_int_gt(need, 0);
    for (long max = 0; max < need; max += (max < 64 || max > need - 64) ? 1 : 7) {
        memset(mem, 0x5a, sizeof(mem));
        ck_assert_msg(acpi_build(mem, LAYOUT_ACPI, (size_t)max, &cfg) == -1, "max %ld", max);
        for (size_t i = (size_t)max; i < (size_t)need + 16; i++)
            ck_assert_msg(mem[i] == 0x5a, "max %ld: byte %zu written", max, i);
    }
    ck_assert_int_eq(acpi_build(mem, LAYOUT_ACPI, (size_t)need, &cfg), need);
}
END_TEST

/* ---- independent check with the ACPICA tools ---- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "open %s: %s", path, strerror(errno));
    ck_assert(fseek(f, 0, SEEK_END) == 0);
    long n = ftell(f);
    ck_assert(n >= 0);
    rewind(f);
    char *s = malloc((size_t)n + 1);
    ck_assert(s != NULL);
    ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static int count_str(const char *hay, const char *needle)
{
    int c = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        c++;
    return c;
}

static void write_file(const char *dir, const char *name, const uint8_t *p, size_t n)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "create %s", path);
    ck_assert_uint_eq(fwrite(p, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

/* Runs `iasl -d NAME.dat` in dir; checks it is clean and returns the .dsl. */
static char *disassemble(const char *dir, const char *name)
{
    char cmd[512], path[256];
    snprintf(cmd, sizeof(cmd), "cd '%s' && iasl -d %s.dat > %s.log 2>&1", dir, name, name);
    int rc = system(cmd);
    snprintf(path, sizeof(path), "%s/%s.log", dir, name);
    char *log = slurp(path);
    ck_assert_msg(rc == 0, "iasl -d %s failed (%d):\n%s", name, rc, log);
    ck_assert_msg(!strstr(log, "Error") && !strstr(log, "Warning") &&
                  !strstr(log, "Incorrect") && !strstr(log, "Could not"),
                  "iasl -d %s complained:\n%s", name, log);
    free(log);
    snprintf(path, sizeof(path), "%s/%s.dsl", dir, name);
    char *dsl = slurp(path);
    ck_assert_msg(!strstr(dsl, "Incorrect") && !strstr(dsl, "**** "),
                  "%s.dsl flags a problem", name);
    return dsl;
}

/* One scratch directory per run, made and removed in the parent process by an
 * unchecked fixture so that a failed (forked) test still leaves nothing behind. */
static char tmpdir[] = "/tmp/boot_acpi.XXXXXX";

static void tmpdir_setup(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        exit(EXIT_FAILURE);
    }
}

static void tmpdir_teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "boot_acpi: could not remove %s\n", tmpdir);
}

struct tool_case { int ncpus, nvirtio; };
static const struct tool_case tool_cases[] = { { 1, 0 }, { 1, 2 }, { 4, 0 }, { 4, 2 }, { 64, 256 } };

START_TEST(acpica_tools_agree)
{
    const struct tool_case *c = &tool_cases[_i];
    static struct acpi_mmio_dev many[256];
    const struct acpi_mmio_dev *v = two_virtio;
    if (c->nvirtio > 2) {
        for (int i = 0; i < c->nvirtio; i++)
            many[i] = (struct acpi_mmio_dev){ VIRTIO_MMIO_BASE + (uint64_t)i * VIRTIO_MMIO_SIZE,
                                              VIRTIO_MMIO_SIZE, (uint32_t)(5 + i % 11) };
        v = many;
    }
    ck_assert_msg(system("command -v iasl >/dev/null && command -v acpiexec >/dev/null") == 0,
                  "iasl/acpiexec missing: apt-get install acpica-tools");
    struct tables t = build(c->ncpus, v, c->nvirtio);
    char dir[64];
    snprintf(dir, sizeof(dir), "%s/case%d", tmpdir, _i);
    ck_assert_msg(mkdir(dir, 0700) == 0, "mkdir %s: %s", dir, strerror(errno));
    write_file(dir, "xsdt.dat", t.xsdt, rd32(t.xsdt + 4));
    write_file(dir, "facp.dat", t.fadt, rd32(t.fadt + 4));
    write_file(dir, "apic.dat", t.madt, rd32(t.madt + 4));
    write_file(dir, "dsdt.dat", t.dsdt, rd32(t.dsdt + 4));
    char want[128];

    char *x = disassemble(dir, "xsdt");
    snprintf(want, sizeof(want), "ACPI Table Address   0 : %016llX",
             (unsigned long long)(LAYOUT_ACPI + (uint64_t)(t.fadt - mem)));
    ck_assert_msg(strstr(x, want), "XSDT lacks '%s'", want);
    snprintf(want, sizeof(want), "ACPI Table Address   1 : %016llX",
             (unsigned long long)(LAYOUT_ACPI + (uint64_t)(t.madt - mem)));
    ck_assert_msg(strstr(x, want), "XSDT lacks '%s'", want);
    free(x);

    char *f = disassemble(dir, "facp");
    ck_assert(strstr(f, "Hardware Reduced (V5) : 1"));
    ck_assert(strstr(f, "Control Method Power Button (V1) : 1"));
    ck_assert(strstr(f, "Control Method Sleep Button (V1) : 1"));
    ck_assert(strstr(f, "Reset Register Supported (V2) : 1"));
    ck_assert(strstr(f, "Value to cause reset : 42"));
    char *sc = strstr(f, "Sleep Control Register");
    ck_assert(sc && strstr(sc, "Space ID : 01 [SystemIO]"));
    ck_assert(sc && strstr(sc, "Address : 0000000000000600"));
    char *ss = strstr(f, "Sleep Status Register");
    ck_assert(ss && strstr(ss, "Address : 0000000000000601"));
    char *rr = strstr(f, "Reset Register :");
    ck_assert(rr && strstr(rr, "Address : 0000000000000602"));
    snprintf(want, sizeof(want), "DSDT Address : %016llX",
             (unsigned long long)(LAYOUT_ACPI + (uint64_t)(t.dsdt - mem)));
    ck_assert_msg(strstr(f, want), "FADT lacks '%s'", want);
    free(f);

    char *m = disassemble(dir, "apic");
    ck_assert_int_eq(count_str(m, "[Processor Local APIC]"), c->ncpus);
    ck_assert_int_eq(count_str(m, "Processor Enabled : 1"), c->ncpus);
    ck_assert_int_eq(count_str(m, "[I/O APIC]"), 1);
    ck_assert(strstr(m, "Address : FEC00000"));
    ck_assert(strstr(m, "Local Apic Address : FEE00000"));
    ck_assert_int_eq(count_str(m, "[Local APIC NMI]"), 1);
    ck_assert(strstr(m, "Interrupt Input LINT : 01"));
    free(m);

    char *d = disassemble(dir, "dsdt");
    ck_assert(strstr(d, "Name (_S5, Package (0x04)  // _S5_: S5 System State\n"
                        "    {\n        0x05, \n        0x05, \n        Zero, \n        Zero\n"));
    ck_assert(strstr(d, "EisaId (\"PNP0501\")"));
    char *com = strstr(d, "Device (COM1)");
    ck_assert(com && strstr(com, "0x03F8,             // Range Minimum"));
    ck_assert(com && strstr(com, "IRQNoFlags ()\n                    {4}"));
    ck_assert_int_eq(count_str(d, "\"ACPI0007\""), c->ncpus);
    ck_assert_int_eq(count_str(d, "Name (_HID, \"LNRO0005\")"), c->nvirtio);
    ck_assert_int_eq(count_str(d, "Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive"),
                     c->nvirtio);
    for (int i = 0; i < c->nvirtio; i++) {
        char dev[64];
        snprintf(dev, sizeof(dev), "Device (VR%02X)", i);
        char *p = strstr(d, dev);
        ck_assert_msg(p, "no %s", dev);
        char *end = strstr(p + 1, "Device (");
        if (end)
            *end = '\0';                         /* look only inside this device */
        snprintf(want, sizeof(want), "Memory32Fixed (ReadWrite,\n                    0x%08X,",
                 (unsigned)v[i].base);
        ck_assert_msg(strstr(p, want), "%s: no '%s'", dev, want);
        snprintf(want, sizeof(want), "{\n                    0x%08X,\n", v[i].irq);
        ck_assert_msg(strstr(p, want), "%s: no interrupt %u", dev, v[i].irq);
        snprintf(want, sizeof(want), "Name (_UID, %s", i == 0 ? "Zero" : i == 1 ? "One" : "0x");
        ck_assert_msg(strstr(p, want), "%s: _UID", dev);
        if (end)
            *end = 'D';
    }
    free(d);

    /* acpiexec loads the DSDT into a namespace and evaluates \_S5. */
    char cmd[512], path[256];
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && acpiexec -b 'evaluate \\_S5' dsdt.dat > exec.log 2>&1", dir);
    int rc = system(cmd);
    snprintf(path, sizeof(path), "%s/exec.log", dir);
    char *e = slurp(path);
    ck_assert_msg(rc == 0, "acpiexec failed:\n%s", e);
    ck_assert_msg(strstr(e, "successfully acquired and loaded") &&
                  !strstr(e, "Error") && !strstr(e, "Warning"), "acpiexec:\n%s", e);
    char *s5 = strstr(e, "Evaluation of \\_S5 returned");
    ck_assert_msg(s5 && strstr(s5, "[Package] Contains 4 Elements:"), "acpiexec:\n%s", e);
    ck_assert_int_eq(count_str(s5, "[Integer] = 0000000000000005"), 2);
    free(e);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("boot_acpi");
    TCase *tc = tcase_create("tables");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, rsdp_is_valid_and_first);
    tcase_add_test(tc, every_table_is_inside_and_disjoint);
    tcase_add_test(tc, fadt_fields);
    tcase_add_test(tc, fadt_above_4g_keeps_only_x_dsdt);
    tcase_add_loop_test(tc, madt_entries, 0, (int)(sizeof(cpu_counts) / sizeof(cpu_counts[0])));
    tcase_add_test(tc, dsdt_bytes);
    tcase_add_test(tc, aml_pkglen_boundaries);
    tcase_add_test(tc, bad_config_and_small_buffer);
    suite_add_tcase(s, tc);

    tc = tcase_create("acpica_tools");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, tmpdir_setup, tmpdir_teardown);
    tcase_add_loop_test(tc, acpica_tools_agree, 0,
                        (int)(sizeof(tool_cases) / sizeof(tool_cases[0])));
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
