#!/bin/sh
# A /dev/kvm that cannot boot Linux (a software hypervisor: no VMX/SVM, like
# the development and CI machines) must be a host error (255) found early,
# with one line pointing at the nested rig, so that `git bisect run` aborts
# instead of blaming the commit; tiny guests must keep booting there.
# usage: tests/direct/host.sh MINIVMM TINYGUEST   (MINIVMM_TEST_KERNEL: a Debian kernel)
set -u
. "$(dirname "$0")/lib"
top=$(cd "$(dirname "$0")/../.." && pwd)
# set_version FILE TEXT: overwrite the start of the image's kernel_version
# string (setup header 0x20e points at it, relative to 0x200).
set_version() {
    off=$(od -An -tu2 -j 526 -N 2 "$1" | tr -d ' ')
    printf '%s' "$2" | dd of="$1" bs=1 seek=$((512 + off)) conv=notrunc 2>/dev/null
}

if grep -qw -e vmx -e svm /proc/cpuinfo; then
    echo "host: this host has VMX/SVM: checking that the Linux boot is allowed"
    hw=1
else
    hw=0
fi
KERNEL=${MINIVMM_TEST_KERNEL:-}
if [ -z "$KERNEL" ] || [ ! -r "$KERNEL" ]; then
    bad "Debian kernel present" "MINIVMM_TEST_KERNEL unset or unreadable (run tests/deps.sh)"
    finish host
fi

# The README's first command: `minivmm run examples/pass.yaml`, from the tree.
cd "$top" || exit 1
export XDG_CACHE_HOME="$T/cache"
timeout 30 "$VMM" run examples/pass.yaml --kernel "$KERNEL" --result-root "$T/res" \
    >"$T/out" 2>"$T/err"; rc=$?
if [ "$hw" -eq 1 ]; then
    expect_rc "run examples/pass.yaml passes on a VMX/SVM host" 0
else
    expect_rc "run examples/pass.yaml on a software /dev/kvm is a host error (255), within 30 s" 255
    has "the reason is named" "$T/err" "this host's /dev/kvm cannot boot Linux"
    has "the rig is pointed at" "$T/err" "nested rig"
    [ "$(grep -c . "$T/err")" -eq 1 ] && ok "one line on stderr" || bad "one line on stderr" "$(cat "$T/err")"
    [ ! -e "$T/res" ] && [ ! -e "$T/cache" ] && ok "nothing packed or written before the refusal" ||
        bad "nothing written" "$(ls -R "$T/res" "$T/cache" 2>&1 | head -5)"
    "$VMM" boot --kernel "$KERNEL" --timeout 30 >"$T/out" 2>"$T/err"; rc=$?
    expect_rc "boot of a Linux kernel on a software /dev/kvm is 255" 255
    has "boot names the reason too" "$T/err" "cannot boot Linux"
fi

# The check reads the image: a tiny guest posing as Linux is refused, and
# MINIVMM_HOST_CHECK=0 boots it anyway; the real tiny guest always boots.
cp "$GUEST" "$T/posing"
set_version "$T/posing" "6.1.0-posing"
"$VMM" boot --kernel "$T/posing" --timeout 10 --append action=status:9 >"$T/out" 2>"$T/err"; rc=$?
if [ "$hw" -eq 1 ]; then expect_rc "a Linux-looking image boots on VMX/SVM" 9
else expect_rc "a Linux-looking image is refused on a software /dev/kvm" 255; fi
MINIVMM_HOST_CHECK=0 "$VMM" boot --kernel "$T/posing" --timeout 10 --append action=status:9 \
    >"$T/out" 2>"$T/err"; rc=$?
expect_rc "MINIVMM_HOST_CHECK=0 boots it anyway" 9
"$VMM" boot --kernel "$GUEST" --timeout 10 --append action=status:4 >"$T/out" 2>"$T/err"; rc=$?
expect_rc "the tiny guest boots" 4

# Behaviour: a Linux kernel whose version string hides what it is gets past
# the image check; on a software /dev/kvm it then never does any I/O (it is
# stuck in the host's emulator) and must still end as a host error.
if [ "$hw" -eq 0 ]; then
    cp "$KERNEL" "$T/hidden"
    set_version "$T/hidden" "x"
    # Through its decompressor it never does any I/O at all...
    timeout 60 "$VMM" boot --kernel "$T/hidden" --boot-path bzimage --timeout 45 >"$T/out" 2>"$T/err"; rc=$?
    expect_rc "a guest stuck in the host's emulator is a host error (255), not a timeout" 255
    has "the stuck guest is explained" "$T/err" "stuck in the host's instruction emulator"
    # ...entered directly it gets further and meets an instruction the host
    # cannot emulate: a host error too, explained the same way.
    timeout 60 "$VMM" boot --kernel "$T/hidden" --timeout 45 >"$T/out" 2>"$T/err"; rc=$?
    expect_rc "direct boot on a software /dev/kvm is a host error (255) too" 255
    has "... and explained" "$T/err" "this host's /dev/kvm cannot run this guest"
fi

finish host
