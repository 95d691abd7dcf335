/* An expanded job -> POSIX shell script (lkp job2sh shape) and -> YAML. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "job/job_internal.h"
#include "job/naming.h"
#include "job/values.h"

void jb_add(struct jbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

void jb_puts(struct jbuf *b, const char *s) { jb_add(b, s, strlen(s)); }

void jb_printf(struct jbuf *b, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    jb_add(b, s, (size_t)n);
    free(s);
}

char *jb_finish(struct jbuf *b)
{
    if (!b->oom && !b->s)
        jb_add(b, "", 0);
    if (b->oom) {
        free(b->s);
        b->s = NULL;
        b->len = b->cap = 0;
        return NULL;
    }
    char *s = b->s;
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

static int plain_int(const char *v)
{
    size_t n = strlen(v);
    if (!n || n > 18 || (v[0] == '0' && n > 1))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] < '0' || v[i] > '9')
            return 0;
    return 1;
}

/* One shell word that expands to exactly V: bare decimal integers, else
 * single quotes with ' written as '\''. */
static void sh_quote(struct jbuf *b, const char *v)
{
    if (!v)
        v = "";
    if (plain_int(v)) {
        jb_puts(b, v);
        return;
    }
    jb_add(b, "'", 1);
    for (const char *p = v; *p; p++) {
        if (*p == '\'')
            jb_add(b, "'\\''", 4);
        else
            jb_add(b, p, 1);
    }
    jb_add(b, "'", 1);
}

/* With --lkp-src, as lkp's job2sh (lib/job2sh.rb shell_escape_expand): an
 * empty value is nothing, a value of [-A-Za-z0-9~!@#%^&*()_+=;:.,<>/?| \t"]
 * goes in single quotes, one that also has `$` or `'` (but no `"`) in double
 * quotes, so that the guest shell expands it as lkp's does; anything else
 * is quoted as sh_quote does (the value Shellwords.escape gives). */
static void lkp_quote(struct jbuf *b, const char *v)
{
    if (!v || !*v)
        return;
    if (jvalue_lkp_dquoted(v)) {
        jb_add(b, "\"", 1);
        jb_puts(b, v);
        jb_add(b, "\"", 1);
        return;
    }
    sh_quote(b, v);
}

static const char *const runtime_line = "\t. \"${MINIVMM_RUNTIME:-/minivmm/runtime.sh}\"\n";

char *job_to_shell(const struct job *j)
{
    struct jbuf b = {0};
    jb_puts(&b, "#!/bin/sh\n");
    jb_printf(&b, "# minivmm job %s: run as `sh %s.sh run_job`\n\n", j->name, j->name);

    jb_puts(&b, "export_top_env()\n{\n\t:\n");
    for (size_t i = 0; i < j->nparams; i++) {
        jb_printf(&b, "\texport %s=", j->params[i].key);
        (j->lkp ? lkp_quote : sh_quote)(&b, j->params[i].val);
        jb_puts(&b, "\n");
    }
    if (j->lkp) /* lkp's job.sh line, with the tree where minivmm run puts it */
        jb_puts(&b, "\t[ -n \"$LKP_SRC\" ] ||\n\texport LKP_SRC=/" JOB_LKP_SRC_GUEST "\n");
    jb_puts(&b, "}\n\n");

    jb_puts(&b, "run_job()\n{\n");
    jb_puts(&b, runtime_line);
    jb_puts(&b, "\texport_top_env\n");
    for (size_t r = 0; r < j->nrun; r++) {
        const struct jprog *p = &j->progs[j->run_order[r]];
        static const char *const fn[] = {
            [JOB_PROG_SETUP] = "run_setup",
            [JOB_PROG_MONITOR] = "run_monitor",
            [JOB_PROG_DAEMON] = "run_daemon",
            [JOB_PROG_TEST] = "run_test",
        };
        jb_printf(&b, "\t%s", fn[p->type]);
        for (size_t o = 0; o < p->nopts; o++) {
            jb_printf(&b, " %s=", p->opts[o].key);
            (j->lkp ? lkp_quote : sh_quote)(&b, p->opts[o].val);
        }
        jb_puts(&b, " ");
        if (p->script) { /* lkp's program: NAME/SCRIPT below $LKP_SRC/programs */
            char *w = NULL;
            if (asprintf(&w, "%s/%s", p->name, p->script) < 0)
                b.oom = 1;
            else
                sh_quote(&b, w);
            free(w);
        } else {
            sh_quote(&b, p->name);
        }
        for (size_t a = 0; a < p->argc; a++) {
            jb_puts(&b, " ");
            (j->lkp ? lkp_quote : sh_quote)(&b, p->argv[a]);
        }
        jb_puts(&b, p->type == JOB_PROG_SETUP ? " || return\n" : "\n");
    }
    jb_puts(&b, "\tminivmm_job_end\n}\n\n");

    jb_puts(&b, "extract_stats()\n{\n");
    jb_puts(&b, runtime_line);
    jb_puts(&b, "\tminivmm_stats");
    for (size_t r = 0; r < j->nrun; r++) {
        const struct jprog *p = &j->progs[j->run_order[r]];
        if (p->type == JOB_PROG_TEST) {
            jb_puts(&b, " ");
            sh_quote(&b, p->name);
        }
    }
    jb_puts(&b, "\n}\n\n\"$@\"\n");
    return jb_finish(&b);
}

