/* Checks before expansion: what each top-level key is (program or
 * parameter), the shape of its value, misspelt programs and `params:`. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "job/job_internal.h"

/* `params: NAME` or `params: [NAME, ...]` (in any document) declares
 * top-level keys that are parameters although their names are close to a
 * program's: the names as the keys of a map (hashed when big). */
struct jnode *jdeclared_params(struct jctx *c, struct jnode **docs, size_t ndocs)
{
    struct jnode *m = jnode_new(NULL, JN_MAP, NULL, 0, 0);
    for (size_t i = 0; m && i < ndocs; i++) {
        long at = docs[i]->kind == JN_MAP ? jmap_find(docs[i], PARAMS_KEY) : -1;
        const struct jnode *v = at >= 0 ? docs[i]->kids[at] : NULL;
        for (size_t k = 0; v && k < (v->kind == JN_SEQ ? v->n : 1); k++) {
            const struct jnode *name = v->kind == JN_SEQ ? v->kids[k] : v;
            if (name->kind != JN_STR || jmap_find(m, name->str) >= 0)
                continue; /* a bad entry is reported by jcheck_doc */
            struct jnode *key = jnode_clone(name), *val = jnode_new(NULL, JN_NULL, NULL, 0, 0);
            if (!key || !val || jmap_put(m, key, val, 0)) {
                jnode_free(key);
                jnode_free(val);
                jnode_free(m);
                m = NULL;
            }
        }
    }
    if (!m)
        jerr(c, NULL, 0, 0, "out of memory");
    return m;
}

static int check_scalar_or_list(struct jctx *c, const struct jnode *v, const char *what)
{
    if (v->kind == JN_MAP)
        return jerr_node(c, v, "%s: a map is not allowed here", what);
    if (v->kind == JN_SEQ) {
        if (!v->n)
            return jerr_node(c, v, "%s: empty list", what);
        for (size_t i = 0; !c->o->lkp_src && i < v->n; i++) /* lkp: joined, see jlkp_list_text */
            if (v->kids[i]->kind == JN_MAP || v->kids[i]->kind == JN_SEQ)
                return jerr_node(c, v->kids[i], "%s: list items must be plain values", what);
    }
    return 0;
}

static int check_options(struct jctx *c, const struct jnode *prog, const struct jnode *m)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct jnode *k = m->keys[i];
        char *enc = jlkp_shell_name(k->str); /* lkp: memory.high -> memory_46_high */
        int ok = enc && jvalid_ident(enc);
        free(enc);
        if (!ok)
            return jerr_node(c, k,
                             "option '%s' of program '%s' is not a valid shell variable name",
                             k->str, prog->str);
        char what[300];
        snprintf(what, sizeof what, "option '%s' of program '%s'", k->str, prog->str);
        if (check_scalar_or_list(c, m->kids[i], what))
            return -1;
    }
    return 0;
}

static int unsupported_key_syntax(struct jctx *c, const struct jnode *k)
{
    size_t n = strlen(k->str);
    if (n && (k->str[n - 1] == '+' || k->str[n - 1] == '-'))
        return jerr_node(c, k, "lkp's `key%c:` merge syntax is not supported ('%s')",
                         k->str[n - 1], k->str);
    if (strchr(k->str, '.'))
        return jerr_node(c, k, "lkp's `a.b:` nested-key syntax is not supported ('%s')",
                         k->str);
    return 0;
}

static int check_params_key(struct jctx *c, const struct jnode *v)
{
    if (v->kind == JN_STR && jvalid_ident(v->str))
        return 0;
    for (size_t j = 0; v->kind == JN_SEQ && j < v->n; j++)
        if (v->kids[j]->kind != JN_STR || !jvalid_ident(v->kids[j]->str))
            return jerr_node(c, v->kids[j], PARAMS_KEY ": want parameter names");
    if (v->kind != JN_SEQ)
        return jerr_node(c, v, PARAMS_KEY ": want a parameter name or a list of them");
    return 0;
}

