# shellcheck shell=sh disable=SC2154  # rc, elapsed: set by lib.sh
# hang: the guest prints a marker and sleeps forever; --timeout ends it with
# 124, no earlier than the timeout and within a margin, and the console file
# keeps what the guest printed.  The timeout must outlast the guest's boot,
# which under TCG takes 25-40 s (more on a busy host), so it is twice the
# hello case's boot time (60 s if hello did not run), and never below 20 s.
t=60
if [ -r /tmp/rig-boot-seconds ]; then
    b=$(cat /tmp/rig-boot-seconds)
    t=$((2 * ${b%.*} + 2))
    [ "$t" -ge 20 ] || t=20
fi
boot hang --initrd "$INITRD" --timeout "$t"
expect_rc 124
expect_elapsed_ge "$t"
expect_elapsed_le $((t + 20))
expect_in console RIG-HANG-3f7c21
addnote "exit 124 after ${elapsed}s (timeout $t)"
