/* The job compiler: an lkp-tests style YAML job file -> expanded jobs ->
 * one POSIX shell script per expanded job.  docs/jobs.md describes the
 * accepted format precisely.
 *
 * Errors are one line, "FILE:LINE:COL: message" whenever a place in a file
 * is to blame, written into the caller's err buffer. */
#ifndef JOB_JOB_H
#define JOB_JOB_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* Limits on hostile input. */
#define JOB_MAX_FILE_SIZE   (1024 * 1024) /* bytes per YAML file */
#define JOB_MAX_DEPTH       32            /* YAML nesting */
#define JOB_MAX_NODES       100000        /* YAML nodes over all files */
#define JOB_MAX_INCLUDES    64            /* `<<:` files per job_load */
#define JOB_MAX_INCLUDE_DEPTH 8           /* nested `<<:` */
#define JOB_MAX_DOCUMENTS   100           /* YAML documents per job file */
#define JOB_MAX_JOBS        1000          /* expanded jobs per job_load */
#define JOB_MAX_VALUES      1000000       /* YAML nodes over all expanded jobs */

struct job; /* one expanded job */
struct job_list {
    struct job **v;
    size_t n;
    /* The files job_load read, as named when read: the job file, each `<<:`
     * include, each program's meta.yaml (compile writes over none of them). */
    char **inputs;
    size_t ninputs;
};

struct job_opts {
    /* Where programs/NAME/run are looked for, in this order. */
    const char *const *program_dirs;
    size_t nprogram_dirs;
    /* Where `<<: FILE` is looked for after the including file's directory. */
    const char *const *include_dirs;
    size_t ninclude_dirs;
    /* The guest's CPU count; `nr_threads: N%` needs it (> 0). */
    int nr_cpu;
    /* The guest's memory in bytes; lkp's `N%` of memory (mapsize, setsize,
     * ...) needs it (> 0). */
    unsigned long long memory;
    /* A job that runs no program is an error unless `params:` declares its
     * keys (most likely a misspelt program); run and compile ask for this. */
    bool require_program;
    /* An lkp-tests checkout (--lkp-src DIR): programs are also looked up as
     * lkp looks them up, DIR/programs/NAME/{setup,run,daemon,*monitor}, after
     * program_dirs; NULL: minivmm's programs only.  docs/jobs.md "--lkp-src". */
    const char *lkp_src;
    /* With lkp_src: leave lkp's include/ defaults out (lkp's --no-defaults). */
    bool no_defaults;
};

/* Program types, from programs/NAME/meta.yaml `type:` (default test). */
enum job_prog_type {
    JOB_PROG_SETUP,
    JOB_PROG_MONITOR,
    JOB_PROG_DAEMON,
    JOB_PROG_TEST,
};

/* Loads, includes, merges and expands PATH.  0 and *out filled (the caller
 * frees it with job_list_free), or -1 with a one-line message in err. */
int job_load(const char *path, const struct job_opts *o, struct job_list *out,
             char *err, size_t errlen);
/* job_load of TEXT (LEN bytes, any bytes) as if read from a file called NAME
 * (for messages and as the directory `<<:` starts from). */
int job_load_text(const char *name, const char *text, size_t len, const struct job_opts *o,
                  struct job_list *out, char *err, size_t errlen);
void job_list_free(struct job_list *l);

/* e.g. hackbench-pipe-8-threads-50%; unique within one job_list, made of
 * [-A-Za-z0-9_+=:.%] and not starting with '.', but of any length: file names
 * are made from it with job_path_component(). */
const char *job_name(const struct job *j);
/* The name's parameter part: job_name() less the testcase and its '-' ("" for
 * a job without parameters). */
const char *job_params(const struct job *j);
const char *job_testcase(const struct job *j);
const char *job_kernel_cmdline(const struct job *j); /* NULL if none */
long job_timeout(const struct job *j);               /* seconds, -1 if none */

/* Top-level parameters as exported by export_top_env(), in order (values
 * after rewriting; NULL value for an empty one).  NULL past the end. */
size_t job_nparams(const struct job *j);
const char *job_param_key(const struct job *j, size_t i);
const char *job_param_value(const struct job *j, size_t i);
/* Value of top-level parameter KEY, or NULL (absent or empty). */
const char *job_param(const struct job *j, const char *key);
/* Option KEY of program PROG (`disk: 2HDD` with a disk program: "disk",
 * "nr_hdd" -> "2"), or NULL (no such program or option, or empty). */
