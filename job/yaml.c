/* YAML -> node trees with libyaml's event parser: depth, size and node
 * limits, no anchors/aliases/tags, `<<: FILE` includes (below the job
 * file's directory or an include directory) with loop detection. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <yaml.h>
#include "job/job_internal.h"

int jerr(struct jctx *c, const char *file, unsigned long line, unsigned long col,
         const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->err && c->errlen) {
        if (file && line)
            snprintf(c->err, c->errlen, "%s:%lu:%lu: %s", file, line, col, msg);
        else if (file)
            snprintf(c->err, c->errlen, "%s: %s", file, msg);
        else
            snprintf(c->err, c->errlen, "%s", msg);
        for (char *p = c->err; *p; p++) /* one line, no control characters */
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
    }
    return -1;
}

int jerr_node(struct jctx *c, const struct jnode *n, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return jerr(c, n ? n->file : NULL, n ? n->line : 0, n ? n->col : 0, "%s", msg);
}

static const char *ctx_intern_file(struct jctx *c, const char *name)
{
    for (size_t i = 0; i < c->nfiles; i++)
        if (!strcmp(c->files[i], name))
            return c->files[i];
    char **f = realloc(c->files, (c->nfiles + 1) * sizeof *f);
    if (!f)
        return NULL;
    c->files = f;
    if (!(f[c->nfiles] = strdup(name)))
        return NULL;
    return f[c->nfiles++];
}

void jctx_free(struct jctx *c)
{
    for (size_t i = 0; i < c->nfiles; i++)
        free(c->files[i]);
    free(c->files);
    jprog_cache_free(c);
    jlkp_free(c);
    jlkp_defaults_free(c);
    for (int i = 0; i < c->depth; i++)
        free(c->stack[i]);
    for (size_t i = 0; i < c->nroots; i++)
        free(c->roots[i]);
    free(c->roots);
    memset(c, 0, sizeof *c);
}

const char *jfile_type(unsigned m)
{
    return S_ISDIR(m) ? "a directory" : S_ISCHR(m) ? "a character device"
         : S_ISBLK(m) ? "a block device" : S_ISFIFO(m) ? "a FIFO"
         : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

char *jread_small_file(struct jctx *c, const char *path, int fd, size_t *len)
{
    if (fd < 0)
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        jerr(c, path, 0, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        jerr(c, path, 0, 0, "is %s, not a regular file", jfile_type(st.st_mode));
        return NULL;
    }
    if (st.st_size > JOB_MAX_FILE_SIZE) {
        close(fd);
        jerr(c, path, 0, 0, "file too large (%lld bytes, limit %d)", (long long)st.st_size,
             JOB_MAX_FILE_SIZE);
        return NULL;
    }
    char *buf = malloc(JOB_MAX_FILE_SIZE + 1);
    if (!buf) {
        close(fd);
        jerr(c, path, 0, 0, "out of memory");
        return NULL;
    }
    size_t got = 0;
    for (;;) {
        ssize_t r = read(fd, buf + got, JOB_MAX_FILE_SIZE + 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            jerr(c, path, 0, 0, "read error: %s", strerror(errno));
            goto fail;
        }
        if (r == 0)
            break;
        got += (size_t)r;
        if (got > JOB_MAX_FILE_SIZE) {
            jerr(c, path, 0, 0, "file too large (limit %d bytes)", JOB_MAX_FILE_SIZE);
            goto fail;
        }
    }
    close(fd);
    buf[got] = 0;
    *len = got;
    return buf;
fail:
    close(fd);
    free(buf);
    return NULL;
}

struct jparse {
    struct jctx *c;
    yaml_parser_t p;
    const char *file;
    char *dir; /* directory of file, for includes */
    int top_depth; /* the depth of a document's top-level map */
    struct jnode **pending; /* documents split off by a multi-document include */
    size_t npending;
};

static int parse_error(struct jparse *ps)
{
    yaml_parser_t *p = &ps->p;
    const char *prob = p->problem ? p->problem : "YAML error";
    if (p->context)
        return jerr(ps->c, ps->file, (unsigned long)p->problem_mark.line + 1,
                    (unsigned long)p->problem_mark.column + 1, "%s %s (line %lu:%lu)", prob,
                    p->context, (unsigned long)p->context_mark.line + 1,
                    (unsigned long)p->context_mark.column + 1);
    return jerr(ps->c, ps->file, (unsigned long)p->problem_mark.line + 1,
                (unsigned long)p->problem_mark.column + 1, "%s", prob);
}

static int next_event(struct jparse *ps, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&ps->p, ev))
        return parse_error(ps);
    return 0;
}

