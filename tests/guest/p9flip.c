/* action=p9flip: 9P requests the guest keeps rewriting while the server
 * parses them (the server reads straight from guest RAM, so every field
 * may change between two reads of it), plus random damage before posting:
 * bytes of the body, sometimes of the header, and the descriptor length.
 * Any reply is fine as long as it is well formed (size = used length,
 * an R-type); a device that asks for a reset gets one.  The test script
 * checks that nothing appeared outside the export. */
#include "guest.h"
#include "p9msg.h"
#include "vq.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

/* A valid request of one of a few kinds in slot 0. */
static uint32_t template(int kind)
{
    struct msg m;
    switch (kind) {
    case 0:
        m = begin(0, TWALK, 1);
        put(&m, 0, 4); put(&m, 2, 4); put(&m, 3, 2);
        put_str(&m, "sub"); put_str(&m, "inner"); put_str(&m, "..");
        break;
    case 1:
        m = begin(0, TWRITE, 2);
        put(&m, 1, 4); put(&m, 0, 8); put(&m, 48, 4);
        for (int i = 0; i < 48; i++)
            put(&m, 'w', 1);
        break;
    case 2:
        m = begin(0, TLCREATE, 3);
        put(&m, 0, 4); put_str(&m, "made"); put(&m, 0102, 4); put(&m, 0644, 4); put(&m, 0, 4);
        break;
    case 3:
        m = begin(0, TATTACH, 4);
        put(&m, 5, 4); put(&m, NOFID, 4); put_str(&m, "user"); put_str(&m, "/"); put(&m, 0, 4);
        break;
    case 4:
        m = begin(0, TMKDIR, 5);
        put(&m, 0, 4); put_str(&m, "dir"); put(&m, 0755, 4); put(&m, 0, 4);
        break;
    default:
        m = begin(0, TREADDIR, 6);
        put(&m, 0, 4); put(&m, 0, 8); put(&m, 900, 4);
        break;
    }
    return finish(&m);
}

static int fresh(void)
{
    int e = vq_start(0, 0);
    return e ? e : p9_open("keep", 1, 8192);
}

int p9_flip(void)
{
    int e = fresh();
    if (e)
        return e;
    unsigned replies = 0, resets = 0;
    uint8_t *b = vq_req(0);
    for (int round = 0; round < 2000; round++) {
        uint32_t n = template(round % 6);
        for (int k = rnd() % 4; k > 0; k--)          /* damage before posting */
            b[(round & 7) == 0 ? rnd() % n : 7 + rnd() % (n - 7)] = (uint8_t)rnd();
        vq_post_slot(0, n);
        if ((round & 3) == 1)
            vq_desc()[0].len = rnd() % VQ_REQ_SIZE;
        uint16_t before = vq_used_idx();
        vq_notify();
        for (int k = 0; k < 64 && vq_used_idx() == before; k++)   /* and while parsed */
            b[7 + rnd() % (n - 7)] = (uint8_t)rnd();
        int r = vq_wait(1);
        if (r == VQ_TIMEOUT) {
            puts_("tinyguest: p9flip: no reply and no reset\n");
            return 70;
        }
        if (r == VQ_NEEDS_RESET) {
            resets++;
            if ((e = fresh()))
                return e;
            continue;
        }
        struct vused_elem u = vq_used_elem(0);
        vq_consume(1);
        const uint8_t *p = vq_resp(0);
        if (u.id != 0 || u.len > VQ_RESP_SIZE || u.len < 7 || le(p, 4) != u.len || !(p[4] & 1)) {
            puts_("tinyguest: p9flip: malformed reply\n");
            return 71;
        }
        replies++;
        if (round % 6 == 2 && (e = fresh()))   /* Tlcreate turned fid 0 into a file */
            return e;
    }
    puts_("tinyguest: p9flip: ");
    putn(replies, 10);
    puts_(" replies, ");
    putn(resets, 10);
    puts_(" resets\n");
    /* The session still works. */
    if ((e = fresh()))
        return e;
    return 0;
}
