/* The 64-bit boot CPU state: the test walks the page tables like the MMU,
 * decodes the GDT descriptors like the CPU, and checks registers, MSRs,
 * CPUID and LAPIC LINT settings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/cpu.h"
#include "boot/layout.h"
#include "tests/unit/testutil.h"

#define GiB (1ULL << 30)
#define RAM_SIZE 0x10000                 /* covers GDT .. LAYOUT_PD + 4 pages */
#define PTE_P   (1ULL << 0)
#define PTE_RW  (1ULL << 1)
#define PTE_PS  (1ULL << 7)
#define ADDR_MASK 0x000ffffffffff000ULL

static uint8_t *ram;

static void ram_setup(void)
{
    ram = malloc(RAM_SIZE);
    ck_assert(ram != NULL);
    memset(ram, 0xa5, RAM_SIZE);         /* garbage the tables must not rely on */
    cpu_write_tables(ram);
}

static void ram_teardown(void) { free(ram); }

static uint64_t entry_at(uint64_t gpa)
{
    ck_assert_msg(gpa + 8 <= RAM_SIZE, "table entry at 0x%llx outside the test's RAM",
                  (unsigned long long)gpa);
    uint64_t v;
    memcpy(&v, ram + gpa, 8);
    return v;
}

/* What the MMU does with CR3 = LAYOUT_PML4 for a 4-level walk.  Returns the
 * physical address, or -1 when a level is not present.  *leaf gets the
 * leaf entry and *leaf_level 1 (1 GiB), 2 (2 MiB) or 3 (4 KiB). */
static uint64_t walk(uint64_t va, uint64_t *leaf, int *leaf_level)
{
    uint64_t table = LAYOUT_PML4;
    static const int shifts[4] = { 39, 30, 21, 12 };
    for (int level = 0; level < 4; level++) {
        uint64_t e = entry_at(table + 8 * ((va >> shifts[level]) & 511));
        if (!(e & PTE_P))
            return (uint64_t)-1;
        ck_assert_msg((e & PTE_RW), "level %d entry for 0x%llx is read-only", level,
                      (unsigned long long)va);
        if (level == 3 || ((level == 1 || level == 2) && (e & PTE_PS))) {
            *leaf = e;
            *leaf_level = level;
            uint64_t page_mask = (1ULL << shifts[level]) - 1;
            return (e & ADDR_MASK & ~page_mask) | (va & page_mask);
        }
        ck_assert_msg(!(e & PTE_PS), "PS set in a level %d entry", level);
        table = e & ADDR_MASK;
    }
    return (uint64_t)-1;
}

START_TEST(identity_map_walk)
{
    static const uint64_t vas[] = { 0, 0x1fffff, 0x200000, 0x1000000 + 0x1234, GiB + 5,
                                    3 * GiB - 1, 3 * GiB, 0xfee00000, 4 * GiB - 1 };
    for (size_t i = 0; i < sizeof(vas) / sizeof(vas[0]); i++) {
        uint64_t leaf = 0;
        int level = -1;
        uint64_t pa = walk(vas[i], &leaf, &level);
        ck_assert_msg(pa == vas[i], "0x%llx maps to 0x%llx", (unsigned long long)vas[i],
                      (unsigned long long)pa);
        ck_assert_msg(level == 2, "0x%llx: leaf at level %d, want a 2 MiB page",
                      (unsigned long long)vas[i], level);
        ck_assert((leaf & (PTE_P | PTE_RW | PTE_PS)) == (PTE_P | PTE_RW | PTE_PS));
        ck_assert_uint_eq(leaf & ADDR_MASK, vas[i] & ~0x1fffffULL);
    }
}
END_TEST

/* Every 2 MiB page of [0, 4 GiB) maps to itself; nothing from 4 GiB up. */
START_TEST(identity_map_every_page_and_nothing_more)
{
    for (uint64_t va = 0; va < 4 * GiB; va += 2 << 20) {
        uint64_t leaf;
        int level;
        ck_assert_msg(walk(va + 0x1234, &leaf, &level) == va + 0x1234, "page 0x%llx",
                      (unsigned long long)va);
    }
    static const uint64_t unmapped[] = { 4 * GiB, 5 * GiB + 7, 512 * GiB, 0xffff800000000000ULL,
                                         0xffffffff80000000ULL };
    for (size_t i = 0; i < sizeof(unmapped) / sizeof(unmapped[0]); i++) {
        uint64_t leaf;
        int level;
        ck_assert_msg(walk(unmapped[i], &leaf, &level) == (uint64_t)-1, "0x%llx is mapped",
                      (unsigned long long)unmapped[i]);
    }
}
END_TEST

