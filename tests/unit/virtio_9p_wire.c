/* Unit tests of the 9P2000.L server's wire format: valid, malformed and
 * truncated messages of every type, and requests and replies scattered
 * over many small buffers (the operations are tested in virtio_9p.c). */
#include "virtio/9p.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "tests/unit/testutil.h"

#pragma GCC diagnostic ignored "-Wunused-function"   /* the client has a call for every message */
#include "tests/unit/virtio_9p_client.h"
#include "tests/unit/virtio_9p_fixture.h"

/* ---- protocol ------------------------------------------------------- */

START_TEST(version_negotiation)
{
    uint32_t m;
    char v[64];
    ck_assert_int_eq(c_version(S, 8192, "9P2000.L", &m, v), 0);
    ck_assert_uint_eq(m, 8192);
    ck_assert_str_eq(v, "9P2000.L");
    ck_assert_int_eq(c_version(S, 1u << 30, "9P2000.L", &m, v), 0);
    ck_assert_uint_eq(m, P9_MAX_MSIZE);
    ck_assert_int_eq(c_version(S, 65536, "9P2000.u", &m, v), 0);
    ck_assert_str_eq(v, "unknown");
    ck_assert_int_eq(c_version(S, 65536, "9P2000", &m, v), 0);
    ck_assert_str_eq(v, "unknown");
    ck_assert_int_eq(c_version(S, 100, "9P2000.L", &m, v), EINVAL);
    /* A new session forgets the old fids. */
    ck_assert_int_eq(c_attach(S, 7, 0, NULL), 0);
    ck_assert_int_eq(c_version(S, 65536, "9P2000.L", &m, v), 0);
    ck_assert_int_eq(c_clunk(S, 7), EBADF);
    ck_assert_int_eq(c_clunk(S, 0), EBADF);
}
END_TEST

/* Raw call with an explicit input length and output capacity. */
static size_t raw(struct p9_server *s, size_t inlen, size_t outcap)
{
    struct iovec in = { tb, inlen }, out = { rb, outcap };
    return p9_handle(s, &in, 1, &out, 1);
}

START_TEST(malformed_messages)
{
    struct R r;
    /* Fewer bytes than a header: the tag cannot be read -> NOTAG. */
    memcpy(tb, "\x03\x00\x00", 3);
    ck_assert_int_eq(decode_reply(&r, raw(S, 3, 100), 0, 0xffff), EPROTO);
    ck_assert_int_eq(decode_reply(&r, raw(S, 0, 100), 0, 0xffff), EPROTO);
    /* Size field larger than the buffer, smaller than a header. */
    struct T t = tbegin(Tclunk);
    p32(&t, 0);
    tend(&t);
    tb[0] = 200;
    ck_assert_int_eq(decode_reply(&r, raw(S, t.n, 100), Tclunk, TAG), EPROTO);
    tb[0] = 6;
    ck_assert_int_eq(decode_reply(&r, raw(S, t.n, 100), Tclunk, TAG), EPROTO);
    /* Trailing bytes after the last field. */
    t = tbegin(Tclunk);
    p32(&t, 0);
    p8(&t, 0);
    ck_assert_int_eq(rpc(S, &t, &r), EPROTO);
    /* Unknown and unsupported (legacy 9P2000 / auth) types. */
    uint8_t types[] = { 0, 1, 7, 101, Tauth, 112, 114, 124, 126, 200, 255 };
    for (size_t i = 0; i < sizeof(types); i++) {
        t = tbegin(types[i]);
        p32(&t, 0);
        tend(&t);
        ck_assert_int_eq(decode_reply(&r, raw(S, t.n, 100), types[i], TAG), EOPNOTSUPP);
    }
    /* A NUL byte inside a string. */
    t = tbegin(Tlcreate);
    p32(&t, 0);
    p16(&t, 3);
    p8(&t, 'a');
    p8(&t, 0);
    p8(&t, 'b');
    p32(&t, 0);
    p32(&t, 0644);
    p32(&t, 0);
    ck_assert_int_eq(rpc(S, &t, &r), EINVAL);
    /* A message bigger than the negotiated msize. */
    uint32_t m;
    char v[64];
    ck_assert_int_eq(c_version(S, 8192, "9P2000.L", &m, v), 0);
    ck_assert_int_eq(c_attach(S, 0, 0, NULL), 0);
    ck_assert_int_eq(c_lcreate(S, 0, "f", 2, 0644, 0), 0);
    char big[9000] = { 0 };
    ck_assert_int_eq(c_write(S, 0, 0, big, sizeof(big)), -EPROTO);
    ck_assert_int_eq(c_write(S, 0, 0, big, 8000), 8000);
    /* Output buffers: too small for anything -> 0; just an Rlerror fits. */
    t = tbegin(Tclunk);
    p32(&t, 12345);
    tend(&t);
    ck_assert_uint_eq(raw(S, t.n, 10), 0);
    ck_assert_int_eq(decode_reply(&r, raw(S, t.n, 11), Tclunk, TAG), EBADF);
    /* A reply that does not fit becomes Rlerror(EMSGSIZE). */
    t = tbegin(Tgetattr);
    p32(&t, 0);
    p64(&t, 0x7ff);
    tend(&t);
    ck_assert_int_eq(decode_reply(&r, raw(S, t.n, 64), Tgetattr, TAG), EMSGSIZE);
    /* Write whose count disagrees with the data present. */
    t = tbegin(Twrite);
    p32(&t, 0);
    p64(&t, 0);
    p32(&t, 10);
    p8(&t, 'x');
    ck_assert_int_eq(rpc(S, &t, &r), EPROTO);
    /* Walk with more than 16 names. */
    const char *names[17];
    for (int i = 0; i < 17; i++)
        names[i] = "a";
    ck_assert_int_eq(c_walkv(S, 0, 1, 17, names, NULL), -EINVAL);
}
END_TEST

