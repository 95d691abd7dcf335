/* 16-bit real-mode entry of the tiny guest, in its setup sector, for loaders
 * that enter a bzImage the classic way (QEMU, e.g. -M microvm -kernel):
 * CS = setup segment + 0x20, IP = 0, i.e. setup offset 0x200, whose jmp over
 * the setup header lands here (0x26c).  minivmm never runs this: it enters
 * the 64-bit entry itself.  This code reads the TSC first (bench/host), builds
 * what minivmm would have built (boot GDT at 0x500, identity page tables for
 * the low 4 GiB at 0x9000-0xefff: only their first entries in real mode,
 * the rest in 64-bit mode), goes straight to long mode and jumps to
 * the 64-bit entry (code32_start + 0x200) with RSI = the setup in memory,
 * which the loader filled as a zero page (setup header, command line
 * pointer; no e820 map), R8 = "REAL" and R9 = the TSC at entry.
 * Linked at 0x26c (build.sh), so labels are offsets in the setup. */
#include "longmode.h"
    .code16
    .text
    .globl rm_entry
rm_entry:
    rdtsc                               /* first act: the entry time */
    cli
    cld
    movw %cs, %cx
    subw $0x20, %cx
    movw %cx, %ds                       /* ds: the setup, labels are offsets in it */
    movl %eax, rm_tsc
    movl %edx, rm_tsc + 4
    movzwl %cx, %ebx
    shll $4, %ebx                       /* ebx: linear address of the setup */
    xorw %ax, %ax
    movw %ax, %es
    movw $gdt, %si                      /* the boot GDT at 0x500, as minivmm's */
    movw $0x500, %di
    movw $16, %cx
    rep movsw
    /* Just enough paging for the jump (the first 2 MiB, where this code
     * and the kernel are): real mode may be emulated, so the rest of the
     * tables is built in 64-bit mode. */
    movl $0xa003, %es:0x9000            /* PML4[0] -> PDPT */
    movl $0, %es:0x9004
    movl $0xb003, %es:0xa000            /* PDPT[0] -> PD 0 */
    movl $0, %es:0xa004
    movl $0x83, %es:0xb000              /* PD 0 [0]: 2 MiB at 0 */
    movl $0, %es:0xb004
    leal stub64(%ebx), %eax
    movl %eax, farptr
    lgdtl gdtptr
    to_long_mode 0x9000
    ljmpl *farptr

    .code64
stub64:
    movw $0x18, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movl $0x9008, %edi                  /* PML4[1..511]: none */
    xorl %eax, %eax
    movl $(4096 - 8) / 4, %ecx
    rep stosl
    movl $0xb003, %eax                  /* PDPT[0..3] -> PD 0..3 */
    movl $0xa000, %edi
1:  movq %rax, (%rdi)
    addq $0x1000, %rax
    addq $8, %rdi
    cmpl $0xa020, %edi
    jb 1b
    xorl %eax, %eax                     /* PDPT[4..511]: none */
    movl $(4096 - 32) / 4, %ecx
    rep stosl
    movl $0x83, %eax                    /* PD 0..3: 2048 x 2 MiB, present, writable, large */
2:  movq %rax, (%rdi)
    addq $0x200000, %rax
    addq $8, %rdi
    cmpl $0xf000, %edi
    jb 2b
    movq %cr3, %rax                     /* flush the TLB */
    movq %rax, %cr3
    movl %ebx, %esi                     /* the zero page (zero-extended) */
    movl $0x4c414552, %r8d              /* "REAL": entered here */
    movq rm_tsc(%rsi), %r9
    movl 0x214(%rsi), %eax              /* code32_start */
    addl $0x200, %eax                   /* the 64-bit entry */
    jmp *%rax

gdt:
    .quad 0, 0
    .quad 0x00af9b000000ffff            /* 0x10: 64-bit code */
    .quad 0x00cf93000000ffff            /* 0x18: data */
gdtptr:
    .word 0x1f
    .long 0x500
farptr:
    .long 0
    .word 0x10
rm_tsc:
    .quad 0

    .section .note.GNU-stack, "", @progbits
