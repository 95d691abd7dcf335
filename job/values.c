/* lkp's value rules: docs/jobs.md "Values".  Read from lkp-tests'
 * params/ files (one file per key: a regular expression and a Ruby expression a
 * line), lib/unit.rb (to_byte, to_seconds) and lib/job.rb (map_param: the
 * rules of a key are tried in order on the value, each match is cut out of
 * it; the first result stands, map results are merged); written anew here. */
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "job/job_internal.h"
#include "job/naming.h"
#include "job/values.h"

int jvalue_to_byte(const char *s, uint64_t *out, int *is_size)
{
    const char *u = s;
    uint64_t n = 0;
    int over = 0;
    while (*u >= '0' && *u <= '9') {
        if (n > (UINT64_MAX - 9) / 10)
            over = 1;
        n = n * 10 + (uint64_t)(*u++ - '0');
    }
    size_t l = strlen(u);
    if (l == 2 && (u[1] == 'b' || u[1] == 'B'))
        l = 1; /* chomp('B') after upcase */
    static const char units[] = "KMGTP";
    const char *p = l == 1 ? strchr(units, u[0] & ~0x20) : NULL;
    *is_size = p && *p;
    if (!*is_size)
        return 0;
    unsigned shift = 10 * (unsigned)(p - units + 1);
    if (over || n > (UINT64_MAX >> shift))
        return -1;
    *out = n << shift;
    return 0;
}

enum act {
    A_CPU_PCT,   /* (f * nr_cpu / 100).to_i */
    A_INT,       /* $1.to_i */
    A_MEM_PCT,   /* $1 * memory / 100 */
    A_BYTES,     /* to_byte($1) */
    A_SECONDS,   /* to_seconds($1) */
    A_MUL,       /* $1 * mul */
    A_OPT,       /* { opt: $1.to_i or $1 } */
    A_OPT_BYTES, /* { opt: to_byte($1) } */
    A_OPT_LOWER, /* { opt: $1.downcase } */
    A_OPT_ONE,   /* { opt: 1 } */
};

struct rule {
    const char *re;
    enum act act;
    long mul;          /* A_MUL */
    const char *opt;   /* A_OPT... */
    int opt_int;       /* A_OPT: $1.to_i */
};

#define CPU_RULES {"([0-9]+(\\.[0-9]+)?)%$", A_CPU_PCT, 0, 0, 0}, {"([0-9]+)[a-z]+$", A_INT, 0, 0, 0}
#define MEM_RULES {"([0-9]+)%", A_MEM_PCT, 0, 0, 0}, {"([0-9]+[a-zA-Z])", A_BYTES, 0, 0, 0}
#define BYTES_RULES {"(.*)", A_BYTES, 0, 0, 0}

