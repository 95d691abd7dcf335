/* The Intel MultiProcessor table (MP spec 1.4): CPUs, the IOAPIC and ISA
 * interrupt routing for kernels that run without ACPI (CONFIG_ACPI=n, or
 * --virtio-discovery cmdline, where minivmm publishes no ACPI tables).
 * Kernels that find ACPI ignore it. */
#ifndef BOOT_MPTABLE_H
#define BOOT_MPTABLE_H
#include <stddef.h>
#include <stdint.h>

#define MPTABLE_MAX_CPUS 64

/* Writes the floating pointer at guest physical `base` (host pointer mem)
 * and the configuration table after it.  Returns bytes used, or -1 when
 * ncpus is out of range or max is too small. */
long mptable_build(uint8_t *mem, uint64_t base, size_t max, int ncpus);
#endif
