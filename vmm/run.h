/* `minivmm run JOB.yaml`: compile, pack, boot, collect, for each expanded job. */
#ifndef VMM_RUN_H
#define VMM_RUN_H
int run_main(int argc, char **argv);
#endif
