/* Putting it together: build the VM for a kernel, run it, and turn how it
 * ended into minivmm's exit status (cli/status.h). */
#ifndef CLI_MACHINE_H
#define CLI_MACHINE_H
#include <sys/stat.h>
#include "cli/options.h"

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
/* `minivmm boot ...` */
int boot_main(int argc, char **argv);
#endif
