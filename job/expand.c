/* Documents -> merged jobs -> expanded jobs (cartesian product of lists, in
 * file order) -> struct job with values rewritten and a name. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "job/job_internal.h"
#include "job/naming.h"
#include "job/values.h"

/* ---- counting and expansion ---- */

#define CAP (JOB_MAX_JOBS + 1)

static size_t sat_mul(size_t a, size_t b)
{
    if (!a || !b)
        return 0;
    return a > CAP / b ? CAP : (a * b > CAP ? CAP : a * b);
}

static size_t count_options(const struct jnode *m)
{
    size_t n = 1;
    for (size_t i = 0; i < m->n; i++)
        if (m->kids[i]->kind == JN_SEQ)
            n = sat_mul(n, m->kids[i]->n);
    return n;
}

static size_t count_prog_value(const struct jnode *v)
{
    if (v->kind == JN_MAP)
        return count_options(v);
    if (v->kind == JN_SEQ) {
        size_t n = 0;
        for (size_t i = 0; i < v->n; i++) {
            n += count_prog_value(v->kids[i]);
            if (n > CAP)
                n = CAP;
        }
        return n;
    }
    return 1;
}

int jlkp_expands(struct jctx *c, const struct jnode *m, const char *key)
{
    return !c->o->lkp_src || jnaming_is_dim(c, m, key) != 0;
}

static size_t count_doc(struct jctx *c, const struct jnode *d)
{
    size_t n = 1;
    for (size_t i = 0; i < d->n; i++) {
        const struct jprogram_info *pi;
        const struct jnode *v = d->kids[i];
        if (jprogram_find(c, d->keys[i], &pi) == 1)
            n = sat_mul(n, count_prog_value(v));
        else if (v->kind == JN_SEQ && jlkp_expands(c, d, d->keys[i]->str))
            n = sat_mul(n, v->n);
    }
    return n;
}

/* A one-item list is its item: replaced up front, so that expansion only
 * recurses on lists that branch (at most log2(JOB_MAX_JOBS) deep). */
static int collapse_singletons(struct jctx *c, struct jnode *d)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct jprogram_info *pi;
        int prog = jprogram_find(c, d->keys[i], &pi);
        if (prog < 0)
            return -1;
        struct jnode *v = d->kids[i];
        if (v->kind == JN_SEQ && v->n == 1 && (prog || jlkp_expands(c, d, d->keys[i]->str))) {
            d->kids[i] = v->kids[0];
            d->kids[i]->varied = !prog;
            v->n = 0;
            jnode_free(v);
            v = d->kids[i];
        }
        if (prog && v->kind == JN_MAP)
            for (size_t j = 0; j < v->n; j++) {
                struct jnode *o = v->kids[j];
                if (o->kind == JN_SEQ && o->n == 1) {
                    v->kids[j] = o->kids[0];
                    o->n = 0;
                    jnode_free(o);
                }
            }
    }
    return 0;
}

static size_t count_nodes(const struct jnode *n)
{
    size_t k = 1;
    for (size_t i = 0; i < n->n; i++)
        k += count_nodes(n->kids[i]);
    return k;
}

/* The first list in file order from position (*pi, *pj) on: *slot, and
 * whether it is a top-level parameter.  A position is a top-level key i and
 * j = 0 for its value, j = k + 1 for its option k. */
static struct jnode **first_list(struct jctx *c, struct jnode *d, size_t *pi, size_t *pj,
                                 int *top_param)
{
    for (size_t i = *pi, j0 = *pj; i < d->n; i++, j0 = 0) {
        struct jnode *v = d->kids[i];
        const struct jprogram_info *pi_;
        int prog = jprogram_find(c, d->keys[i], &pi_) == 1;
        if (j0 == 0 && v->kind == JN_SEQ && (prog || jlkp_expands(c, d, d->keys[i]->str))) {
            *top_param = !prog;
            *pi = i;
            *pj = 0;
            return &d->kids[i];
        }
        if (prog && v->kind == JN_MAP)
            for (size_t j = j0 ? j0 - 1 : 0; j < v->n; j++)
                if (v->kids[j]->kind == JN_SEQ) {
                    *top_param = 0;
                    *pi = i;
                    *pj = j + 1;
                    return &v->kids[j];
                }
    }
    return NULL;
}