/* The tables lie where the comments of layout.h say and do not overlap the
 * GDT, the zero page or the stack. */
START_TEST(tables_location)
{
    uint64_t pml4e = entry_at(LAYOUT_PML4);
    ck_assert_uint_eq(pml4e & ADDR_MASK, LAYOUT_PDPT);
    for (int g = 0; g < IDENT_MAP_GIB; g++)
        ck_assert_uint_eq(entry_at(LAYOUT_PDPT + 8 * g) & ADDR_MASK, LAYOUT_PD + 4096 * g);
    ck_assert_uint_ge(LAYOUT_PML4, LAYOUT_STACK);
    ck_assert_uint_le(LAYOUT_PD + 4 * 4096, LAYOUT_CMDLINE);
    ck_assert_uint_le(LAYOUT_ZERO_PAGE + 4096, LAYOUT_STACK + 16);
}
END_TEST

/* ---- GDT -------------------------------------------------------------- */

struct desc {
    uint32_t base, limit;
    unsigned type, s, dpl, p, avl, l, d, g;
};

static struct desc decode(uint16_t selector)
{
    uint64_t e = entry_at(LAYOUT_GDT + (selector & ~7u));
    struct desc d = {
        .limit = (uint32_t)((e & 0xffff) | ((e >> 32) & 0xf0000)),
        .base = (uint32_t)(((e >> 16) & 0xffffff) | ((e >> 32) & 0xff000000)),
        .type = (unsigned)(e >> 40) & 0xf, .s = (unsigned)(e >> 44) & 1,
        .dpl = (unsigned)(e >> 45) & 3, .p = (unsigned)(e >> 47) & 1,
        .avl = (unsigned)(e >> 52) & 1, .l = (unsigned)(e >> 53) & 1,
        .d = (unsigned)(e >> 54) & 1, .g = (unsigned)(e >> 55) & 1,
    };
    return d;
}

START_TEST(gdt_descriptors)
{
    ck_assert_uint_eq(entry_at(LAYOUT_GDT), 0);          /* null descriptor */
    struct desc cs = decode(BOOT_CS);
    ck_assert_uint_eq(BOOT_CS, 0x10);
    ck_assert_uint_eq(cs.p, 1);
    ck_assert_uint_eq(cs.s, 1);                          /* code/data, not system */
    ck_assert_uint_eq(cs.dpl, 0);
    ck_assert_msg((cs.type & 0xa) == 0xa, "CS type 0x%x is not execute/read", cs.type);
    ck_assert_uint_eq(cs.l, 1);                          /* 64-bit code */
    ck_assert_uint_eq(cs.d, 0);                          /* L=1 needs D=0 */
    ck_assert_uint_eq(cs.g, 1);
    ck_assert_uint_eq(cs.base, 0);
    ck_assert_uint_eq(cs.limit, 0xfffff);

    struct desc ds = decode(BOOT_DS);
    ck_assert_uint_eq(BOOT_DS, 0x18);
    ck_assert_uint_eq(ds.p, 1);
    ck_assert_uint_eq(ds.s, 1);
    ck_assert_uint_eq(ds.dpl, 0);
    ck_assert_msg((ds.type & 0xa) == 0x2, "DS type 0x%x is not read/write data", ds.type);
    ck_assert_uint_eq(ds.d, 1);                          /* 32-bit (B) */
    ck_assert_uint_eq(ds.l, 0);
    ck_assert_uint_eq(ds.g, 1);
    ck_assert_uint_eq(ds.base, 0);
    ck_assert_uint_eq(ds.limit, 0xfffff);                /* flat 4 GiB */
}
END_TEST

/* The hidden segment state KVM gets must be what a reload of the selector
 * from the GDT would give (Linux reloads segments early in startup_64). */
START_TEST(sregs_match_gdt)
{
    struct kvm_sregs s;
    memset(&s, 0, sizeof(s));
    cpu_boot_sregs(&s);
    ck_assert_uint_eq(s.gdt.base, LAYOUT_GDT);
    ck_assert_uint_ge(s.gdt.limit, BOOT_DS + 7);
    const struct kvm_segment *segs[] = { &s.cs, &s.ds, &s.es, &s.fs, &s.gs, &s.ss };
    for (size_t i = 0; i < 6; i++) {
        struct desc d = decode(segs[i]->selector);
        ck_assert_uint_eq(segs[i]->type, d.type | (segs[i]->type & 1));  /* accessed bit aside */
        ck_assert_uint_eq(segs[i]->present, d.p);
        ck_assert_uint_eq(segs[i]->s, d.s);
        ck_assert_uint_eq(segs[i]->dpl, d.dpl);
        ck_assert_uint_eq(segs[i]->l, d.l);
        ck_assert_uint_eq(segs[i]->db, d.d);
        ck_assert_uint_eq(segs[i]->g, d.g);
        ck_assert_uint_eq(segs[i]->base, d.base);
    }
}
END_TEST

