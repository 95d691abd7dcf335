/* The fid table, nodes and their lexical places: what each fid of the 9P
 * server stands for (see 9p_int.h for the parts, docs/9p.md). */
#include "virtio/9p_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void ent_put(struct ent *e)
{
    while (e && atomic_fetch_sub(&e->refs, 1) == 1) {
        struct ent *p = e->parent;
        atomic_fetch_sub(e->acct, e->cost);
        free(e);
        e = p;
    }
}

/* A new place `name` below parent (reference taken); NULL when the export's
 * budget for them (P9_ENT_MEMORY) is spent or memory is short. */
struct ent *p9_ent_new(struct ent *parent, const char *name, _Atomic size_t *acct)
{
    size_t len = strlen(name), cost = sizeof(struct ent) + len + 1;
    if (atomic_fetch_add(acct, cost) + cost > P9_ENT_MEMORY) {
        atomic_fetch_sub(acct, cost);
        return NULL;
    }
    struct ent *e = malloc(cost);
    if (!e) {
        atomic_fetch_sub(acct, cost);
        return NULL;
    }
    atomic_init(&e->refs, 1);
    if (parent)
        atomic_fetch_add(&parent->refs, 1);
    e->parent = parent;
    e->depth = parent ? parent->depth + 1 : 0;
    e->cost = cost;
    e->acct = acct;
    memcpy(e->name, name, len + 1);
    return e;
}

/* Takes over fd and ent (both released on failure). */
struct node *p9_node_new(int fd, struct ent *ent)
{
    struct node *n = ent ? malloc(sizeof(*n)) : NULL;
    if (!n) {
        close(fd);
        ent_put(ent);
        return NULL;
    }
    atomic_init(&n->refs, 1);
    n->fd = fd;
    n->ent = ent;
    return n;
}

struct node *p9_node_ref(struct node *n)
{
    atomic_fetch_add(&n->refs, 1);
    return n;
}

void p9_node_put(struct node *n)
{
    if (n && atomic_fetch_sub(&n->refs, 1) == 1) {
        close(n->fd);
        ent_put(n->ent);
        free(n);
    }
}

struct fid *p9_fid_get(struct p9_server *s, uint32_t id)
{
    pthread_mutex_lock(&s->tlock);
    struct fid *f = s->buckets[id % FID_BUCKETS];
    while (f && f->id != id)
        f = f->next;
    if (f)
        f->refs++;
    pthread_mutex_unlock(&s->tlock);
    return f;
}

static void fid_destroy(struct fid *f)
{
    if (f->ofd >= 0)
        close(f->ofd);
    p9_node_put(f->node);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

void p9_fid_put(struct p9_server *s, struct fid *f)
{
    pthread_mutex_lock(&s->tlock);
    bool last = --f->refs == 0;
    pthread_mutex_unlock(&s->tlock);
    if (last)
        fid_destroy(f);
}

/* Inserts a new fid holding node (ownership passes to the fid on success). */
int p9_fid_add(struct p9_server *s, uint32_t id, struct node *node, uint32_t uid)
{
    if (id == P9_NOFID)
        return EINVAL;
    struct fid *f = calloc(1, sizeof(*f));
    if (!f)
        return ENOMEM;
    f->id = id;
    f->refs = 1;
    f->node = node;
    f->ofd = -1;
    f->uid = uid;
    pthread_mutex_init(&f->lock, NULL);
    pthread_mutex_lock(&s->tlock);
    struct fid **b = &s->buckets[id % FID_BUCKETS], *g = *b;
    while (g && g->id != id)
        g = g->next;
    int err = g ? EINVAL : s->nfids >= P9_MAX_FIDS ? ENFILE : p9_fids_take();
    if (!err) {
        f->next = *b;
        *b = f;
        s->nfids++;
    }
    pthread_mutex_unlock(&s->tlock);
    if (err) {
        pthread_mutex_destroy(&f->lock);
        free(f);
    }
    return err;
}

/* Removes fid id from the table; returns 0 or EBADF. */
int p9_fid_clunk(struct p9_server *s, uint32_t id)
{
    pthread_mutex_lock(&s->tlock);
    struct fid **pp = &s->buckets[id % FID_BUCKETS];
    while (*pp && (*pp)->id != id)
        pp = &(*pp)->next;
    struct fid *f = *pp;
    bool last = false;
    if (f) {
        *pp = f->next;
        s->nfids--;
        p9_fids_give();
        last = --f->refs == 0;
    }
    pthread_mutex_unlock(&s->tlock);
    if (last)
        fid_destroy(f);
    return f ? 0 : EBADF;
}

int p9_fid_known(struct p9_server *s, uint32_t id)
{
    struct fid *f = p9_fid_get(s, id);
    if (!f)
        return EBADF;
    p9_fid_put(s, f);
    return 0;
}

void p9_fid_clunk_all(struct p9_server *s)
{
    for (;;) {
        pthread_mutex_lock(&s->tlock);
        struct fid *f = NULL;
        for (int i = 0; i < FID_BUCKETS && !f; i++)
            f = s->buckets[i];
        uint32_t id = f ? f->id : 0;
        pthread_mutex_unlock(&s->tlock);
        if (!f)
            return;
        p9_fid_clunk(s, id);
    }
}

/* The node a fid stands for, with a reference the caller drops with
 * p9_node_put, and the fid's uid when uid is not NULL.  NULL: unknown fid. */
struct node *p9_node_of(struct p9_req *q, uint32_t fid, uint32_t *uid)
{
    struct fid *f = p9_fid_get(q->s, fid);
    if (!f)
        return NULL;
    pthread_mutex_lock(&f->lock);
    struct node *n = p9_node_ref(f->node);
    if (uid)
        *uid = f->uid;
    pthread_mutex_unlock(&f->lock);
    p9_fid_put(q->s, f);
    return n;
}

struct p9_qid p9_qid_of(const struct p9_server *s, const struct stat *st)
{
    struct p9_qid q = { .type = P9_QTFILE, .version = 0, .path = st->st_ino };
    if (S_ISDIR(st->st_mode))
        q.type = P9_QTDIR;
    else if (S_ISLNK(st->st_mode))
        q.type = P9_QTSYMLINK;
    if (st->st_dev != s->rootdev)    /* another file system mounted inside */
        q.path ^= ((uint64_t)st->st_dev * 0x9e3779b97f4a7c15ULL) & 0xffff000000000000ULL;
    return q;
}