struct jlist_build {
    struct job_list *out;
    const char *path;
    struct jnode *declared; /* names under `params:` (map keys) */
    size_t dropped; /* jobs lkp's filters/nr_threads drops (nr_threads 0) */
    const struct jlkp_loaded *loaded; /* lkp's defaults: files the document loaded */
    const struct jnode *raw; /* the later document merged into it, as written */
};

static int build_job(struct jctx *c, const struct jnode *d, struct jlist_build *b);

/* Every list before (pi, pj) is already replaced by one of its items. */
static int expand(struct jctx *c, struct jnode *d, struct jlist_build *b, size_t pi, size_t pj)
{
    int top = 0;
    struct jnode **slot = first_list(c, d, &pi, &pj, &top);
    if (!slot && (c->nexprs || b->loaded)) {
        /* lkp's {{ }}: per expanded job (nil drops it); then lkp's defaults
         * the expanded values select (load_defaults first_time: false) */
        struct jnode *e = jnode_clone(d);
        struct jlkp_loaded l = {0};
        int r = !e ? jerr_node(c, d, "out of memory") : c->nexprs ? jlkp_eval_job(c, e) : 0;
        if (!r && b->loaded && jlkp_loaded_copy(b->loaded, &l))
            r = jerr_node(c, d, "out of memory");
        if (!r && b->loaded && (jlkp_defaults(c, e, b->raw, NULL, &l) || jlkp_drop_keys(c, e) ||
                                jdeclare_near_keys(c, e, b->declared)))
            r = -1;
        r = r ? (r > 0 ? 0 : -1) : build_job(c, e, b);
        jlkp_loaded_free(&l);
        jnode_free(e);
        return r;
    }
    if (!slot)
        return build_job(c, d, b);
    struct jnode *seq = *slot;
    for (size_t i = 0; i < seq->n; i++) {
        struct jnode *item = jnode_clone(seq->kids[i]);
        if (!item)
            return jerr_node(c, seq, "out of memory");
        item->varied = top;
        *slot = item;
        /* a program's list item may be an option map: look inside it next */
        int r = expand(c, d, b, pi, pj ? pj + 1 : 0);
        *slot = seq;
        jnode_free(item);
        if (r)
            return -1;
    }
    return 0;
}

static void job_free(struct job *j)
{
    if (!j)
        return;
    free(j->name);
    free(j->testcase);
    free(j->kernel_cmdline);
    for (size_t i = 0; i < j->nparams; i++) {
        free(j->params[i].key);
        free(j->params[i].val);
    }
    free(j->params);
    for (size_t i = 0; i < j->nprogs; i++) {
        struct jprog *p = &j->progs[i];
        free(p->name);
        free(p->dir);
        free(p->raw);
        free(p->script);
        for (size_t k = 0; k < p->argc; k++)
            free(p->argv[k]);
        free(p->argv);
        for (size_t k = 0; k < p->nopts; k++) {
            free(p->opts[k].key);
            free(p->opts[k].val);
        }
        free(p->opts);
    }
    free(j->progs);
    free(j->run_order);
    free(j->entries);
    for (size_t i = 0; i < j->ndeclared; i++)
        free(j->declared[i]);
    free(j->declared);
    free(j);
}

void job_list_free(struct job_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        job_free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
    for (size_t i = 0; i < l->ninputs; i++)
        free(l->inputs[i]);
    free(l->inputs);
    l->inputs = NULL;
    l->ninputs = 0;
}

static char *base_name_noext(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 5 && !strcmp(b + n - 5, ".yaml"))
        n -= 5;
    else if (n > 4 && !strcmp(b + n - 4, ".yml"))
        n -= 4;
    return strndup(b, n);
}

static int dup_or_null(const struct jnode *v, char **out)
{
    *out = NULL;
    if (v->kind != JN_STR)
        return 0;
    return (*out = strdup(v->str)) ? 0 : -1;
}

