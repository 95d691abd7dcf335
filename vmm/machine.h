/* Putting it together: build the VM for a kernel, run it, and turn how it
 * ended into minivmm's exit status (vmm/status.h). */
#ifndef VMM_MACHINE_H
#define VMM_MACHINE_H
#include "vmm/options.h"

/* Boots o->kernel with everything in *o and returns the exit status. */
int machine_run(const struct boot_opts *o);
/* `minivmm boot ...` */
int boot_main(int argc, char **argv);
#endif
