/* Where things live in guest physical memory at boot (x86-64). */
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
#endif
