/* Private to job/: the YAML node tree, the loader context and the expanded
 * job.  Nothing outside job/ includes this. */
#ifndef JOB_JOB_INTERNAL_H
#define JOB_JOB_INTERNAL_H
#include <stdarg.h>
#include <stddef.h>
#include "job/job.h"

enum jn_kind { JN_NULL, JN_STR, JN_MAP, JN_SEQ };

/* One YAML node.  Maps keep their keys (JN_STR nodes, for their marks) in
 * file order; later keys from `<<:` replace earlier ones in place. */
struct jnode {
    enum jn_kind kind;
    const char *file; /* owned by the loader context */
    unsigned long line, col; /* 1-based */
    char *str; /* JN_STR */
    struct jnode **keys; /* JN_MAP */
    unsigned char *from_include; /* JN_MAP: entry came from `<<:` */
    struct jnode **kids; /* JN_MAP values, JN_SEQ items */
    size_t n, cap;
    size_t *idx, idxcap; /* JN_MAP: hash index of keys (index + 1), built when big */
    int varied; /* a value that replaced a top-level list during expansion */
    unsigned char quoted; /* JN_STR: a quoted scalar (lkp reads it as a string) */
};

struct jprogram_info {
    char *name;
    char *dir;
    enum job_prog_type type;
    char *script;  /* lkp tree: the script lkp runs (job/lkpsrc.c); else NULL */
    int setup_pass; /* lkp tree: runs in job2sh's setup pass (has a `setup`) */
    char **opts;   /* options declared in run's header (job/naming.h) */
    char *optkind; /* '-' or '=' for each */
    size_t nopts;
};

struct jctx {
    const struct job_opts *o;
    char *err;
    size_t errlen;
    size_t nodes;
    size_t nincludes;
    char **files; /* file names that nodes point at */
    size_t nfiles;
    char *stack[JOB_MAX_INCLUDE_DEPTH + 2]; /* realpaths being loaded */
    int depth;
    int no_includes;
    char **roots; /* realpaths includes must lie below */
    size_t nroots;
    struct jprog_cache *pc; /* job/programs.c */
    struct jlkp_expr *exprs; /* lkp `{{ }}` expressions (job/lkpsyntax.c) */
    size_t nexprs;
    struct jlkp_incs *incs; /* lkp's include/ files (job/lkpdefaults.c) */
};

