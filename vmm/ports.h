/* Fixed guest-visible addresses of minivmm's devices (x86).  The guest-side
 * protocol of the minivmm-specific ports is documented in docs/devices.md. */
#ifndef VMM_PORTS_H
#define VMM_PORTS_H

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
