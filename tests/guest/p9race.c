/* 9P2000.L from the tiny guest: a few messages encoded by hand
 * (little-endian; layouts as in virtio/9p_msg.h) and action=p9race, which
 * sends batches of requests that race inside the server's worker pool:
 * a walk from a fid being clunked, a read through a file being removed,
 * a fid number reused at once, Tversion while other requests run.  Any
 * order of execution is allowed; every reply must be well formed (its tag,
 * the matching R-type or Rlerror, a size that fits the used length), and
 * the export must end consistent (the test script checks the files). */
#include "guest.h"
#include "p9msg.h"
#include "vq.h"

/* One batch: up to VQ_SLOTS requests posted together, one notify. */
static uint8_t btype[VQ_SLOTS];
static uint16_t btag[VQ_SLOTS];
static uint32_t berr[VQ_SLOTS];    /* 0, or the Rlerror code */
static int nbatch;
static uint16_t next_tag = 1;
static unsigned raced, raced_err;  /* replies in batches of several, Rlerrors among them */

static struct msg add(uint8_t type)
{
    btype[nbatch] = type;
    btag[nbatch] = type == TVERSION ? 0xffff : next_tag++;
    if (next_tag == 0xffff)
        next_tag = 1;
    return begin(nbatch, type, btag[nbatch]);
}
static void done(struct msg *m)
{
    vq_post_slot(nbatch++, finish(m));
}

static int bad_reply(int slot, const char *why)
{
    puts_("tinyguest: p9: bad reply to type ");
    putn(btype[slot], 10);
    puts_(": ");
    puts_(why);
    puts_("\n");
    return 50;
}

/* Sends the batch, waits for every reply and checks each. */
static int run(void)
{
    int n = nbatch;
    nbatch = 0;
    vq_notify();
    int r = vq_wait((uint16_t)n);
    if (r != VQ_USED) {
        puts_(r == VQ_TIMEOUT ? "tinyguest: p9: no reply\n" : "tinyguest: p9: device needs reset\n");
        return 51;
    }
    for (int k = 0; k < n; k++) {
        struct vused_elem e = vq_used_elem((uint16_t)k);
        if (e.id % 2 || e.id / 2 >= (uint32_t)n)
            return bad_reply(0, "used id is not a head we posted");
        int s = (int)e.id / 2;
        const uint8_t *p = vq_resp(s);
        uint32_t size = le(p, 4);
        if (size < 7 || size > e.len || e.len > VQ_RESP_SIZE)
            return bad_reply(s, "size does not fit the used length");
        if (le(p + 5, 2) != btag[s])
            return bad_reply(s, "tag differs");
        if (p[4] == RLERROR && size == 11)
            berr[s] = le(p + 7, 4);
        else if (p[4] == btype[s] + 1)
            berr[s] = 0;
        else
            return bad_reply(s, "neither the R-message nor Rlerror");
        if (n > 1)
            raced++, raced_err += berr[s] != 0;
    }
    vq_consume((uint16_t)n);
    return 0;
}

static uint32_t msize = 8192;
static void t_version(void) { struct msg m = add(TVERSION); put(&m, msize, 4); put_str(&m, "9P2000.L"); done(&m); }
static void t_attach(uint32_t fid)
{
    struct msg m = add(TATTACH);
    put(&m, fid, 4); put(&m, NOFID, 4); put_str(&m, ""); put_str(&m, ""); put(&m, 0, 4);
    done(&m);
}
/* Twalk fid -> newfid through name (NULL: a clone). */
static void t_walk(uint32_t fid, uint32_t newfid, const char *name)
{
    struct msg m = add(TWALK);
    put(&m, fid, 4); put(&m, newfid, 4); put(&m, name ? 1 : 0, 2);
    if (name)
        put_str(&m, name);
    done(&m);
}
static void t_fid(uint8_t type, uint32_t fid) { struct msg m = add(type); put(&m, fid, 4); done(&m); }
static void t_lopen(uint32_t fid, uint32_t flags) { struct msg m = add(TLOPEN); put(&m, fid, 4); put(&m, flags, 4); done(&m); }
static void t_lcreate(uint32_t fid, const char *name)
{
    struct msg m = add(TLCREATE);
    put(&m, fid, 4); put_str(&m, name); put(&m, 02 | 0100, 4); put(&m, 0644, 4); put(&m, 0, 4);
    done(&m);
}
static void t_read(uint32_t fid) { struct msg m = add(TREAD); put(&m, fid, 4); put(&m, 0, 8); put(&m, 64, 4); done(&m); }
static void t_write(uint32_t fid, const char *s)
{
    struct msg m = add(TWRITE);
    uint32_t n = 0;
    while (s[n])
        n++;
    put(&m, fid, 4); put(&m, 0, 8); put(&m, n, 4);
    for (uint32_t i = 0; i < n; i++)
        m.b[m.n++] = (uint8_t)s[i];
    done(&m);
}

