#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "vmm/timing.h"

#define MAX_MARKS 64
#define MAX_STEPS 32
static struct { unsigned code; double ms; } marks[MAX_MARKS];
static struct { const char *name; double ms; } steps[MAX_STEPS];
static int nmarks, dropped, nsteps;
static double t0, t_entry = -1, t_end = -1;
static char end_how[32], boot_path[16] = "?";
static atomic_bool entered;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *progress;   /* label of progress lines; NULL: none */

void timing_progress(const char *label)
{
    progress = label;
}

/* One progress line on stderr (whole, in one write). */
static void say(const char *what, double ms)
{
    if (progress)
        fprintf(stderr, "minivmm: %s: %s (%.1f s)\n", progress, what, ms / 1e3);
}

double timing_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void timing_start(void)
{
    pthread_mutex_lock(&lock);
    t0 = timing_now_ms();
    t_entry = t_end = -1;
    nmarks = dropped = nsteps = 0;
    snprintf(boot_path, sizeof(boot_path), "?");
    atomic_store(&entered, false);
    pthread_mutex_unlock(&lock);
}

void timing_guest_entry(void)
{
    if (!atomic_exchange(&entered, true)) {
        t_entry = timing_now_ms() - t0;
        say("booting", t_entry);
    }
}

void timing_marker(unsigned code)
{
    double t = timing_now_ms() - t0;
    pthread_mutex_lock(&lock);
    if (nmarks < MAX_MARKS)
        marks[nmarks++] = (typeof(marks[0])){ code, t };
    else
        dropped++;
    pthread_mutex_unlock(&lock);
    const char *what = code == MARK_INIT ? "init reached" : code == MARK_JOB_START ? "job started"
                       : code == MARK_JOB_END ? "job ended" : NULL;
    if (what)
        say(what, t);
}

void timing_step(const char *name)
{
    double t = timing_now_ms() - t0;
    pthread_mutex_lock(&lock);
    if (nsteps < MAX_STEPS)
        steps[nsteps++] = (typeof(steps[0])){ name, t };
    pthread_mutex_unlock(&lock);
}

void timing_boot_path(const char *path)
{
    pthread_mutex_lock(&lock);
    snprintf(boot_path, sizeof(boot_path), "%s", path);
    pthread_mutex_unlock(&lock);
}

void timing_end(const char *how)
{
    pthread_mutex_lock(&lock);
    if (t_end < 0) {
        t_end = timing_now_ms() - t0;
        snprintf(end_how, sizeof(end_how), "%s", how);
    }
    pthread_mutex_unlock(&lock);
}

const char *timing_mark_name(unsigned code, char *buf, size_t len)
{
    switch (code) {
    case MARK_INIT: return "init";
    case MARK_JOB_START: return "job-start";
    case MARK_JOB_END: return "job-end";
    }
    snprintf(buf, len, "marker-%u", code);
    return buf;
}

/* CPU time of this whole process (every thread) so far: the VM process's
 * own, which its caller's rusage no longer sees once it stops waiting for
 * the VM's teardown. */
static double process_cpu_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) < 0)
        return -1;
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void timing_report(FILE *f, bool json)
{
    char buf[24];
    double cpu = process_cpu_ms();
    pthread_mutex_lock(&lock);
    if (json) {
        fprintf(f, "{\"boot_path\": \"%s\", \"vmm_start_ms\": 0, \"guest_entry_ms\": %.3f, "
                "\"markers\": [", boot_path, t_entry);
        for (int i = 0; i < nmarks; i++)
            fprintf(f, "%s{\"code\": %u, \"name\": \"%s\", \"ms\": %.3f}", i ? ", " : "",
                    marks[i].code, timing_mark_name(marks[i].code, buf, sizeof(buf)), marks[i].ms);
        fprintf(f, "], \"markers_dropped\": %d, \"end_ms\": %.3f, \"end\": \"%s\", "
                "\"setup_ms\": {", dropped, t_end, end_how);
        for (int i = 0; i < nsteps; i++)
            fprintf(f, "%s\"%s\": %.3f", i ? ", " : "", steps[i].name,
                    steps[i].ms - (i ? steps[i - 1].ms : 0));
        fprintf(f, "}, \"vm_process_cpu_ms\": %.3f}\n", cpu);
    } else {
        fprintf(f, "timing: %-12s %s\n", "boot-path", boot_path);
        fprintf(f, "timing: %-12s %10.3f ms\n", "vmm-start", 0.0);
        for (int i = 0; i < nsteps; i++)
            fprintf(f, "timing: setup %-14s %8.3f ms\n", steps[i].name,
                    steps[i].ms - (i ? steps[i - 1].ms : 0));
        fprintf(f, "timing: %-12s %10.3f ms\n", "guest-entry", t_entry);
        for (int i = 0; i < nmarks; i++)
            fprintf(f, "timing: %-12s %10.3f ms\n", timing_mark_name(marks[i].code, buf, sizeof(buf)),
                    marks[i].ms);
        fprintf(f, "timing: %-12s %10.3f ms (%s)\n", "guest-end", t_end, end_how);
        fprintf(f, "timing: %-12s %10.3f ms (CPU time of the VM process)\n", "vm-cpu", cpu);
    }
    pthread_mutex_unlock(&lock);
}
