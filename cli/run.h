/* `minivmm run JOB.yaml`: compile, pack, boot, collect, for each expanded job. */
#ifndef CLI_RUN_H
#define CLI_RUN_H
int run_main(int argc, char **argv);
#endif
