/* Fuzz target: a job file (YAML loading, includes, documents, expansion,
 * naming) and what is made of each job: its script, its YAML (which must
 * load again into the same job) and its file name (job_path_component's
 * rule).  Includes resolve in a scratch directory holding two small files.
 * Each input is loaded twice: with minivmm's programs, and with --lkp-src
 * tests/lkp/src-mini (lkp's quoting, booleans, list expansion and its
 * include/ defaults, ERB templates included; the expanded job is reloaded
 * with --no-defaults, as it holds its defaults already). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "job/job.h"

static char dir[64], name[96], inc1[96], inc2[96];
static const char *const prog_dirs[] = {"tests/data/job/programs", "programs"};

static void cleanup(void)
{
    unlink(inc1);
    unlink(inc2);
    rmdir(dir);
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f))
        abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    strcpy(dir, "/tmp/fuzz-job.XXXXXX");
    if (!mkdtemp(dir))
        abort();
    snprintf(name, sizeof name, "%s/fuzz.yaml", dir);
    snprintf(inc1, sizeof inc1, "%s/common.yaml", dir);
    snprintf(inc2, sizeof inc2, "%s/opts.yaml", dir);
    put(inc1, "shared: [x, y]\nruntime: 5m\n");
    put(inc2, "greeting: hello\n<<: common.yaml\n");
    atexit(cleanup);
    return 0;
}

static void check_component(const char *text)
{
    char c[JOB_PATH_COMPONENT_MAX + 1];
    job_path_component(text, c);
    size_t n = strlen(c);
    if (!n || n > JOB_PATH_COMPONENT_MAX || c[0] == '.' || c[0] == '-' || strchr(c, '/'))
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)c[i] <= 0x20 || (unsigned char)c[i] >= 0x7f)
            abort();
}

/* One load of DATA, with minivmm's programs or (LKP) also lkp's tree. */
static void load_one(const uint8_t *data, size_t len, const char *lkp)
{
    struct job_opts o = {.program_dirs = prog_dirs, .nprogram_dirs = 2, .nr_cpu = 4,
                         .lkp_src = lkp};
    struct job_list l;
    char err[1024];
    if (job_load_text(name, (const char *)data, len, &o, &l, err, sizeof err)) {
        if (!err[0] || strchr(err, '\n'))
            abort(); /* every error is one line */
        return;
    }
    if (!l.n || l.n > JOB_MAX_JOBS)
        abort();
    for (size_t i = 0; i < l.n; i++) {
        char *sh = job_to_shell(l.v[i]), *y = job_to_yaml(l.v[i]);
        if (!sh || !y)
            abort();
        check_component(job_name(l.v[i]));
        check_component(job_testcase(l.v[i]));
        check_component(job_params(l.v[i]));
        /* the expanded job loads again into itself */
        struct job_list l2;
        o.no_defaults = true; /* the expanded job holds its defaults already */
        int bad = job_load_text(name, y, strlen(y), &o, &l2, err, sizeof err);
        o.no_defaults = false;
        if (bad) {
            fprintf(stderr, "expanded job does not load: %s\n%s", err, y);
            abort();
        }
        char *y2 = job_to_yaml(l2.v[0]);
        if (l2.n != 1 || !y2 || strcmp(y, y2)) {
            fprintf(stderr, "expanded job changes on reload:\n%s---\n%s", y, y2 ? y2 : "");
            abort();
        }
        free(y2);
        job_list_free(&l2);
        free(sh);
        free(y);
    }
    job_list_free(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    load_one(data, len, NULL);
    load_one(data, len, "tests/lkp/src-mini"); /* --lkp-src: lkp's values and lists */
    return 0;
}
