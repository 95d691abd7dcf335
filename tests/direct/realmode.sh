#!/bin/sh
# The tiny guest's 16-bit real-mode entry (tests/guest/setup16.S): QEMU
# (-M microvm -kernel, the classic bzImage way: the setup entered in real
# mode at its offset 0x200) boots the same image minivmm boots, and the
# guest reports its status through isa-debug-exit at minivmm's exit port
# 0x604 (QEMU exits with status * 2 + 1).  bench/host relies on this.  minivmm
# still enters the image at its 64-bit entry.  Without QEMU the test fails:
# tests/deps.sh installs qemu-system-x86, and a skipped test is not a pass.
# usage: tests/direct/realmode.sh MINIVMM TINYGUEST
set -u
. "$(dirname "$0")/lib"
needs_kvm realmode
QEMU=${QEMU:-qemu-system-x86_64}
if ! command -v "$QEMU" >/dev/null 2>&1; then
    bad realmode "QEMU ($QEMU) not found: install qemu-system-x86 (tests/deps.sh does)"
    finish realmode
fi
qboot() { # APPEND: QEMU microvm boots the tiny guest; sets $rc, $T/out, $T/err
    timeout 30 "$QEMU" -M microvm -accel kvm -cpu host -nodefaults -no-user-config \
        -display none -m 256M -smp 1 -no-reboot -serial stdio \
        -device isa-debug-exit,iobase=0x604,iosize=1 -kernel "$GUEST" -append "$1" \
        </dev/null >"$T/out" 2>"$T/err"; rc=$?
}

qboot "action=status:5"
expect_rc "QEMU boots the tiny guest; status 5 comes back as 5 * 2 + 1" 11
has "... entered through the real-mode entry" "$T/out" "tinyguest: entry=real-mode"
has "... with QEMU's setup header as its zero page" "$T/out" "header=HdrS loader=0xb0"
has "... and QEMU's command line" "$T/out" "cmdline=[action=status:5]"
has "... and the guest's own report of its status" "$T/out" "tinyguest: status 5"
qboot "action=status:0"
expect_rc "status 0 under QEMU is 1" 1
qboot "bench=1 action=status:3"
expect_rc "bench=1 reports its status too" 7
has "... after the TSC of its first (real-mode) instruction" "$T/out" "tinyguest: bench entry=real-mode tsc="
has "... and the TSC just before its exit write" "$T/out" "tinyguest: bench end tsc="

"$VMM" boot --kernel "$GUEST" --timeout 10 --append "action=status:4" >"$T/out" 2>"$T/err"; rc=$?
expect_rc "minivmm boots the same image" 4
if grep -q "entry=real-mode" "$T/out"; then bad "... through its 64-bit entry" "$(head -c 300 "$T/out")"
else ok "... through its 64-bit entry"; fi
"$VMM" boot --kernel "$GUEST" --timeout 10 --append "bench=1" >"$T/out" 2>"$T/err"; rc=$?
expect_rc "minivmm with bench=1" 0
has "... names the 64-bit entry" "$T/out" "tinyguest: bench entry=64-bit tsc="
finish realmode
