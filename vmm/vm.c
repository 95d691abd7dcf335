/* KVM core: the VM, its RAM, the vCPU threads and their run loop. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "boot/layout.h"
#include "vmm/timing.h"
#include "vmm/vm.h"

#define ERR(...) fprintf(stderr, "minivmm: " __VA_ARGS__)

static const struct { int cap; const char *name; } needed_caps[] = {
    { KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
    { KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
    { KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
    { KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
    { KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },
    { KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD" },
    { KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
};

int vm_create(struct vm *vm, uint64_t ram_size, int ncpus, bool pit)
{
    memset(vm, 0, sizeof(*vm));
    vm->kvm_fd = vm->vm_fd = -1;
    vm->ncpus = ncpus;
    pthread_mutex_init(&vm->end_lock, NULL);
    /* vm_wait's deadlines are CLOCK_MONOTONIC; a condition variable on the
     * default CLOCK_REALTIME would take them as long past and never sleep. */
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&vm->end_cond, &ca);
    pthread_condattr_destroy(&ca);

    vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (vm->kvm_fd < 0) {
        if (errno == ENOENT)
            ERR("/dev/kvm does not exist: KVM is not available on this host (load kvm-intel or kvm-amd)\n");
        else if (errno == EACCES || errno == EPERM)
            ERR("no permission to open /dev/kvm: add yourself to the 'kvm' group or run as root\n");
        else
            ERR("cannot open /dev/kvm: %s\n", strerror(errno));
        return -1;
    }
    int api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
    if (api != KVM_API_VERSION) {
        ERR("/dev/kvm has API version %d, minivmm needs %d\n", api, KVM_API_VERSION);
        return -1;
    }
    for (size_t i = 0; i < sizeof(needed_caps) / sizeof(needed_caps[0]); i++)
        if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, needed_caps[i].cap) <= 0) {
            ERR("KVM lacks a capability minivmm needs: %s\n", needed_caps[i].name);
            return -1;
        }
    if (pit && ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_PIT2) <= 0) {
        ERR("KVM lacks a capability --pit needs: KVM_CAP_PIT2\n");
        return -1;
    }
    int max_cpus = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
    if (max_cpus > 0 && ncpus > max_cpus) {
        ERR("--cpus %d is more than KVM allows here (%d)\n", ncpus, max_cpus);
        return -1;
    }
    int sz = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (sz < (int)sizeof(struct kvm_run)) {
        ERR("KVM_GET_VCPU_MMAP_SIZE failed: %s\n", strerror(errno));
        return -1;
    }
    vm->run_size = (size_t)sz;
    timing_step("kvm-open");

    vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
    if (vm->vm_fd < 0) {
        ERR("KVM_CREATE_VM failed: %s\n", strerror(errno));
        return -1;
    }
    if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, LAYOUT_TSS) < 0) {
        ERR("KVM_SET_TSS_ADDR failed: %s\n", strerror(errno));
        return -1;
    }
    uint64_t ident = LAYOUT_TSS - 0x1000;
    ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident);   /* only VMX needs it */
    timing_step("vm-create");
    /* The memory slots before the irqchip: KVM_SET_USER_MEMORY_REGION waits
     * for an SRCU grace period of the VM, measured 0.24 ms right after
     * KVM_CREATE_VM and 5-7 ms after KVM_CREATE_IRQCHIP (docs/speed.md). */
    int e = gmem_init(&vm->mem, ram_size, LAYOUT_MMIO_HOLE);
    if (e < 0) {
        ERR("cannot map %llu MiB of guest RAM: %s\n", (unsigned long long)(ram_size >> 20),
            strerror(-e));
        return -1;
    }
    timing_step("guest-ram");
    struct kvm_userspace_memory_region r = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = vm->mem.low_size,
        .userspace_addr = (uintptr_t)vm->mem.host,
    };
    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
        ERR("KVM_SET_USER_MEMORY_REGION failed: %s\n", strerror(errno));
        return -1;
    }
    if (vm->mem.high_size) {
        r = (struct kvm_userspace_memory_region){
            .slot = 1, .guest_phys_addr = GMEM_HIGH_BASE, .memory_size = vm->mem.high_size,
            .userspace_addr = (uintptr_t)(vm->mem.host + vm->mem.low_size),
        };
        if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
            ERR("KVM_SET_USER_MEMORY_REGION (above 4 GiB) failed: %s\n", strerror(errno));
            return -1;
        }
    }
    timing_step("memory-slots");
    if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
        ERR("KVM_CREATE_IRQCHIP failed: %s\n", strerror(errno));
        return -1;
    }
    timing_step("irqchip");
    if (pit) {
        struct kvm_pit_config pc = { .flags = KVM_PIT_SPEAKER_DUMMY };
        if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pc) < 0) {
            ERR("KVM_CREATE_PIT2 failed: %s\n", strerror(errno));
            return -1;
        }
        timing_step("pit");
    }

    return 0;
}

