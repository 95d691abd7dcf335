/* What this host's /dev/kvm can run.  Hardware virtualization (VMX or SVM
 * in the CPU flags) runs any guest; a software hypervisor (such as kvm_pvm,
 * on machines with no VMX/SVM) runs small guests but not an unmodified
 * Linux, which it emulates instruction by instruction and never finishes
 * booting.  minivmm refuses such a boot up front (status 255, a host
 * problem: `git bisect run` aborts rather than blaming the commit). */
#ifndef VMM_KVMHOST_H
#define VMM_KVMHOST_H
#include <stdbool.h>
#include <stddef.h>
#include "boot/bzimage.h"

/* The pointer given with every refusal. */
#define KVM_HOST_RIG_HINT "run it in the nested rig instead (tests/try JOB.yaml in a minivmm " \
    "checkout; README: \"Hosts whose /dev/kvm cannot boot Linux\"); MINIVMM_HOST_CHECK=0 " \
    "boots anyway"

/* Seconds a guest may run on a software hypervisor without a single port
 * or MMIO access before minivmm calls it stuck in the host's emulator. */
#define KVM_HOST_STUCK_S 15
#define KVM_HOST_STUCK_STR "15"

/* From the text of /proc/cpuinfo: true when a "flags" line has vmx or svm. */
bool kvm_host_flags_hw(const char *cpuinfo);
/* True when this host's /dev/kvm is hardware virtualization; otherwise
 * what describes it goes to why ("no VMX/SVM in /proc/cpuinfo; kvm_pvm"). */
bool kvm_host_is_hw(char *why, size_t len);
/* True when the image is an unmodified Linux kernel (its version string
 * starts with a release number, "6.1.0-28-amd64 ..."). */
bool kvm_host_image_is_linux(const struct bz_info *bz);
/* 0 when the image may boot here.  Else prints one line (prefix, then why)
 * and returns -1.  MINIVMM_HOST_CHECK=0 in the environment skips the check. */
int kvm_host_check(const char *prefix, const struct bz_info *bz);
/* True on a software hypervisor (what it is goes to why), unless
 * MINIVMM_HOST_CHECK=0.  Call before the sandbox: it reads /proc and /sys. */
bool kvm_host_watch_stuck(char *why, size_t len);
#endif