#define EV_LINE(ev) ((unsigned long)(ev)->start_mark.line + 1)
#define EV_COL(ev) ((unsigned long)(ev)->start_mark.column + 1)

static int check_anchor_tag(struct jparse *ps, yaml_event_t *ev, const yaml_char_t *anchor,
                            const yaml_char_t *tag, int implicit)
{
    if (anchor)
        return jerr(ps->c, ps->file, EV_LINE(ev), EV_COL(ev),
                    "YAML anchors (&%s) are not supported", (const char *)anchor);
    if (tag && !implicit)
        return jerr(ps->c, ps->file, EV_LINE(ev), EV_COL(ev),
                    "YAML tags (%s) are not supported", (const char *)tag);
    return 0;
}

static int parse_node(struct jparse *ps, yaml_event_t *ev, int depth, struct jnode **out);
static int include_into(struct jparse *ps, struct jnode **map, const struct jnode *spec,
                        int depth);

static int check_scalar_text(struct jparse *ps, yaml_event_t *ev)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (strlen(s) != len)
        return jerr(ps->c, ps->file, EV_LINE(ev), EV_COL(ev),
                    "NUL character in a value is not supported");
    const char *t;
    if ((t = strstr(s, "<%")) && strstr(t, "%>"))
        return jerr(ps->c, ps->file, EV_LINE(ev), EV_COL(ev),
                    "lkp ERB <%% %%> templates are not supported");
    return 0;
}

static int parse_mapping(struct jparse *ps, yaml_event_t *start, int depth, struct jnode **out)
{
    struct jnode *map = jnode_new(ps->c, JN_MAP, ps->file, EV_LINE(start), EV_COL(start));
    if (!map)
        return -1;
    for (;;) {
        yaml_event_t kev;
        if (next_event(ps, &kev))
            goto fail;
        if (kev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&kev);
            break;
        }
        if (kev.type == YAML_ALIAS_EVENT) {
            jerr(ps->c, ps->file, EV_LINE(&kev), EV_COL(&kev),
                 "YAML aliases (*%s) are not supported", (const char *)kev.data.alias.anchor);
            yaml_event_delete(&kev);
            goto fail;
        }
        if (kev.type != YAML_SCALAR_EVENT) {
            jerr(ps->c, ps->file, EV_LINE(&kev), EV_COL(&kev),
                 "a key must be a plain string (complex keys are not supported)");
            yaml_event_delete(&kev);
            goto fail;
        }
        if (check_anchor_tag(ps, &kev, kev.data.scalar.anchor, kev.data.scalar.tag,
                             kev.data.scalar.plain_implicit || kev.data.scalar.quoted_implicit) ||
            check_scalar_text(ps, &kev)) {
            yaml_event_delete(&kev);
            goto fail;
        }
        int is_include = kev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                         !strcmp((const char *)kev.data.scalar.value, "<<");
        struct jnode *key = jnode_new(ps->c, JN_STR, ps->file, EV_LINE(&kev), EV_COL(&kev));
        if (key && !(key->str = strdup((const char *)kev.data.scalar.value))) {
            jnode_free(key);
            key = NULL;
            jerr(ps->c, ps->file, EV_LINE(&kev), EV_COL(&kev), "out of memory");
        }
        yaml_event_delete(&kev);
        if (!key)
            goto fail;
        if (strstr(key->str, "{{")) {
            jerr_node(ps->c, key, "lkp {{ }} expressions are not evaluated in keys");
            jnode_free(key);
            goto fail;
        }
        if (!*key->str) {
            jerr_node(ps->c, key, "empty key");
            jnode_free(key);
            goto fail;
        }
        yaml_event_t vev;
        if (next_event(ps, &vev)) {
            jnode_free(key);
            goto fail;
        }
        struct jnode *val = NULL;
        int r = parse_node(ps, &vev, depth + 1, &val);
        yaml_event_delete(&vev);
        if (r) {
            jnode_free(key);
            goto fail;
        }
        if (is_include) {
            r = include_into(ps, &map, val, depth);
            jnode_free(key);
            jnode_free(val);
            if (r)
                goto fail;
            continue;
        }
        long dup = jmap_find(map, key->str);
        if (dup >= 0 && !map->from_include[dup]) {
            jerr_node(ps->c, key, "duplicate key '%s' (first at line %lu:%lu)", key->str,
                      map->keys[dup]->line, map->keys[dup]->col);
            jnode_free(key);
            jnode_free(val);
            goto fail;
        }
        if (jmap_put(map, key, val, 0)) {
            jerr_node(ps->c, key, "out of memory");
            jnode_free(key);
            jnode_free(val);
            goto fail;
        }
    }
    *out = map;
    return 0;