static int build_job(struct jctx *c, const struct jnode *d, struct jlist_build *b)
{
    struct job *j = calloc(1, sizeof *j);
    struct jbuf name = {0};
    if (!j)
        return jerr_node(c, d, "out of memory");
    j->timeout = -1;
    j->params = calloc(d->n + 1, sizeof *j->params);
    j->progs = calloc(d->n + 1, sizeof *j->progs);
    j->run_order = calloc(d->n + 1, sizeof *j->run_order);
    j->entries = calloc(d->n + 1, sizeof *j->entries);
    if (!j->params || !j->progs || !j->run_order || !j->entries)
        goto oom;
    const struct jnode *testcase_node = NULL;
    for (size_t i = 0; i < d->n; i++) {
        const struct jnode *k = d->keys[i], *v = d->kids[i];
        const struct jprogram_info *pi;
        int found = jprogram_find(c, k, &pi);
        if (found < 0)
            goto fail;
        if (!found) {
            struct jopt *o = &j->params[j->nparams++];
            if (!(o->key = strdup(k->str)) || (v->kind != JN_SEQ && dup_or_null(v, &o->val)))
                goto oom;
            if (v->kind == JN_SEQ && jlkp_list_text(c, k, v, &o->val))
                goto fail;
            o->quoted = v->kind == JN_STR && v->quoted;
            if (jvalue_rewrite(c, k, v, &o->val))
                goto fail;
            if (jvalue_drops(k, o->val)) { /* lkp's filters/nr_threads */
                job_free(j);
                b->dropped++;
                return 0;
            }
            j->entries[j->nentries++] = (struct jentry){0, j->nparams - 1};
            if (!strcmp(k->str, "testcase"))
                testcase_node = v;
            else if (!strcmp(k->str, "kernel_cmdline") && o->val &&
                     !(j->kernel_cmdline = strdup(o->val)))
                goto oom;
            else if (!strcmp(k->str, "timeout") && o->val)
                j->timeout = jvalue_timeout_seconds(o->val);
            continue;
        }
        struct jprog *p = &j->progs[j->nprogs++];
        j->entries[j->nentries++] = (struct jentry){1, j->nprogs - 1};
        if (!(p->name = strdup(pi->name)) || !(p->dir = strdup(pi->dir)) ||
            (pi->script && !(p->script = strdup(pi->script))))
            goto oom;
        p->type = pi->type;
        p->setup_pass = pi->setup_pass;
        int mapped = v->kind == JN_STR ? jvalue_options(c, v, pi->name, v->str, &p->opts, &p->nopts)
                                       : 0;
        if (mapped < 0)
            goto fail;
        if (mapped) { /* lkp's rule made options of it (disk: 1HDD -> nr_hdd=1) */
            p->has_value = 2;
        } else if (v->kind == JN_STR) {
            p->has_value = 1;
            p->raw_quoted = v->quoted;
            if (!(p->raw = strdup(v->str)))
                goto oom;
            if (!jvalue_lkp_bool(c, v) && jsplit_words(c, v, &p->argv, &p->argc))
                goto fail; /* (lkp's job2sh gives a true/false program no arguments) */
        } else if (v->kind == JN_MAP) {
            p->has_value = 2;
            if (jvalue_map_options(c, v, &p->opts, &p->nopts))
                goto fail;
        }
    }
    /* run order: setups, then monitors and daemons, then tests; file order
     * within.  With --lkp-src, lkp's job2sh order: setups, monitors, then
     * tests and daemons together in file order. */
    size_t nr = 0;
    int lkp = c->o->lkp_src != NULL;
    for (int pass = 0; pass < 3; pass++)
        for (size_t i = 0; i < j->nprogs; i++) {
            enum job_prog_type t = j->progs[i].type;
            int setup = lkp ? j->progs[i].setup_pass : t == JOB_PROG_SETUP;
            int bg = lkp ? t == JOB_PROG_MONITOR : (t == JOB_PROG_MONITOR || t == JOB_PROG_DAEMON);
            int want = pass == 0 ? setup : pass == 1 ? bg && !setup : !bg && !setup;
            if (want && lkp && jlkpsrc_skipped(&j->progs[i]))
                continue;
            if (want)
                j->run_order[nr++] = i;
        }
    j->nrun = nr;
    j->lkp = lkp;

    if (testcase_node) {
        if (testcase_node->kind != JN_STR || !*testcase_node->str) {
            jerr_node(c, testcase_node, "testcase must not be empty");
            goto fail;
        }
        j->testcase = strdup(testcase_node->str);
    } else {
        j->testcase = base_name_noext(b->path);
    }
    if (!j->testcase)
        goto oom;

    /* The name: lkp's, the file's base name and the naming options */
    char *base = jnaming_base(b->path), *pp = base ? jnaming_params(c, d) : NULL;
    if (!base || !pp) {
        free(base);
        if (!base)
            goto oom;
        goto fail;
    }
    char *sfx = jnaming_suffix(d);
    jb_puts(&name, base);
    jb_puts(&name, "-");
    jb_puts(&name, pp);
    jb_puts(&name, sfx ? sfx : "");
    if (!sfx)
        name.oom = 1;
    free(sfx);
    size_t tclen = strlen(base);
    free(base);
    free(pp);
    if (!(j->name = jb_finish(&name)))
        goto oom;

    /* unique names within the list: later duplicates get -2, -3, ... */
    for (unsigned suffix = 2;; suffix++) {
        int clash = 0;
        for (size_t i = 0; i < b->out->n && !clash; i++)
            clash = !strcmp(b->out->v[i]->name, j->name);
        if (!clash)
            break;
        char *nn = NULL;
        size_t base = strlen(j->name);
        if (suffix > 2)
            base = strrchr(j->name, '-') - j->name;
        if (asprintf(&nn, "%.*s-%u", (int)base, j->name, suffix) < 0)
            goto oom;
        free(j->name);
        j->name = nn;
    }

    j->params_off = tclen + (j->name[tclen] == '-');
    for (size_t i = 0; i < j->nparams; i++) { /* for job_to_yaml */
        if (jmap_find(b->declared, j->params[i].key) < 0)
            continue;
        if (!j->declared && !(j->declared = calloc(j->nparams, sizeof *j->declared)))
            goto oom;
        if (!(j->declared[j->ndeclared++] = strdup(j->params[i].key)))
            goto oom;
    }

    struct job **v = realloc(b->out->v, (b->out->n + 1) * sizeof *v);
    if (!v)
        goto oom;
    b->out->v = v;
    v[b->out->n++] = j;
    return 0;
oom:
    jerr_node(c, d, "out of memory");
fail:
    free(jb_finish(&name));
    job_free(j);
    return -1;
}

