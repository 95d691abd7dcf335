/* `minivmm compare A... -- B...`: two groups of results, metric by metric. */
#ifndef CLI_COMPARE_H
#define CLI_COMPARE_H
int compare_main(int argc, char **argv);
#endif