int vm_create_vcpus(struct vm *vm)
{
    vm->vcpus = calloc((size_t)vm->ncpus, sizeof(*vm->vcpus));
    if (!vm->vcpus)
        return -1;
    for (int i = 0; i < vm->ncpus; i++) {
        struct vcpu *c = &vm->vcpus[i];
        c->vm = vm;
        c->id = i;
        c->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, i);
        if (c->fd < 0) {
            ERR("KVM_CREATE_VCPU %d failed: %s\n", i, strerror(errno));
            return -1;
        }
        c->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
        if (c->run == MAP_FAILED) {
            c->run = NULL;
            ERR("mmap of vCPU %d failed: %s\n", i, strerror(errno));
            return -1;
        }
    }
    return 0;
}

void vm_request_end(struct vm *vm, enum vm_end why, int status)
{
    pthread_mutex_lock(&vm->end_lock);
    if (vm->end == VM_RUNNING) {
        vm->end = why;
        vm->guest_status = status;
        pthread_cond_broadcast(&vm->end_cond);
    }
    pthread_mutex_unlock(&vm->end_lock);
}

static void print_regs(const struct vcpu *c, const struct kvm_regs *r,
                       const struct kvm_sregs *s)
{
    ERR("vCPU %d: rip=%016llx rsp=%016llx rflags=%08llx rax=%016llx rbx=%016llx "
        "rcx=%016llx rdx=%016llx rsi=%016llx rdi=%016llx cr0=%llx cr2=%llx cr3=%llx "
        "cr4=%llx efer=%llx cs=%04x\n", c->id, r->rip, r->rsp, r->rflags, r->rax, r->rbx,
        r->rcx, r->rdx, r->rsi, r->rdi, s->cr0, s->cr2, s->cr3, s->cr4, s->efer,
        s->cs.selector);
    ERR("vCPU %d: idt=%llx/%x gdt=%llx/%x tr=%04x/%llx ss=%04x r8=%016llx r9=%016llx "
        "r10=%016llx r11=%016llx r12=%016llx r13=%016llx r14=%016llx r15=%016llx "
        "rbp=%016llx\n", c->id, s->idt.base, s->idt.limit, s->gdt.base, s->gdt.limit,
        s->tr.selector, s->tr.base, s->ss.selector, r->r8, r->r9, r->r10, r->r11, r->r12,
        r->r13, r->r14, r->r15, r->rbp);
}

static bool get_regs(const struct vcpu *c, struct kvm_regs *r, struct kvm_sregs *s)
{
    return ioctl(c->fd, KVM_GET_REGS, r) == 0 && ioctl(c->fd, KVM_GET_SREGS, s) == 0;
}

void vm_dump_regs(struct vcpu *c)
{
    struct kvm_regs r;
    struct kvm_sregs s;
    if (get_regs(c, &r, &s))
        print_regs(c, &r, &s);
}

/* Where a triple fault happened, when KVM still knows: on Intel the state
 * is kept, but on AMD KVM has already reset the vCPU (the VMCB is undefined
 * after a shutdown intercept), and a reset state would only mislead. */
static void dump_shutdown_regs(struct vcpu *c)
{
    struct kvm_regs r;
    struct kvm_sregs s;
    if (get_regs(c, &r, &s) && (r.rip != 0xfff0 || s.cs.selector != 0xf000))
        print_regs(c, &r, &s);
}

