/* The fixture of the 9P server tests: an export in a new temporary
 * directory `dir`, served read-write and attached (fid 0) by S.  Include
 * after virtio_9p_client.h. */
#ifndef VIRTIO_9P_FIXTURE_H
#define VIRTIO_9P_FIXTURE_H

static char dir[256];
static struct p9_server *S;

/* buf (512 bytes) = dir/rel */
__attribute__((unused)) static void hpath(char *buf, const char *rel)
{
    snprintf(buf, 512, "%s/%s", dir, rel);
}

static void p9_fixture_setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/p9test.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    S = c_start(dir, false);
}

static void p9_fixture_teardown(void)
{
    p9_server_free(S);
    S = NULL;
    rm_rf(dir);
}
#endif
