# shellcheck shell=sh disable=SC2154  # rc, elapsed: set by lib.sh
# smp: --cpus 2; the guest reports how many CPUs /proc/cpuinfo lists.
boot smp --initrd "$INITRD" --cpus 2 --timeout 120
expect_rc 2
addnote "guest saw $rc CPUs"
