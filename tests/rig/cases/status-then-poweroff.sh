# status-then-poweroff: the guest reports 3, then powers off: exit 3.
boot stp --initrd "$INITRD" --timeout 120
expect_rc 3
addnote "exit 3"
