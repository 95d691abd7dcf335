/* Start-up code of an application processor: copied to AP_TRAMPOLINE
 * (below 1 MiB) by mp.c, entered in real mode by the SIPI, it goes straight
 * to long mode with the boot GDT (0x500) and page tables (0x9000) that the
 * boot CPU got from minivmm, then calls ap_main() on its own stack. */
#include "longmode.h"
#define AP_TRAMPOLINE 0x3000
    .section .rodata
    .code16
    .globl ap_tramp_start, ap_tramp_end
ap_tramp_start:
    cli
    xorw %ax, %ax
    movw %ax, %ds
    lgdtl AP_TRAMPOLINE + (ap_gdtptr - ap_tramp_start)
    to_long_mode 0x9000
    ljmpl $0x10, $ap_entry64
ap_gdtptr:
    .word 0x1f
    .long 0x500
ap_tramp_end:

    .text
    .code64
ap_entry64:
    movw $0x18, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    leaq ap_stack_top(%rip), %rsp
    call ap_main
1:  cli
    hlt
    jmp 1b

    .section .bss
    .balign 16
    .skip 16384
ap_stack_top:

    .section .note.GNU-stack, "", @progbits
