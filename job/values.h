/* lkp's value rules (lkp-tests params/ files, lib/unit.rb, run by lib/job.rb
 * expand_params for job2sh): sizes to bytes, shares of the CPUs and of the
 * memory, durations, iteration counts, and the rules that turn a value into
 * options (disk: 1HDD -> nr_hdd=1).  docs/jobs.md "Values" lists them. */
#ifndef JOB_VALUES_H
#define JOB_VALUES_H
#include <stddef.h>
#include <stdint.h>

struct jctx;
struct jnode;
struct jopt;

/* lkp's to_byte: "16G", "16g", "16GB" -> 16 << 30 (K M G T P); *out unset
 * and 0 when S is not such a size, -1 when it overflows 64 bits. */
int jvalue_to_byte(const char *s, uint64_t *out, int *is_size);

/* Rewrites *VAL (malloc'd, the value of key K at node V) by the scalar rule
 * for K, if any.  0, or -1 with a message in c. */
int jvalue_rewrite(struct jctx *c, const struct jnode *k, const struct jnode *v, char **val);

/* The rule that turns KEY's value VAL into options (disk, fs, fs1, fs2,
 * iosched, md, mytest): 1 with *OPTS (malloc'd, *N of them) when KEY has one
 * and it matched, 0 when not, -1 with a message in c. */
int jvalue_options(struct jctx *c, const struct jnode *v, const char *key, const char *val,
                   struct jopt **opts, size_t *n);

/* A program's option map M as options: each value rewritten by
 * jvalue_rewrite, and one that a rule of jvalue_options turns into options
 * replaced by them (lkp's job2sh flattens it so).  0 with *OPTS (malloc'd,
 * *N), or -1 with a message in c. */
int jvalue_map_options(struct jctx *c, const struct jnode *m, struct jopt **opts, size_t *n);

/* With --lkp-src, the plain scalar V is a YAML 1.1 boolean (`off`, `Yes`,
 * ...: Ruby's Psych reads it so): 1, else 0.  Rewritten values become
 * "true"/"false"; a program's whole value of it gives no arguments. */
int jvalue_lkp_bool(const struct jctx *c, const struct jnode *v);

/* The seconds of a `timeout` value (N, Ns, Nm, Nh, Nd, Nw, Ny, as runtime),
 * -1 for none or too large: what the runner waits (with --lkp-src the job
 * keeps lkp's text, `4h`). */
long jvalue_timeout_seconds(const char *val);

/* lkp's job2sh (lib/job2sh.rb shell_escape_expand) writes VAL in double
 * quotes, so the guest shell expands its `$`: 1 when VAL has a `$` or `'`
 * and otherwise only bytes of [-A-Za-z0-9~!@#%^&*()_+=;:.,<>/?| \t]. */
int jvalue_lkp_dquoted(const char *val);

/* lkp's filters/nr_threads: a job whose top-level parameter K has the
 * rewritten value VAL is dropped when this is 1 (nr_threads 0). */
int jvalue_drops(const struct jnode *k, const char *val);

#endif
