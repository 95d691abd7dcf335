/* The guest-side job runtime, built into the binary (see job/job.h). */
    .section .rodata
    .globl job_runtime_sh
job_runtime_sh:
    .incbin "job/runtime.sh"
    .byte 0
    .section .note.GNU-stack, "", @progbits
