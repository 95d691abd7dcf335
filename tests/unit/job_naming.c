/* lkp's job names and values (docs/jobs.md "Names", "Values"): every rule
 * file tests/lkp/jobs/RULE.yaml gives the jobs, names and values in
 * RULE.expect, which lkp's own split-job and job2sh give too
 * (tests/lkp/compare checks that against lkp-tests); plus the rules one by
 * one, with expectations read from lkp's params/ files and lib/unit.rb. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "job/job.h"
#include "job/naming.h"
#include "job/values.h"
#include "tests/unit/testutil.h"

#define LKP "tests/lkp"

static char errbuf[1024];
static const char *const lkp_progs[] = {LKP "/programs"};

static int load(const char *path, int nr_cpu, struct job_list *l)
{
    struct job_opts o = {.program_dirs = lkp_progs, .nprogram_dirs = 1, .nr_cpu = nr_cpu,
                         .memory = 512ULL << 20};
    return job_load(path, &o, l, errbuf, sizeof errbuf);
}

/* TEXT as a job file called NAME in a scratch directory. */
static int load_text(const char *name, const char *text, int nr_cpu, struct job_list *l)
{
    static char dir[64];
    strcpy(dir, "/tmp/job_naming.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    int r = load(p, nr_cpu, l);
    unlink(p);
    rmdir(dir);
    return r;
}

/* The lines of RULE.expect for job J: its name, "\tKEY=VALUE" per exported
 * parameter, "\t! run_..." per setup or test line of its script. */
static void describe(const struct job *j, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "%s\n", job_name(j));
    for (size_t i = 0; i < job_nparams(j); i++)
        n += (size_t)snprintf(out + n, cap - n, "\t%s=%s\n", job_param_key(j, i),
                              job_param_value(j, i) ? job_param_value(j, i) : "");
    char *sh = job_to_shell(j);
    ck_assert_ptr_nonnull(sh);
    for (char *l = strtok(sh, "\n"); l; l = strtok(NULL, "\n")) {
        if (strncmp(l, "\trun_setup ", 11) && strncmp(l, "\trun_test ", 10))
            continue;
        char *e = strstr(l, " || return");
        if (e)
            *e = 0;
        n += (size_t)snprintf(out + n, cap - n, "\t! ");
        for (char *c = l + 1; *c; c++)
            if (*c != '\'')
                out[n++] = *c;
        out[n++] = '\n';
        out[n] = 0;
    }
    free(sh);
}

START_TEST(rule_files)
{
    DIR *d = opendir(LKP "/jobs");
    ck_assert_ptr_nonnull(d);
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".yaml"))
            continue;
        char yaml[512], expect[512];
        snprintf(yaml, sizeof yaml, LKP "/jobs/%s", e->d_name);
        snprintf(expect, sizeof expect, LKP "/jobs/%.*s.expect", (int)(len - 5), e->d_name);
        struct job_list l;
        ck_assert_msg(load(yaml, 2, &l) == 0, "%s: %s", yaml, errbuf);
        static char got[1 << 16], want[1 << 16];
        size_t n = 0;
        for (size_t i = 0; i < l.n; i++)
            describe(l.v[i], got + n, sizeof got - n), n += strlen(got + n);
        FILE *f = fopen(expect, "r");
        ck_assert_msg(f != NULL, "%s missing", expect);
        size_t w = fread(want, 1, sizeof want - 1, f);
        want[w] = 0;
        fclose(f);
        ck_assert_msg(!strcmp(got, want), "%s:\n--- got\n%s--- want\n%s", yaml, got, want);
        job_list_free(&l);
        files++;
    }
    closedir(d);
    ck_assert_int_ge(files, 11);
}
END_TEST

