/* CPU state for the 64-bit boot protocol entry: GDT, identity page tables,
 * registers, MSRs, FPU and CPUID.  Pure: fills KVM's structs, does no ioctl. */
#ifndef BOOT_CPU_H
#define BOOT_CPU_H
#include <linux/kvm.h>
#include <stdint.h>

#define BOOT_CS 0x10   /* __BOOT_CS */
#define BOOT_DS 0x18   /* __BOOT_DS */
#define IDENT_MAP_GIB 4

/* Writes the GDT and the page tables identity-mapping [0, 4 GiB) with
 * 2 MiB pages into guest RAM (ram = host pointer of guest physical 0;
 * needs at least LAYOUT_PD + 4 pages). */
void cpu_write_tables(uint8_t *ram);

/* Long mode: paging on, CS = BOOT_CS (64-bit), data = BOOT_DS.  Keeps the
 * fields of *s that the function does not set (TR, LDT, APIC base). */
void cpu_boot_sregs(struct kvm_sregs *s);
/* rip = 64-bit entry, rsi = zero page. */
void cpu_boot_regs(struct kvm_regs *r, uint64_t entry, uint64_t zero_page);
void cpu_boot_fpu(struct kvm_fpu *f);

#define CPU_BOOT_MSRS 12
/* Fills msrs->entries (CPU_BOOT_MSRS of them) and sets nmsrs. */
void cpu_boot_msrs(struct kvm_msrs *msrs);

/* Adjusts KVM_GET_SUPPORTED_CPUID output for vCPU `id` of `ncpus`:
 * APIC IDs, logical CPU counts, the hypervisor bit. */
void cpu_adjust_cpuid(struct kvm_cpuid2 *c, int id, int ncpus);

/* Offers the TSC-deadline timer (leaf 1 ECX bit 24).  KVM emulates it in
 * the in-kernel LAPIC (KVM_CAP_TSC_DEADLINE_TIMER) but does not list it in
 * KVM_GET_SUPPORTED_CPUID; without it Linux calibrates the LAPIC timer. */
void cpu_enable_tsc_deadline(struct kvm_cpuid2 *c);

/* LAPIC LVT LINT0 = ExtINT, LINT1 = NMI in a KVM_GET_LAPIC register page. */
void cpu_lapic_lint(struct kvm_lapic_state *l);
#endif
