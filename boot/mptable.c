#include <string.h>
#include "boot/layout.h"
#include "boot/mptable.h"

#define MP_IRQS 16                      /* ISA IRQs, routed to IOAPIC pins 0..15 */

static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)v); wr16(p + 2, (uint16_t)(v >> 16)); }

static uint8_t checksum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *p++);
    return (uint8_t)-s;
}

/* One 8-byte interrupt entry: type 3 (I/O) or 4 (local). */
static uint8_t *intr(uint8_t *e, uint8_t type, uint8_t kind, uint8_t irq, uint8_t dst, uint8_t pin)
{
    e[0] = type;
    e[1] = kind;                        /* 0 INT, 1 NMI, 3 ExtINT */
    wr16(e + 2, 0);                     /* polarity/trigger: as the bus says (ISA: edge, high) */
    e[4] = 0;                           /* source bus: ISA */
    e[5] = irq;
    e[6] = dst;
    e[7] = pin;
    return e + 8;
}

long mptable_build(uint8_t *mem, uint64_t base, size_t max, int ncpus)
{
    if (ncpus < 1 || ncpus > MPTABLE_MAX_CPUS)
        return -1;
    size_t table = 44 + 20 * (size_t)ncpus + 8 + 8 + 8 * MP_IRQS + 2 * 8;
    if (max < 16 + table)
        return -1;
    memset(mem, 0, 16 + table);

    uint8_t *fp = mem;                  /* floating pointer structure */
    memcpy(fp, "_MP_", 4);
    wr32(fp + 4, (uint32_t)(base + 16));
    fp[8] = 1;                          /* length in 16-byte units */
    fp[9] = 4;                          /* spec 1.4 */
    fp[10] = checksum(fp, 16);

    uint8_t *h = mem + 16, *e = h + 44;
    uint8_t ioapic_id = (uint8_t)ncpus;
    for (int i = 0; i < ncpus; i++, e += 20) {
        e[0] = 0;                       /* processor */
        e[1] = (uint8_t)i;              /* local APIC id, as in CPUID */
        e[2] = 0x14;                    /* local APIC version */
        e[3] = (uint8_t)(1 | (i == 0 ? 2 : 0));   /* enabled, BSP */
        wr32(e + 4, 0x600);             /* CPU signature: family 6 */
        wr32(e + 8, (1u << 0) | (1u << 9));       /* FPU, APIC */
    }
    e[0] = 1;                           /* bus 0: ISA */
    e[1] = 0;
    memcpy(e + 2, "ISA   ", 6);
    e += 8;
    e[0] = 2;                           /* I/O APIC */
    e[1] = ioapic_id;
    e[2] = 0x11;
    e[3] = 1;                           /* enabled */
    wr32(e + 4, (uint32_t)LAYOUT_IOAPIC);
    e += 8;
    for (int irq = 0; irq < MP_IRQS; irq++)
        e = intr(e, 3, 0, (uint8_t)irq, ioapic_id, (uint8_t)irq);
    e = intr(e, 4, 3, 0, 0xff, 0);      /* LINT0: ExtINT on every CPU */
    e = intr(e, 4, 1, 0, 0xff, 1);      /* LINT1: NMI */

    memcpy(h, "PCMP", 4);
    wr16(h + 4, (uint16_t)table);
    h[6] = 4;
    memcpy(h + 8, "MINIVMM ", 8);
    memcpy(h + 16, "MINIVMM     ", 12);
    wr16(h + 34, (uint16_t)(ncpus + 1 + 1 + MP_IRQS + 2));
    wr32(h + 36, (uint32_t)LAYOUT_LAPIC);
    h[7] = checksum(h, table);
    return (long)(16 + table);
}