const char *job_program_option(const struct job *j, const char *prog, const char *key);

/* Programs the job runs, in run order (setups, monitors and daemons, tests).
 * The runner copies each program's directory into the guest as
 * $MINIVMM_PROGRAMS/NAME/. */
size_t job_nprograms(const struct job *j);
const char *job_program_name(const struct job *j, size_t i);
const char *job_program_dir(const struct job *j, size_t i); /* host path */
enum job_prog_type job_program_type(const struct job *j, size_t i);
/* For a program from the lkp tree (job_opts.lkp_src): the script lkp runs,
 * "setup", "run", "daemon" or a monitor's file name, in job_program_dir();
 * the guest runs it from the packed tree.  NULL for minivmm's programs. */
const char *job_program_script(const struct job *j, size_t i);
/* DIR is usable as --lkp-src: a directory holding programs/.  0, or -1 and
 * a reason (strerror-like) in WHY. */
int job_lkp_src_check(const char *dir, char *why, size_t len);
/* The guest path where `minivmm run` puts the lkp tree (lkp's LKP_SRC). */
#define JOB_LKP_SRC_GUEST "lkp/lkp/src"

char *job_to_shell(const struct job *j); /* malloc'd script text, NULL on ENOMEM */
char *job_to_yaml(const struct job *j);  /* malloc'd YAML text, NULL on ENOMEM */

/* TEXT (any bytes) as one path component that stays where it is put: never
 * empty, ".", ".." or longer than JOB_PATH_COMPONENT_MAX bytes, and made only
 * of [A-Za-z0-9_+=:.,@%-], with no leading '.' or '-'.  Other bytes become
 * %XX ('%' itself when two hex digits follow it); a longer result is cut and
 * ends in '~' and 16 hex digits of a hash of the whole TEXT, so different
 * texts give different components.  Never fails; OUT holds
 * JOB_PATH_COMPONENT_MAX + 1 bytes.  Returns OUT.  docs/jobs.md states the
 * rule. */
#define JOB_PATH_COMPONENT_MAX 200
char *job_path_component(const char *text, char *out);

/* Where minivmm's data is (docs/install.md): MINIVMM_DATADIR from the
 * environment if set, else the executable's directory when it holds programs/
 * (a source checkout when it also holds tests/deps.sh), else
 * EXEDIR/../share/minivmm (an installation, also when staged under a
 * DESTDIR), else the directory built in (make's DATADIR). */
enum job_data_kind {
    JOB_DATA_NONE,      /* none exists: dir is where it should be */
    JOB_DATA_CHECKOUT,  /* dir is a source checkout: messages may say `make deps` */
    JOB_DATA_INSTALLED, /* dir is an installed data directory */
};
struct job_data {
    enum job_data_kind kind;
    char dir[PATH_MAX];
    char programs[PATH_MAX]; /* dir/programs ("" if too long) */
    char looked[2 * PATH_MAX + 32]; /* for messages: where it was looked for */
};
/* The rule for the executable EXE (its real path, or NULL), the environment's
 * MINIVMM_DATADIR ENV (or NULL) and the BUILTIN directory.  Fills D and
 * returns D->kind. */
enum job_data_kind job_data_find(const char *exe, const char *env, const char *builtin,
                                 struct job_data *d);
/* job_data_find for this process: /proc/self/exe, getenv, the built-in
 * directory.  Looked up again at each call (the result is static). */
const struct job_data *job_data(void);
/* The default program directory, job_data()->programs, when it is a
 * readable directory; else NULL and a one-line reason in ERR.  A missing one
 * is an error, never an empty program path (docs/install.md). */
const char *job_default_program_dir(char *err, size_t errlen);

/* `minivmm compile JOB.yaml [--programs DIR]... [-I DIR]... [--nr-cpu N]
 * [-o DIR]`: writes DIR/<name>.yaml and DIR/<name>.sh per expanded job and
 * prints their paths.  Returns 0, or 255 after a one-line error on stderr
 * prefixed "minivmm compile: ".  argv[0] is "compile". */
int job_compile_main(int argc, char **argv);

/* job/runtime.sh, built into the binary: the guest puts it at
 * /minivmm/runtime.sh, where generated scripts source it. */
extern const char job_runtime_sh[];

#endif