static const struct {
    const char *key;
    struct rule r[8];
} table[] = {
    {"agent_threads", {CPU_RULES}},   {"master_threads", {CPU_RULES}},
    {"message_threads", {CPU_RULES}}, {"nr_instances", {CPU_RULES}},
    {"nr_processes", {CPU_RULES}},    {"nr_task", {CPU_RULES}},
    {"nr_threads", {CPU_RULES}},      {"worker_threads", {CPU_RULES}},
    {"mapsize", {MEM_RULES}},         {"memcached_memsize", {MEM_RULES}},
    {"setsize", {MEM_RULES}},         {"test_memory_size", {MEM_RULES}},
    {"total_setsize", {MEM_RULES}},
    {"memory.high", {MEM_RULES}},     {"memory.low", {MEM_RULES}},
    {"memory.max", {MEM_RULES}},      {"memory.limit_in_bytes", {MEM_RULES}},
    {"memory.memsw.limit_in_bytes", {MEM_RULES}}, {"memory.soft_limit_in_bytes", {MEM_RULES}},
    {"size", {BYTES_RULES}},          {"unit_size", {BYTES_RULES}},
    {"ramdisk_size", {BYTES_RULES}},  {"eatmem_size", {BYTES_RULES}},
    {"iterations", {{"([0-9]+)x", A_INT, 0, 0, 0}}},
    {"runtime", {{"(.*)", A_SECONDS, 0, 0, 0}}},
    {"testtime", {{"(.*)", A_SECONDS, 0, 0, 0}}},
    {"period", {{"([0-9]+)s", A_MUL, 1, 0, 0}, {"([0-9]+)m", A_MUL, 60, 0, 0},
                {"([0-9]+)h", A_MUL, 3600, 0, 0}, {"([0-9]+)d", A_MUL, 86400, 0, 0}}},
    {"disk", {{"([0-9]+)HDD", A_OPT, 0, "nr_hdd", 1}, {"([0-9]+)SSD", A_OPT, 0, "nr_ssd", 1},
              {"([0-9]+)BRD", A_OPT, 0, "nr_brd", 1}, {"([0-9]+)SRD", A_OPT, 0, "nr_srd", 1},
              {"([0-9]+G)", A_OPT_BYTES, 0, "ramdisk_size", 0},
              {"(SCSI_RAM)", A_OPT_ONE, 0, "scsi_ram", 0},
              {"([0-9]+)pmem", A_OPT, 0, "nr_pmem", 1}}},
    {"fs", {{"(.*)", A_OPT, 0, "fs", 0}}},
    {"fs1", {{"(.*)", A_OPT, 0, "fs", 0}}},
    {"fs2", {{"(.*)", A_OPT, 0, "fs", 0}}},
    {"iosched", {{"(.*)", A_OPT, 0, "iosched", 0}}},
    {"md", {{"(.*)", A_OPT_LOWER, 0, "raid_level", 0}}},
    {"mytest", {{"(.*)", A_OPT, 0, "mytest", 0}}},
};

/* lkp's to_seconds: the leading number, times the unit of the last
 * character (s m h d w y); anything else is the number itself. */
static int to_seconds(const char *s, long long *out)
{
    errno = 0;
    char *e;
    long long n = strtoll(s, &e, 10);
    if (errno || e == s)
        n = errno ? n : 0;
    if (errno)
        return -1;
    long long mul = 1;
    switch (*s ? s[strlen(s) - 1] : 0) {
    case 'y': mul = 3600LL * 24 * 365; break;
    case 'w': mul = 3600LL * 24 * 7; break;
    case 'd': mul = 3600LL * 24; break;
    case 'h': mul = 3600; break;
    case 'm': mul = 60; break;
    default: break;
    }
    if (n > LLONG_MAX / mul || n < LLONG_MIN / mul)
        return -1;
    *out = n * mul;
    return 0;
}

struct result {
    int have;      /* 0 none, 1 scalar, 2 options */
    char scalar[64];
    struct jopt *opts;
    size_t n;
};

static int add_opt(struct result *r, const char *key, const char *val)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->opts[i].key, key)) { /* Hash#merge!: the later wins */
            char *v = strdup(val);
            if (!v)
                return -1;
            free(r->opts[i].val);
            r->opts[i].val = v;
            return 0;
        }
    struct jopt *o = realloc(r->opts, (r->n + 1) * sizeof *o);
    if (!o)
        return -1;
    r->opts = o;
    o[r->n].quoted = 0;
    if (!(o[r->n].key = strdup(key)) || !(o[r->n].val = strdup(val))) {
        free(o[r->n].key);
        return -1;
    }
    r->n++;
    return 0;
}

static void free_result(struct result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->opts[i].key);
        free(r->opts[i].val);
    }
    free(r->opts);
}

/* Applies KEY's rules to VAL into R.  0 (R->have 0 when no rule matched),
 * or -1 with a message. */
