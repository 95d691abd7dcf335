# shellcheck shell=sh disable=SC2154  # rc, elapsed: set by lib.sh
# panic: init exits, the kernel panics ("Attempted to kill init"): exit 126.
boot panic --initrd "$INITRD" --timeout 120
# Promptly: the VM must end when the guest does, not at the --timeout.
expect_elapsed_le 110
expect_rc 126
expect_in console RIG-PANIC-BEFORE-EXIT
addnote "exit 126 after ${elapsed}s"
