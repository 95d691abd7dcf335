/* The lkp tree for the guest: initrd/lkptree.h. */
#include "initrd/lkptree.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "initrd/cpio.h"
#include "initrd/hostwalk.h"

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int initrd_add_lkp_tree(struct cpio_builder *b, const char *dir, const char *dest, char *err,
                        size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d)
        return initrd_errf(err, errlen, "%s: %s", dir, strerror(errno));
    char **v = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **nv = realloc(v, (cap = cap ? 2 * cap : 64) * sizeof *v);
            if (!nv) {
                rc = initrd_errf(err, errlen, "%s: out of memory", dir);
                break;
            }
            v = nv;
        }
        if (!(v[n] = strdup(e->d_name)))
            rc = initrd_errf(err, errlen, "%s: out of memory", dir);
        else
            n++;
    }
    closedir(d);
    if (!rc && n)
        qsort(v, n, sizeof *v, cmp);
    for (size_t i = 0; i < n && !rc; i++) {
        char src[PATH_MAX], dst[PATH_MAX];
        if (snprintf(src, sizeof src, "%s/%s", dir, v[i]) >= (int)sizeof src ||
            snprintf(dst, sizeof dst, "%s/%s", dest, v[i]) >= (int)sizeof dst)
            rc = initrd_errf(err, errlen, "%s/%s: path too long", dir, v[i]);
        else if (cpio_add_host(b, src, dst) < 0)
            rc = initrd_errf(err, errlen, "%s", cpio_error(b));
    }
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
    return rc;
}