/* ---- job_load ---- */

static int load(const char *path, const char *text, size_t len, const struct job_opts *o,
                struct job_list *out, char *err, size_t errlen);

/* With --lkp-src, lkp's include search path is added (job/lkpsrc.c). */
static int load_opts(const char *path, const char *text, size_t len, const struct job_opts *o,
                     struct job_list *out, char *err, size_t errlen)
{
    if (!o->lkp_src)
        return load(path, text, len, o, out, err, errlen);
    struct job_opts lo = *o;
    char **dirs;
    size_t n;
    if (jlkpsrc_include_dirs(o, path, &dirs, &n)) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    lo.include_dirs = (const char *const *)dirs;
    lo.ninclude_dirs = n;
    int r = load(path, text, len, &lo, out, err, errlen);
    for (size_t i = 0; i < n; i++)
        free(dirs[i]);
    free(dirs);
    return r;
}

int job_load(const char *path, const struct job_opts *o, struct job_list *out, char *err,
             size_t errlen)
{
    return load_opts(path, NULL, 0, o, out, err, errlen);
}

int job_load_text(const char *name, const char *text, size_t len, const struct job_opts *o,
                  struct job_list *out, char *err, size_t errlen)
{
    return load_opts(name, text, len, o, out, err, errlen);
}

static int load(const char *path, const char *text, size_t len, const struct job_opts *o,
                struct job_list *out, char *err, size_t errlen)
{
    static const struct job_opts none = {0};
    struct jctx c = {.o = o ? o : &none, .err = err, .errlen = errlen};
    struct jnode **docs = NULL, *declared = NULL;
    size_t ndocs = 0;
    int ret = -1;
    *out = (struct job_list){0};
    if (err && errlen)
        err[0] = 0;
    if (jyaml_load(&c, path, text, len, &docs, &ndocs))
        goto done;
    if (!ndocs || (ndocs == 1 && docs[0]->kind == JN_NULL)) {
        jerr(&c, path, 0, 0, "empty job file");
        goto done;
    }
    for (size_t i = 0; i < ndocs; i++)
        if (docs[i]->kind == JN_MAP && jlkp_flatten_roles(&c, docs[i]))
            goto done;
    if (!(declared = jdeclared_params(&c, docs, ndocs)))
        goto done;
    for (size_t i = 0; i < ndocs; i++) {
        if (docs[i]->kind == JN_NULL)
            continue;
        if (docs[i]->kind != JN_MAP) {
            jerr_node(&c, docs[i], "a job document must be a mapping of keys to values");
            goto done;
        }
        if (jcheck_doc(&c, docs[i], declared))
            goto done;
    }
    /* doc0, then doc0 merged with each later document (keys replaced whole) */
    struct jnode *merged[JOB_MAX_DOCUMENTS];
    struct jlkp_loaded loaded[JOB_MAX_DOCUMENTS] = {{0}};
    size_t nmerged = 0;
    size_t total = 0, values = 0;
    int ok = 1;
    for (size_t i = 0; i < ndocs && ok; i++) {
        struct jnode *m = jnode_clone(docs[0]);
        if (!m) {
            jerr(&c, path, 0, 0, "out of memory");
            ok = 0;
            break;
        }
        if (m->kind == JN_NULL) {
            jnode_free(m);
            if (!(m = jnode_new(NULL, JN_MAP, docs[0]->file, docs[0]->line, docs[0]->col))) {
                jerr(&c, path, 0, 0, "out of memory");
                ok = 0;
                break;
            }
        }
        if (i > 0 && docs[i]->kind == JN_MAP) {
            for (size_t k = 0; k < docs[i]->n; k++) {
                if (jlkp_special_key(docs[i]->keys[k]->str))
                    continue; /* applied below */
                struct jnode *kk = jnode_clone(docs[i]->keys[k]);
                struct jnode *vv = jnode_clone(docs[i]->kids[k]);
                if (!kk || !vv || jmap_put(m, kk, vv, 0)) {
                    jnode_free(kk);
                    jnode_free(vv);
                    jerr(&c, path, 0, 0, "out of memory");
                    ok = 0;
                    break;
                }
            }
        }
        merged[nmerged++] = m;
        if (ok && (jlkp_apply_specials(&c, m, i ? docs[i] : NULL) || jlkp_drop_keys(&c, m) ||
                   jcheck_program_options(&c, m))) {
            ok = 0;
            break;
        }
        if (c.o->lkp_src && !c.o->no_defaults &&
            (jlkp_defaults(&c, m, i ? docs[i] : NULL, i ? docs[0] : NULL, &loaded[nmerged - 1]) ||
             jlkp_reapply_specials(&c, m, docs[0]) ||
             (i && jlkp_reapply_specials(&c, m, docs[i])) || jlkp_drop_keys(&c, m) ||
             jdeclare_near_keys(&c, m, declared))) {
            ok = 0;
            break;
        }
        jdrop_params_key(m);
        if (!ok || (c.o->require_program && jcheck_runs_something(&c, m, declared)) ||
            jnaming_lkp_lists(&c, m) || collapse_singletons(&c, m)) {
            ok = 0;
            break;
        }
        if (i == 0 && ndocs > 1 && docs[0]->kind == JN_NULL) {
            /* an empty first document only serves as the base */
            continue;
        }
        size_t jobs = count_doc(&c, m);
        total += jobs;
        values += jobs * count_nodes(m); /* jobs <= CAP, nodes <= JOB_MAX_NODES */
        if (total > JOB_MAX_JOBS) {
            jerr(&c, path, 0, 0, "the job expands into more than %d jobs", JOB_MAX_JOBS);
            ok = 0;
        } else if (values > JOB_MAX_VALUES) {
            jerr(&c, path, 0, 0, "the job expands into more than %d values over all its jobs "
                 "(%zu jobs of %zu values)", JOB_MAX_VALUES, total, count_nodes(m));
            ok = 0;
        }
    }
    if (ok) {
        struct jlist_build b = {.out = out, .path = path, .declared = declared};
        for (size_t i = 0; i < nmerged && ok; i++) {
            if (i == 0 && ndocs > 1 && docs[0]->kind == JN_NULL)
                continue;
            b.loaded = c.o->lkp_src && !c.o->no_defaults ? &loaded[i] : NULL;
            b.raw = i ? docs[i] : NULL;
            if (expand(&c, merged[i], &b, 0, 0))
                ok = 0;
        }
        if (ok && !out->n && b.dropped) {
            jerr(&c, path, 0, 0, "every job has nr_threads 0 on %d CPUs (lkp's filters/nr_threads "
                 "drops such jobs)", c.o->nr_cpu);
            ok = 0;
        } else if (ok && !out->n) {
            jerr(&c, path, 0, 0, "the job expands into no jobs");
            ok = 0;
        }
    }
    for (size_t i = 0; i < nmerged; i++) {
        jnode_free(merged[i]);
        jlkp_loaded_free(&loaded[i]);
    }
    ret = ok ? 0 : -1;
done:
    for (size_t i = 0; i < ndocs; i++)
        jnode_free(docs[i]);
    free(docs);
    jnode_free(declared);
    if (!ret) {                 /* the names nodes pointed at: now the list's */
        out->inputs = c.files;
        out->ninputs = c.nfiles;
        c.files = NULL;
        c.nfiles = 0;
    }
    jctx_free(&c);
    if (ret)
        job_list_free(out);
    return ret;
}

