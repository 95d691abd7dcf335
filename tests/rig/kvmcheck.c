/* Rig self-check, run inside L1: proves /dev/kvm there is a working KVM by
 * running a 5-byte real-mode guest ("mov al, 0x2a; out 0x604, al; ..."),
 * independent of minivmm.  Prints one line; exit 0 on success.
 * Built statically by tests/rig/run (not part of the minivmm build). */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static int fail(const char *what)
{
    printf("kvmcheck: %s: %s\n", what, strerror(errno));
    return 1;
}

int main(void)
{
    /* mov al,0x2a; mov dx,0x604; out dx,al; hlt */
    static const uint8_t code[] = { 0xb0, 0x2a, 0xba, 0x04, 0x06, 0xee, 0xf4 };
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        return fail("open /dev/kvm");
    int api = ioctl(kvm, KVM_GET_API_VERSION, 0);
    if (api != KVM_API_VERSION) {
        printf("kvmcheck: API version %d, want %d\n", api, KVM_API_VERSION);
        return 1;
    }
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        return fail("KVM_CREATE_VM");
    size_t memsz = 0x10000;
    uint8_t *mem = mmap(NULL, memsz, PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return fail("mmap");
    memcpy(mem + 0x1000, code, sizeof code);
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = memsz,
        .userspace_addr = (uintptr_t)mem,
    };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        return fail("KVM_SET_USER_MEMORY_REGION");
    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0)
        return fail("KVM_CREATE_VCPU");
    int runsz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (runsz <= 0)
        return fail("KVM_GET_VCPU_MMAP_SIZE");
    struct kvm_run *run = mmap(NULL, (size_t)runsz, PROT_READ | PROT_WRITE,
                               MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED)
        return fail("mmap kvm_run");
    struct kvm_sregs sregs;
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
        return fail("KVM_GET_SREGS");
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
        return fail("KVM_SET_SREGS");
    struct kvm_regs regs = { .rip = 0x1000, .rflags = 0x2 };
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
        return fail("KVM_SET_REGS");
    for (int i = 0; i < 16; i++) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0)
            return fail("KVM_RUN");
        if (run->exit_reason == KVM_EXIT_IO) {
            uint8_t v = *((uint8_t *)run + run->io.data_offset);
            if (run->io.direction == KVM_EXIT_IO_OUT && run->io.port == 0x604 &&
                run->io.size == 1 && v == 0x2a) {
                printf("kvmcheck: ok (real-mode guest wrote 0x2a to port 0x604)\n");
                return 0;
            }
            printf("kvmcheck: unexpected I/O exit port 0x%x value 0x%x\n",
                   run->io.port, v);
            return 1;
        }
        if (run->exit_reason != KVM_EXIT_INTR) {
            printf("kvmcheck: unexpected exit reason %u\n", run->exit_reason);
            return 1;
        }
    }
    printf("kvmcheck: guest never reached its port write\n");
    return 1;
}
