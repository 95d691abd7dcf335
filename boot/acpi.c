/* ACPI tables for the guest (ACPI 6.2 layouts).  What is in them and why:
 * docs/acpi.md. */
#include "boot/acpi.h"

#include <string.h>

#include "boot/aml.h"
#include "boot/layout.h"

#define OEM_ID        "MINVMM"     /* 6 bytes */
#define OEM_TABLE_ID  "MINIVMM "   /* 8 bytes */
#define OEM_REVISION  1
#define CREATOR_ID    "MVMM"
#define CREATOR_REV   1

#define HDR_LEN   36
#define RSDP_LEN  36
#define XSDT_LEN  (HDR_LEN + 2 * 8)   /* FADT, MADT */
#define FADT_LEN  276                 /* ACPI 6.0 .. 6.5 */
#define MADT_LAPIC_LEN  8
#define MADT_IOAPIC_LEN 12
#define MADT_NMI_LEN    6
#define MADT_LEN(n) (HDR_LEN + 8 + (n) * MADT_LAPIC_LEN + MADT_IOAPIC_LEN + MADT_NMI_LEN)

/* FADT offsets and bits (ACPI 6.2 section 5.2.9). */
#define FADT_FIRMWARE_CTRL   36
#define FADT_DSDT            40
#define FADT_IAPC_BOOT_ARCH  109
#define FADT_FLAGS           112
#define FADT_RESET_REG       116
#define FADT_RESET_VALUE     128
#define FADT_MINOR_VERSION   131
#define FADT_X_DSDT          140
#define FADT_SLEEP_CTL       244
#define FADT_SLEEP_STS       256
#define FADT_HYPERVISOR_ID   268

#define BOOT_ARCH_NO_VGA       (1u << 2)
#define BOOT_ARCH_NO_CMOS_RTC  (1u << 5)
#define FADT_F_PWR_BUTTON      (1u << 4)
#define FADT_F_SLP_BUTTON      (1u << 5)
#define FADT_F_RESET_REG_SUP   (1u << 10)
#define FADT_F_HW_REDUCED_ACPI (1u << 20)

#define GAS_SYSTEM_IO 1
#define GAS_ACCESS_BYTE 1

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

static size_t align16(size_t v)
{
    return (v + 15) & ~(size_t)15;
}

/* The 36-byte System Description Table header; checksum filled by finish(). */
static void header(uint8_t *t, const char sig[4], uint32_t len, uint8_t rev)
{
    memcpy(t, sig, 4);
    put32(t + 4, len);
    t[8] = rev;
    t[9] = 0;
    memcpy(t + 10, OEM_ID, 6);
    memcpy(t + 16, OEM_TABLE_ID, 8);
    put32(t + 24, OEM_REVISION);
    memcpy(t + 28, CREATOR_ID, 4);
    put32(t + 32, CREATOR_REV);
}

static void finish(uint8_t *t, size_t len)
{
    t[9] = 0;
    t[9] = (uint8_t)(0u - sum8(t, len));
}

/* Generic Address Structure: an 8-bit SystemIO register at `port`. */
static void gas_io8(uint8_t *p, uint16_t port)
{
    p[0] = GAS_SYSTEM_IO;
    p[1] = 8;   /* register bit width */
    p[2] = 0;   /* bit offset */
    p[3] = GAS_ACCESS_BYTE;
    put64(p + 4, port);
}

static int cfg_ok(const struct acpi_config *cfg)
{
    if (!cfg || cfg->ncpus < 1 || cfg->ncpus > ACPI_MAX_CPUS)
        return 0;
    if (cfg->nvirtio < 0 || cfg->nvirtio > ACPI_MAX_VIRTIO)
        return 0;
    if (cfg->nvirtio > 0 && !cfg->virtio)
        return 0;
    for (int i = 0; i < cfg->nvirtio; i++) {
        const struct acpi_mmio_dev *d = &cfg->virtio[i];
        if (d->size == 0 || d->base > 0xffffffffULL ||
            d->size - 1 > 0xffffffffULL - d->base || d->irq > 23)
            return 0;
    }
    return 1;
}

