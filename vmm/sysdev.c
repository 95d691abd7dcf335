#include "boot/layout.h"
#include "vmm/sysdev.h"
#include "vmm/timing.h"

#define SLP_EN (1u << 5)

/* i8042: only the reset line.  The controller is not announced in ACPI, so
 * Linux does not probe it; status reads 0 so `reboot=k` need not wait.
 * Port 0x61 between its ports is system control port B; this handler sees
 * it only without --pit (KVM's PIT answers it otherwise): it reads 0x20,
 * PIT channel 2's output high, so a guest waiting for that output (TSC
 * calibration against the PIT) finds its count at once and gives up
 * instead of spinning forever; writes are ignored (docs/devices.md). */
static void i8042_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool wr)
{
    struct vm *vm = opaque;
    (void)len;
    if (!wr) {
        data[0] = off == PORT_SYSCTL_B - PORT_I8042_DATA ? 0x20 : 0;
        return;
    }
    if (off == PORT_I8042_CMD - PORT_I8042_DATA && data[0] == 0xfe)
        vm_request_end(vm, VM_END_RESET, 0);
}

static void acpi_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool wr)
{
    struct vm *vm = opaque;
    (void)len;
    if (!wr) {
        data[0] = 0;                    /* sleep status: nothing pending */
        return;
    }
    if (off == PORT_ACPI_SLEEP_CTL - PORT_ACPI_SLEEP_CTL && (data[0] & SLP_EN) &&
        ((data[0] >> 2) & 7) == ACPI_S5_SLP_TYP)
        vm_request_end(vm, VM_END_POWEROFF, 0);
    else if (off == PORT_ACPI_RESET - PORT_ACPI_SLEEP_CTL && data[0] == ACPI_RESET_VALUE)
        vm_request_end(vm, VM_END_RESET, 0);
}

/* Exit device: the low byte of any write is the guest's status; the VM ends. */
static void exit_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool wr)
{
    (void)off;
    if (!wr) {
        for (uint32_t i = 0; i < len; i++)
            data[i] = 0;
        return;
    }
    vm_request_end(opaque, VM_END_STATUS, data[0]);
}

/* Boot timer: a write of 1, 2 or 4 bytes records a marker with that value. */
static void timer_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool wr)
{
    (void)opaque;
    (void)off;
    if (!wr) {
        for (uint32_t i = 0; i < len; i++)
            data[i] = 0;
        return;
    }
    unsigned v = 0;
    for (uint32_t i = 0; i < len && i < 4; i++)
        v |= (unsigned)data[i] << (8 * i);
    timing_marker(v);
}

int sysdev_register(struct vm *vm)
{
    if (bus_register(&vm->pio, PORT_I8042_DATA, 5, i8042_io, vm, "i8042") ||
        bus_register(&vm->pio, PORT_ACPI_SLEEP_CTL, 3, acpi_io, vm, "acpi-pm") ||
        bus_register(&vm->pio, PORT_EXIT, 4, exit_io, vm, "exit") ||
        bus_register(&vm->pio, PORT_BOOT_TIMER, 4, timer_io, vm, "boot-timer"))
        return -1;
    return 0;
}