uint32_t p9_build_version(int slot)
{
    struct msg m = begin(slot, TVERSION, 0xffff);
    put(&m, msize, 4);
    put_str(&m, "9P2000.L");
    return finish(&m);
}

int p9_version_check(void)
{
    t_version();
    int e = run();
    return e ? e : berr[0] ? 52 : 0;
}

/* Batch of one that must succeed. */
static int must(void)
{
    int e = run();
    if (!e && berr[0]) {
        puts_("tinyguest: p9: Rlerror ");
        putn(berr[0], 10);
        puts_(" to type ");
        putn(btype[0], 10);
        puts_("\n");
        return 53;
    }
    return e;
}

static int session(void)
{
    int e = p9_version_check();
    if (e)
        return e;
    t_attach(0);
    return must();
}

int p9_open(const char *name, uint32_t fid, uint32_t size)
{
    msize = size;
    int e = session();
    msize = 8192;
    if (e)
        return e;
    t_walk(0, fid, name);
    if ((e = must()))
        return e;
    t_lopen(fid, 0);
    return must();
}

/* action=seq:S1,S2,...: boot k of a series (the first to create directory
 * "seqK" in the first share, K = 1, 2, ...) reports status Sk (the last
 * one when k is past the list): a way to make boots of one command line
 * differ, for minivmm boot --repeat. */
int p9_seq(const char *list)
{
    int e = vq_start(0, 0);
    if (e || (e = session()))
        return e;
    for (unsigned k = 1; k < 1000; k++) {
        char name[8] = "seq";
        int n = 3;
        for (unsigned d = k >= 100 ? 100 : k >= 10 ? 10 : 1; d; d /= 10)
            name[n++] = (char)('0' + k / d % 10);
        name[n] = 0;
        struct msg m = add(TMKDIR);
        put(&m, 0, 4); put_str(&m, name); put(&m, 0755, 4); put(&m, 0, 4);
        done(&m);
        if ((e = run()))
            return e;
        if (berr[0])
            continue;                   /* an earlier boot made it */
        unsigned st = 0;
        for (unsigned i = 1; *list >= '0' && *list <= '9'; i++) {
            st = num(&list);
            if (i == k || *list != ',')
                break;
            list++;
        }
        puts_("tinyguest: seq boot ");
        putn(k, 10);
        puts_("\n");
        return (int)st;
    }
    return 54;
}

/* action=await:S: makes directory "waiting" in the first share, then looks
 * for "go" there until it appears (nothing else ends it but the timeout),
 * and reports status S: a job that cannot end before the host lets it, so
 * that a test sees jobs run at once without timing them. */
int p9_await(const char *status)
{
    int e = vq_start(0, 0);
    if (e || (e = session()))
        return e;
    struct msg m = add(TMKDIR);
    put(&m, 0, 4); put_str(&m, "waiting"); put(&m, 0755, 4); put(&m, 0, 4);
    done(&m);
    if ((e = must()))
        return e;
    puts_("tinyguest: waiting for go\n");
    for (;;) {
        t_walk(0, 1, "go");
        if ((e = run()))
            return e;
        if (!berr[0])
            break;
        for (volatile unsigned i = 0; i < 20000; i++)
            __asm__ volatile("pause");
    }
    return (int)num(&status);
}

uint32_t p9_build_read(int slot, uint32_t fid, uint32_t count)
{
    struct msg m = begin(slot, TREAD, 1);
    put(&m, fid, 4);
    put(&m, 0, 8);
    put(&m, count, 4);
    return finish(&m);
}