/* ---- registers ---------------------------------------------------------- */

START_TEST(boot_sregs)
{
    struct kvm_sregs s;
    memset(&s, 0x5a, sizeof(s));
    s.tr.selector = 0x1234;
    s.ldt.selector = 0x4321;
    s.apic_base = 0xfee00900;
    s.cr2 = 0x77;
    cpu_boot_sregs(&s);
    ck_assert(s.cr0 & 1);                       /* PE */
    ck_assert(s.cr0 & (1u << 31));              /* PG */
    ck_assert(!(s.cr0 & (1u << 30)));           /* CD: caches on */
    ck_assert(!(s.cr0 & (1u << 29)));           /* NW */
    ck_assert(s.cr4 & (1u << 5));               /* PAE */
    ck_assert_uint_eq(s.cr3, LAYOUT_PML4);
    ck_assert(s.efer & (1u << 8));              /* LME */
    ck_assert(s.efer & (1u << 10));             /* LMA */
    ck_assert_uint_eq(s.cs.selector, BOOT_CS);
    ck_assert_uint_eq(s.cs.l, 1);
    ck_assert_uint_eq(s.cs.db, 0);
    ck_assert_uint_eq(s.cs.present, 1);
    ck_assert_uint_eq(s.cs.dpl, 0);
    ck_assert(s.cs.type & 0x8);                 /* code */
    const struct kvm_segment *data[] = { &s.ds, &s.es, &s.fs, &s.gs, &s.ss };
    for (size_t i = 0; i < 5; i++) {
        ck_assert_uint_eq(data[i]->selector, BOOT_DS);
        ck_assert_uint_eq(data[i]->present, 1);
        ck_assert_uint_eq(data[i]->base, 0);
        ck_assert(!(data[i]->type & 0x8));      /* data */
        ck_assert(data[i]->type & 0x2);         /* writable */
    }
    /* what it does not set is kept */
    ck_assert_uint_eq(s.tr.selector, 0x1234);
    ck_assert_uint_eq(s.ldt.selector, 0x4321);
    ck_assert_uint_eq(s.apic_base, 0xfee00900);
    ck_assert_uint_eq(s.cr2, 0x77);
}
END_TEST

START_TEST(boot_regs)
{
    struct kvm_regs r;
    memset(&r, 0xee, sizeof(r));
    cpu_boot_regs(&r, 0x1000200, LAYOUT_ZERO_PAGE);
    ck_assert_uint_eq(r.rip, 0x1000200);
    ck_assert_uint_eq(r.rsi, LAYOUT_ZERO_PAGE);
    ck_assert(r.rflags & 2);                    /* reserved bit 1 is always 1 */
    ck_assert(!(r.rflags & (1u << 9)));         /* interrupts off */
    ck_assert(!(r.rflags & (1u << 8)));         /* no single-step */
    ck_assert(!(r.rflags & (1u << 10)));        /* DF clear */
    ck_assert_uint_eq(r.rax, 0);
    ck_assert_uint_eq(r.rdi, 0);
    ck_assert_uint_eq(r.r15, 0);
}
END_TEST

START_TEST(boot_msrs)
{
    struct kvm_msrs *m = calloc(1, sizeof(*m) + CPU_BOOT_MSRS * sizeof(struct kvm_msr_entry));
    ck_assert(m != NULL);
    m->nmsrs = 999;
    cpu_boot_msrs(m);
    ck_assert_uint_eq(m->nmsrs, CPU_BOOT_MSRS);
    int mtrr = -1, efer = -1;
    for (unsigned i = 0; i < m->nmsrs; i++) {
        for (unsigned j = 0; j < i; j++)
            ck_assert_msg(m->entries[i].index != m->entries[j].index, "MSR 0x%x twice",
                          m->entries[i].index);
        if (m->entries[i].index == 0x2ff)
            mtrr = (int)i;
        if (m->entries[i].index == 0xc0000080)
            efer = (int)i;
    }
    ck_assert_msg(mtrr >= 0, "no IA32_MTRR_DEF_TYPE");
    uint64_t def = m->entries[mtrr].data;
    ck_assert_msg(def & (1u << 11), "MTRRs not enabled: 0x%llx", (unsigned long long)def);
    ck_assert_msg((def & 0xff) == 6, "default memory type %llu, want 6 (write-back)",
                  (unsigned long long)(def & 0xff));
    /* EFER agrees with the sregs */
    ck_assert(efer >= 0);
    struct kvm_sregs s;
    memset(&s, 0, sizeof(s));
    cpu_boot_sregs(&s);
    ck_assert_uint_eq(m->entries[efer].data, s.efer);
    free(m);
}
END_TEST

