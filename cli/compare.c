/* minivmm compare [--json] A... -- B...: the stats.json of two groups of
 * result directories, metric by metric (stats/compare.h, docs/stats.md). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "stats/compare.h"
#include "cli/compare.h"
#include "cli/status.h"

#define ERR(...) fprintf(stderr, "minivmm compare: " __VA_ARGS__)
#define MAX_RUNS 4096

static void usage(FILE *f)
{
    fputs(
"usage: minivmm compare [--json] A... -- B...\n"
"Compares the stats.json of result directories A... with those of B..., metric\n"
"by metric: mean, standard deviation and change in % from A to B; a change\n"
"beyond the runs' own noise is marked * (\"flagged\": true in --json).\n"
"A directory without stats.json stands for its numbered runs (DIR/N/stats.json),\n"
"e.g. RESULT_ROOT/TESTCASE/PARAMS/KVER.  A metric missing on one side is shown.\n"
"Exit status: 0, or 255 when a directory or stats.json cannot be read.\n"
"--json: one JSON object instead of the table.  --help, --version.\n", f);
}

struct group {
    struct stats *runs;
    char **dirs;
    size_t n;
};

static int load(struct group *g, const char *dir)
{
    char path[4096], err[256];
    if (g->n == MAX_RUNS) {
        ERR("more than %d runs\n", MAX_RUNS);
        return -1;
    }
    if (snprintf(path, sizeof(path), "%s/stats.json", dir) >= (int)sizeof(path)) {
        ERR("%s: path too long\n", dir);
        return -1;
    }
    /* A result directory was the guest's to write: a link is not followed. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (64 << 20)) {
        ERR("%s: %s\n", path, fd >= 0 ? "not a regular file of at most 64 MiB" :
                              errno == ELOOP ? "a symbolic link, not followed" : strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    ssize_t r = buf ? read(fd, buf, (size_t)st.st_size) : -1;
    close(fd);
    struct stats s = { 0 };
    if (r != st.st_size || stats_read_json(buf, (size_t)r, &s, err, sizeof(err)) < 0) {
        ERR("%s: %s\n", path, r != st.st_size ? "cannot read it" : err);
        free(buf);
        return -1;
    }
    free(buf);
    struct stats *nr = realloc(g->runs, (g->n + 1) * sizeof(*nr));
    char **nd = nr ? realloc(g->dirs, (g->n + 1) * sizeof(*nd)) : NULL;
    if (nr)
        g->runs = nr;
    if (nd)
        g->dirs = nd;
    if (!nr || !nd || !(g->dirs[g->n] = strdup(dir))) {
        stats_free(&s);
        ERR("out of memory\n");
        return -1;
    }
    g->runs[g->n++] = s;
    return 0;
}

static int num_name(const struct dirent *e)
{
    return e->d_name[0] && strspn(e->d_name, "0123456789") == strlen(e->d_name);
}

static int by_number(const struct dirent **a, const struct dirent **b)
{
    size_t la = strlen((*a)->d_name), lb = strlen((*b)->d_name);
    return la != lb ? (la < lb ? -1 : 1) : strcmp((*a)->d_name, (*b)->d_name);
}

/* DIR with a stats.json is one run; else each DIR/N with one. */
static int add(struct group *g, const char *dir)
{
    char path[4096];
    struct stat st;
    if (stat(dir, &st) < 0) {
        ERR("%s: %s\n", dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        ERR("%s: not a directory\n", dir);
        return -1;
    }
    snprintf(path, sizeof(path), "%s/stats.json", dir);
    if (lstat(path, &st) == 0)
        return load(g, dir);
    struct dirent **list;
    int n = scandir(dir, &list, num_name, by_number), found = 0, rc = 0;
    for (int i = 0; i < n; i++) {
        if (!rc && snprintf(path, sizeof(path), "%s/%s/stats.json", dir, list[i]->d_name) <
                       (int)sizeof(path) && lstat(path, &st) == 0) {
            snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
            rc = load(g, path);
            found++;
        }
        free(list[i]);
    }
    if (n >= 0)
        free(list);
    if (!rc && !found) {
        ERR("%s: no stats.json in it or in its numbered runs (DIR/N/stats.json)\n", dir);
        return -1;
    }
    return rc;
}

static void free_group(struct group *g)
{
    for (size_t i = 0; i < g->n; i++) {
        stats_free(&g->runs[i]);
        free(g->dirs[i]);
    }
    free(g->runs);
    free(g->dirs);
}

int compare_main(int argc, char **argv)
{
    bool json = false;
    int sep = -1, rc = EXIT_HOST_ERROR;
    for (int i = 1; i < argc && sep < 0; i++) {
        if (!strcmp(argv[i], "--"))
            sep = i;
        else if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--version")) {
            printf("minivmm %s\n", MINIVMM_VERSION);
            return 0;
        } else if (argv[i][0] == '-') {
            ERR("unknown option '%s' (see minivmm compare --help)\n", argv[i]);
            return EXIT_HOST_ERROR;
        }
    }
    if (sep < 0) {
        ERR("no '--' between the two groups (minivmm compare A... -- B...)\n");
        return EXIT_HOST_ERROR;
    }
    struct group a = { 0 }, b = { 0 };
    for (int i = 1; i < argc; i++) {
        if (i == sep || (i < sep && !strcmp(argv[i], "--json")))
            continue;
        if (add(i < sep ? &a : &b, argv[i]) < 0)
            goto out;
    }
    if (!a.n || !b.n) {
        ERR("no result directory %s '--' (minivmm compare A... -- B...)\n",
            a.n ? "after" : "before");
        goto out;
    }
    struct cmp_row *rows;
    size_t n;
    if (stats_compare(a.runs, a.n, b.runs, b.n, &rows, &n) < 0) {
        ERR("out of memory\n");
        goto out;
    }
    if (json)
        stats_compare_json(stdout, rows, n, (const char *const *)a.dirs, a.n,
                           (const char *const *)b.dirs, b.n);
    else
        stats_compare_table(stdout, rows, n, a.n, b.n);
    free(rows);
    rc = fflush(stdout) ? EXIT_HOST_ERROR : 0;
out:
    free_group(&a);
    free_group(&b);
    return rc;
}
