# share-cmdline: discovery by the kernel command line, with the custom kernel
# (virtio-mmio and 9p built in, CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES).
if [ ! -r /rig/custom-kernel ]; then
    bad "no custom kernel in L1 (tests/kernel/build-custom.sh did not run)"
else
    mkdir -p "$OUT/c"
    vmm cmdline boot --kernel /rig/custom-kernel --memory 256M --append quiet \
        --console "$OUT/cmdline.console" --initrd "$INITRD" --timeout 300 \
        --virtio-discovery cmdline --share "$OUT/c"
    expect_rc 0
    expect_in console "virtio_mmio.device=4K@0xd0000000:5"
    [ "$(cat "$OUT/c/hello" 2>/dev/null)" = "written through the command-line device" ] ||
        bad "file written by the guest is missing on the host"
    addnote "found through virtio_mmio.device="
fi