static void do_io(struct vcpu *c)
{
    struct kvm_run *run = c->run;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    bool wr = run->io.direction == KVM_EXIT_IO_OUT;
    for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
        bool hit = bus_dispatch(&c->vm->pio, run->io.port, data, run->io.size, wr);
        if (c->vm->trace_io && (!hit || run->io.port != 0x3f8))
            fprintf(stderr, "minivmm: io %s port 0x%x size %u value 0x%x%s\n", wr ? "out" : "in",
                    run->io.port, run->io.size, data[0], hit ? "" : " (unhandled)");
    }
}

static void *vcpu_thread(void *arg)
{
    struct vcpu *c = arg;
    struct vm *vm = c->vm;
    char name[16];
    snprintf(name, sizeof(name), "vcpu%d", c->id);
    pthread_setname_np(pthread_self(), name);
    sigset_t unblock;
    sigemptyset(&unblock);
    sigaddset(&unblock, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);

    if (c->id == 0)
        timing_guest_entry();               /* the first KVM_RUN of the boot CPU */
    while (__atomic_load_n(&vm->end, __ATOMIC_ACQUIRE) == VM_RUNNING) {
        if (ioctl(c->fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                c->run->immediate_exit = 0;
                continue;
            }
            ERR("KVM_RUN on vCPU %d failed: %s\n", c->id, strerror(errno));
            vm_request_end(vm, VM_END_ERROR, 0);
            break;
        }
        struct kvm_run *run = c->run;
        switch (run->exit_reason) {
        case KVM_EXIT_IO:
            __atomic_add_fetch(&vm->io_exits, 1, __ATOMIC_RELAXED);
            do_io(c);
            break;
        case KVM_EXIT_MMIO:
            __atomic_add_fetch(&vm->io_exits, 1, __ATOMIC_RELAXED);
            bus_dispatch(&vm->mmio, run->mmio.phys_addr, run->mmio.data,
                         run->mmio.len, run->mmio.is_write);
            break;
        case KVM_EXIT_SHUTDOWN:             /* triple fault */
            dump_shutdown_regs(c);
            vm_request_end(vm, VM_END_SHUTDOWN, 0);
            break;
        case KVM_EXIT_SYSTEM_EVENT:
            switch (run->system_event.type) {
            case KVM_SYSTEM_EVENT_SHUTDOWN: vm_request_end(vm, VM_END_POWEROFF, 0); break;
            case KVM_SYSTEM_EVENT_RESET: vm_request_end(vm, VM_END_RESET, 0); break;
            case KVM_SYSTEM_EVENT_CRASH: vm_request_end(vm, VM_END_PANIC, 0); break;
            default:
                if (msg_limit_ok(&vm->exit_errors, "vCPU exit errors"))
                    ERR("vCPU %d: unknown system event %u\n", c->id, run->system_event.type);
                vm_request_end(vm, VM_END_ERROR, 0);
            }
            break;
        case KVM_EXIT_INTR:
            break;
        case KVM_EXIT_INTERNAL_ERROR:
            if (msg_limit_ok(&vm->exit_errors, "vCPU exit errors")) {
                ERR("KVM internal error on vCPU %d, suberror %u (1 = emulation failure)\n",
                    c->id, run->internal.suberror);
                vm_dump_regs(c);
            }
            vm->emulation_failed = true;
            vm_request_end(vm, VM_END_ERROR, 0);
            break;
        case KVM_EXIT_FAIL_ENTRY:
            if (msg_limit_ok(&vm->exit_errors, "vCPU exit errors")) {
                ERR("KVM could not enter vCPU %d: hardware reason 0x%llx\n", c->id,
                    (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
                vm_dump_regs(c);
            }
            vm_request_end(vm, VM_END_ERROR, 0);
            break;
        default:
            if (msg_limit_ok(&vm->exit_errors, "vCPU exit errors")) {
                ERR("vCPU %d: unexpected KVM exit %u\n", c->id, run->exit_reason);
                vm_dump_regs(c);
            }
            vm_request_end(vm, VM_END_ERROR, 0);
        }
    }
    return NULL;
}

static void on_sigusr1(int sig) { (void)sig; }

int vm_start(struct vm *vm)
{
    struct sigaction sa = { .sa_handler = on_sigusr1 };   /* no SA_RESTART: KVM_RUN returns EINTR */
    sigaction(SIGUSR1, &sa, NULL);
    /* vCPU threads unblock SIGUSR1 themselves; every other thread keeps it blocked. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    for (int i = 0; i < vm->ncpus; i++) {
        int e = pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread, &vm->vcpus[i]);
        if (e) {
            ERR("cannot start vCPU thread: %s\n", strerror(e));
            vm_request_end(vm, VM_END_ERROR, 0);
            return -1;
        }
        vm->vcpus[i].started = true;
    }
    return 0;
}

enum vm_end vm_wait(struct vm *vm, long timeout_ms, void (*tick)(void *), void *arg)
{
    struct timespec deadline, now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    deadline = now;
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&vm->end_lock);
    while (vm->end == VM_RUNNING) {
        struct timespec slice;
        clock_gettime(CLOCK_MONOTONIC, &slice);
        if (timeout_ms > 0 && (slice.tv_sec > deadline.tv_sec ||
                               (slice.tv_sec == deadline.tv_sec && slice.tv_nsec >= deadline.tv_nsec))) {
            vm->end = VM_END_TIMEOUT;
            break;
        }
        slice.tv_nsec += 20 * 1000000L;       /* wake every 20 ms for `tick` */
        if (slice.tv_nsec >= 1000000000L) {
            slice.tv_sec++;
            slice.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&vm->end_cond, &vm->end_lock, &slice);
        if (tick && vm->end == VM_RUNNING) {
            pthread_mutex_unlock(&vm->end_lock);
            tick(arg);
            pthread_mutex_lock(&vm->end_lock);
        }
    }
    enum vm_end e = vm->end;
    pthread_mutex_unlock(&vm->end_lock);
    return e;
}

void vm_stop(struct vm *vm)
{
    vm_request_end(vm, VM_END_ERROR, 0);      /* no-op when the VM already ended */
    for (int i = 0; vm->vcpus && i < vm->ncpus; i++) {
        struct vcpu *c = &vm->vcpus[i];
        if (!c->started)
            continue;
        __atomic_store_n(&c->run->immediate_exit, 1, __ATOMIC_RELEASE);
        pthread_kill(c->thread, SIGUSR1);
    }
    for (int i = 0; vm->vcpus && i < vm->ncpus; i++) {
        struct vcpu *c = &vm->vcpus[i];
        if (!c->started)
            continue;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 2;
        if (pthread_timedjoin_np(c->thread, NULL, &ts) != 0) {
            ERR("vCPU %d did not stop; leaving it behind\n", i);
            continue;
        }
        c->started = false;
    }
}

void vm_destroy(struct vm *vm)
{
    vm_stop(vm);
    for (int i = 0; vm->vcpus && i < vm->ncpus; i++) {
        if (vm->vcpus[i].run)
            munmap(vm->vcpus[i].run, vm->run_size);
        if (vm->vcpus[i].fd >= 0)
            close(vm->vcpus[i].fd);
    }
    free(vm->vcpus);
    vm->vcpus = NULL;
    gmem_free(&vm->mem);
    if (vm->vm_fd >= 0)
        close(vm->vm_fd);
    if (vm->kvm_fd >= 0)
        close(vm->kvm_fd);
}

int vm_irq_line(struct vm *vm, uint32_t irq, int level)
{
    struct kvm_irq_level l = { .irq = irq, .level = (uint32_t)level };
    return ioctl(vm->vm_fd, KVM_IRQ_LINE, &l);
}

int vm_irq_pulse(struct vm *vm, uint32_t irq)
{
    return vm_irq_line(vm, irq, 1) < 0 ? -1 : vm_irq_line(vm, irq, 0);
}

int vm_irqfd(struct vm *vm, int eventfd, uint32_t gsi)
{
    struct kvm_irqfd f = { .fd = (uint32_t)eventfd, .gsi = gsi };
    return ioctl(vm->vm_fd, KVM_IRQFD, &f);
}

int vm_ioeventfd(struct vm *vm, int eventfd, uint64_t addr, uint32_t len, uint64_t datamatch)
{
    struct kvm_ioeventfd f = {
        .datamatch = datamatch, .addr = addr, .len = len, .fd = eventfd,
        .flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
    };
    return ioctl(vm->vm_fd, KVM_IOEVENTFD, &f);
}