fail:
    jnode_free(map);
    return -1;
}

static int parse_node(struct jparse *ps, yaml_event_t *ev, int depth, struct jnode **out)
{
    if (depth > JOB_MAX_DEPTH)
        return jerr(ps->c, ps->file, EV_LINE(ev), EV_COL(ev),
                    "YAML nested too deeply (limit %d)", JOB_MAX_DEPTH);
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        return jerr(ps->c, ps->file, EV_LINE(ev), EV_COL(ev),
                    "YAML aliases (*%s) are not supported", (const char *)ev->data.alias.anchor);
    case YAML_SCALAR_EVENT: {
        if (check_anchor_tag(ps, ev, ev->data.scalar.anchor, ev->data.scalar.tag,
                             ev->data.scalar.plain_implicit || ev->data.scalar.quoted_implicit) ||
            check_scalar_text(ps, ev))
            return -1;
        const char *s = (const char *)ev->data.scalar.value;
        int null = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && jnode_is_null_text(s);
        struct jnode *n = jnode_new(ps->c, null ? JN_NULL : JN_STR, ps->file, EV_LINE(ev),
                                    EV_COL(ev));
        if (!n)
            return -1;
        if (!null && !(n->str = strdup(s))) {
            jnode_free(n);
            return jerr(ps->c, ps->file, EV_LINE(ev), EV_COL(ev), "out of memory");
        }
        n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;   /* lkp, job/naming.c */
        if (!null && !ps->c->no_includes && jlkp_mark_scalar(ps->c, n)) {
            jnode_free(n);
            return -1;
        }
        *out = n;
        return 0;
    }
    case YAML_SEQUENCE_START_EVENT: {
        if (check_anchor_tag(ps, ev, ev->data.sequence_start.anchor,
                             ev->data.sequence_start.tag, ev->data.sequence_start.implicit))
            return -1;
        struct jnode *seq = jnode_new(ps->c, JN_SEQ, ps->file, EV_LINE(ev), EV_COL(ev));
        if (!seq)
            return -1;
        for (;;) {
            yaml_event_t iev;
            if (next_event(ps, &iev))
                goto seq_fail;
            if (iev.type == YAML_SEQUENCE_END_EVENT) {
                yaml_event_delete(&iev);
                break;
            }
            struct jnode *item = NULL;
            int r = parse_node(ps, &iev, depth + 1, &item);
            yaml_event_delete(&iev);
            if (r)
                goto seq_fail;
            if (jnode_grow(seq)) {
                jnode_free(item);
                jerr_node(ps->c, seq, "out of memory");
                goto seq_fail;
            }
            seq->kids[seq->n++] = item;
        }
        *out = seq;
        return 0;
    seq_fail:
        jnode_free(seq);
        return -1;
    }
    case YAML_MAPPING_START_EVENT:
        if (check_anchor_tag(ps, ev, ev->data.mapping_start.anchor, ev->data.mapping_start.tag,
                             ev->data.mapping_start.implicit))
            return -1;
        return parse_mapping(ps, ev, depth, out);
    default:
        return jerr(ps->c, ps->file, EV_LINE(ev), EV_COL(ev), "unexpected YAML event");
    }
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static int parse_file(struct jctx *c, const char *path, int fd, const char *text, size_t len,
                      int depth, struct jnode ***docs, size_t *ndocs);

