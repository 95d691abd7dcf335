/* Tiny test guest: 32-bit entry (unused, halts) at the load address, the
 * 64-bit boot protocol entry at +0x200.  rsi holds the zero page.  The
 * first act is reading the TSC (entry_tsc and entry64_tsc, for bench/host); when the
 * real-mode entry (setup16.S) came first, r8 is "REAL" and r9 holds the TSC
 * it read on entry. */
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
    rdtsc
    cli
    shlq $32, %rdx
    orq %rax, %rdx
    movq %rdx, entry64_tsc(%rip)
    cmpl $0x4c414552, %r8d              /* "REAL" */
    jne 2f
    movq %r9, %rdx
    movb $1, entry_realmode(%rip)
2:  movq %rdx, entry_tsc(%rip)
    leaq stack_top(%rip), %rsp
    movq %rsi, %rdi
    call guest_main
1:  hlt
    jmp 1b

    .data
    .globl entry_tsc, entry64_tsc, entry_realmode
entry_tsc:
    .quad 0
entry64_tsc:
    .quad 0
entry_realmode:
    .byte 0

    .section .bss
    .balign 16
    .skip 16384
stack_top:

    .section .note.GNU-stack, "", @progbits
