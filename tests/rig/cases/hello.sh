# shellcheck shell=sh disable=SC2154  # rc, elapsed: set by lib.sh
# hello: the guest prints a marker and reports 0; the marker reaches both
# stdout and the --console file.
boot hello --initrd "$INITRD" --timeout 120
expect_rc 0
expect_in out RIG-HELLO-5b1e93
expect_in console RIG-HELLO-5b1e93
addnote "exit 0, marker on stdout and console file"
# The hang case sizes its --timeout from this boot time.
[ "$rc" = 0 ] && echo "$elapsed" > /tmp/rig-boot-seconds