static int apply(struct jctx *c, const struct jnode *v, const char *key, const char *val,
                 struct result *r)
{
    size_t t = 0;
    while (t < sizeof table / sizeof *table && strcmp(table[t].key, key))
        t++;
    if (t == sizeof table / sizeof *table)
        return 0;
    char *work = strdup(val);
    if (!work)
        return jerr_node(c, v, "out of memory");
    int ret = 0;
    for (const struct rule *ru = table[t].r; ru->re && !ret; ru++) {
        regex_t re;
        regmatch_t m[2];
        if (regcomp(&re, ru->re, REG_EXTENDED)) {
            ret = jerr_node(c, v, "out of memory");
            break;
        }
        int hit = !regexec(&re, work, 2, m, 0);
        regfree(&re);
        if (!hit)
            continue;
        char g[64];
        size_t gl = (size_t)(m[1].rm_eo - m[1].rm_so);
        int is_opt = ru->act >= A_OPT;
        if (r->have && (r->have != 2 || !is_opt))
            break; /* lkp: "confused while mapping param", the first result stands */
        if (gl >= sizeof g) {
            ret = jerr_node(c, v, "%s: value '%s' is too long for lkp's rule", key, val);
            break;
        }
        memcpy(g, work + m[1].rm_so, gl);
        g[gl] = 0;
        memmove(work + m[0].rm_so, work + m[0].rm_eo, strlen(work + m[0].rm_eo) + 1);
        uint64_t bytes;
        int is_size;
        long long secs;
        char *s = r->scalar;
        size_t sl = sizeof r->scalar;
        switch (ru->act) {
        case A_CPU_PCT:
            if (c->o->nr_cpu <= 0)
                ret = jerr_node(c, v, "%s: '%s' is a share of the guest CPUs, but their "
                                "number is not known", key, val);
            else
                snprintf(s, sl, "%lld", (long long)(strtod(g, NULL) * c->o->nr_cpu / 100));
            break;
        case A_INT:
            snprintf(s, sl, "%lld", strtoll(g, NULL, 10));
            break;
        case A_MUL:
            snprintf(s, sl, "%lld", strtoll(g, NULL, 10) * ru->mul);
            break;
        case A_MEM_PCT:
            if (!c->o->memory)
                ret = jerr_node(c, v, "%s: '%s' is a share of the guest memory, but its "
                                "size is not known", key, val);
            else if (strlen(g) > 6)
                ret = jerr_node(c, v, "%s: '%s' is too large", key, val);
            else
                snprintf(s, sl, "%llu",
                         (unsigned long long)(strtoull(g, NULL, 10) * (c->o->memory / 100) +
                                              strtoull(g, NULL, 10) * (c->o->memory % 100) / 100));
            break;
        case A_BYTES:
        case A_OPT_BYTES:
            if (jvalue_to_byte(g, &bytes, &is_size)) {
                ret = jerr_node(c, v, "%s: size '%s' is too large", key, val);
                break;
            }
            if (!is_size) {
                snprintf(s, sl, "%s", g); /* not a size: the matched text as it was */
            } else {
                snprintf(s, sl, "%llu", (unsigned long long)bytes);
            }
            break;
        case A_SECONDS:
            if (to_seconds(g, &secs))
                ret = jerr_node(c, v, "%s: '%s' is too large", key, val);
            else
                snprintf(s, sl, "%lld", secs);
            break;
        case A_OPT:
            if (ru->opt_int)
                snprintf(s, sl, "%lld", strtoll(g, NULL, 10));
            else
                snprintf(s, sl, "%s", g);
            break;
        case A_OPT_LOWER:
            for (size_t i = 0; g[i]; i++)
                s[i] = (g[i] >= 'A' && g[i] <= 'Z') ? (char)(g[i] | 0x20) : g[i];
            s[gl] = 0;
            break;
        case A_OPT_ONE:
            snprintf(s, sl, "1");
            break;
        }
        if (ret)
            break;
        if (is_opt) {
            if (add_opt(r, ru->opt, s))
                ret = jerr_node(c, v, "out of memory");
            r->have = 2;
        } else {
            r->have = 1;
        }
    }
    free(work);
    return ret ? -1 : 0;
}

