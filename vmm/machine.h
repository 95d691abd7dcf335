/* Putting it together: build the VM for a kernel, run it, and turn how it
 * ended into minivmm's exit status (vmm/status.h). */
#ifndef VMM_MACHINE_H
#define VMM_MACHINE_H
#include <sys/stat.h>
#include "vmm/options.h"

#include "vmm/vm.h"

/* How a run went, for callers that report it (minivmm run). */
struct machine_result {
    enum vm_end end;
    int guest_status;          /* with VM_END_STATUS */
    char crash[256];           /* first crash line on the console, or "" */
    char *timing_json;         /* malloc'd boot timer report (one JSON object) */
};

/* Boots o->kernel with everything in *o and returns the exit status.
 * res may be NULL; otherwise the caller frees res->timing_json. */
int machine_run(const struct boot_opts *o, struct machine_result *res);
/* Reads a kernel image for boot and run alike: a regular file only (a FIFO
 * or device is refused without blocking), its size checked before reading.
 * Returns 0 (*buf malloc'd, *st the file), or the exit status with a one-line
 * reason in err: 125 when the file is too large to be a kernel, 255 when it
 * cannot be read. */
int machine_read_kernel(const char *path, uint8_t **buf, size_t *len, struct stat *st,
                        char *err, size_t errlen);
/* `minivmm boot ...` */
int boot_main(int argc, char **argv);
#endif