/* ---- YAML ---- */

static int yaml_out(void *data, unsigned char *buffer, size_t size)
{
    struct jbuf *b = data;
    jb_add(b, (const char *)buffer, size);
    return !b->oom;
}

/* QUOTED: V was written quoted, so a text YAML 1.1 reads as a boolean
 * (`"off"`) stays quoted: it names the job (and, with --lkp-src, is
 * exported) as the string. */
static int emit_value(yaml_emitter_t *e, const char *v, int quoted)
{
    yaml_event_t ev;
    yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
    if (!v)
        v = "~";
    else if (jnode_is_null_text(v) || !strcmp(v, "<<") || (quoted && jnaming_bool(v) >= 0))
        style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)v, (int)strlen(v), 1, 1,
                                      style))
        return -1;
    return yaml_emitter_emit(e, &ev) ? 0 : -1;
}

static int emit_scalar(yaml_emitter_t *e, const char *v) { return emit_value(e, v, 0); }

static int emit_simple(yaml_emitter_t *e, int type)
{
    yaml_event_t ev;
    int ok;
    switch (type) {
    case 0: ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING); break;
    case 1: ok = yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1); break;
    case 2: ok = yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE); break;
    case 3: ok = yaml_mapping_end_event_initialize(&ev); break;
    case 4: ok = yaml_document_end_event_initialize(&ev, 1); break;
    case 6: ok = yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_FLOW_SEQUENCE_STYLE); break;
    case 7: ok = yaml_sequence_end_event_initialize(&ev); break;
    default: ok = yaml_stream_end_event_initialize(&ev); break;
    }
    if (!ok)
        return -1;
    return yaml_emitter_emit(e, &ev) ? 0 : -1;
}

char *job_to_yaml(const struct job *j)
{
    struct jbuf b = {0};
    yaml_emitter_t e;
    if (!yaml_emitter_initialize(&e))
        return NULL;
    yaml_emitter_set_output(&e, yaml_out, &b);
    yaml_emitter_set_unicode(&e, 1);
    yaml_emitter_set_width(&e, -1);
    int r = emit_simple(&e, 0) || emit_simple(&e, 1) || emit_simple(&e, 2);
    for (size_t i = 0; !r && i < j->nentries; i++) {
        const struct jentry *en = &j->entries[i];
        if (!en->is_prog) {
            r = emit_scalar(&e, j->params[en->idx].key) ||
                emit_value(&e, j->params[en->idx].val, j->params[en->idx].quoted);
            continue;
        }
        const struct jprog *p = &j->progs[en->idx];
        r = emit_scalar(&e, p->name);
        if (r)
            break;
        if (p->has_value == 0) {
            r = emit_scalar(&e, NULL);
        } else if (p->has_value == 1) {
            r = emit_value(&e, p->raw, p->raw_quoted);
        } else {
            r = emit_simple(&e, 2);
            for (size_t o = 0; !r && o < p->nopts; o++)
                r = emit_scalar(&e, p->opts[o].key) ||
                    emit_value(&e, p->opts[o].val, p->opts[o].quoted);
            r = r || emit_simple(&e, 3);
        }
    }
    if (!r && j->ndeclared) { /* the declarations the job was checked with */
        r = emit_scalar(&e, "params") || emit_simple(&e, 6);
        for (size_t i = 0; !r && i < j->ndeclared; i++)
            r = emit_scalar(&e, j->declared[i]);
        r = r || emit_simple(&e, 7);
    }
    r = r || emit_simple(&e, 3) || emit_simple(&e, 4) || emit_simple(&e, 5);
    r = r || !yaml_emitter_flush(&e);
    yaml_emitter_delete(&e);
    char *s = jb_finish(&b);
    if (r) {
        free(s);
        return NULL;
    }
    return s;
}
