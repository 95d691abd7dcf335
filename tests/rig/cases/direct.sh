# shellcheck shell=sh disable=SC2154  # rc, last: set by lib.sh
# direct: both kernels take the direct boot path (the bzImage's payload
# unpacked on the host, entered without the decompressor: docs/boot.md), as
# they do by default, with --cpus 2 and a 9p share, and report their status:
# the stock kernel finds the share through ACPI, the custom one through the
# command line.  Each boot's timing JSON must name the direct path, with no
# fallback line on stderr; the second stock boot uses the kernel cache.
direct_boot() {    # LABEL KERNEL DISCOVERY
    rm -rf "$OUT/$1.share" && mkdir -p "$OUT/$1.share"
    vmm "$1" boot --kernel "$2" --memory 256M --append quiet --cpus 2 \
        --console "$OUT/$1.console" --initrd "$INITRD" --timeout 300 --timing=json \
        --virtio-discovery "$3" --share "$OUT/$1.share"
    expect_rc 2
    expect_in err '"boot_path": "direct"'
    grep -q "own decompressor" "$OUT/$1.err" && bad "$1: fell back to the bzImage path: $(grep "own decompressor" "$OUT/$1.err")"
    [ "$(head -n 1 "$OUT/$1.share/seen" 2>/dev/null)" = cpus=2 ] ||
        bad "$1: the guest's file in the share is missing or wrong"
}
direct_boot stock "$KERNEL" acpi
direct_boot stock-again "$KERNEL" acpi
if [ -r /rig/custom-kernel ]; then
    direct_boot custom /rig/custom-kernel cmdline
else
    bad "no custom kernel in L1 (tests/kernel/build-custom.sh did not run)"
fi
addnote "stock twice and custom: direct path, 2 CPUs, share written"
