#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif
#include "boot/acpi.h"
#include "boot/bzimage.h"
#include "boot/cpu.h"
#include "boot/layout.h"
#include "boot/mptable.h"
#include "boot/zeropage.h"
#include "vmm/console.h"
#include "vmm/fdio.h"
#include "cli/kernel.h"
#include "cli/kimage.h"
#include "vmm/kvmhost.h"
#include "cli/machine.h"
#include "cli/repeat.h"
#include "cli/sandbox.h"
#include "vmm/serial.h"
#include "cli/status.h"
#include "vmm/sysdev.h"
#include "vmm/timing.h"
#include "cli/vmresult.h"
#include "vmm/vm.h"
#include "virtio/mmio.h"
#include "virtio/9p_dev.h"
#include "virtio/blk_dev.h"

#define ERR(...) fprintf(stderr, "minivmm: " __VA_ARGS__)

struct machine {
    struct vm vm;
    struct console *con;
    struct uart *uart;
    struct virtio_9p *shares[MAX_SHARES];
    int nshares;
    struct blk_disk images[MAX_DISKS];     /* opened and locked before the VM exists */
    struct virtio_blk *disks[MAX_DISKS];
    int ndisks;
    struct acpi_mmio_dev virtio[MAX_VIRTIO_DEVS];
    int nvirtio;
    struct kernel_image kernel;
    bool watch_stuck;          /* software hypervisor: end a guest that never does I/O */
    bool stuck;
    char host_why[160];        /* what this host's /dev/kvm is, when watch_stuck */
    struct timespec started;
    int initrd_fd[MAX_INITRDS];
    uint64_t initrd_size[MAX_INITRDS];
    struct console_input inputs[1 + MAX_INITRDS + MAX_DISKS];  /* the --console file must be none of them */
    int ninputs;
    int devnull;               /* /dev/null, for stdio once the result is out */
};

/* Opens an input file for reading without ever blocking or touching a
 * device: only a regular file is opened (O_NONBLOCK, so a FIFO swapped in
 * after the stat cannot hang us), and it must still be that file once open.
 * Returns the fd, or -1 with a one-line reason ("WHAT PATH: ...") in err. */
