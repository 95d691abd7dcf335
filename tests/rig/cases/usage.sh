# usage: command-line mistakes end with 255 and a one-line error, no guest run.
vmm nokernel boot --timeout 30
expect_rc 255
expect_one_line_err
vmm badopt boot --kernel "$KERNEL" --no-such-option --timeout 30
expect_rc 255
expect_one_line_err