START_TEST(booleans)
{
    /* Ruby's YAML 1.1 (Psych's /^(yes|true|on)$/i): plain yes/no/on/off/
     * true/false in any case */
    ck_assert_int_eq(jnaming_bool("false"), 0);
    ck_assert_int_eq(jnaming_bool("OFF"), 0);
    ck_assert_int_eq(jnaming_bool("No"), 0);
    ck_assert_int_eq(jnaming_bool("on"), 1);
    ck_assert_int_eq(jnaming_bool("YES"), 1);
    ck_assert_int_eq(jnaming_bool("y"), -1); /* not a boolean to Psych */
    ck_assert_int_eq(jnaming_bool("oN"), 1);
    ck_assert_int_eq(jnaming_bool("fAlSe"), 0);
    ck_assert_int_eq(jnaming_bool("n"), -1);
    ck_assert_int_eq(jnaming_bool(""), -1);
}
END_TEST

START_TEST(name_rules)
{
    struct job_list l;
    /* the base name less .yaml only; an empty string value is an empty part */
    ck_assert_msg(load_text("a.yml.yaml", "mvbench:\n  mode: \"\"\n  alpha: x\n", 2, &l) == 0,
                  "%s", errbuf);
    ck_assert_str_eq(job_name(l.v[0]), "a.yml-x-");
    ck_assert_str_eq(job_params(l.v[0]), "x-");
    job_list_free(&l);
    /* '=' options: NAME=VALUE (value cut to 31), NAME alone when empty or false */
    ck_assert_int_eq(load_text("e.yaml", "mvbench:\n  verbose: off\n", 2, &l), 0);
    ck_assert_str_eq(job_name(l.v[0]), "e-verbose");
    job_list_free(&l);
    ck_assert_int_eq(load_text("e.yaml", "mvbench:\n  verbose: "
                               "abcdefghijklmnopqrstuvwxyz0123456789\n", 2, &l), 0);
    ck_assert_str_eq(job_name(l.v[0]), "e-verbose=abcdefghijklmnopqrstuvwxyz01234");
    job_list_free(&l);
    /* a monitor's options never count, a setup's string does; undeclared keys don't */
    ck_assert_int_eq(load_text("m.yaml", "mvmon:\n  interval: 3\nmvsetup: s1\nfoo: bar\n"
                               "mvbench:\n", 2, &l), 0);
    ck_assert_str_eq(job_name(l.v[0]), "m-s1");
    job_list_free(&l);
    /* lkp's wrapper options (bin/run-test) and cluster always count */
    ck_assert_int_eq(load_text("w.yaml", "nr_instances: 2\ncluster: cs\nmvbench:\n", 2, &l), 0);
    ck_assert_str_eq(job_name(l.v[0]), "w-cs-2");
    job_list_free(&l);
    /* a non-ASCII character is one '_' */
    ck_assert_int_eq(load_text("u.yaml", "mvbench:\n  text: \"\\u00e9t\\u00e9\"\n", 2, &l), 0);
    ck_assert_str_eq(job_name(l.v[0]), "u-_t_");
    job_list_free(&l);
}
END_TEST