/* REAL (a realpath) below ROOT (a realpath)? */
static int below(const char *real, const char *root)
{
    size_t n = strlen(root);
    if (n == 1 && root[0] == '/')
        return 1;
    return !strncmp(real, root, n) && (real[n] == '/' || !real[n]);
}

/* Opens REAL, which lies below ROOT, without following any symbolic link on
 * the way: a component swapped for a link since realpath() cannot lead
 * outside.  -1 with errno on failure. */
static int open_below(const char *real, const char *root)
{
    const char *rel = real + (strcmp(root, "/") ? strlen(root) : 0);
    while (*rel == '/')
        rel++;
    int dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    struct open_how how = {
        .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    int fd = *rel ? (int)syscall(SYS_openat2, dfd, rel, &how, sizeof how) : -1;
    if (fd < 0 && (errno == ENOSYS || !*rel)) /* kernels before 5.6 */
        fd = open(real, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
    int e = errno;
    close(dfd);
    errno = e;
    return fd;
}

static int include_one(struct jparse *ps, struct jnode **mapp, const struct jnode *name,
                       int depth, const struct jnode *spec)
{
    struct jnode *map = *mapp;
    struct jctx *c = ps->c;
    struct stat st;
    if (name->kind != JN_STR)
        return jerr_node(c, name, "`<<:` needs a file name");
    if (c->no_includes)
        return jerr_node(c, name, "`<<:` is not allowed here");
    if (++c->nincludes > JOB_MAX_INCLUDES)
        return jerr_node(c, name, "too many includes (limit %d)", JOB_MAX_INCLUDES);
    /* the first that exists: absolute as is; relative beside the including
     * file, then in each include directory */
    char *found = NULL;
    for (size_t i = 0; !found && i <= c->o->ninclude_dirs; i++) {
        int r = name->str[0] == '/' ? asprintf(&found, "%s", name->str)
              : asprintf(&found, "%s/%s", i ? c->o->include_dirs[i - 1] : ps->dir, name->str);
        if (r < 0)
            return jerr_node(c, name, "out of memory");
        if (stat(found, &st)) {
            free(found);
            found = NULL;
        }
        if (name->str[0] == '/')
            break;
    }
    if (!found)
        return jerr_node(c, name, "include file '%s' not found (beside %s%s)", name->str,
                         ps->file, c->o->ninclude_dirs ? " or in the include path" : "");
    /* it must lie below the job file's directory or an include directory */
    char *real = realpath(found, NULL);
    const char *root = NULL;
    for (size_t i = 0; real && !root && i < c->nroots; i++)
        if (below(real, c->roots[i]))
            root = c->roots[i];
    int fd = -1, e = 0;
    if (root && (fd = open_below(real, root)) < 0)
        e = errno;
    free(real);
    if (!root || fd < 0) {
        jerr_node(c, name,
                  !root ? "include file '%s' is outside the job file's directory and the "
                          "include directories (--include-dir DIR allows more)"
                        : "include file '%s': %s",
                  name->str, strerror(e));
        free(found);
        return -1;
    }
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        free(found);
        return jerr_node(c, name, "include file '%s' is %s, not a regular file", name->str,
                         jfile_type(st.st_mode));
    }
    struct jnode **docs = NULL;
    size_t ndocs = 0;
    int r = parse_file(c, found, fd, NULL, 0, depth, &docs, &ndocs);
    if (r == -2) /* report at the `<<:` */
        r = jerr_node(c, name, "include loop: '%s' is already being loaded", name->str);
    else if (r == -3)
        r = jerr_node(c, name, "includes nested too deeply (limit %d)", JOB_MAX_INCLUDE_DEPTH);
    free(found);
    if (r)
        return -1;
    if (spec)
        r = jlkp_include_overrides(c, docs, ndocs, spec);
    if (!r && ndocs > 1 && depth != ps->top_depth) {
        r = jerr_node(c, name, "included file '%s' has %zu YAML documents: only an include "
                      "at a document's top level may have several", name->str, ndocs);
    } else if (!r && ndocs > 1) {
        r = jlkp_paste_docs(c, name, mapp, docs, ndocs, &ps->pending, &ps->npending);
    } else if (!r && ndocs == 1 && docs[0]->kind != JN_NULL) {
        struct jnode *d = docs[0];
        if (d->kind != JN_MAP) {
            r = jerr_node(c, d, "an included file must hold a mapping");
        } else {
            for (size_t i = 0; i < d->n; i++) {
                if (jmap_put(map, d->keys[i], d->kids[i], 1)) {
                    r = jerr_node(c, name, "out of memory");
                    break;
                }
                d->keys[i] = d->kids[i] = NULL; /* now owned by map */
            }
        }
    }
    for (size_t i = 0; i < ndocs; i++)
        jnode_free(docs[i]);
    free(docs);
    return r;
}

static int include_into(struct jparse *ps, struct jnode **map, const struct jnode *spec,
                        int depth)
{
    switch (spec->kind) {
    case JN_STR:
        return include_one(ps, map, spec, depth, NULL);
    case JN_SEQ:
        for (size_t i = 0; i < spec->n; i++)
            if (include_one(ps, map, spec->kids[i], depth, NULL))
                return -1;
        return 0;
    case JN_MAP: { /* lkp's {file: F, KEY: VALUE..., ignore: [KEY...]} */
        long f = jmap_find((struct jnode *)spec, "file");
        if (f < 0 || spec->kids[f]->kind != JN_STR)
            return jerr_node(ps->c, spec, "`<<:` with a map needs `file: NAME`");
        return include_one(ps, map, spec->kids[f], depth, spec);
    }
    default:
        return jerr_node(ps->c, spec, "`<<:` needs a file name");
    }
}

/* PATH's text is TEXT (LEN bytes) when not NULL, else read from FD (opened
 * here when -1; always closed).  0, -1 error (message set), -2 include loop,
 * -3 includes too deep (no message). */
static int parse_file(struct jctx *c, const char *path, int fd, const char *text, size_t len,
                      int depth, struct jnode ***docs, size_t *ndocs)
{
    char *real = text ? strdup(path) : realpath(path, NULL);
    if (!real) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return jerr(c, path, 0, 0, "cannot open: %s", strerror(e));
    }
    for (int i = 0; i < c->depth; i++) {
        if (!strcmp(c->stack[i], real)) {
            free(real);
            if (fd >= 0)
                close(fd);
            return -2;
        }
    }
    if (c->depth > JOB_MAX_INCLUDE_DEPTH) {
        free(real);
        if (fd >= 0)
            close(fd);
        return -3;
    }
    c->stack[c->depth++] = real;

    struct jparse ps = {.c = c};
    int ret = -1;
    char *buf = NULL;
    *docs = NULL;
    *ndocs = 0;
    if (!(ps.file = ctx_intern_file(c, path)) || !(ps.dir = dir_of(path))) {
        jerr(c, path, 0, 0, "out of memory");
        if (fd >= 0)
            close(fd);
        goto out;
    }
    if (text && len > JOB_MAX_FILE_SIZE) {
        jerr(c, path, 0, 0, "file too large (%zu bytes, limit %d)", len, JOB_MAX_FILE_SIZE);
        goto out;
    }
    if (!text && !(text = buf = jread_small_file(c, path, fd, &len)))
        goto out;
    char *marked = NULL;
    size_t mlen = 0;
    if (!c->no_includes && jlkp_mark_text(c, ps.file, text, len, &marked, &mlen))
        goto out;
    if (marked) {
        free(buf);
        text = buf = marked;
        len = mlen;
    }
    ps.top_depth = depth;
    if (!yaml_parser_initialize(&ps.p)) {
        jerr(c, path, 0, 0, "out of memory");
        goto out;
    }
    yaml_parser_set_input_string(&ps.p, (const unsigned char *)text, len);
    yaml_event_t ev;
    int done = 0;
    while (!done) {
        if (next_event(&ps, &ev))
            goto out_parser;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_DOCUMENT_START_EVENT: {
            if (*ndocs >= JOB_MAX_DOCUMENTS) {
                jerr(c, ps.file, EV_LINE(&ev), EV_COL(&ev), "too many YAML documents (limit %d)",
                     JOB_MAX_DOCUMENTS);
                yaml_event_delete(&ev);
                goto out_parser;
            }
            yaml_event_t nev;
            if (next_event(&ps, &nev)) {
                yaml_event_delete(&ev);
                goto out_parser;
            }
            struct jnode *root = NULL;
            int r = parse_node(&ps, &nev, depth, &root);
            yaml_event_delete(&nev);
            if (r) {
                yaml_event_delete(&ev);
                goto out_parser;
            }
            struct jnode **d = realloc(*docs, (*ndocs + ps.npending + 1) * sizeof *d);
            if (!d || *ndocs + ps.npending >= JOB_MAX_DOCUMENTS) {
                jnode_free(root);
                if (d)
                    *docs = d;
                jerr(c, path, 0, 0, d ? "too many YAML documents (limit %d)" : "out of memory",
                     JOB_MAX_DOCUMENTS);
                yaml_event_delete(&ev);
                goto out_parser;
            }
            *docs = d;
            for (size_t k = 0; k < ps.npending; k++)
                d[(*ndocs)++] = ps.pending[k];
            ps.npending = 0;
            d[(*ndocs)++] = root;
            break;
        }
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    ret = 0;
out_parser:
    yaml_parser_delete(&ps.p);
out:
    for (size_t k = 0; k < ps.npending; k++)
        jnode_free(ps.pending[k]);
    free(ps.pending);
    free(buf);
    free(ps.dir);
    c->depth--;
    free(c->stack[c->depth]);
    c->stack[c->depth] = NULL;
    if (ret) {
        for (size_t i = 0; i < *ndocs; i++)
            jnode_free((*docs)[i]);
        free(*docs);
        *docs = NULL;
        *ndocs = 0;
    }
    return ret;
}

/* The directories includes may name files below: the job file's and each
 * include directory, as realpaths. */
static int set_roots(struct jctx *c, const char *path)
{
    c->roots = calloc(c->o->ninclude_dirs + 1, sizeof *c->roots);
    char *dir = dir_of(path);
    if (!c->roots || !dir) {
        free(dir);
        return jerr(c, path, 0, 0, "out of memory");
    }
    if ((c->roots[c->nroots] = realpath(dir, NULL)))
        c->nroots++;
    free(dir);
    for (size_t i = 0; i < c->o->ninclude_dirs; i++)
        if ((c->roots[c->nroots] = realpath(c->o->include_dirs[i], NULL)))
            c->nroots++;
    return 0;
}

int jyaml_load(struct jctx *c, const char *path, const char *text, size_t len,
               struct jnode ***docs, size_t *ndocs)
{
    if (set_roots(c, path))
        return -1;
    int r = parse_file(c, path, -1, text, len, 0, docs, ndocs);
    return r < -1 ? jerr(c, path, 0, 0, "include loop") : r;
}

int jyaml_parse_meta(struct jctx *c, const char *path, const char *text, size_t len,
                     struct jnode ***docs, size_t *ndocs)
{
    int saved = c->no_includes;
    c->no_includes = 1;
    int r = parse_file(c, path, -1, text, len, 0, docs, ndocs);
    c->no_includes = saved;
    return r < -1 ? jerr(c, path, 0, 0, "is being loaded already") : r;
}
