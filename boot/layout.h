/* The machine's layout, the one description boot/ (the boot plan: ACPI, MP
 * table, e820, zero page) and vmm/ (the devices) both read: where things live
 * in guest physical memory, and the guest-visible ports, interrupt lines and
 * virtio-mmio windows (x86-64).  docs/architecture.md. */
#ifndef BOOT_LAYOUT_H
#define BOOT_LAYOUT_H

#define LAYOUT_GDT          0x0500ULL   /* 4 entries */
#define LAYOUT_IDT          0x0520ULL   /* empty */
#define LAYOUT_ZERO_PAGE    0x7000ULL   /* struct boot_params */
#define LAYOUT_STACK        0x8ff0ULL
#define LAYOUT_PML4         0x9000ULL
#define LAYOUT_PDPT         0xa000ULL
#define LAYOUT_PD           0xb000ULL   /* 4 pages: 4 GiB of 2 MiB pages */
#define LAYOUT_CMDLINE      0x20000ULL
#define LAYOUT_CMDLINE_MAX  0x10000ULL
#define LAYOUT_EBDA         0x9fc00ULL  /* RAM ends here below 1 MiB */
#define LAYOUT_ACPI         0xe0000ULL  /* RSDP, then the other tables */
#define LAYOUT_ACPI_MAX     0x10000ULL  /* up to the MP table */
#define LAYOUT_MPTABLE      0xf0000ULL  /* MP floating pointer, then the table */
#define LAYOUT_MPTABLE_MAX  0x10000ULL  /* up to 1 MiB */
#define LAYOUT_HIMEM        0x100000ULL /* 1 MiB */
#define LAYOUT_MMIO_HOLE    0xc0000000ULL /* [3 GiB, 4 GiB) is not RAM */
#define LAYOUT_IOAPIC       0xfec00000ULL
#define LAYOUT_LAPIC        0xfee00000ULL
#define LAYOUT_TSS          0xfffbd000ULL /* KVM_SET_TSS_ADDR, 3 pages */

/* Fixed guest-visible addresses of minivmm's devices.  The guest-side
 * protocol of the minivmm-specific ports is documented in docs/devices.md. */
#define PORT_COM1          0x3f8   /* 16550A UART, 8 ports, IRQ 4 */
#define IRQ_COM1           4
#define PORT_I8042_DATA    0x60
#define PORT_SYSCTL_B      0x61    /* read 0x20 without --pit (vmm/sysdev.c) */
#define PORT_I8042_CMD     0x64    /* write 0xfe: reset */

/* minivmm's own ports, a block of 16 at 0x600. */
#define PORT_ACPI_SLEEP_CTL 0x600  /* FADT sleep control register (8 bit) */
#define PORT_ACPI_SLEEP_STS 0x601  /* FADT sleep status register (8 bit) */
#define PORT_ACPI_RESET     0x602  /* FADT reset register (8 bit) */
#define ACPI_RESET_VALUE    0x42
#define ACPI_S5_SLP_TYP     5      /* value of \_S5 in the DSDT */
#define PORT_EXIT           0x604  /* exit device: write the guest's status */
#define PORT_BOOT_TIMER     0x608  /* boot timer: write a phase marker */

/* Interrupt lines free for virtio-mmio devices (ISA range, edge, active high). */
#define VIRTIO_IRQS        { 5, 6, 7, 9, 10, 11, 12, 14, 15 }
/* virtio-mmio windows: one 4 KiB page each from here up. */
#define VIRTIO_MMIO_BASE   0xd0000000ULL
#define VIRTIO_MMIO_SIZE   0x1000
#endif