START_TEST(to_byte)
{
    static const struct {
        const char *in;
        int size;
        unsigned long long out;
    } t[] = {
        {"16G", 1, 16ULL << 30}, {"4kb", 1, 4096}, {"1M", 1, 1 << 20}, {"2T", 1, 2ULL << 40},
        {"1p", 1, 1ULL << 50}, {"3GB", 1, 3ULL << 30}, {"G", 1, 0},
        {"100", 0, 0}, {"1.5G", 0, 0}, {"16X", 0, 0}, {"16GiB", 0, 0}, {"", 0, 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        uint64_t v = 0;
        int is = -1;
        ck_assert_int_eq(jvalue_to_byte(t[i].in, &v, &is), 0);
        ck_assert_msg(is == t[i].size, "%s", t[i].in);
        if (is)
            ck_assert_msg(v == t[i].out, "%s: %llu", t[i].in, (unsigned long long)v);
    }
    uint64_t v;
    int is;
    ck_assert_int_eq(jvalue_to_byte("17000000P", &v, &is), -1); /* over 64 bits */
}
END_TEST

static const char *val(struct job_list *l, const char *key)
{
    const char *v = job_param(l->v[0], key);
    return v ? v : "(null)";
}

START_TEST(value_rules)
{
    struct job_list l;
    ck_assert_msg(load_text("v.yaml", "mvbench:\nnr_task: 33.4%\nworker_threads: 8t\n"
                            "memcached_memsize: 3%\ntotal_setsize: 2k\nsize: 7\n"
                            "runtime: 2w\ntesttime: 1y\nperiod: 3d\niterations: 4\n", 3, &l) == 0,
                  "%s", errbuf);
    ck_assert_str_eq(val(&l, "nr_task"), "1");                  /* 33.4 * 3 / 100 = 1.002 */
    ck_assert_str_eq(val(&l, "worker_threads"), "8");
    ck_assert_str_eq(val(&l, "memcached_memsize"), "16106127"); /* 3 * 512M / 100 */
    ck_assert_str_eq(val(&l, "total_setsize"), "2048");
    ck_assert_str_eq(val(&l, "size"), "7");                     /* not a size: as is */
    ck_assert_str_eq(val(&l, "runtime"), "1209600");
    ck_assert_str_eq(val(&l, "testtime"), "31536000");
    ck_assert_str_eq(val(&l, "period"), "259200");
    ck_assert_str_eq(val(&l, "iterations"), "4");
    job_list_free(&l);
    /* md: lower case raid_level; fs: fs=...; both for the program's run line */
    ck_assert_int_eq(load_text("md.yaml", "mvbench:\n  md: RAID0\n  fs: xfs\n", 2, &l), 0);
    char *sh = job_to_shell(l.v[0]);
    ck_assert_ptr_nonnull(strstr(sh, "run_test raid_level='raid0' fs='xfs' 'mvbench'"));
    free(sh);
    job_list_free(&l);
    /* a job whose top-level nr_threads is 0 is dropped, as lkp's filters/nr_threads
     * drops it (a program option of 0 is kept); none left is an error */
    ck_assert_int_eq(load_text("z.yaml", "mvbench:\n  nr_threads: 25%\nnr_threads: [25%, 50%]\n",
                               2, &l), 0);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_str_eq(job_name(l.v[0]), "z-25%-50%");
    sh = job_to_shell(l.v[0]);
    ck_assert_ptr_nonnull(strstr(sh, "run_test nr_threads=0 'mvbench'"));
    free(sh);
    job_list_free(&l);
    ck_assert_int_eq(load_text("z.yaml", "mvbench:\nnr_threads: 25%\n", 2, &l), -1);
    ck_assert_msg(strstr(errbuf, "z.yaml: every job has nr_threads 0 on 2 CPUs"), "%s", errbuf);
    /* a share of the memory needs its size */
    struct job_opts o = {.program_dirs = lkp_progs, .nprogram_dirs = 1, .nr_cpu = 1};
    ck_assert_int_eq(job_load_text("s.yaml", "mvbench:\nsetsize: 5%\n", 20, &o, &l, errbuf,
                                   sizeof errbuf), -1);
    ck_assert_msg(strstr(errbuf, "s.yaml:2:10: setsize: '5%' is a share of the guest memory"),
                  "%s", errbuf);
    ck_assert_int_eq(load_text("big.yaml", "mvbench:\nsize: 99999999P\n", 2, &l), -1);
    ck_assert_msg(strstr(errbuf, "size '99999999P' is too large"), "%s", errbuf);
}
END_TEST

static void compile_bad_memory(void)
{
    char *argv[] = {"compile", LKP "/jobs/values-memory.yaml", "--memory", "12Q", NULL};
    ck_assert_int_eq(job_compile_main(4, argv), 255);
}

START_TEST(compile_memory_option)
{
    char *err = test_capture_stderr(compile_bad_memory);
    ck_assert_str_eq(err, "minivmm compile: --memory: bad size '12Q' (want e.g. 512M or 2G)\n");
    free(err);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("job_naming");
    TCase *tc = tcase_create("naming");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, rule_files);
    tcase_add_test(tc, booleans);
    tcase_add_test(tc, name_rules);
    tcase_add_test(tc, to_byte);
    tcase_add_test(tc, value_rules);
    tcase_add_test(tc, compile_memory_option);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