/* ---- accessors ---- */

const char *job_name(const struct job *j) { return j->name; }
const char *job_params(const struct job *j) { return j->name + j->params_off; }
const char *job_testcase(const struct job *j) { return j->testcase; }
const char *job_kernel_cmdline(const struct job *j) { return j->kernel_cmdline; }
long job_timeout(const struct job *j) { return j->timeout; }
size_t job_nparams(const struct job *j) { return j->nparams; }
const char *job_param_key(const struct job *j, size_t i)
{
    return i < j->nparams ? j->params[i].key : NULL;
}
const char *job_param_value(const struct job *j, size_t i)
{
    return i < j->nparams ? j->params[i].val : NULL;
}
const char *job_param(const struct job *j, const char *key)
{
    for (size_t i = 0; i < j->nparams; i++)
        if (!strcmp(j->params[i].key, key))
            return j->params[i].val;
    return NULL;
}
const char *job_program_option(const struct job *j, const char *prog, const char *key)
{
    for (size_t i = 0; i < j->nprogs; i++) {
        if (strcmp(j->progs[i].name, prog) || j->progs[i].has_value != 2)
            continue;
        for (size_t k = 0; k < j->progs[i].nopts; k++)
            if (!strcmp(j->progs[i].opts[k].key, key))
                return j->progs[i].opts[k].val;
    }
    return NULL;
}
size_t job_nprograms(const struct job *j) { return j->nrun; }
const char *job_program_name(const struct job *j, size_t i)
{
    return i < j->nrun ? j->progs[j->run_order[i]].name : NULL;
}
const char *job_program_dir(const struct job *j, size_t i)
{
    return i < j->nrun ? j->progs[j->run_order[i]].dir : NULL;
}
enum job_prog_type job_program_type(const struct job *j, size_t i)
{
    return i < j->nrun ? j->progs[j->run_order[i]].type : JOB_PROG_TEST;
}
const char *job_program_script(const struct job *j, size_t i)
{
    return i < j->nrun ? j->progs[j->run_order[i]].script : NULL;
}