static int open_input(const char *what, const char *path, struct stat *st, char *err,
                      size_t errlen)
{
    struct stat st0;
    if (stat(path, &st0) < 0) {
        snprintf(err, errlen, "cannot read %s %s: %s", what, path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st0.st_mode)) {
        snprintf(err, errlen, "%s %s is not a regular file", what, path);
        return -1;
    }
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, st) < 0) {
        snprintf(err, errlen, "cannot read %s %s: %s", what, path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (!S_ISREG(st->st_mode) || st->st_dev != st0.st_dev || st->st_ino != st0.st_ino) {
        snprintf(err, errlen, "%s %s changed while being opened", what, path);
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

/* Opens every initrd (regular files only, never blocking) before anything
 * else happens, and notes which files they are for the --console check. */
static int open_initrds(struct machine *m, const struct boot_opts *o)
{
    char err[512];
    struct stat st;
    for (int i = 0; i < o->ninitrds; i++) {
        m->initrd_fd[i] = open_input("initrd", o->initrds[i], &st, err, sizeof(err));
        if (m->initrd_fd[i] < 0) {
            ERR("%s\n", err);
            return -1;
        }
        m->initrd_size[i] = (uint64_t)st.st_size;
        m->inputs[m->ninputs++] = (struct console_input){ st.st_dev, st.st_ino, o->initrds[i] };
    }
    return 0;
}

/* Concatenates the initrds (each padded to 4 bytes, as the kernel's
 * unpacker expects between archives) at the top of low RAM. */
static int load_initrds(struct machine *m, const struct boot_opts *o, const struct bz_info *bz,
                        uint64_t kernel_end, uint64_t *addr, uint64_t *size)
{
    struct vm *vm = &m->vm;
    uint64_t total = 0;
    for (int i = 0; i < o->ninitrds; i++) {
        if (m->initrd_size[i] > MAX_MEMORY) {           /* and so the sum cannot wrap */
            ERR("initrd %s (%llu GiB) is larger than any guest memory\n", o->initrds[i],
                (unsigned long long)(m->initrd_size[i] >> 30));
            return -1;
        }
        total += (m->initrd_size[i] + 3) & ~3ULL;
    }
    *size = total;
    *addr = 0;
    if (!total)
        return 0;
    *addr = initrd_place(bz, vm->mem.low_size, kernel_end, total);
    if (!*addr) {
        ERR("initrds (%llu MiB) do not fit in guest memory above the kernel: raise --memory\n",
            (unsigned long long)(total >> 20));
        return -1;
    }
    uint8_t *dst = gmem_ptr(&vm->mem, *addr, total);
    for (int i = 0; i < o->ninitrds; i++) {
        size_t want = (size_t)m->initrd_size[i];
        uint8_t extra;
        size_t got = fd_read_full(m->initrd_fd[i], dst, want);
        if (got != want || fd_read_full(m->initrd_fd[i], &extra, 1) != 0) {
            ERR("cannot read initrd %s: it changed while being read\n", o->initrds[i]);
            return -1;
        }
        dst += (want + 3) & ~(size_t)3;
    }
    return 0;
}

static int setup_vcpus(struct vm *vm, uint64_t entry)
{
    int n = 128;
    struct kvm_cpuid2 *cpuid;
    for (;;) {
        cpuid = calloc(1, sizeof(*cpuid) + n * sizeof(cpuid->entries[0]));
        if (!cpuid)
            return -1;
        cpuid->nent = (uint32_t)n;
        if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
            break;
        free(cpuid);
        if (errno != E2BIG || n > 4096) {
            ERR("KVM_GET_SUPPORTED_CPUID failed: %s\n", strerror(errno));
            return -1;
        }
        n *= 2;
    }
    size_t csz = sizeof(*cpuid) + cpuid->nent * sizeof(cpuid->entries[0]);
    bool tsc_deadline = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
    struct kvm_cpuid2 *mine = malloc(csz);
    struct kvm_msrs *msrs = calloc(1, sizeof(*msrs) + CPU_BOOT_MSRS * sizeof(msrs->entries[0]));
    int rc = -1;
    if (!mine || !msrs)
        goto out;
    for (int i = 0; i < vm->ncpus; i++) {
        struct vcpu *c = &vm->vcpus[i];
        memcpy(mine, cpuid, csz);
        cpu_adjust_cpuid(mine, i, vm->ncpus);
        if (tsc_deadline)
            cpu_enable_tsc_deadline(mine);
        if (ioctl(c->fd, KVM_SET_CPUID2, mine) < 0) {
            ERR("KVM_SET_CPUID2 failed: %s\n", strerror(errno));
            goto out;
        }
        cpu_boot_msrs(msrs);
        if (ioctl(c->fd, KVM_SET_MSRS, msrs) != (int)msrs->nmsrs) {
            ERR("KVM_SET_MSRS failed on vCPU %d\n", i);
            goto out;
        }
        struct kvm_lapic_state lapic;
        if (ioctl(c->fd, KVM_GET_LAPIC, &lapic) < 0) {
            ERR("KVM_GET_LAPIC failed: %s\n", strerror(errno));
            goto out;
        }
        cpu_lapic_lint(&lapic);
        if (ioctl(c->fd, KVM_SET_LAPIC, &lapic) < 0) {
            ERR("KVM_SET_LAPIC failed: %s\n", strerror(errno));
            goto out;
        }
        if (i != 0)
            continue;                  /* the others wait for INIT/SIPI in the kernel */
        struct kvm_sregs sregs;
        struct kvm_regs regs;
        struct kvm_fpu fpu;
        if (ioctl(c->fd, KVM_GET_SREGS, &sregs) < 0) {
            ERR("KVM_GET_SREGS failed: %s\n", strerror(errno));
            goto out;
        }
        cpu_boot_sregs(&sregs);
        cpu_boot_regs(&regs, entry, LAYOUT_ZERO_PAGE);
        cpu_boot_fpu(&fpu);
        if (ioctl(c->fd, KVM_SET_SREGS, &sregs) < 0 || ioctl(c->fd, KVM_SET_REGS, &regs) < 0 ||
            ioctl(c->fd, KVM_SET_FPU, &fpu) < 0) {
            ERR("setting the boot CPU state failed: %s\n", strerror(errno));
            goto out;
        }
    }
    rc = 0;
out:
    free(cpuid);
    free(mine);
    free(msrs);
    return rc;
}

static void uart_out(void *opaque, uint8_t b)
{
    struct machine *m = opaque;
    console_write(m->con, &b, 1);
}

static void uart_irq(void *opaque, int level)
{
    struct machine *m = opaque;
    vm_irq_line(&m->vm, IRQ_COM1, level);
}

static void tick(void *arg)
{
    struct machine *m = arg;
    console_flush(m->con);
    if (sig_caught())
        vm_request_end(&m->vm, VM_END_ERROR, 0);
    if (m->watch_stuck && !__atomic_load_n(&m->vm.io_exits, __ATOMIC_RELAXED)) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - m->started.tv_sec >= KVM_HOST_STUCK_S) {
            m->stuck = true;
            vm_request_end(&m->vm, VM_END_ERROR, 0);
        }
    }
}

/* The kernel command line: defaults, virtio devices, then the user's text. */
static int build_cmdline(char *buf, size_t len, const struct boot_opts *o, const struct machine *m)
{
    size_t n = (size_t)snprintf(buf, len, "%s", DEFAULT_CMDLINE);
    for (int i = 0; o->discovery != DISCOVER_ACPI && i < m->nvirtio && n < len; i++) {
        buf[n++] = ' ';
        n += (size_t)virtio_mmio_cmdline(buf + n, len - n, m->virtio[i].base,
                                         m->virtio[i].size, m->virtio[i].irq);
    }
    if (o->append && n < len)
        n += (size_t)snprintf(buf + n, len - n, " %s", o->append);
    return n < len ? (int)n : -1;
}

/* Opens and locks every --disk image before anything else happens: a
 * missing, locked or unfit image ends the run before the VM exists. */
static int open_disks(struct machine *m, const struct boot_opts *o)
{
    char err[600];
    for (int i = 0; i < o->ndisks; i++) {
        struct stat st;            /* before the lock, which would refuse it */
        for (int j = 0; j < i && stat(o->disks[i].path, &st) == 0; j++)
            if (m->images[j].dev == st.st_dev && m->images[j].ino == st.st_ino) {
                ERR("--disk %s: the same image as --disk %s\n", o->disks[i].path,
                    o->disks[j].path);
                return -1;
            }
        if (blk_disk_open(&m->images[i], &o->disks[i], err, sizeof(err))) {
            ERR("%s\n", err);
            return -1;
        }
        m->inputs[m->ninputs++] = (struct console_input){ m->images[i].dev, m->images[i].ino,
                                                          o->disks[i].path };
    }
    return 0;
}

/* Stops the disks (requests in flight finish: their bytes are in the
 * image) and closes the images, which drops their locks. */
static void free_disks(struct machine *m)
{
    for (int i = 0; i < m->ndisks; i++)
        virtio_blk_free(m->disks[i]);
    m->ndisks = 0;
    for (int i = 0; i < MAX_DISKS; i++)
        blk_disk_close(&m->images[i]);
}

/* Sends the result as soon as all the user will read is complete, before
 * the VM's teardown (freeing a VM waits for the kernel: SRCU grace periods,
 * guest RAM): the 9p servers are stopped, the console and its file flushed
 * and closed, stdin, stdout (and stderr, but in sanitizer builds, whose
 * teardown reports must be seen) become /dev/null, then the result goes
 * out with detached set, and the parent returns without waiting for this
 * process (docs/speed.md).  When that cannot be done safely (a vCPU thread
 * that did not stop may still write to the console; no /dev/null) the
 * result waits for the teardown as before, without detached. */
static void send_early(struct machine *m, int *result_fd, int status,
                       const struct machine_result *res)
{
    if (m->devnull < 0)
        return;
    for (int i = 0; m->vm.vcpus && i < m->vm.ncpus; i++)
        if (m->vm.vcpus[i].started)
            return;
    for (int i = 0; i < m->nshares; i++)
        virtio_9p_free(m->shares[i]);
    m->nshares = 0;
    free_disks(m);
    console_close(m->con);
    m->con = NULL;
    fflush(stdout);
    fflush(stderr);
    dup3(m->devnull, STDIN_FILENO, 0);
    dup3(m->devnull, STDOUT_FILENO, 0);
#ifndef __SANITIZE_ADDRESS__
    dup3(m->devnull, STDERR_FILENO, 0);
    bool detached = true;
#else
    bool detached = false;
#endif
    send_result(*result_fd, status, res, detached);
    close(*result_fd);
    *result_fd = -1;
}

/* The VM process (see machine_run): sets the VM up, confines itself, runs
 * the guest and fills *res; once the guest ran, sends it on *result_fd
 * before the teardown (send_early; *result_fd is then -1).  Returns the
 * exit status. */
static int vm_process(const struct boot_opts *o, struct machine_result *res, int *result_fd)
{
    char err[512];
    struct kimage own = { .fd = -1 };
    struct kimage *kf = o->kernel_file;
    struct machine *m = calloc(1, sizeof(*m));
    int status = EXIT_HOST_ERROR;
    if (!m)
        return EXIT_HOST_ERROR;
    timing_step("fork");
    m->vm.kvm_fd = m->vm.vm_fd = -1;
    m->devnull = -1;
    for (int i = 0; i < MAX_DISKS; i++)
        m->images[i].fd = m->images[i].dfd = -1;
    /* Capabilities are per thread: drop them before any thread exists. */
    if (!o->no_sandbox && sandbox_drop_caps(err, sizeof(err)) < 0) {
        ERR("sandbox: %s (--no-sandbox runs without it)\n", err);
        goto out;
    }
    for (int i = 0; i < MAX_INITRDS; i++)
        m->initrd_fd[i] = -1;
    timing_step("caps");

    /* Every input is opened and checked before anything is written. */
    if (!kf) {
        status = kimage_open(&own, o->kernel, err, sizeof(err));
        if (status) {
            ERR("%s\n", err);
            goto out;
        }
        kf = &own;
        status = EXIT_HOST_ERROR;
    }
    m->inputs[m->ninputs++] = (struct console_input){ kf->st.st_dev, kf->st.st_ino, o->kernel };
    timing_step("read-kernel");
    if (open_initrds(m, o) || open_disks(m, o))
        goto out;
    timing_step("open-initrds");
    struct kernel_image *k = &m->kernel;
    int kst = kernel_parse(k, kf, err, sizeof(err));
    if (kst) {
        ERR("%s\n", err);
        status = kst;
        goto out;
    }
    timing_step("parse-kernel");
    if (kvm_host_check("minivmm: ", &k->bz))
        goto out;
    timing_step("host-check");
    if (vm_create(&m->vm, o->memory, o->cpus, o->pit))
        goto out;
    struct vm *vm = &m->vm;
    const char *trace = getenv("MINIVMM_TRACE_IO");
    vm->trace_io = trace && *trace == '1';
    char cache[4096];
    kernel_cache_dir(cache, sizeof(cache));
    uint64_t entry, kernel_end;
    int kfail = kernel_prepare(k, o->boot_path, cache, vm->mem.low_size, err, sizeof(err));
    timing_step("prepare-kernel");
    int lr = kfail ? -1 : kernel_load(k, &vm->mem, &entry, &kernel_end, err, sizeof(err));
    if (lr == -2) {
        ERR("%s\n", err);
        goto out;
    }
    if (lr) {
        ERR("cannot boot %s: %s\n", o->kernel, err);
        status = EXIT_CANNOT_TEST;
        goto out;
    }
    timing_step("load-kernel");
    timing_boot_path(boot_path_name(k->path));

    m->uart = uart_new(uart_out, uart_irq, m);
    if (!m->uart || bus_register(&vm->pio, PORT_COM1, 8, uart_io, m->uart, "com1") ||
        sysdev_register(vm)) {
        ERR("cannot register devices\n");
        goto out;
    }

    static const uint32_t irqs[] = VIRTIO_IRQS;
    for (int i = 0; i < o->nshares; i++) {
        uint64_t base = VIRTIO_MMIO_BASE + (uint64_t)i * VIRTIO_MMIO_SIZE;
        m->shares[i] = virtio_9p_new(vm, &vm->mem, base, irqs[i], o->shares[i].dir, o->shares[i].tag,
                                     o->shares[i].readonly, err, sizeof(err));
        if (!m->shares[i]) {
            ERR("--share %s: %s\n", o->shares[i].dir, err);
            goto out;
        }
        virtio_9p_set_max(m->shares[i], o->shares[i].max);
        m->virtio[i] = (struct acpi_mmio_dev){ base, VIRTIO_MMIO_SIZE, irqs[i] };
        m->nshares++;
    }
    m->nvirtio = m->nshares;
    for (int i = 0; i < o->ndisks; i++) {       /* after the shares: vda, vdb, ... */
        int v = m->nvirtio;
        uint64_t base = VIRTIO_MMIO_BASE + (uint64_t)v * VIRTIO_MMIO_SIZE;
        m->disks[i] = virtio_blk_new(vm, &vm->mem, base, irqs[v], &m->images[i], err,
                                     sizeof(err));
        if (!m->disks[i]) {
            ERR("%s\n", err);
            goto out;
        }
        m->ndisks++;
        m->virtio[v] = (struct acpi_mmio_dev){ base, VIRTIO_MMIO_SIZE, irqs[v] };
        m->nvirtio++;
    }

    timing_step("devices");
    uint64_t initrd_addr, initrd_size;
    if (load_initrds(m, o, &k->bz, kernel_end, &initrd_addr, &initrd_size))
        goto out;
    timing_step("load-initrds");

    char cmdline[LAYOUT_CMDLINE_MAX];
    uint32_t maxlen = k->bz.cmdline_size ? k->bz.cmdline_size : 255;
    int clen = build_cmdline(cmdline, sizeof(cmdline), o, m);
    if (clen < 0 || (uint32_t)clen > maxlen) {
        ERR("kernel command line is %d bytes; this kernel takes at most %u\n",
            clen < 0 ? (int)sizeof(cmdline) : clen, maxlen);
        goto out;
    }
    memcpy(gmem_ptr(&vm->mem, LAYOUT_CMDLINE, (uint64_t)clen + 1), cmdline, (size_t)clen + 1);

    /* The MP table serves kernels without ACPI.  With --virtio-discovery
     * cmdline there are no ACPI tables at all: under hardware-reduced ACPI
     * Linux has no ISA IRQs, so a virtio_mmio.device= IRQ would not exist. */
    if (mptable_build(gmem_ptr(&vm->mem, LAYOUT_MPTABLE, LAYOUT_MPTABLE_MAX), LAYOUT_MPTABLE,
                      LAYOUT_MPTABLE_MAX, o->cpus) < 0) {
        ERR("cannot build the MP table\n");
        goto out;
    }
    bool acpi = o->discovery != DISCOVER_CMDLINE;
    struct acpi_config acfg = { .ncpus = o->cpus, .virtio = m->virtio, .nvirtio = m->nvirtio };
    if (acpi && acpi_build(gmem_ptr(&vm->mem, LAYOUT_ACPI, LAYOUT_ACPI_MAX), LAYOUT_ACPI,
                           LAYOUT_ACPI_MAX, &acfg) < 0) {
        ERR("cannot build ACPI tables\n");
        goto out;
    }
    struct zp_params zp = {
        .cmdline_addr = LAYOUT_CMDLINE, .initrd_addr = initrd_addr, .initrd_size = initrd_size,
        .rsdp_addr = acpi ? LAYOUT_ACPI : 0, .low_size = vm->mem.low_size,
        .high_size = vm->mem.high_size,
    };
    zp_build(gmem_ptr(&vm->mem, LAYOUT_ZERO_PAGE, ZP_SIZE), k->hdr, &k->bz, &zp);
    cpu_write_tables(vm->mem.host);
    timing_step("boot-tables");

    if (vm_create_vcpus(vm) || setup_vcpus(vm, entry))
        goto out;
    timing_step("vcpus");

    /* Last, when nothing else can fail: an existing console file is kept
     * until the boot really starts, and never if it is one of the inputs. */
    m->con = console_open(o->console, !o->quiet, m->inputs, m->ninputs, err, sizeof(err));
    if (!m->con) {
        ERR("%s\n", err);
        goto out;
    }
    console_set_limit(m->con, o->console_limit);
    m->watch_stuck = kvm_host_watch_stuck(m->host_why, sizeof(m->host_why));
    m->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    const char *delay = getenv("MINIVMM_TEST_TEARDOWN_DELAY_MS");
    long teardown_delay_ms = delay ? atol(delay) : 0;
    timing_step("console");
    if (!o->no_sandbox && sandbox_install(err, sizeof(err)) < 0) {
        ERR("%s\n", err);
        goto out;
    }
    timing_step("sandbox");
    if (sig_caught()) {
        ERR("interrupted by signal %d before the VM started\n", sig_caught());
        status = 128 + sig_caught();
        goto out;
    }
    clock_gettime(CLOCK_MONOTONIC, &m->started);
    if (vm_start(vm))
        goto out;
    enum vm_end end = vm_wait(vm, o->timeout * 1000, tick, m);
    timing_end(vm_end_name(end));
    vm_stop(vm);
    if (end == VM_END_TIMEOUT)            /* where the guest was stuck */
        for (int i = 0; i < vm->ncpus; i++)
            vm_dump_regs(&vm->vcpus[i]);
    console_flush(m->con);

    const char *crash = console_crash(m->con);
    if (sig_caught()) {
        ERR("interrupted by signal %d; VM stopped\n", sig_caught());
        status = 128 + sig_caught();
    } else if (m->stuck || (vm->emulation_failed && m->watch_stuck)) {
        ERR("this host's /dev/kvm cannot run this guest: %s, and the guest %s; "
            KVM_HOST_RIG_HINT "\n", m->host_why, m->stuck ? "did no port or MMIO access in "
            "its first " KVM_HOST_STUCK_STR " s (stuck in the host's instruction emulator)" :
            "hit an emulation failure");
        status = EXIT_HOST_ERROR;
    } else {
        status = exit_status(end, vm->guest_status, crash != NULL);
        if (crash)
            ERR("guest crashed: %s\n", crash);
        if (end == VM_END_TIMEOUT)
            ERR("timeout: the guest ran for %ld s without ending; VM killed\n", o->timeout);
        else if (end == VM_END_STATUS && vm->guest_status >= EXIT_GUEST_HIGH)
            ERR("guest reported status %d (exit status %d)\n", vm->guest_status, status);
        else if (end == VM_END_SHUTDOWN)
            ERR("guest triple-faulted\n");
        else if ((end == VM_END_POWEROFF || end == VM_END_RESET) && !crash)
            ERR("guest ended (%s) without reporting a status\n", vm_end_name(end));
    }
    if (o->timing != TIMING_OFF)
        timing_report(stderr, o->timing == TIMING_JSON);
    {
        res->end = end;
        res->guest_status = vm->guest_status;
        snprintf(res->crash, sizeof(res->crash), "%s", crash ? crash : "");
        size_t n;
        FILE *f = open_memstream(&res->timing_json, &n);
        if (f) {
            timing_report(f, true);
            fclose(f);
        }
    }
    send_early(m, result_fd, status, res);
    if (*result_fd < 0 && teardown_delay_ms > 0) {
        /* Tests only: a slow teardown, so that anything left for after
         * the result would be seen missing (tests/direct/teardown.sh). */
        struct timespec ts = { teardown_delay_ms / 1000, teardown_delay_ms % 1000 * 1000000L };
        nanosleep(&ts, NULL);
    }
out:
    for (int i = 0; i < m->nshares; i++)
        virtio_9p_free(m->shares[i]);
    free_disks(m);
    vm_destroy(&m->vm);
    console_close(m->con);
    uart_free(m->uart);
    for (int i = 0; i < MAX_INITRDS; i++)
        if (m->initrd_fd[i] >= 0)
            close(m->initrd_fd[i]);
    kernel_release(&m->kernel);
    if (m->devnull >= 0)
        close(m->devnull);
    kimage_close(&own);
    free(m);
    return status;
}

/* One process per VM: the seccomp filter cannot be lifted, so the VM is set
 * up, confined and run in a child; this process (single-threaded, never
 * filtered) waits for it and goes on with the command (docs/sandbox.md). */
int machine_run(const struct boot_opts *o, struct machine_result *res)
{
    struct machine_result mine = { .end = VM_END_ERROR };
    if (!res)
        res = &mine;
    memset(res, 0, sizeof(*res));
    res->end = VM_END_ERROR;
    sig_install();
    reap_lingering();
    if (sig_caught())
        return 128 + sig_caught();     /* start nothing new */
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        ERR("cannot create a pipe: %s\n", strerror(errno));
        return EXIT_HOST_ERROR;
    }
    fflush(NULL);                       /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid < 0) {
        ERR("cannot fork the VM process: %s\n", strerror(errno));
        close(p[0]);
        close(p[1]);
        return EXIT_HOST_ERROR;
    }
    if (pid == 0) {
        close(p[0]);
        struct machine_result r = { .end = VM_END_ERROR };
        int fd = p[1];
        int st = vm_process(o, &r, &fd);
        if (fd >= 0)                    /* not sent before the teardown */
            send_result(fd, st, &r, false);
#ifdef __SANITIZE_ADDRESS__
        /* _exit skips LeakSanitizer, which cannot run under the filter
         * (it clones and ptraces): without the sandbox, check here. */
        free(r.timing_json);
        if (o->no_sandbox)
            __lsan_do_leak_check();
#endif
        _exit(st);
    }
    close(p[1]);
    sig_set_child(pid);
    if (sig_caught())                   /* caught before the child was known */
        kill(pid, sig_caught());
    struct wire_result w = { 0 };
    bool got = recv_result(p[0], res, &w) == 0;
    uint8_t rest[4096];                 /* whatever is left, so the child never blocks */
    while (fd_read_full(p[0], rest, sizeof(rest)) == sizeof(rest))
        ;
    close(p[0]);
    int status = EXIT_HOST_ERROR;
    if (got && w.detached) {
        /* All the user sees is complete: the VM's teardown goes on in the
         * child, which is reaped later (docs/speed.md). */
        sig_set_child(0);
        reap_later(pid);
        status = w.status;
        if (sig_caught())
            status = 128 + sig_caught();
        if (res == &mine)
            free(mine.timing_json);
        return status;
    }
    int ws;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    sig_set_child(0);
    if (WIFEXITED(ws)) {
        status = WEXITSTATUS(ws);
        if (!got)
            res->end = VM_END_ERROR;
    } else if (WIFSIGNALED(ws)) {
        ERR("the VM process was killed by signal %d\n", WTERMSIG(ws));
    }
    if (sig_caught())
        status = 128 + sig_caught();
    if (res == &mine)
        free(mine.timing_json);
    return status;
}

int boot_main(int argc, char **argv)
{
    struct boot_opts o;
    char err[512];
    int r = boot_parse_args(argc, argv, &o, err, sizeof(err));
    if (r > 0)
        return 0;
    if (r < 0) {
        fprintf(stderr, "minivmm boot: %s\n", err);
        return EXIT_HOST_ERROR;
    }
    if (o.repeat)
        return repeat_main(&o);
    return machine_run(&o, NULL);
}
