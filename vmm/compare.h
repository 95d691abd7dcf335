/* `minivmm compare A... -- B...`: two groups of results, metric by metric. */
#ifndef VMM_COMPARE_H
#define VMM_COMPARE_H
int compare_main(int argc, char **argv);
#endif