static const char *const builtin[] = {"testcase", "runtime", "timeout", "iterations",
                                      "nr_threads", "kernel_cmdline"};

static bool is_builtin(const char *key)
{
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
        if (!strcmp(key, builtin[i]))
            return true;
    return false;
}

/* A key that is not a program: a parameter, unless its name is so close to
 * a program's that it is most likely that program misspelt. */
static int check_not_program(struct jctx *c, const struct jnode *k, struct jnode *declared)
{
    if (is_builtin(k->str))
        return 0;
    if (jmap_find(declared, k->str) >= 0)
        return 0;
    const char *near = jprogram_closest(c, k->str);
    if (near)
        return jerr_node(c, k,
                         "'%s' is not a program (no %s/run in the program path): did you "
                         "mean '%s'? (`" PARAMS_KEY ": [%s]` makes it a parameter)",
                         k->str, k->str, near, k->str);
    return 0;
}

int jdeclare_near_keys(struct jctx *c, const struct jnode *m, struct jnode *declared)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct jnode *k = m->keys[i];
        const struct jprogram_info *pi;
        int found = jprogram_find(c, k, &pi);
        if (found < 0)
            return -1;
        if (found || is_builtin(k->str) || jmap_find(declared, k->str) >= 0 ||
            !jprogram_closest(c, k->str))
            continue;
        struct jnode *kk = jnode_clone(k), *v = jnode_new(NULL, JN_NULL, k->file, k->line, k->col);
        if (!kk || !v || jmap_put(declared, kk, v, 0)) {
            jnode_free(kk);
            jnode_free(v);
            return jerr_node(c, k, "out of memory");
        }
    }
    return 0;
}

int jcheck_doc(struct jctx *c, const struct jnode *d, struct jnode *declared)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct jnode *k = d->keys[i], *v = d->kids[i];
        const struct jprogram_info *pi = NULL;
        int found = jprogram_find(c, k, &pi);
        if (found < 0)
            return -1;
        if (!found && !strcmp(k->str, PARAMS_KEY)) {
            if (check_params_key(c, v))
                return -1;
            continue;
        }
        if (!found && jlkp_shell_key(k->str))
            return jerr_node(c, k, "lkp's shell control key '%s' (job2sh makes shell code of "
                             "it) is not supported", k->str);
        size_t kl = strlen(k->str);
        if (!found && kl > 1 && k->str[kl - 1] == '+' && !strchr(k->str, '.')) {
            /* K+: makes K: the misspelt-program rule K would meet (fuzz) */
            struct jnode base = *k;
            if (!(base.str = strndup(k->str, kl - 1)))
                return jerr_node(c, k, "out of memory");
            int r = check_not_program(c, &base, declared);
            free(base.str);
            if (r)
                return -1;
        }
        if (!found && jlkp_special_key(k->str))
            continue; /* lkp's key-:, key+: and a.b: (job/lkpsyntax.c) */
        if (!found) {
            const char *near = NULL;
            if (!jvalid_ident(k->str) || v->kind == JN_MAP)
                near = jprogram_closest(c, k->str);
            if (!near && v->kind == JN_MAP && jlkp_map_runs_program(c, v))
                return jerr_node(c, k, "'%s' is no program but its map runs programs (lkp "
                                 "runs them in a background function): not supported", k->str);
            if (!near && !(k->str[0] && k->str[strlen(k->str) - 1] == '+') &&
                (!jvalid_ident(k->str) || v->kind == JN_MAP))
                continue; /* lkp exports nothing for it: dropped (jlkp_drop_keys) */
            if (!jvalid_ident(k->str)) {
                if (unsupported_key_syntax(c, k))
                    return -1;
                return jerr_node(c, k,
                                 "'%s' is neither a program (no %s/run in the program path) "
                                 "nor a valid shell variable name%s%s%s",
                                 k->str, k->str, near ? "; did you mean '" : "",
                                 near ? near : "", near ? "'?" : "");
            }
            if (v->kind == JN_MAP)
                return jerr_node(c, k,
                                 "'%s' has a map value but is not a program (no %s/run in "
                                 "the program path)%s%s%s",
                                 k->str, k->str, near ? "; did you mean '" : "",
                                 near ? near : "", near ? "'?" : "");
            if (check_not_program(c, k, declared))
                return -1;
            char what[300];
            snprintf(what, sizeof what, "parameter '%s'", k->str);
            if (check_scalar_or_list(c, v, what))
                return -1;
            continue;
        }
        if (v->kind == JN_MAP) {
            if (check_options(c, k, v))
                return -1;
        } else if (v->kind == JN_SEQ) {
            if (!v->n)
                return jerr_node(c, v, "program '%s': empty list", k->str);
            for (size_t j = 0; j < v->n; j++) {
                const struct jnode *it = v->kids[j];
                if (it->kind == JN_SEQ)
                    return jerr_node(c, it, "program '%s': a list inside a list", k->str);
                if (it->kind == JN_MAP && check_options(c, k, it))
                    return -1;
            }
        }
    }
    return 0;
}

