/* minivmm run -j N: the expanded jobs of one file, up to N at once, each in
 * a process of its own that boots its VM as a sequential run does
 * (docs/run.md, "Many jobs at once"). */
#ifndef CLI_RUNJOBS_H
#define CLI_RUNJOBS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the rules, without processes (tests/unit/cli_runjobs.c) ---- */

/* How many VMs of `cpus` vCPUs and `memory` bytes run at once for -j want
 * and njobs jobs on a host of host_cpus CPUs and host_mem bytes: want, but
 * no more than there are jobs and no more than fit the host (the vCPUs and
 * the memory of the VMs at once, summed, within the host's); at least 1. */
int runjobs_fit(int want, size_t njobs, int cpus, uint64_t memory, long host_cpus,
                uint64_t host_mem);

/* Which job starts next and which status the run ends with.  Jobs start in
 * job order, at most `limit` at once; a failed job without --keep-going, or
 * a signal (jobsched_stop), starts nothing new (what runs finishes).  The
 * run's status is the first failed job's in job order, whatever order they
 * finished in. */
struct jobsched {
    size_t n, next;             /* jobs; the next to start */
    int limit, running;
    bool keep_going, stopped;
    size_t failed;              /* first failed job in job order; n: none */
    int status;                 /* its status */
};
void jobsched_init(struct jobsched *s, size_t n, int limit, bool keep_going);
/* The job to start now (it counts as running), or -1: none may start. */
long jobsched_next(struct jobsched *s);
/* Job i ended with status st.  True when this failure stops the run (the
 * first one without --keep-going). */
bool jobsched_done(struct jobsched *s, size_t i, int st);
void jobsched_stop(struct jobsched *s);
/* Nothing runs and nothing more will start. */
bool jobsched_over(const struct jobsched *s);
/* 0 if every finished job passed, else the first failed one's status. */
int jobsched_status(const struct jobsched *s);

/* ---- the processes ---- */

struct runjobs {
    size_t n;                   /* jobs, in job order */
    int limit;                  /* at once (runjobs_limit) */
    bool keep_going;
    void *ctx;
    /* In this process, in job order, as job i starts: its result directory
     * (so N is picked in job order, as a sequential run picks it).  0, or
     * an exit status after one line on stderr (the job then failed). */
    int (*prepare)(void *ctx, size_t i, char *dir, size_t len);
    /* In job i's own process: runs it in dir, prints its summary line (see
     * runjobs_line) and returns its exit status. */
    int (*run)(void *ctx, size_t i, const char *dir);
    const char *(*name)(void *ctx, size_t i);
};

/* -j want for njobs jobs of cpus vCPUs and memory bytes on this host
 * (runjobs_fit; MINIVMM_TEST_HOST_CPUS and MINIVMM_TEST_HOST_MEMORY stand
 * in for the host's in tests).  When the host makes it fewer than want and
 * njobs, says so in one line on stderr. */
int runjobs_limit(int want, size_t njobs, int cpus, uint64_t memory);
/* Runs the jobs; returns the run's exit status (128+N after a signal). */
int runjobs(const struct runjobs *r);
/* Called by a job's run just before it prints its summary line: in a job
 * process, notes where that line starts in the job's captured stdout so
 * that it is printed after the job's stderr. */
void runjobs_line(void);
#endif
