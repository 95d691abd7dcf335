/* Telling hardware KVM from a software hypervisor (see kvmhost.h). */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vmm/kvmhost.h"

static bool has_word(const char *s, size_t len, const char *w)
{
    size_t wl = strlen(w);
    for (size_t i = 0; i + wl <= len; i++)
        if ((i == 0 || isspace((unsigned char)s[i - 1])) && !memcmp(s + i, w, wl) &&
            (i + wl == len || isspace((unsigned char)s[i + wl])))
            return true;
    return false;
}

bool kvm_host_flags_hw(const char *cpuinfo)
{
    for (const char *l = cpuinfo; l && *l;) {
        const char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);
        const char *colon = memchr(l, ':', len);
        if (colon && len >= 5 && !strncmp(l, "flags", 5)) {
            size_t off = (size_t)(colon + 1 - l);
            if (has_word(colon + 1, len - off, "vmx") || has_word(colon + 1, len - off, "svm"))
                return true;
        }
        l = nl ? nl + 1 : NULL;
    }
    return false;
}

bool kvm_host_is_hw(char *why, size_t len)
{
    static char buf[1 << 16];            /* the first CPUs' lines are enough */
    int fd = open("/proc/cpuinfo", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
    if (fd >= 0)
        close(fd);
    if (n <= 0) {
        /* Cannot tell: do not refuse a boot on a guess. */
        return true;
    }
    buf[n] = 0;
    if (kvm_host_flags_hw(buf))
        return true;
    snprintf(why, len, "it is a software hypervisor (no VMX/SVM in /proc/cpuinfo%s)",
             access("/sys/module/kvm_pvm", F_OK) == 0 ? "; kvm_pvm loaded" : "");
    return false;
}

bool kvm_host_image_is_linux(const struct bz_info *bz)
{
    return isdigit((unsigned char)bz->version[0]) != 0;
}

static bool check_off(void)
{
    const char *e = getenv("MINIVMM_HOST_CHECK");
    return e && !strcmp(e, "0");
}

int kvm_host_check(const char *prefix, const struct bz_info *bz)
{
    char why[160];
    if (check_off() || !kvm_host_image_is_linux(bz) || kvm_host_is_hw(why, sizeof(why)))
        return 0;
    fprintf(stderr, "%sthis host's /dev/kvm cannot boot Linux %s: %s; " KVM_HOST_RIG_HINT "\n",
            prefix, bz->version, why);
    return -1;
}

bool kvm_host_watch_stuck(char *why, size_t len)
{
    return !check_off() && !kvm_host_is_hw(why, len);
}