/* One valid instance of every supported message. */
static struct T build(int i)
{
    struct T t;
    switch (i) {
    case 0: t = tbegin(Tversion); p32(&t, 65536); pstr(&t, "9P2000.L"); break;
    case 1: t = tbegin(Tattach); p32(&t, 50); p32(&t, NOFID); pstr(&t, "u"); pstr(&t, ""); p32(&t, 0); break;
    case 2: t = tbegin(Tflush); p16(&t, 7); break;
    case 3: t = tbegin(Twalk); p32(&t, 0); p32(&t, 51); p16(&t, 2); pstr(&t, "d"); pstr(&t, "f"); break;
    case 4: t = tbegin(Tclunk); p32(&t, 99); break;
    case 5: t = tbegin(Tremove); p32(&t, 99); break;
    case 6: t = tbegin(Tlopen); p32(&t, 99); p32(&t, 0); break;
    case 7: t = tbegin(Tlcreate); p32(&t, 0); pstr(&t, "x"); p32(&t, 0); p32(&t, 0644); p32(&t, 0); break;
    case 8: t = tbegin(Tread); p32(&t, 99); p64(&t, 0); p32(&t, 10); break;
    case 9: t = tbegin(Twrite); p32(&t, 99); p64(&t, 0); p32(&t, 3); p8(&t, 'a'); p8(&t, 'b'); p8(&t, 'c'); break;
    case 10: t = tbegin(Treaddir); p32(&t, 99); p64(&t, 0); p32(&t, 100); break;
    case 11: t = tbegin(Tfsync); p32(&t, 99); p32(&t, 0); break;
    case 12: t = tbegin(Tgetattr); p32(&t, 0); p64(&t, 0x7ff); break;
    case 13: t = tbegin(Tsetattr); p32(&t, 99); for (int k = 0; k < 4; k++) p32(&t, 0); for (int k = 0; k < 5; k++) p64(&t, 0); break;
    case 14: t = tbegin(Treadlink); p32(&t, 99); break;
    case 15: t = tbegin(Tstatfs); p32(&t, 0); break;
    case 16: t = tbegin(Tmkdir); p32(&t, 0); pstr(&t, "d2"); p32(&t, 0755); p32(&t, 0); break;
    case 17: t = tbegin(Tsymlink); p32(&t, 0); pstr(&t, "l"); pstr(&t, "t"); p32(&t, 0); break;
    case 18: t = tbegin(Tmknod); p32(&t, 0); pstr(&t, "n"); p32(&t, 0100644); p32(&t, 0); p32(&t, 0); p32(&t, 0); break;
    case 19: t = tbegin(Tlink); p32(&t, 0); p32(&t, 99); pstr(&t, "h"); break;
    case 20: t = tbegin(Trename); p32(&t, 99); p32(&t, 0); pstr(&t, "r"); break;
    case 21: t = tbegin(Trenameat); p32(&t, 0); pstr(&t, "a"); p32(&t, 0); pstr(&t, "b"); break;
    case 22: t = tbegin(Tunlinkat); p32(&t, 0); pstr(&t, "zz"); p32(&t, 0); break;
    case 23: t = tbegin(Tlock); p32(&t, 99); p8(&t, 0); p32(&t, 0); p64(&t, 0); p64(&t, 0); p32(&t, 1); pstr(&t, "c"); break;
    case 24: t = tbegin(Tgetlock); p32(&t, 99); p8(&t, 0); p64(&t, 0); p64(&t, 0); p32(&t, 1); pstr(&t, "c"); break;
    case 25: t = tbegin(Txattrwalk); p32(&t, 0); p32(&t, 60); pstr(&t, "user.x"); break;
    default: t = tbegin(Txattrcreate); p32(&t, 0); pstr(&t, "user.x"); p64(&t, 0); p32(&t, 0); break;
    }
    tend(&t);
    return t;
}
#define NBUILD 27