/* ---- CPUID ---------------------------------------------------------------- */

static struct kvm_cpuid2 *fake_cpuid(void)
{
    const int n = 9;
    struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(struct kvm_cpuid_entry2));
    ck_assert(c != NULL);
    c->nent = n;
    struct kvm_cpuid_entry2 e[] = {
        { .function = 0, .eax = 0x1f, .ebx = 0x756e6547, .ecx = 0x6c65746e, .edx = 0x49656e69 },
        /* leaf 1: stepping etc.; EBX: APIC ID 0xaa, count 0xbb, CLFLUSH 8, brand 0x3c */
        { .function = 1, .eax = 0x906ea, .ebx = 0xaabb083c, .ecx = 0x7ffafbff & ~(1u << 31),
          .edx = 0x0f8bfbff & ~(1u << 28) },
        { .function = 4, .index = 0, .eax = 0x1c004121 },
        { .function = 4, .index = 1, .eax = 0x1c004122 },
        { .function = 0xb, .index = 0, .eax = 1, .ebx = 2, .ecx = 0x100, .edx = 0x55 },
        { .function = 0xb, .index = 1, .eax = 4, .ebx = 8, .ecx = 0x201, .edx = 0x55 },
        { .function = 0x1f, .index = 0, .eax = 1, .ebx = 2, .ecx = 0x100, .edx = 0x55 },
        { .function = 0x80000001, .ecx = 0x121, .edx = 0x2c100800 },
        { .function = 0x40000000, .eax = 0x40000001, .ebx = 0x4b4d564b },
    };
    memcpy(c->entries, e, sizeof(e));
    return c;
}

static struct kvm_cpuid_entry2 *leaf(struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
    for (uint32_t i = 0; i < c->nent; i++)
        if (c->entries[i].function == fn && c->entries[i].index == idx)
            return &c->entries[i];
    ck_abort_msg("leaf 0x%x.%u missing", fn, idx);
    return NULL;
}

START_TEST(cpuid_smp)
{
    struct kvm_cpuid2 *c = fake_cpuid();
    struct kvm_cpuid2 *orig = fake_cpuid();
    cpu_adjust_cpuid(c, 3, 4);
    struct kvm_cpuid_entry2 *l1 = leaf(c, 1, 0);
    ck_assert_uint_eq(l1->ebx >> 24, 3);                 /* initial APIC ID */
    ck_assert_uint_eq((l1->ebx >> 16) & 0xff, 4);        /* logical processors */
    ck_assert_uint_eq(l1->ebx & 0xffff, 0x083c);         /* CLFLUSH size, brand kept */
    ck_assert(l1->ecx & (1u << 31));                     /* hypervisor */
    ck_assert(l1->edx & (1u << 28));                     /* HTT with 4 CPUs */
    ck_assert_uint_eq(l1->ecx & ~(1u << 31), leaf(orig, 1, 0)->ecx);
    ck_assert_uint_eq(l1->eax, leaf(orig, 1, 0)->eax);
    ck_assert_uint_eq(leaf(c, 0xb, 0)->edx, 3);          /* x2APIC ID, every subleaf */
    ck_assert_uint_eq(leaf(c, 0xb, 1)->edx, 3);
    ck_assert_uint_eq(leaf(c, 0x1f, 0)->edx, 3);
    ck_assert_uint_eq(leaf(c, 4, 0)->eax >> 26, 3);       /* cores per package - 1 */
    ck_assert_uint_eq(leaf(c, 4, 1)->eax >> 26, 3);
    ck_assert_uint_eq(leaf(c, 4, 0)->eax & 0x03ffffff, 0x1c004121 & 0x03ffffff);
    /* other leaves untouched */
    const uint32_t same[][2] = { { 0, 0 }, { 0x80000001, 0 }, { 0x40000000, 0 } };
    for (size_t i = 0; i < 3; i++)
        ck_assert(memcmp(leaf(c, same[i][0], same[i][1]), leaf(orig, same[i][0], same[i][1]),
                         sizeof(struct kvm_cpuid_entry2)) == 0);
    free(c);
    free(orig);
}
END_TEST

