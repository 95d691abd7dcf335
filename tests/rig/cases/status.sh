# status: the guest reports 7 (and then sleeps): minivmm exits 7.
boot status --initrd "$INITRD" --timeout 120
expect_rc 7
expect_in console RIG-STATUS-BEFORE-REPORT
addnote "exit 7"
