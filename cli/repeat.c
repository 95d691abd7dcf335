/* `minivmm boot --repeat N` (cli/repeat.h): boots the same kernel N times
 * through machine_run, one fresh VM process each, and reports each boot and
 * the min / median / max of each phase (docs/boot.md "Boot loop"). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "cli/kimage.h"
#include "cli/machine.h"
#include "cli/repeat.h"
#include "cli/sandbox.h"
#include "cli/status.h"
#include "vmm/timing.h"

#define ERR(...) fprintf(stderr, "minivmm: " __VA_ARGS__)

/* Phases of one boot, in ms; < 0 when the boot has none (it never entered
 * the guest, never ended, ...).  Markers: first of each code, from guest entry. */
enum { PH_SETUP, PH_GUEST, PH_END_EXIT, PH_WALL, NPH };
static const char *const ph_name[NPH] = { "setup", "guest", "end-to-exit", "wall" };

struct boot {
    int status;
    enum vm_end end;
    double ph[NPH];
    int nmarks;
    struct mark { unsigned code; double ms; } *marks;   /* malloc'd */
    char *timing;               /* the VM's own report (checked JSON), or NULL */
};

/* Fills b's phases from the VM's timing report and the parent's clock. */
static void phases(struct boot *b, char *json, double wall)
{
    struct rep_timing t;
    bool ok = rep_parse_timing(json, &t) == 0;
    b->timing = ok ? json : NULL;
    if (!ok)
        free(json);
    for (int i = 0; i < NPH; i++)
        b->ph[i] = -1;
    b->ph[PH_WALL] = wall;
    b->marks = t.nmarks ? malloc(sizeof(*b->marks) * (size_t)t.nmarks) : NULL;
    if (t.entry >= 0)
        b->ph[PH_SETUP] = t.entry;
    if (t.entry >= 0 && t.end >= t.entry)
        b->ph[PH_GUEST] = t.end - t.entry;
    if (t.end >= 0 && wall >= t.end)
        b->ph[PH_END_EXIT] = wall - t.end;
    for (int i = 0; i < t.nmarks && t.entry >= 0 && b->marks; i++) {
        int k = 0;
        while (k < b->nmarks && b->marks[k].code != t.marks[i].code)
            k++;
        if (k == b->nmarks && t.marks[i].ms >= t.entry) {
            b->marks[k].code = t.marks[i].code;
            b->marks[b->nmarks++].ms = t.marks[i].ms - t.entry;
        }
    }
}

static void boot_line(const struct boot *b, long i, long n)
{
    char buf[24];
    fprintf(stderr, "repeat: boot %ld/%ld: exit %d (%s, %s):", i + 1, n, b->status,
            exit_status_meaning(b->status), vm_end_name(b->end));
    if (b->ph[PH_SETUP] >= 0)
        fprintf(stderr, " setup %.3f", b->ph[PH_SETUP]);
    for (int k = 0; k < b->nmarks; k++)
        fprintf(stderr, " %s %.3f", timing_mark_name(b->marks[k].code, buf, sizeof(buf)), b->marks[k].ms);
    for (int p = PH_GUEST; p < NPH; p++)
        if (b->ph[p] >= 0)
            fprintf(stderr, " %s %.3f", ph_name[p], b->ph[p]);
    fprintf(stderr, " ms\n");
}