/* The option names of every program in m, checked again after lkp's
 * `a.b:` patches (job/lkpsyntax.c) may have added some: `prog.opt: V` must
 * meet the same rule as `prog: {opt: V}`. */
int jcheck_program_options(struct jctx *c, const struct jnode *m)
{
    for (size_t i = 0; m->kind == JN_MAP && i < m->n; i++) {
        const struct jnode *k = m->keys[i], *v = m->kids[i];
        const struct jprogram_info *pi = NULL;
        int found = jprogram_find(c, k, &pi);
        if (found < 0)
            return -1;
        if (!found)
            continue;
        if (v->kind == JN_MAP && check_options(c, k, v))
            return -1;
        for (size_t j = 0; v->kind == JN_SEQ && j < v->n; j++)
            if (v->kids[j]->kind == JN_MAP && check_options(c, k, v->kids[j]))
                return -1;
    }
    return 0;
}

int jcheck_runs_something(struct jctx *c, const struct jnode *m, const struct jnode *declared)
{
    if (declared->n)
        return 0;                /* the job says which keys are only parameters */
    char keys[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < m->n; i++) {
        const struct jprogram_info *pi;
        int found = jprogram_find(c, m->keys[i], &pi);
        if (found)
            return found < 0 ? -1 : 0;
        if (!is_builtin(m->keys[i]->str) && used < sizeof keys)
            used += (size_t)snprintf(keys + used, sizeof keys - used, "%s%s", used ? ", " : "",
                                     m->keys[i]->str);
    }
    if (used >= sizeof keys)
        strcpy(keys + sizeof keys - 4, "...");
    if (!used)
        return jerr_node(c, m, "the job runs no program: it names none");
    return jerr_node(c, m, "the job runs no program: none of its keys (%s) is a program in the "
                     "program path; if it is meant to run nothing, declare them: `" PARAMS_KEY
                     ": [%s]`", keys, keys);
}

/* Removes `params:` from a merged document: it only declares, it is no
 * parameter of the job. */
void jdrop_params_key(struct jnode *m)
{
    long at = jmap_find(m, PARAMS_KEY);
    if (at < 0)
        return;
    jnode_free(m->keys[at]);
    jnode_free(m->kids[at]);
    memmove(m->keys + at, m->keys + at + 1, (m->n - (size_t)at - 1) * sizeof *m->keys);
    memmove(m->kids + at, m->kids + at + 1, (m->n - (size_t)at - 1) * sizeof *m->kids);
    memmove(m->from_include + at, m->from_include + at + 1, m->n - (size_t)at - 1);
    m->n--;
    free(m->idx); /* indexes moved: rebuilt when next needed */
    m->idx = NULL;
}
