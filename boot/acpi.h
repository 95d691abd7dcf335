/* ACPI tables for an x86-64 guest: RSDP, XSDT, FADT (hardware-reduced),
 * MADT and a DSDT with COM1, the CPUs, the virtio-mmio devices and \_S5.
 * Layout and choices: docs/acpi.md. */
#ifndef BOOT_ACPI_H
#define BOOT_ACPI_H
#include <stddef.h>
#include <stdint.h>

#define ACPI_MAX_CPUS   64
#define ACPI_MAX_VIRTIO 256

struct acpi_mmio_dev {
    uint64_t base;  /* the window must lie below 4 GiB (Memory32Fixed) */
    uint32_t size;  /* > 0 */
    uint32_t irq;   /* IOAPIC input (GSI) 0..23 */
};

struct acpi_config {
    int ncpus;                         /* 1..64: one LAPIC each, APIC IDs 0..ncpus-1 */
    const struct acpi_mmio_dev *virtio; int nvirtio;  /* virtio-mmio windows, _HID "LNRO0005" */
};

/* Writes the tables into `mem`, which is guest physical [base, base + max).  The RSDP comes
   first at `base`.  Returns the number of bytes used, or -1 if max is too small or cfg invalid. */
long acpi_build(uint8_t *mem, uint64_t base, size_t max, const struct acpi_config *cfg);

#endif