static int cmp_uint(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

/* One summary row: the values of phase p (p < 0: marker code) that exist. */
static void summarise(const struct boot *b, long n, int p, unsigned code, double *v,
                      struct rep_stats *s)
{
    int k = 0;
    for (long i = 0; i < n; i++) {
        if (p >= 0) {
            if (b[i].ph[p] >= 0)
                v[k++] = b[i].ph[p];
            continue;
        }
        for (int m = 0; m < b[i].nmarks; m++)
            if (b[i].marks[m].code == code)
                v[k++] = b[i].marks[m].ms;
    }
    rep_stats(v, k, s);
}

static void json_stats(FILE *f, const char *name, const struct rep_stats *s, bool first)
{
    fprintf(f, "%s\"%s\": {\"n\": %d", first ? "" : ", ", name, s->n);
    if (s->n)
        fprintf(f, ", \"min\": %.3f, \"median\": %.3f, \"max\": %.3f", s->min, s->median,
                s->max);
    fprintf(f, "}");
}

static void json_boot(FILE *f, const struct boot *b, long i)
{
    char buf[24];
    fprintf(f, "%s{\"boot\": %ld, \"exit_status\": %d, \"verdict\": \"%s\", \"end\": \"%s\", "
            "\"phases_ms\": {", i ? ", " : "", i + 1, b->status, exit_status_meaning(b->status),
            vm_end_name(b->end));
    bool first = true;
    if (b->ph[PH_SETUP] >= 0)
        fprintf(f, "\"setup\": %.3f", b->ph[PH_SETUP]), first = false;
    for (int k = 0; k < b->nmarks; k++, first = false)
        fprintf(f, "%s\"%s\": %.3f", first ? "" : ", ",
                timing_mark_name(b->marks[k].code, buf, sizeof(buf)), b->marks[k].ms);
    for (int p = PH_GUEST; p < NPH; p++)
        if (b->ph[p] >= 0)
            fprintf(f, "%s\"%s\": %.3f", first ? "" : ", ", ph_name[p], b->ph[p]), first = false;
    fprintf(f, "}, \"timing\": ");
    if (b->timing) {                     /* one object: its own newline dropped */
        size_t l = strlen(b->timing);
        while (l && (b->timing[l - 1] == '\n' || b->timing[l - 1] == ' '))
            l--;
        fwrite(b->timing, 1, l, f);
    } else {
        fputs("null", f);
    }
    fputc('}', f);
}

/* The summary: text rows or the JSON document with every boot. */
static void report_to(FILE *f, const struct boot *b, long n, long asked, int worst, bool json)
{
    long worst_at = 0;                   /* the first boot with the worst status, or n */
    while (worst_at < n && b[worst_at].status != worst)
        worst_at++;
    double *v = malloc(sizeof(*v) * (size_t)(n ? n : 1));
    size_t total = 1;
    for (long i = 0; i < n; i++)
        total += (size_t)b[i].nmarks;
    unsigned *codes = malloc(sizeof(*codes) * total);
    if (!v || !codes) {
        ERR("out of memory for the --repeat summary\n");
        free(v);
        free(codes);
        return;
    }
    int nc = 0;                          /* every marker code seen, sorted, once each */
    for (long i = 0; i < n; i++)
        for (int m = 0; m < b[i].nmarks; m++)
            codes[nc++] = b[i].marks[m].code;
    qsort(codes, (size_t)nc, sizeof(*codes), cmp_uint);
    int u = 0;
    for (int i = 0; i < nc; i++)
        if (!u || codes[u - 1] != codes[i])
            codes[u++] = codes[i];
    nc = u;

    /* Order of rows: setup, markers by code, guest, end-to-exit, wall. */
    int rows = NPH + nc;
    char buf[24];
    struct rep_stats s;
    if (json) {
        fprintf(f, "{\"repeat\": %ld, \"boots\": [", asked);
        for (long i = 0; i < n; i++)
            json_boot(f, &b[i], i);
        fprintf(f, "], \"summary\": {\"boots\": %ld, \"exit_status\": %d, \"verdict\": \"%s\", "
                "\"worst_boot\": %ld, \"interrupted\": %s, \"exit_statuses\": {", n, worst,
                exit_status_meaning(worst), worst_at < n ? worst_at + 1 : 0,
                n < asked ? "true" : "false");
    }
    bool first = true;
    for (int st = 0; st < 256; st++) {   /* how many boots gave each status */
        long c = 0;
        for (long i = 0; i < n; i++)
            c += b[i].status == st;
        if (!c)
            continue;
        if (json)
            fprintf(f, "%s\"%d\": %ld", first ? "" : ", ", st, c);
        else
            fprintf(f, "%s exit %d x%ld", first ? "repeat: statuses:" : ",", st, c);
        first = false;
    }
    if (json)
        fprintf(f, "}, \"phases_ms\": {");
    else
        fprintf(f, "%s\nrepeat: %-12s %6s %10s %10s %10s (ms)\n", first ? "repeat: statuses: none" : "",
                "phase", "n", "min", "median", "max");
    for (int r = 0; r < rows; r++) {
        int p = r == 0 ? PH_SETUP : r <= nc ? -1 : r - nc;
        unsigned code = r >= 1 && r <= nc ? codes[r - 1] : 0;
        const char *name = p >= 0 ? ph_name[p] : timing_mark_name(code, buf, sizeof(buf));
        summarise(b, n, p, code, v, &s);
        if (json)
            json_stats(f, name, &s, r == 0);
        else if (s.n)
            fprintf(f, "repeat: %-12s %6d %10.3f %10.3f %10.3f\n", name, s.n, s.min, s.median,
                    s.max);
        else
            fprintf(f, "repeat: %-12s %6d %10s %10s %10s\n", name, 0, "-", "-", "-");
    }
    if (json)
        fprintf(f, "}}}\n");
    else
        fprintf(f, "repeat: %ld of %ld boots; exit status %d (%s)", n, asked, worst,
                exit_status_meaning(worst));
    if (!json && worst && worst_at < n)
        fprintf(f, ", the worst, first at boot %ld", worst_at + 1);
    if (!json)
        fprintf(f, "\n");
    free(v);
    free(codes);
}

/* Written in one piece, so nothing interleaves with it. */
static void report(const struct boot *b, long n, long asked, int worst, bool json)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        report_to(stderr, b, n, asked, worst, json);
        return;
    }
    report_to(f, b, n, asked, worst, json);
    if (fclose(f) == 0)
        fwrite(text, 1, len, stderr);
    free(text);
}

