# shellcheck shell=sh disable=SC2154  # rc, elapsed: set by lib.sh
# poweroff: the guest powers off without reporting: 127, promptly.
boot poweroff --initrd "$INITRD" --timeout 120
# Promptly: the VM must end when the guest does, not at the --timeout.
expect_elapsed_le 110
expect_rc 127
expect_in console RIG-POWEROFF-BEFORE
addnote "exit 127 after ${elapsed}s"