/* A walk from fid 1 while fid 1 is clunked; then neither may linger. */
static int walk_vs_clunk(void)
{
    t_walk(0, 1, 0);
    int e = must();
    if (e)
        return e;
    t_walk(1, 2, "sub");
    t_fid(TCLUNK, 1);
    t_walk(1, 3, "keep");
    t_walk(1, 4, 0);
    if ((e = run()))
        return e;
    t_fid(TCLUNK, 2);
    t_fid(TCLUNK, 3);
    t_fid(TCLUNK, 4);
    t_fid(TCLUNK, 1);               /* already clunked: Rlerror */
    return run();
}

/* A file created, then removed through a second fid while the first reads
 * and writes it and is clunked. */
static int remove_vs_read(int round)
{
    char name[] = "victim-00";
    name[7] = (char)('0' + round / 10 % 10);
    name[8] = (char)('0' + round % 10);
    t_walk(0, 5, 0);
    int e = must();
    if (e)
        return e;
    t_lcreate(5, name);
    if ((e = must()))
        return e;
    t_write(5, "doomed");
    if ((e = must()))
        return e;
    t_walk(0, 6, name);
    if ((e = must()))
        return e;
    t_read(5);
    t_fid(TREMOVE, 6);
    t_read(5);
    t_write(5, "late");
    t_walk(6, 7, 0);
    t_fid(TCLUNK, 5);
    if ((e = run()))
        return e;
    t_fid(TCLUNK, 5);
    t_fid(TCLUNK, 6);
    t_fid(TCLUNK, 7);
    t_fid(TREMOVE, 7);
    if ((e = run()))
        return e;
    return 0;
}

/* fid 8 clunked and made again in the same batch, by two walks at once. */
static int reuse_fid(void)
{
    t_walk(0, 8, "keep");
    int e = must();
    if (e)
        return e;
    t_fid(TCLUNK, 8);
    t_walk(0, 8, "keep");
    t_walk(0, 8, "sub");
    t_lopen(8, 0);
    t_read(8);
    if ((e = run()))
        return e;
    t_fid(TCLUNK, 8);
    if ((e = run()))
        return e;
    /* Now fid 8 must be free: a walk to it succeeds. */
    t_walk(0, 8, 0);
    if ((e = must()))
        return e;
    t_fid(TCLUNK, 8);
    return must();
}

/* Removing a non-empty directory while walking into it. */
static int remove_dir(void)
{
    t_walk(0, 9, "sub");
    int e = must();
    if (e)
        return e;
    t_walk(9, 10, "inner");
    t_fid(TREMOVE, 9);
    t_walk(9, 11, "inner");
    if ((e = run()))
        return e;
    t_fid(TCLUNK, 10);
    t_fid(TCLUNK, 11);
    return run();
}

/* Tversion (which clunks every fid) racing with requests using fids. */
static int version_vs_walks(void)
{
    t_walk(0, 12, "keep");
    int e = must();
    if (e)
        return e;
    t_lopen(12, 0);
    t_walk(0, 13, "sub");
    t_version();
    t_read(12);
    t_walk(12, 14, 0);
    if ((e = run()))
        return e;
    return session();               /* a new session: fid 0 again */
}

/* keep must still read "keep\n" through a fresh fid. */
static int keep_intact(void)
{
    t_walk(0, 20, "keep");
    int e = must();
    if (e)
        return e;
    t_lopen(20, 0);
    if ((e = must()))
        return e;
    t_read(20);
    if ((e = must()))
        return e;
    const uint8_t *p = vq_resp(0);
    if (le(p + 7, 4) != 5 || p[11] != 'k' || p[15] != '\n')
        return bad_reply(0, "keep does not read back");
    t_fid(TCLUNK, 20);
    return must();
}

int p9_race(void)
{
    int e = vq_start(0, 0);
    if (e || (e = session()))
        return e;
    for (int round = 0; round < 100; round++) {
        if ((e = walk_vs_clunk()) || (e = remove_vs_read(round)) || (e = reuse_fid()) ||
            (e = remove_dir()) || (e = version_vs_walks()))
            return e;
    }
    if ((e = keep_intact()))
        return e;
    puts_("tinyguest: p9race: 100 rounds, every reply well formed (");
    putn(raced, 10);
    puts_(" raced, ");
    putn(raced_err, 10);
    puts_(" of them Rlerror)\n");
    return 0;
}