START_TEST(cpuid_up_and_max)
{
    struct kvm_cpuid2 *c = fake_cpuid();
    cpu_adjust_cpuid(c, 0, 1);
    struct kvm_cpuid_entry2 *l1 = leaf(c, 1, 0);
    ck_assert_uint_eq(l1->ebx >> 24, 0);
    ck_assert_uint_eq((l1->ebx >> 16) & 0xff, 1);
    ck_assert(l1->ecx & (1u << 31));
    ck_assert_uint_eq(leaf(c, 0xb, 0)->edx, 0);
    ck_assert_uint_eq(leaf(c, 4, 0)->eax >> 26, 0);
    free(c);

    /* the last of 64 vCPUs: every field still holds its value */
    c = fake_cpuid();
    cpu_adjust_cpuid(c, 63, 64);
    l1 = leaf(c, 1, 0);
    ck_assert_uint_eq(l1->ebx >> 24, 63);
    ck_assert_uint_eq((l1->ebx >> 16) & 0xff, 64);
    ck_assert_uint_eq(l1->ebx & 0xffff, 0x083c);
    ck_assert_uint_eq(leaf(c, 0xb, 1)->edx, 63);
    ck_assert_uint_eq(leaf(c, 4, 0)->eax >> 26, 63);
    free(c);
}
END_TEST

/* ---- LAPIC LINT ----------------------------------------------------------- */

static uint32_t lreg(const struct kvm_lapic_state *l, int off)
{
    uint32_t v;
    memcpy(&v, l->regs + off, 4);
    return v;
}

START_TEST(lapic_lint)
{
    struct kvm_lapic_state l, before;
    memset(&l, 0, sizeof(l));
    for (size_t i = 0; i < sizeof(l.regs); i++)
        l.regs[i] = (char)(i * 7 + 3);
    uint32_t lint0 = 0x00010000 | 0x0400 | 0x31;   /* masked, NMI mode, vector 0x31 */
    uint32_t lint1 = 0x00010000 | 0x0700 | 0x42;   /* masked, ExtINT mode */
    memcpy(l.regs + 0x350, &lint0, 4);
    memcpy(l.regs + 0x360, &lint1, 4);
    before = l;
    cpu_lapic_lint(&l);
    ck_assert_uint_eq((lreg(&l, 0x350) >> 8) & 7, 7);   /* LINT0: ExtINT */
    ck_assert_uint_eq((lreg(&l, 0x360) >> 8) & 7, 4);   /* LINT1: NMI */
    /* only the delivery mode changes */
    ck_assert_uint_eq(lreg(&l, 0x350) & ~0x700u, lint0 & ~0x700u);
    ck_assert_uint_eq(lreg(&l, 0x360) & ~0x700u, lint1 & ~0x700u);
    for (int off = 0; off < (int)sizeof(l.regs); off += 4)
        if (off != 0x350 && off != 0x360)
            ck_assert_msg(memcmp(l.regs + off, before.regs + off, 4) == 0,
                          "LAPIC register 0x%x changed", off);
}
END_TEST

START_TEST(tsc_deadline_offered)
{
    struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 2 * sizeof(c->entries[0]));
    c->nent = 2;
    c->entries[0].function = 1;
    c->entries[0].ecx = 0x1;
    c->entries[1].function = 7;
    cpu_enable_tsc_deadline(c);
    ck_assert_uint_eq(c->entries[0].ecx, 0x1u | (1u << 24));
    ck_assert_uint_eq(c->entries[1].ecx, 0);            /* other leaves untouched */
    free(c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("boot_cpu");
    TCase *tc = tcase_create("tables");
    tcase_add_checked_fixture(tc, ram_setup, ram_teardown);
    tcase_add_test(tc, identity_map_walk);
    tcase_add_test(tc, identity_map_every_page_and_nothing_more);
    tcase_add_test(tc, tables_location);
    tcase_add_test(tc, gdt_descriptors);
    tcase_add_test(tc, sregs_match_gdt);
    suite_add_tcase(s, tc);

    tc = tcase_create("registers");
    tcase_add_test(tc, boot_sregs);
    tcase_add_test(tc, boot_regs);
    tcase_add_test(tc, boot_msrs);
    tcase_add_test(tc, cpuid_smp);
    tcase_add_test(tc, cpuid_up_and_max);
    tcase_add_test(tc, lapic_lint);
    tcase_add_test(tc, tsc_deadline_offered);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
