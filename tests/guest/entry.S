/* Tiny test guest: 32-bit entry (unused, halts) at the load address, the
 * 64-bit boot protocol entry at +0x200.  rsi holds the zero page. */
    .section .text.head, "ax"
    .code32
    .globl _start32
_start32:
    hlt
    jmp _start32

    .org 0x200
    .code64
    .globl _start64
_start64:
    cli
    leaq stack_top(%rip), %rsp
    movq %rsi, %rdi
    call guest_main
1:  hlt
    jmp 1b

    .section .bss
    .balign 16
    .skip 16384
stack_top:

    .section .note.GNU-stack, "", @progbits
