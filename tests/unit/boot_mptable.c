/* MP table: what a kernel without ACPI reads to find CPUs, the IOAPIC and
 * ISA interrupt routing.  Parsed here the way Linux's mpparse does. */
#include <stdint.h>
#include <string.h>
#include "boot/layout.h"
#include "boot/mptable.h"
#include "tests/unit/testutil.h"

static uint8_t mem[0x10000];
static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint8_t sum(const uint8_t *p, size_t n) { uint8_t s = 0; while (n--) s = (uint8_t)(s + *p++); return s; }

/* Counts of each entry type, checking sizes and checksums on the way. */
static void parse(int ncpus, int *cpus, int *bsp, int *ioapics, int *irqs, int *lints, uint8_t *ioapic_id)
{
    long n = mptable_build(mem, LAYOUT_MPTABLE, sizeof(mem), ncpus);
    ck_assert_int_gt(n, 16);
    ck_assert_int_eq(memcmp(mem, "_MP_", 4), 0);
    ck_assert_uint_eq(sum(mem, 16), 0);
    ck_assert_uint_eq(mem[9], 4);
    uint32_t at = rd32(mem + 4);
    ck_assert_uint_eq(at, LAYOUT_MPTABLE + 16);
    const uint8_t *h = mem + (at - LAYOUT_MPTABLE);
    ck_assert_int_eq(memcmp(h, "PCMP", 4), 0);
    uint16_t len = rd16(h + 4);
    ck_assert_int_eq((long)len + 16, n);
    ck_assert_uint_eq(sum(h, len), 0);
    ck_assert_uint_eq(rd32(h + 36), LAYOUT_LAPIC);
    const uint8_t *e = h + 44, *end = h + len;
    int count = 0;
    *cpus = *bsp = *ioapics = *irqs = *lints = 0;
    while (e < end) {
        count++;
        switch (e[0]) {
        case 0:
            ck_assert_uint_eq(e[1], (unsigned)*cpus);     /* APIC ids 0..n-1 */
            ck_assert(e[3] & 1);
            *bsp += (e[3] & 2) ? 1 : 0;
            (*cpus)++;
            e += 20;
            break;
        case 1:
            ck_assert_int_eq(memcmp(e + 2, "ISA   ", 6), 0);
            e += 8;
            break;
        case 2:
            ck_assert_uint_eq(rd32(e + 4), LAYOUT_IOAPIC);
            *ioapic_id = e[1];
            (*ioapics)++;
            e += 8;
            break;
        case 3:
            ck_assert_uint_eq(e[1], 0);                   /* vectored interrupt */
            ck_assert_uint_eq(e[5], e[7]);                /* ISA IRQ n -> pin n */
            ck_assert_uint_eq(e[6], *ioapic_id);
            (*irqs)++;
            e += 8;
            break;
        case 4:
            (*lints)++;
            e += 8;
            break;
        default:
            ck_abort_msg("unknown entry type %u", e[0]);
        }
    }
    ck_assert_ptr_eq(e, end);
    ck_assert_uint_eq(rd16(h + 34), (unsigned)count);
}

START_TEST(one_and_many_cpus)
{
    static const int ns[] = { 1, 2, 4, 64 };
    for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
        int cpus, bsp, ioapics, irqs, lints;
        uint8_t id = 0;
        parse(ns[i], &cpus, &bsp, &ioapics, &irqs, &lints, &id);
        ck_assert_int_eq(cpus, ns[i]);
        ck_assert_int_eq(bsp, 1);
        ck_assert_int_eq(ioapics, 1);
        ck_assert_int_eq(irqs, 16);                       /* IRQ 5 for virtio_mmio.device= */
        ck_assert_int_eq(lints, 2);
        ck_assert_uint_eq(id, (unsigned)ns[i]);           /* not a CPU's APIC id */
    }
}
END_TEST

START_TEST(bad_input)
{
    ck_assert_int_eq(mptable_build(mem, LAYOUT_MPTABLE, sizeof(mem), 0), -1);
    ck_assert_int_eq(mptable_build(mem, LAYOUT_MPTABLE, sizeof(mem), 65), -1);
    long n = mptable_build(mem, LAYOUT_MPTABLE, sizeof(mem), 4);
    memset(mem, 0xaa, sizeof(mem));
    ck_assert_int_eq(mptable_build(mem, LAYOUT_MPTABLE, (size_t)n - 1, 4), -1);
    ck_assert_uint_eq(mem[0], 0xaa);                      /* nothing written */
    ck_assert_int_eq(mptable_build(mem, LAYOUT_MPTABLE, (size_t)n, 4), n);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("mptable");
    TCase *t = tcase_create("mptable");
    tcase_add_test(t, one_and_many_cpus);
    tcase_add_test(t, bad_input);
    suite_add_tcase(s, t);
    return s;
}
TEST_MAIN(suite)
