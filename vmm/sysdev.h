/* Small system devices on port I/O: the i8042 reset line, the ACPI sleep
 * and reset registers named in the FADT, the exit device and the boot
 * timer.  See docs/devices.md for the guest-side protocol. */
#ifndef VMM_SYSDEV_H
#define VMM_SYSDEV_H
#include "vmm/vm.h"

/* Registers all of them on vm->pio.  Returns 0 or -1. */
int sysdev_register(struct vm *vm);
#endif
