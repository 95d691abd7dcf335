/* For the tiny guest's assembly (ap.S, setup16.S): from real mode straight
 * to long mode: PAE, CR3 = PML4, EFER.LME, then CR0.PE and PG at once.  The
 * next instruction must be a far jump to 64-bit code. */
#ifndef TINYGUEST_LONGMODE_H
#define TINYGUEST_LONGMODE_H
.macro to_long_mode pml4
    movl %cr4, %eax
    orl $0x20, %eax                     /* PAE */
    movl %eax, %cr4
    movl $\pml4, %eax
    movl %eax, %cr3
    movl $0xc0000080, %ecx              /* EFER.LME */
    rdmsr
    orl $0x100, %eax
    wrmsr
    movl %cr0, %eax
    orl $0x80000001, %eax               /* PE and PG at once: long mode */
    movl %eax, %cr0
.endm
#endif
