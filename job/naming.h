/* lkp's job names (lib/job.rb path_params, sbin/split-job): the job file's
 * base name, then the values of the declared program options in the job,
 * sorted by key.  docs/jobs.md "Names" states every rule. */
#ifndef JOB_NAMING_H
#define JOB_NAMING_H
#include <stddef.h>

struct jctx;
struct jnode;
struct jprogram_info;

/* The options a program declares in the header of its run script: lines
 * "# - NAME" (the value names the job) or "# = NAME" (NAME=value does) before
 * the first empty line, as lkp's bin/program-options reads them.  Fills
 * P->opts and P->optkind ('-' or '=').  0, or -1 when out of memory (an
 * unreadable script declares nothing). */
int jnaming_read_options(struct jprogram_info *p);
void jnaming_free_options(struct jprogram_info *p);

/* lkp's path_params of the expanded job D (a map): "defaults" when nothing
 * names it.  malloc'd, NULL on error (message in c). */
char *jnaming_params(struct jctx *c, const struct jnode *d);

/* KEY is one of lkp's dimensions in the job D (lib/job.rb EXPAND_DIMS, a
 * workload program or an option one declares): its list expands into jobs.
 * 1, 0, or -1 on error. */
int jnaming_is_dim(struct jctx *c, const struct jnode *d, const char *key);

/* What lkp's split-job appends to a unit job's name: "-VALUE" of each
 * commit key (commit, ltp_commit, ... as lib/job.rb EXPAND_DIMS orders
 * them) and "-NAME" of rootfs (the part after its last character outside
 * [A-Za-z0-9._-]), "" when none.  malloc'd, NULL when out of memory. */
char *jnaming_suffix(const struct jnode *d);

/* With --lkp-src, the lists of the merged job D that lkp's each_job does
 * not expand (lib/job.rb: only under a workload program's name, an option
 * one declares, cluster, run-test's options and EXPAND_DIMS) are made the
 * value job2sh exports for them: scalars joined by newlines; a monitor's
 * list, nothing.  A list holding maps or lists is left (minivmm expands
 * it).  0, or -1 with a message in c. */
int jnaming_lkp_lists(struct jctx *c, struct jnode *d);

/* The job file's base name less ".yaml" (lkp's split-job prefix), with the
 * same character rule and a leading '.' or '-' made '_' ("job" if empty).
 * malloc'd, NULL when out of memory. */
char *jnaming_base(const char *path);

/* One YAML plain scalar as lkp (Ruby's YAML 1.1) reads it for a name:
 * 0 false (no, off, ...: left out), 1 true (yes, on, ...: "true"),
 * -1 any other string. */
int jnaming_bool(const char *s);

#endif