/* With --lkp-src, a plain scalar Ruby's YAML 1.1 reader makes a boolean
 * (`off`, `Yes`, ...; docs/jobs.md "Keys"): 0 false, 1 true, else -1.  lkp's
 * map_param applies no rule to it (it is no String). */
static int lkp_bool(const struct jctx *c, const struct jnode *v, const char *val)
{
    if (!c->o->lkp_src || !v || v->kind != JN_STR || v->quoted || !val)
        return -1;
    return jnaming_bool(val);
}

int jvalue_lkp_bool(const struct jctx *c, const struct jnode *v)
{
    return lkp_bool(c, v, v ? v->str : NULL) >= 0;
}

int jvalue_options(struct jctx *c, const struct jnode *v, const char *key, const char *val,
                   struct jopt **opts, size_t *n)
{
    struct result r = {0};
    if (lkp_bool(c, v, val) >= 0)
        return 0;
    if (apply(c, v, key, val, &r)) {
        free_result(&r);
        return -1;
    }
    if (r.have != 2) {
        free_result(&r);
        return 0;
    }
    *opts = r.opts;
    *n = r.n;
    return 1;
}

/* minivmm's checks, before lkp's rules: these keys must have one of the
 * forms lkp's rules read (docs/jobs.md), anything else is an error. */
static int digits(const char **p)
{
    const char *s = *p;
    while (**p >= '0' && **p <= '9')
        (*p)++;
    return *p > s && *p - s <= 18;
}

static int check_form(struct jctx *c, const struct jnode *v, const char *key, const char *val)
{
    const char *e = val;
    if (!strcmp(key, "runtime") || !strcmp(key, "timeout")) {
        if (!digits(&e) || (*e && (e[1] || !strchr("smhdwy", *e))))
            return jerr_node(c, v, "%s: bad duration '%s' (want N, Ns, Nm, Nh, Nd, Nw or Ny)",
                             key, val);
    } else if (!strcmp(key, "iterations")) {
        if (!digits(&e) || (*e && strcmp(e, "x")))
            return jerr_node(c, v, "iterations: bad count '%s' (want N or Nx)", val);
    } else if (!strcmp(key, "nr_threads")) {
        int ok = digits(&e);
        if (ok && *e == '.') {
            e++;
            ok = digits(&e) && !strcmp(e, "%");
        } else if (ok && *e && strcmp(e, "%")) {
            while (*e >= 'a' && *e <= 'z')
                e++;
            ok = !*e;
        }
        if (!ok)
            return jerr_node(c, v, "nr_threads: bad value '%s' (want N or N%%)", val);
    }
    return 0;
}

int jvalue_lkp_dquoted(const char *v)
{
    if (!v || !*v)
        return 0;
    int dollar = 0;
    for (const char *p = v; *p; p++) {
        if (*p == '$' || *p == '\'')
            dollar = 1;
        else if (*p == '"' ||
                 !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                   (*p >= '0' && *p <= '9') || strchr("-~!@#%^&*()_+=;:.,<>/?|\t ", *p)))
            return 0;
    }
    return dollar;
}

/* A value lkp's job2sh writes in double quotes must close every `$(` (and
 * the quotes inside one): else the whole script would not parse. */
static int check_dquoted(struct jctx *c, const struct jnode *v, const char *key, const char *val)
{
    if (!c->o->lkp_src || !jvalue_lkp_dquoted(val))
        return 0;
    size_t depth = 0;
    int inq = 0;
    for (const char *p = val; *p; p++) {
        if (inq) {
            inq = *p != '\'';
        } else if (depth == 0) {
            if (p[0] == '$' && p[1] == '(') {
                depth = 1;
                p++;
            }
        } else if (*p == '\'') {
            inq = 1;
        } else if (*p == '(') {
            depth++;
        } else if (*p == ')') {
            depth--;
        }
    }
    if (depth || inq)
        return jerr_node(c, v, "%s: '%s' has a `$(` without its `)` (or a quote in it unclosed); "
                         "lkp's job2sh writes it in double quotes, where the guest shell could not "
                         "read it", key, val);
    return 0;
}