static void build_fadt(uint8_t *t, uint64_t dsdt_gpa)
{
    memset(t, 0, FADT_LEN);
    header(t, "FACP", FADT_LEN, 6);
    /* No FACS: optional with HW_REDUCED_ACPI.  SCI_INT 0: no SCI. */
    put32(t + FADT_FIRMWARE_CTRL, 0);
    put32(t + FADT_DSDT, dsdt_gpa <= 0xffffffffULL ? (uint32_t)dsdt_gpa : 0);
    put16(t + FADT_IAPC_BOOT_ARCH, BOOT_ARCH_NO_VGA | BOOT_ARCH_NO_CMOS_RTC);
    put32(t + FADT_FLAGS, FADT_F_HW_REDUCED_ACPI | FADT_F_PWR_BUTTON |
                          FADT_F_SLP_BUTTON | FADT_F_RESET_REG_SUP);
    gas_io8(t + FADT_RESET_REG, PORT_ACPI_RESET);
    t[FADT_RESET_VALUE] = ACPI_RESET_VALUE;
    t[FADT_MINOR_VERSION] = 2;
    put64(t + FADT_X_DSDT, dsdt_gpa);
    gas_io8(t + FADT_SLEEP_CTL, PORT_ACPI_SLEEP_CTL);
    gas_io8(t + FADT_SLEEP_STS, PORT_ACPI_SLEEP_STS);
    memcpy(t + FADT_HYPERVISOR_ID, "MINIVMM", 8);
    finish(t, FADT_LEN);
}

static void build_madt(uint8_t *t, int ncpus)
{
    size_t len = MADT_LEN((size_t)ncpus);
    uint8_t *e;

    memset(t, 0, len);
    header(t, "APIC", (uint32_t)len, 4);
    put32(t + 36, (uint32_t)LAYOUT_LAPIC);
    put32(t + 40, 1); /* PCAT_COMPAT: KVM's irqchip has the dual 8259 */
    e = t + 44;
    for (int i = 0; i < ncpus; i++, e += MADT_LAPIC_LEN) {
        e[0] = 0;                   /* Processor Local APIC */
        e[1] = MADT_LAPIC_LEN;
        e[2] = (uint8_t)i;          /* ACPI processor UID = _UID of \_SB.Cxxx */
        e[3] = (uint8_t)i;          /* APIC ID */
        put32(e + 4, 1);            /* enabled */
    }
    e[0] = 1;                       /* I/O APIC */
    e[1] = MADT_IOAPIC_LEN;
    e[2] = 0;                       /* ID: KVM's IOAPIC ID register resets to 0 */
    e[3] = 0;
    put32(e + 4, (uint32_t)LAYOUT_IOAPIC);
    put32(e + 8, 0);                /* GSI base */
    e += MADT_IOAPIC_LEN;
    e[0] = 4;                       /* Local APIC NMI */
    e[1] = MADT_NMI_LEN;
    e[2] = 0xff;                    /* all processors */
    put16(e + 3, 0x0005);           /* active high, edge */
    e[5] = 1;                       /* LINT1 */
    finish(t, len);
}

static void dev_hid_str(struct aml *a, const char *hid, unsigned uid)
{
    aml_name(a, "_HID");
    aml_string(a, hid);
    aml_name(a, "_UID");
    aml_integer(a, uid);
}

/* A NameSeg: the prefix, then upper-case hex digits of v up to 4 chars. */
static void seg_name(char out[5], const char *prefix, unsigned v)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(prefix);
    memcpy(out, prefix, n);
    for (int i = 3; i >= (int)n; i--, v >>= 4)
        out[i] = hex[v & 15];
    out[4] = '\0';
}

