#include <string.h>
#include "boot/cpu.h"
#include "boot/layout.h"

static uint64_t gdt_entry(uint16_t flags, uint32_t base, uint32_t limit)
{
    return ((uint64_t)(base & 0xff000000) << 32) | ((uint64_t)(flags & 0xf0ff) << 40) |
           ((uint64_t)(limit & 0x000f0000) << 32) | ((uint64_t)(base & 0x00ffffff) << 16) |
           (limit & 0xffff);
}

void cpu_write_tables(uint8_t *ram)
{
    uint64_t gdt[4] = {
        0, 0,
        gdt_entry(0xa09b, 0, 0xfffff),   /* BOOT_CS: 64-bit code, present, exec/read */
        gdt_entry(0xc093, 0, 0xfffff),   /* BOOT_DS: 4 GiB flat data, read/write */
    };
    memcpy(ram + LAYOUT_GDT, gdt, sizeof(gdt));
    memset(ram + LAYOUT_IDT, 0, 8);

    uint64_t *pml4 = (uint64_t *)(ram + LAYOUT_PML4);
    uint64_t *pdpt = (uint64_t *)(ram + LAYOUT_PDPT);
    memset(pml4, 0, 4096);
    memset(pdpt, 0, 4096);
    pml4[0] = LAYOUT_PDPT | 0x3;                          /* present, writable */
    for (int g = 0; g < IDENT_MAP_GIB; g++) {
        uint64_t *pd = (uint64_t *)(ram + LAYOUT_PD + 4096 * g);
        pdpt[g] = (LAYOUT_PD + 4096 * g) | 0x3;
        for (int i = 0; i < 512; i++)
            pd[i] = (((uint64_t)g << 30) + ((uint64_t)i << 21)) | 0x83;  /* 2 MiB page */
    }
}

static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type, int code)
{
    *s = (struct kvm_segment){
        .base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
        .present = 1, .dpl = 0, .db = code ? 0 : 1, .s = 1, .l = code ? 1 : 0, .g = 1,
    };
}

void cpu_boot_sregs(struct kvm_sregs *s)
{
    seg(&s->cs, BOOT_CS, 0xb, 1);
    seg(&s->ds, BOOT_DS, 0x3, 0);
    s->es = s->fs = s->gs = s->ss = s->ds;
    s->gdt.base = LAYOUT_GDT;
    s->gdt.limit = 4 * 8 - 1;
    s->idt.base = LAYOUT_IDT;
    s->idt.limit = 0;
    s->cr0 = 0x80000031;        /* PG | NE | ET | PE */
    s->cr3 = LAYOUT_PML4;
    s->cr4 = 0x20;              /* PAE */
    s->efer = 0x500;            /* LMA | LME */
}

void cpu_boot_regs(struct kvm_regs *r, uint64_t entry, uint64_t zero_page)
{
    memset(r, 0, sizeof(*r));
    r->rflags = 0x2;
    r->rip = entry;
    r->rsi = zero_page;
    r->rsp = r->rbp = LAYOUT_STACK;
}

void cpu_boot_fpu(struct kvm_fpu *f)
{
    memset(f, 0, sizeof(*f));
    f->fcw = 0x37f;
    f->mxcsr = 0x1f80;
}

void cpu_boot_msrs(struct kvm_msrs *m)
{
    static const struct { uint32_t index; uint64_t data; } init[CPU_BOOT_MSRS] = {
        { 0x174, 0 }, { 0x175, 0 }, { 0x176, 0 },   /* SYSENTER_CS/ESP/EIP */
        { 0xc0000081, 0 }, { 0xc0000082, 0 },       /* STAR, LSTAR */
        { 0xc0000083, 0 }, { 0xc0000084, 0 },       /* CSTAR, SYSCALL_MASK */
        { 0xc0000102, 0 },                          /* KERNEL_GS_BASE */
        { 0x10, 0 },                                /* TSC */
        { 0x1a0, 1 },                               /* MISC_ENABLE: fast strings */
        { 0x2ff, (1 << 11) | 6 },                   /* MTRRdefType: enabled, write-back */
        { 0xc0000080, 0x500 },                      /* EFER, as in the sregs */
    };
    m->nmsrs = CPU_BOOT_MSRS;
    for (int i = 0; i < CPU_BOOT_MSRS; i++)
        m->entries[i] = (struct kvm_msr_entry){ .index = init[i].index, .data = init[i].data };
}

void cpu_adjust_cpuid(struct kvm_cpuid2 *c, int id, int ncpus)
{
    for (uint32_t i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];
        switch (e->function) {
        case 1:
            e->ebx = (e->ebx & 0x0000ffff) | ((uint32_t)id << 24) | ((uint32_t)ncpus << 16);
            e->ecx |= 1u << 31;                       /* running under a hypervisor */
            if (ncpus > 1)
                e->edx |= 1u << 28;                   /* HTT: several logical CPUs */
            break;
        case 4:                                       /* cores per package - 1 */
            e->eax = (e->eax & 0x03ffffff) | ((uint32_t)(ncpus - 1) << 26);
            break;
        case 0xb:
        case 0x1f:
            e->edx = (uint32_t)id;                    /* x2APIC ID */
            break;
        }
    }
}

void cpu_enable_tsc_deadline(struct kvm_cpuid2 *c)
{
    for (uint32_t i = 0; i < c->nent; i++)
        if (c->entries[i].function == 1)
            c->entries[i].ecx |= 1u << 24;
}

void cpu_lapic_lint(struct kvm_lapic_state *l)
{
    uint32_t v;
    memcpy(&v, l->regs + 0x350, 4);
    v = (v & ~0x700u) | (7u << 8);                    /* LINT0: ExtINT */
    memcpy(l->regs + 0x350, &v, 4);
    memcpy(&v, l->regs + 0x360, 4);
    v = (v & ~0x700u) | (4u << 8);                    /* LINT1: NMI */
    memcpy(l->regs + 0x360, &v, 4);
}
