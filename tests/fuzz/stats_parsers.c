/* Fuzz target: the stats parsers (docs/stats.md).  The first byte picks a
 * built-in parser (or the line reader, stats.json's reader, --expect's
 * parser); the rest is a program's output, any bytes.  Whatever they are,
 * a parser's lines pass stats_parse_lines (a built-in parser never writes
 * a line it would reject), stats.json written reads back the same, and
 * nothing reads outside the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stats/expect.h"
#include "stats/stats.h"

static const char *const progs[] = { "hackbench", "fio", "stress-ng", "sleep", "uptime",
                                     "meminfo", "vmstat", "interrupts" };
#define NPROGS (sizeof(progs) / sizeof(progs[0]))

static void roundtrip(const struct stats *s)
{
    char *buf;
    size_t len;
    char err[256];
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return;
    stats_write_json(f, s);
    fclose(f);
    struct stats r = { 0 };
    if (stats_read_json(buf, len, &r, err, sizeof err) < 0 || r.n != s->n)
        abort();
    for (size_t i = 0; i < s->n; i++)
        if (*stats_get(&r, s->v[i].key) != s->v[i].val)
            abort();
    stats_free(&r);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    if (!len)
        return 0;
    unsigned pick = data[0] % (NPROGS + 3);
    char *text = malloc(len);           /* exactly the input: ASan sees over-reads */
    if (!text)
        return 0;
    memcpy(text, data + 1, len - 1);
    size_t n = len - 1;
    struct stats s = { 0 };
    char err[256], *lines;
    if (pick < NPROGS) {
        if (stats_builtin(progs[pick], text, n, &lines) == 1) {
            int r = stats_parse_lines(progs[pick], lines, strlen(lines), &s, err, sizeof err);
            if (r == -1)
                abort();                /* a built-in parser wrote a line it rejects */
            free(lines);
            roundtrip(&s);
        }
    } else if (pick == NPROGS) {
        if (stats_parse_lines("p", text, n, &s, err, sizeof err) == 0)
            roundtrip(&s);
    } else if (pick == NPROGS + 1) {
        if (stats_read_json(text, n, &s, err, sizeof err) == 0)
            roundtrip(&s);
    } else {
        char *z = malloc(n + 1);
        struct stats_expect e;
        if (z) {
            memcpy(z, text, n);
            z[n] = 0;
            if (stats_expect_parse(z, &e, err, sizeof err) == 0) {
                double got;
                stats_set(&s, e.metric, e.value);
                if (stats_expect_eval(&e, &s, &got) == STATS_MISSING)
                    abort();
            } else if (strpbrk(err, "\n\r")) {
                abort();                /* the message is one line */
            }
            free(z);
        }
    }
    stats_free(&s);
    free(text);
    return 0;
}