int repeat_main(const struct boot_opts *opts)
{
    struct boot_opts o = *opts;
    long n = o.repeat;
    char err[512];
    if (o.console && n > 1 && !strstr(o.console, "%d")) {
        ERR("--console '%s' with --repeat %ld: put %%d in the file name (one file per boot)\n",
            o.console, n);
        return EXIT_HOST_ERROR;
    }
    char console[PATH_MAX];
    if (o.console && rep_console_path(console, sizeof(console), o.console, n)) {
        ERR("--console '%s': the file name of boot %ld is too long\n", o.console, n);
        return EXIT_HOST_ERROR;
    }
    sig_install();
    struct kimage kf;                    /* opened once, for every boot */
    if (!o.kernel_file) {
        int rc = kimage_open(&kf, o.kernel, err, sizeof(err));
        if (rc) {
            ERR("%s\n", err);
            return rc;
        }
        /* Every boot boots the same bytes, even if the file is rewritten. */
        if (kimage_snapshot(&kf, err, sizeof(err)) < 0) {
            ERR("%s\n", err);
            kimage_close(&kf);
            return EXIT_HOST_ERROR;
        }
        o.kernel_file = &kf;
    }
    bool json = o.timing == TIMING_JSON;
    o.timing = TIMING_OFF;               /* this loop reports instead of each VM */
    struct boot *b = calloc((size_t)n, sizeof(*b));
    if (!b) {
        ERR("out of memory for %ld boots\n", n);
        if (o.kernel_file == &kf)
            kimage_close(&kf);
        return EXIT_HOST_ERROR;
    }
    int worst = 0;
    long done = 0;
    for (long i = 0; i < n && !sig_caught(); i++) {
        if (opts->console) {             /* fits: checked for the longest number */
            rep_console_path(console, sizeof(console), opts->console, i + 1);
            o.console = console;
        }
        struct machine_result res = { .end = VM_END_ERROR };
        double t0 = timing_now_ms();
        timing_start();                  /* the VM's times count from here */
        b[i].status = machine_run(&o, &res);
        double wall = timing_now_ms() - t0;     /* its result is in (the VM is freed after) */
        b[i].end = res.end;
        phases(&b[i], res.timing_json, wall);
        done = i + 1;
        worst = rep_worse(worst, b[i].status);
        if (!json)
            boot_line(&b[i], i, n);
        if (b[i].status >= 128 && b[i].status < 255)
            break;                       /* a signal: no new boots */
    }
    if (sig_caught())
        worst = rep_worse(worst, 128 + sig_caught());
    if (done < n)
        ERR("interrupted after %ld of %ld boots\n", done, n);
    report(b, done, n, worst, json);
    for (long i = 0; i < done; i++) {
        free(b[i].timing);
        free(b[i].marks);
    }
    free(b);
    if (o.kernel_file == &kf)
        kimage_close(&kf);
    return worst;
}
