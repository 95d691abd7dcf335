/* minivmm: run Linux kernel test jobs in a KVM virtual machine.
 * The subcommands live in their folders; this only dispatches. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "initrd/cpio.h"
#include "job/job.h"
#include "cli/compare.h"
#include "cli/machine.h"
#include "cli/rootfs.h"
#include "cli/run.h"
#include "cli/status.h"
#include "vmm/timing.h"

static void usage(FILE *f)
{
    fprintf(f,
"usage: minivmm COMMAND [OPTIONS]\n"
"  run JOB.yaml ...            compile a job, pack it, boot it, collect its results\n"
"  boot --kernel BZIMAGE ...   boot a kernel with initrds and a command line\n"
"  compile JOB.yaml ...        compile a job file into shell scripts\n"
"  pack -o OUT PATH...         pack files into a cpio initrd\n"
"  rootfs --packages P,... -o FILE.cgz  build a Debian userland for run --rootfs\n"
"  compare A... -- B...        compare the stats of two groups of result directories\n"
"  help | --help, version | --version\n"
"`minivmm COMMAND --help` and `man minivmm` say more.\n");
}

int main(int argc, char **argv)
{
    timing_start();
    /* A closed stdout (`minivmm boot ... | head`) is an EPIPE for the console
     * to ignore, never a death by SIGPIPE that would abort a bisect. */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return EXIT_HOST_ERROR;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "boot"))
        return boot_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "run"))
        return run_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "compile"))
        return job_compile_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "pack"))
        return initrd_pack_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "rootfs"))
        return rootfs_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "compare"))
        return compare_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("minivmm %s\n", MINIVMM_VERSION);
        return 0;
    }
    fprintf(stderr, "minivmm: unknown command '%s' (try minivmm --help)\n", cmd);
    return EXIT_HOST_ERROR;
}
