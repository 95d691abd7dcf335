/* The guest init script, built into the binary (see initrd/assets.h). */
    .section .rodata
    .globl initrd_init_sh
initrd_init_sh:
    .incbin "initrd/init.sh"
    .byte 0
    .section .note.GNU-stack, "", @progbits
