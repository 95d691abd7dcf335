# shellcheck shell=sh disable=SC2154  # rc, elapsed: set by lib.sh
# reboot: the guest reboots without reporting: 127, promptly (no second boot).
boot reboot --initrd "$INITRD" --timeout 120
# Promptly: the VM must end when the guest does, not at the --timeout.
expect_elapsed_le 110
expect_rc 127
expect_in console RIG-REBOOT-BEFORE
addnote "exit 127 after ${elapsed}s"
