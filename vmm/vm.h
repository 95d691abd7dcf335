/* The virtual machine: KVM file descriptors, RAM, device buses, vCPUs and
 * how the run ends.  Devices get a struct vm * to register themselves and to
 * raise interrupts; the command line tool creates, loads and runs it. */
#ifndef VMM_VM_H
#define VMM_VM_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "vmm/bus.h"
#include "vmm/mem.h"
#include "vmm/msglimit.h"

/* Why the VM ended; decides the exit status (see cli/status.h). */
enum vm_end {
    VM_RUNNING = 0,
    VM_END_STATUS,     /* the guest wrote its status to the exit device */
    VM_END_POWEROFF,   /* ACPI S5 */
    VM_END_RESET,      /* i8042 / ACPI reset, or reboot */
    VM_END_SHUTDOWN,   /* KVM_EXIT_SHUTDOWN: triple fault */
    VM_END_PANIC,      /* a panic/oops seen on the console */
    VM_END_TIMEOUT,
    VM_END_ERROR,      /* KVM or host failure, message already printed */
};

struct vcpu {
    struct vm *vm;
    int id, fd;
    struct kvm_run *run;
    pthread_t thread;
    bool started;
};

struct vm {
    int kvm_fd, vm_fd;
    size_t run_size;           /* mmap size of struct kvm_run */
    struct guest_mem mem;
    struct bus pio, mmio;
    int ncpus;
    struct vcpu *vcpus;

    pthread_mutex_t end_lock;
    pthread_cond_t end_cond;
    bool trace_io;             /* MINIVMM_TRACE_IO=1: log port I/O on stderr */
    enum vm_end end;           /* first reason wins */
    int guest_status;          /* with VM_END_STATUS */
    unsigned long io_exits;    /* port and MMIO exits so far (atomic) */
    bool emulation_failed;     /* a vCPU ended with KVM_EXIT_INTERNAL_ERROR */
    struct msg_limit exit_errors;  /* vCPU exit errors printed (one per vCPU at most) */
};

/* Opens /dev/kvm and checks API version and capabilities; creates the VM,
 * RAM, irqchip and, with pit, the in-kernel PIT (i8254).  On failure prints
 * one line and returns -1. */
int vm_create(struct vm *vm, uint64_t ram_size, int ncpus, bool pit);
/* Creates the vCPUs (after the guest image and CPUID inputs are ready). */
int vm_create_vcpus(struct vm *vm);
/* Starts one thread per vCPU; returns at once. */
int vm_start(struct vm *vm);
/* Waits until the VM ends or timeout_ms passes (<= 0: forever), calling
 * tick(arg) about every 20 ms meanwhile (tick may be NULL). */
enum vm_end vm_wait(struct vm *vm, long timeout_ms, void (*tick)(void *), void *arg);
/* Stops the vCPU threads (each is kicked out of KVM_RUN). */
void vm_stop(struct vm *vm);
/* Records why the VM ends (the first call wins) and wakes vm_wait. */
void vm_request_end(struct vm *vm, enum vm_end why, int status);
/* Prints the vCPU's registers on stderr (one line), e.g. after a timeout. */
void vm_dump_regs(struct vcpu *c);
/* Stops all vCPU threads and frees everything. */
void vm_destroy(struct vm *vm);

/* Interrupts and notifications for devices. */
int vm_irq_line(struct vm *vm, uint32_t irq, int level);
int vm_irq_pulse(struct vm *vm, uint32_t irq);            /* edge: 1 then 0 */
int vm_irqfd(struct vm *vm, int eventfd, uint32_t gsi);   /* eventfd write -> edge irq */
/* eventfd signalled when the guest writes `datamatch` (len bytes) at MMIO addr. */
int vm_ioeventfd(struct vm *vm, int eventfd, uint64_t addr, uint32_t len, uint64_t datamatch);
#endif
