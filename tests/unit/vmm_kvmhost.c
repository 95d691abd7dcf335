/* kvmhost: telling a /dev/kvm that can boot Linux (VMX/SVM in the CPU flags)
 * from a software hypervisor, and a Linux image from the project's tiny
 * test guest. */
#include <string.h>

#include "tests/unit/testutil.h"
#include "vmm/kvmhost.h"

START_TEST(vmx_or_svm_in_flags_is_hardware)
{
    ck_assert(kvm_host_flags_hw("processor\t: 0\nflags\t\t: fpu vme vmx sse\n"));
    ck_assert(kvm_host_flags_hw("processor\t: 0\nflags\t\t: fpu svm\nbugs\t\t: x\n"));
    ck_assert(kvm_host_flags_hw("flags\t\t: vmx"));              /* last word, no newline */
    ck_assert(kvm_host_flags_hw("flags\t: a\nflags\t: svm b\n"));   /* a later CPU */
}
END_TEST

START_TEST(no_vmx_or_svm_is_software)
{
    /* The development machines: a hypervisor flag, no vmx/svm. */
    ck_assert(!kvm_host_flags_hw("processor\t: 0\nflags\t\t: fpu sse2 hypervisor lm\n"));
    ck_assert(!kvm_host_flags_hw("flags\t\t: vmxx svm_lock svmx avx\n"));   /* whole words only */
    ck_assert(!kvm_host_flags_hw("vmx flags\t: vnmi preemption_timer\nflags\t: fpu\n"));
    ck_assert(!kvm_host_flags_hw("model name\t: svm vmx\n"));    /* not the flags line */
    ck_assert(!kvm_host_flags_hw(""));
}
END_TEST

START_TEST(linux_images_are_told_by_their_version)
{
    struct bz_info bz;
    memset(&bz, 0, sizeof(bz));
    strcpy(bz.version, "6.1.0-57-amd64");
    ck_assert(kvm_host_image_is_linux(&bz));
    strcpy(bz.version, "tinyguest-1.0");
    ck_assert(!kvm_host_image_is_linux(&bz));
    bz.version[0] = 0;
    ck_assert(!kvm_host_image_is_linux(&bz));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("vmm_kvmhost");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, vmx_or_svm_in_flags_is_hardware);
    tcase_add_test(tc, no_vmx_or_svm_is_software);
    tcase_add_test(tc, linux_images_are_told_by_their_version);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
