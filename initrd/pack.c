/* `minivmm pack`: build an initrd archive from host paths. */
#include "initrd/cpio.h"
#include "initrd/lkptree.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PACK_USAGE "usage: minivmm pack [--compress gzip|none] [--reproducible] [--lkp-src DIR] -o OUT PATH..."

#define PACK_HELP \
"Packs each PATH (a directory's contents, or a file) into a cpio archive OUT.\n" \
"  -o, --output OUT      a new path or an existing regular file, replaced whole\n" \
"                        (written beside it, then renamed over it)\n" \
"  --compress gzip|none  default gzip\n" \
"  --reproducible        mtime 0 and owner 0 for every entry\n" \
"  --lkp-src DIR         also an lkp-tests tree as /lkp/lkp/src, as `minivmm run\n" \
"                        --lkp-src` packs it (entries starting with '.' left out);\n" \
"                        PATH may then be left out\n" \
"  --help, --version\n"

static int pack_fail(const char *msg, const char *arg)
{
    fprintf(stderr, "minivmm pack: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    return 255;
}

/* SIGINT, SIGTERM, SIGHUP: the output only ever appears by rename() at the
 * end, so removing the temporary file leaves nothing behind; exit 128+N. */
static void on_signal(int sig)
{
    cpio_remove_temp();
    static const char msg[] = "minivmm pack: interrupted; nothing written\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
    (void)w;
    _exit(128 + sig);
}

int initrd_pack_main(int argc, char **argv)
{
    struct cpio_opts o = { .compress = CPIO_COMPRESS_GZIP };
    const char *out = NULL, *lkp = NULL;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if (a[0] != '-' || !a[1])
            break;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("%s\n%s", PACK_USAGE, PACK_HELP);
            return 0;
        }
        if (!strcmp(a, "--version")) {
            printf("minivmm %s\n", MINIVMM_VERSION);
            return 0;
        }
        if (!strcmp(a, "--reproducible")) {
            o.reproducible = true;
            continue;
        }
        if (!strcmp(a, "-o") || !strcmp(a, "--output") || !strcmp(a, "--compress") ||
            !strcmp(a, "--lkp-src")) {
            if (i + 1 >= argc)
                return pack_fail("option needs a value", a);
            val = argv[++i];
        } else if (!strncmp(a, "--output=", 9)) {
            val = a + 9;
            a = "--output";
        } else if (!strncmp(a, "--lkp-src=", 10)) {
            val = a + 10;
            a = "--lkp-src";
        } else if (!strncmp(a, "--compress=", 11)) {
            val = a + 11;
            a = "--compress";
        } else if (!strncmp(a, "-o", 2)) {
            val = a + 2;
            a = "-o";
        } else {
            return pack_fail("unknown option (" PACK_USAGE ")", a);
        }
        if (!strcmp(a, "--lkp-src")) {
            struct stat ls;
            char why[PATH_MAX + 64];
            int e = stat(val, &ls) < 0 ? errno : 0;
            if (e || !S_ISDIR(ls.st_mode)) {
                snprintf(why, sizeof(why), "--lkp-src %s: %s", val,
                         e ? strerror(e) : "not a directory");
                return pack_fail(why, NULL);
            }
            lkp = val;
        } else if (!strcmp(a, "--compress")) {
            if (!strcmp(val, "gzip"))
                o.compress = CPIO_COMPRESS_GZIP;
            else if (!strcmp(val, "none"))
                o.compress = CPIO_COMPRESS_NONE;
            else
                return pack_fail("unknown compression (want gzip or none)", val);
        } else {
            if (!*val)
                return pack_fail("empty output path", NULL);
            out = val;
        }
    }
    if (!out)
        return pack_fail("missing -o OUT (" PACK_USAGE ")", NULL);
    if (i >= argc && !lkp)
        return pack_fail("no input PATH (" PACK_USAGE ")", NULL);
    /* OUT is replaced by rename: only ever a regular file (or a new name),
     * never a device node, FIFO, directory or symbolic link. */
    struct stat st;
    if (lstat(out, &st) == 0 && !S_ISREG(st.st_mode)) {
        fprintf(stderr, "minivmm pack: -o %s is a %s, not a regular file: it is left alone "
                "(give a regular file or a new path)\n", out,
                S_ISDIR(st.st_mode) ? "directory" : S_ISLNK(st.st_mode) ? "symbolic link" :
                S_ISFIFO(st.st_mode) ? "FIFO" : S_ISCHR(st.st_mode) ? "character device" :
                S_ISBLK(st.st_mode) ? "block device" : "socket");
        return 255;
    }
    if (lstat(out, &st) < 0 && errno != ENOENT) {
        fprintf(stderr, "minivmm pack: -o %s: %s\n", out, strerror(errno));
        return 255;
    }

    struct sigaction sa = { .sa_handler = on_signal };
    sigfillset(&sa.sa_mask);
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    for (int k = 0; k < 3; k++) {
        struct sigaction old;     /* an ignored signal (nohup) stays ignored */
        if (sigaction(sigs[k], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(sigs[k], &sa, NULL);
    }
    struct cpio_builder *b = cpio_builder_new();
    if (!b)
        return pack_fail("out of memory", NULL);
    int rc = 0;
    char err[512];
    for (; i < argc && !rc; i++)
        if (cpio_add_host(b, argv[i], "") < 0)
            rc = pack_fail(cpio_error(b), NULL);
    if (!rc && lkp && initrd_add_lkp_tree(b, lkp, INITRD_LKP_SRC_DEST, err, sizeof(err)) < 0)
        rc = pack_fail(err, NULL);
    if (!rc && cpio_write_file(b, out, &o) < 0)
        rc = pack_fail(cpio_error(b), NULL);
    cpio_builder_free(b);
    return rc;
}