int jerr(struct jctx *c, const char *file, unsigned long line, unsigned long col,
         const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int jerr_node(struct jctx *c, const struct jnode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Loads every YAML document of PATH, or of TEXT (LEN bytes) named PATH when
 * TEXT is not NULL (includes resolved).  0 or -1. */
int jyaml_load(struct jctx *c, const char *path, const char *text, size_t len,
               struct jnode ***docs, size_t *ndocs);
/* A program's meta.yaml, or TEXT (LEN bytes) named PATH when TEXT is not
 * NULL (lkp's defaults files), without includes.  0 or -1. */
int jyaml_parse_meta(struct jctx *c, const char *path, const char *text, size_t len,
                     struct jnode ***docs, size_t *ndocs);
const char *jfile_type(unsigned mode); /* "a FIFO", "a directory", ... */
/* Reads a whole regular file of at most JOB_MAX_FILE_SIZE bytes from FD
 * (opened here when -1; closed in any case): malloc'd, NUL-terminated, or
 * NULL with the error in c.  Never blocks: a FIFO or a device is refused
 * after fstat, before any read. */
char *jread_small_file(struct jctx *c, const char *path, int fd, size_t *len);
struct jnode *jnode_new(struct jctx *c, enum jn_kind k, const char *file,
                        unsigned long line, unsigned long col);
struct jnode *jnode_clone(const struct jnode *n);
void jnode_free(struct jnode *n);
int jnode_grow(struct jnode *n); /* room for one more kid (and key); 0 or -1 */
int jmap_put(struct jnode *map, struct jnode *key, struct jnode *val, int from_include);
long jmap_find(struct jnode *map, const char *key); /* index or -1 */
/* Removes entry AT of MAP, freeing its key and value (NULL: taken). */
void jmap_remove(struct jnode *map, size_t at);
/* Appends SRC's entry AT to DST (no index update: DST is a scratch list of
 * entries) and leaves SRC's slots NULL for the caller to remove.  0 or -1. */
int jmap_take(struct jnode *dst, struct jnode *src, size_t at);
int jnode_is_null_text(const char *s);

/* Finds programs/NAME/run: 1 found (*info set), 0 not found, -1 error. */
int jprogram_find(struct jctx *c, const struct jnode *key, const struct jprogram_info **info);
/* The program name closest to NAME when one is close, else NULL. */
const char *jprogram_closest(struct jctx *c, const char *name);
void jprog_cache_free(struct jctx *c);
void jctx_free(struct jctx *c);

int jvalid_ident(const char *s);

/* job/lkpsrc.c: programs of an lkp-tests tree (--lkp-src), as lkp's
 * lib/job.rb available_programs finds them.  Fills P (name set by the
 * caller) when LKP/programs/NAME is an lkp program: 1, 0 not one, -1 error. */
int jlkpsrc_program(struct jctx *c, const struct jnode *key, struct jprogram_info *p);
/* LKP/programs/NAME has a script lkp runs (for the misspelt-program hint). */
int jlkpsrc_is_program(const char *lkp, const char *name);
/* The include path with --lkp-src for the job file PATH: O's include dirs,
 * LKP_SRC, the nearest directory named `jobs` above PATH and every directory
 * below it, then LKP_SRC/jobs and every directory below it (lkp's
 * search_file_in_paths: the job's directory, LKP_SRC, then a search for the
 * name below that jobs/ and LKP_SRC).  *DIRS malloc'd (each entry too).
 * 0 or -1 (out of memory). */
int jlkpsrc_include_dirs(const struct job_opts *o, const char *path, char ***dirs, size_t *n);
struct jprog;
/* lkp's job2sh runs no `fs2` or `cpufreq_governor` setup without options
 * or arguments (an empty one cancels it): 1 for such a program. */
int jlkpsrc_skipped(const struct jprog *p);

/* job/check.c.  `params: [NAME, ...]` declares parameters (see docs/jobs.md). */
#define PARAMS_KEY "params"
struct jnode *jdeclared_params(struct jctx *c, struct jnode **docs, size_t ndocs);
/* Checks one document's top level (programs are looked up here).  0 or -1. */
int jcheck_doc(struct jctx *c, const struct jnode *d, struct jnode *declared);
/* A merged job whose keys name no program runs nothing: most likely a
 * misspelt program, so an error unless `params:` declares its keys. */
int jcheck_runs_something(struct jctx *c, const struct jnode *m, const struct jnode *declared);
/* Program option names of m checked again (after `a.b:` patches). */
int jcheck_program_options(struct jctx *c, const struct jnode *m);
void jdrop_params_key(struct jnode *m);
/* Adds to DECLARED each key of M (from lkp's defaults) the misspelt-program
 * rule would refuse, so that the expanded job's YAML declares it and loads
 * again.  0 or -1. */
int jdeclare_near_keys(struct jctx *c, const struct jnode *m, struct jnode *declared);

/* job/lkpsyntax.c: lkp's syntax (docs/jobs.md, "lkp syntax").  A `{{ }}`
 * expression stands in the tree as JLKP_MARK N "__" until it is evaluated. */
#define JLKP_MARK "__minivmm_lkpexpr_"
struct jlkp_expr {
    char *text;
    const char *file;
    unsigned long line, col; /* of the expression's first character */
};
/* TEXT with each lkp `KEY: {{ ... }}` / `- {{ ... }}` replaced by a
 * placeholder scalar (lines kept): *out malloc'd, or NULL when TEXT has none.
 * 0 or -1. */
int jlkp_mark_text(struct jctx *c, const char *file, const char *text, size_t len, char **out,
                   size_t *outlen);
/* A scalar value holding `{{ ... }}`: each replaced by a placeholder.  0 or -1. */
int jlkp_mark_scalar(struct jctx *c, struct jnode *n);
/* `if role NAME:` blocks flattened into the document.  0 or -1. */
int jlkp_flatten_roles(struct jctx *c, struct jnode *d);
/* `key-:` and `a.b:` top-level keys: lkp's deletions and nested patches. */
int jlkp_special_key(const char *key);
int jlkp_apply_specials(struct jctx *c, struct jnode *m, const struct jnode *from);
/* Drops top-level keys lkp drops (no program, no shell name; maps of no
 * program).  0 or -1. */
int jlkp_drop_keys(struct jctx *c, struct jnode *m);
int jlkp_map_runs_program(struct jctx *c, const struct jnode *m);
int jlkp_shell_key(const char *key); /* `if ...:`, `function ...:`, ...: refused */
/* A program option's name as lkp exports it (`memory.high` ->
 * `memory_46_high`): malloc'd or NULL. */
char *jlkp_shell_name(const char *key);
/* Evaluates the expressions of a fully expanded job D in place: 0, 1 when
 * one is nil (lkp drops the job), -1 error. */
int jlkp_eval_job(struct jctx *c, struct jnode *d);
void jlkp_free(struct jctx *c);
int jlkp_include_overrides(struct jctx *c, struct jnode **docs, size_t ndocs,
                           const struct jnode *spec);
int jlkp_paste_docs(struct jctx *c, const struct jnode *name, struct jnode **mapp,
                    struct jnode **docs, size_t ndocs, struct jnode ***pending,
                    size_t *npending);

/* Psych's type of a scalar (job/lkpsyntax.c): 0 and *V, -1 with a message. */
struct jlkp_val;
int jlkp_typed(const struct jnode *n, struct jlkp_val *v, const char *name, char *err,
               size_t errlen);

/* job/lkpdefaults.c: lkp's include/ defaults (--lkp-src, not --no-defaults).
 * The files loaded so far for one job (lkp's @file_loaded). */
struct jlkp_loaded {
    char **v; /* paths */
    size_t n;
};
/* Loads the defaults M's keys select (those not in LOADED, which grows)
 * and merges them under M.  RAW: the later document M was merged from (lkp
 * reads its keys as written), or NULL.  BASE (first pass only): the first
 * document, whose keys stay before the defaults (RAW's new ones go after).
 * 0 or -1. */
int jlkp_defaults(struct jctx *c, struct jnode *m, const struct jnode *raw,
                  const struct jnode *base, struct jlkp_loaded *loaded);
int jlkp_loaded_copy(const struct jlkp_loaded *from, struct jlkp_loaded *to);
void jlkp_loaded_free(struct jlkp_loaded *l);
void jlkp_defaults_free(struct jctx *c);
/* job/lkprevise.c: lkp's revise_hash(ORIG, REV, overwrite_top_keys:
 * OVERWRITE) on top-level keys, `K+:` keys resolved.  0 or -1. */
int jlkp_revise(struct jctx *c, struct jnode *orig, const struct jnode *rev, int overwrite);
int jlkp_accumulative(const char *key);
/* DOC's `KEY-:` and `a.b:` keys applied to M again, after the defaults are
 * merged (lkp's revise_hash resolves them then: `kmsg-:` removes the default
 * monitor).  0 or -1. */
int jlkp_reapply_specials(struct jctx *c, struct jnode *m, const struct jnode *doc);
/* `K+: V` applied to M: K accumulates V (lkp's merge_accumulative, no
 * duplicates).  0 or -1. */
int jlkp_plus_key(struct jctx *c, struct jnode *m, const struct jnode *key,
                  const struct jnode *val);
/* The list under KEY as lkp exports it (Ruby's join("\n")): 0 and *OUT
 * (malloc'd), or -1 (out of memory, or a `{{ }}` in it: lkp leaves those
 * unevaluated in a list it does not expand; minivmm refuses). */
int jlkp_list_text(struct jctx *c, const struct jnode *key, const struct jnode *seq, char **out);
/* job/expand.c: with --lkp-src, a top-level list under the non-program KEY
 * of M expands into jobs only when KEY is one of lkp's dimensions. */
int jlkp_expands(struct jctx *c, const struct jnode *m, const char *key);

/* job/words.c: V's string split as a shell splits words (quotes, escapes):
 * *ARGV malloc'd.  0 or -1. */
int jsplit_words(struct jctx *c, const struct jnode *v, char ***argv, size_t *argc);

/* One expanded job. */
struct jopt {
    char *key;
    char *val; /* NULL: empty */
    unsigned char quoted; /* written quoted (job_to_yaml keeps `"off"` a string) */
};

struct jprog {
    char *name;
    char *dir;
    char *script; /* lkp tree: setup, run, daemon, ...; NULL: minivmm's NAME/run */
    int setup_pass; /* lkp tree: runs with the setups, whatever its script */
    enum job_prog_type type;
    int has_value; /* 0: empty, 1: string (raw), 2: options */
    char *raw;
    unsigned char raw_quoted; /* raw was written quoted */
    char **argv;
    size_t argc;
    struct jopt *opts;
    size_t nopts;
};

struct jentry {
    int is_prog;
    size_t idx;
};

struct job {
    char *name;
    size_t params_off; /* job_params() is name + params_off */
    char *testcase;
    char *kernel_cmdline;
    long timeout;
    struct jopt *params;
    size_t nparams;
    struct jprog *progs; /* file order */
    size_t nprogs;
    size_t *run_order; /* indexes into progs, in run order */
    size_t nrun;       /* programs run: nprogs less those lkp skips (--lkp-src) */
    int lkp;           /* loaded with --lkp-src: the script sets LKP_SRC */
    struct jentry *entries; /* top-level file order */
    size_t nentries;
    char **declared; /* `params:` names, written back by job_to_yaml */
    size_t ndeclared;
};

/* Growable string. */
struct jbuf {
    char *s;
    size_t len, cap;
    int oom;
};
void jb_add(struct jbuf *b, const char *s, size_t n);
void jb_puts(struct jbuf *b, const char *s);
void jb_printf(struct jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *jb_finish(struct jbuf *b); /* NULL if out of memory */

#endif