long jvalue_timeout_seconds(const char *val)
{
    long long secs;
    if (!val || to_seconds(val, &secs) || secs > LONG_MAX)
        return -1;
    return (long)secs;
}

int jvalue_rewrite(struct jctx *c, const struct jnode *k, const struct jnode *v, char **val)
{
    const char *key = k->str;
    if (!*val)
        return 0;
    int b = lkp_bool(c, v, *val);
    if (b >= 0) { /* Ruby's true/false, as job2sh writes them */
        char *n = strdup(b ? "true" : "false");
        if (!n)
            return jerr_node(c, v, "out of memory");
        free(*val);
        *val = n;
        return 0;
    }
    if (check_form(c, v, key, *val) || check_dquoted(c, v, key, *val))
        return -1;
    struct result r = {0};
    if (!strcmp(key, "timeout") && c->o->lkp_src) { /* lkp exports the text */
        long long secs;
        if (to_seconds(*val, &secs) || secs > LONG_MAX)
            return jerr_node(c, v, "timeout: '%s' is too large", *val);
    } else if (!strcmp(key, "timeout")) { /* minivmm's (the runner's), read as runtime */
        long long secs;
        if (to_seconds(*val, &secs))
            return jerr_node(c, v, "timeout: '%s' is too large", *val);
        snprintf(r.scalar, sizeof r.scalar, "%lld", secs);
        r.have = 1;
    } else if (apply(c, v, key, *val, &r)) {
        free_result(&r);
        return -1;
    }
    if (r.have != 1) {
        free_result(&r);
        return 0;
    }
    char *n = strdup(r.scalar);
    if (!n)
        return jerr_node(c, v, "out of memory");
    free(*val);
    *val = n;
    return 0;
}

int jvalue_map_options(struct jctx *c, const struct jnode *m, struct jopt **opts, size_t *n)
{
    struct result r = {0};
    for (size_t o = 0; o < m->n; o++) {
        const struct jnode *k = m->keys[o], *v = m->kids[o];
        struct jopt *sub = NULL;
        size_t nsub = 0;
        int got = v->kind == JN_STR ? jvalue_options(c, v, k->str, v->str, &sub, &nsub) : 0;
        if (got < 0)
            goto fail;
        if (got) {
            struct result t = {.opts = sub, .n = nsub};
            for (size_t i = 0; i < nsub; i++)
                if (add_opt(&r, sub[i].key, sub[i].val)) {
                    free_result(&t);
                    goto oom;
                }
            free_result(&t);
            continue;
        }
        char *val = v->kind == JN_STR ? strdup(v->str) : NULL;
        if (v->kind == JN_STR && !val)
            goto oom;
        if (jvalue_rewrite(c, k, v, &val)) {
            free(val);
            goto fail;
        }
        struct jopt *no = realloc(r.opts, (r.n + 1) * sizeof *no);
        /* Dotted names (memory.high) as lkp's job2sh spells them. */
        if (!no || !(no[r.n].key = jlkp_shell_name(k->str))) {
            if (no)
                r.opts = no;
            free(val);
            goto oom;
        }
        r.opts = no;
        no[r.n].quoted = v->kind == JN_STR && v->quoted;
        no[r.n++].val = val;
    }
    *opts = r.opts;
    *n = r.n;
    return 0;
oom:
    jerr_node(c, m, "out of memory");
fail:
    free_result(&r);
    return -1;
}

int jvalue_drops(const struct jnode *k, const char *val)
{
    return val && !strcmp(k->str, "nr_threads") && !strcmp(val, "0");
}