/* Builds the DSDT (header + AML) into [t, t + cap); returns its length or 0. */
static size_t build_dsdt(uint8_t *t, size_t cap, const struct acpi_config *cfg)
{
    struct aml a;
    struct aml_res r;
    char name[5];
    size_t sb, dev, pkg;

    if (cap < HDR_LEN)
        return 0;
    memset(t, 0, HDR_LEN);
    aml_init(&a, t + HDR_LEN, cap - HDR_LEN);

    /* \_S5: SLP_TYPa, SLP_TYPb, reserved, reserved. */
    aml_name(&a, "_S5");
    pkg = aml_package_begin(&a, 4);
    aml_integer(&a, ACPI_S5_SLP_TYP);
    aml_integer(&a, ACPI_S5_SLP_TYP);
    aml_integer(&a, 0);
    aml_integer(&a, 0);
    aml_end(&a, pkg);

    sb = aml_scope_begin(&a, "\\_SB");

    for (int i = 0; i < cfg->ncpus; i++) {
        seg_name(name, "C", (unsigned)i);   /* C000..C03F */
        dev = aml_device_begin(&a, name);
        dev_hid_str(&a, "ACPI0007", (unsigned)i);
        aml_end(&a, dev);
    }

    dev = aml_device_begin(&a, "COM1");
    aml_name(&a, "_HID");
    aml_eisaid(&a, "PNP0501");
    aml_name(&a, "_UID");
    aml_integer(&a, 0);
    aml_res_init(&r);
    aml_res_io(&r, PORT_COM1, 8);
    aml_res_irq(&r, IRQ_COM1);
    aml_res_end(&r);
    aml_name(&a, "_CRS");
    aml_buffer(&a, r.b, r.n);
    a.err |= r.err;
    aml_end(&a, dev);

    for (int i = 0; i < cfg->nvirtio; i++) {
        const struct acpi_mmio_dev *d = &cfg->virtio[i];
        seg_name(name, "VR", (unsigned)i);  /* VR00..VRFF */
        dev = aml_device_begin(&a, name);
        dev_hid_str(&a, "LNRO0005", (unsigned)i);
        aml_res_init(&r);
        aml_res_mem32(&r, (uint32_t)d->base, d->size);
        aml_res_extirq_edge(&r, d->irq);
        aml_res_end(&r);
        aml_name(&a, "_CRS");
        aml_buffer(&a, r.b, r.n);
        a.err |= r.err;
        aml_end(&a, dev);
    }

    aml_end(&a, sb);
    if (a.err || a.len > 0xffffffffu - HDR_LEN)
        return 0;
    header(t, "DSDT", (uint32_t)(HDR_LEN + a.len), 2); /* rev 2: 64-bit integers */
    finish(t, HDR_LEN + a.len);
    return HDR_LEN + a.len;
}

long acpi_build(uint8_t *mem, uint64_t base, size_t max, const struct acpi_config *cfg)
{
    size_t xsdt, fadt, madt, dsdt, dsdt_len, madt_len;

    if (!mem || !cfg_ok(cfg))
        return -1;
    madt_len = MADT_LEN((size_t)cfg->ncpus);
    xsdt = align16(RSDP_LEN);
    fadt = align16(xsdt + XSDT_LEN);
    madt = align16(fadt + FADT_LEN);
    dsdt = align16(madt + madt_len);
    if (max < dsdt || base > UINT64_MAX - max)
        return -1;
    memset(mem, 0, dsdt);
    dsdt_len = build_dsdt(mem + dsdt, max - dsdt, cfg);
    if (dsdt_len == 0 || dsdt_len > (size_t)0x7fffffff - dsdt)
        return -1;

    build_fadt(mem + fadt, base + dsdt);
    build_madt(mem + madt, cfg->ncpus);

    uint8_t *x = mem + xsdt;
    header(x, "XSDT", XSDT_LEN, 1);
    put64(x + HDR_LEN, base + fadt);
    put64(x + HDR_LEN + 8, base + madt);
    finish(x, XSDT_LEN);

    /* RSDP (ACPI 6.2 section 5.2.5.3): no RSDT, only the XSDT. */
    uint8_t *r = mem;
    memcpy(r, "RSD PTR ", 8);
    memcpy(r + 9, OEM_ID, 6);
    r[15] = 2;                      /* revision: ACPI 2.0+ */
    put32(r + 16, 0);               /* RsdtAddress */
    put32(r + 20, RSDP_LEN);
    put64(r + 24, base + xsdt);
    r[8] = (uint8_t)(0u - sum8(r, 20));          /* first 20 bytes */
    r[32] = (uint8_t)(0u - sum8(r, RSDP_LEN));   /* whole structure */
    return (long)(dsdt + dsdt_len);
}
