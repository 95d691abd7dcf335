# share-both: the default discovery (ACPI and command line at once) with a
# kernel that understands both: the ACPI device serves, and the command-line
# copy of it only logs "can't request region"; the share works.
if [ ! -r /rig/custom-kernel ]; then
    bad "no custom kernel in L1 (tests/kernel/build-custom.sh did not run)"
else
    mkdir -p "$OUT/c"
    vmm both boot --kernel /rig/custom-kernel --memory 256M --append quiet \
        --console "$OUT/both.console" --initrd "$GUESTS/share-cmdline.cgz" --timeout 300 \
        --share "$OUT/c"
    expect_rc 0
    [ "$(cat "$OUT/c/hello" 2>/dev/null)" = "written through the command-line device" ] ||
        bad "file written by the guest is missing on the host"
    addnote "ACPI and command line together"
fi