START_TEST(truncated_every_message)
{
    struct R r;
    mkdir(strcat(strcpy((char[512]){0}, dir), "/d"), 0755);
    for (int i = 0; i < NBUILD; i++) {
        struct T t = build(i);
        uint8_t type = tb[4];
        for (size_t cut = 7; cut < t.n; cut++) {
            t = build(i);
            /* size field says cut: the message ends early. */
            tb[0] = (uint8_t)cut;
            tb[1] = (uint8_t)(cut >> 8);
            ck_assert_msg(decode_reply(&r, raw(S, cut, BUFSZ), type, TAG) == EPROTO,
                          "type %d cut %zu", type, cut);
            /* size field intact but the buffer ends early. */
            t = build(i);
            ck_assert_msg(decode_reply(&r, raw(S, cut, BUFSZ), type, TAG) == EPROTO,
                          "type %d short buffer %zu", type, cut);
        }
        /* Nothing happened: the whole message is still valid (not EPROTO). */
        t = build(i);
        int e = decode_reply(&r, raw(S, t.n, BUFSZ), type, TAG);
        ck_assert_msg((e != EPROTO && e != EOPNOTSUPP) || type == Txattrwalk || type == Txattrcreate,
                      "type %d full message: %d", type, e);
        if (type == Tversion)
            ck_assert_int_eq(c_attach(S, 0, 0, NULL), 0);
    }
    /* The truncated creates did not create anything. */
    char p[512];
    hpath(p, "x");
    ck_assert_int_eq(access(p, F_OK), 0);   /* only by the full one */
}
END_TEST

START_TEST(scattered_buffers)
{
    ck_assert_int_eq(c_walk(S, 0, 1, "", NULL), 0);
    ck_assert_int_eq(c_lcreate(S, 1, "f", 2, 0644, 0), 0);
    static char data[3000], back[3000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)(i * 7 + 1);
    size_t chunks[] = { 1, 3, 7, 64 };
    for (size_t c = 0; c < 4; c++) {
        for (size_t len = 1000; len <= 3000; len += 2000) {
            struct T t = tbegin(Twrite);
            struct R r;
            p32(&t, 1);
            p64(&t, 0);
            p32(&t, (uint32_t)len);
            memcpy(tb + t.n, data, len);
            t.n += len;
            tend(&t);
            ck_assert_int_eq(rpc_n(S, t.n, chunks[c], &r), 0);
            ck_assert_uint_eq(g32(&r), len);
            t = tbegin(Tread);
            p32(&t, 1);
            p64(&t, 0);
            p32(&t, (uint32_t)len);
            tend(&t);
            ck_assert_int_eq(rpc_n(S, t.n, chunks[c], &r), 0);
            ck_assert_uint_eq(g32(&r), len);
            ck_assert_int_eq(memcmp(rb + r.pos, data, len), 0);
        }
    }
    char p[512];
    hpath(p, "f");
    int fd = open(p, O_RDONLY);
    ck_assert_int_eq(pread(fd, back, 3000, 0), 3000);
    close(fd);
    ck_assert_int_eq(memcmp(back, data, 3000), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("virtio_9p_wire");
    TCase *tc = tcase_create("wire");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, p9_fixture_setup, p9_fixture_teardown);
    tcase_add_test(tc, version_negotiation);
    tcase_add_test(tc, malformed_messages);
    tcase_add_test(tc, truncated_every_message);
    tcase_add_test(tc, scattered_buffers);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
