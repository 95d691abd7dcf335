# share-acpi: the stock kernel loads virtio/9p modules from its initrd, finds
# the virtio-mmio device through ACPI, and writes a tree into --share; after
# minivmm exits the host tree matches the guest's checksums byte for byte.
attempt() {
    rm -rf "$OUT/share" && mkdir -p "$OUT/share"
    boot share --initrd "$INITRD" --timeout 300 --virtio-discovery acpi --share "$OUT/share" --memory 512M
}
attempt
# OPEN BUG (docs/testing.md, "Known open problem"): in about 3 of 10 rig runs the
# L2 guest triple-faults during this case's 64 MiB of 9p writes.  Retried once,
# visibly; a second triple fault, or any other failure, fails the case.
if [ "$rc" = 126 ] && grep -q "triple-faulted" "$OUT/share.err"; then
    echo "RIG-LOG $CASE first attempt: the guest triple-faulted; retrying once"
    addnote "RETRIED after an L2 triple fault (open bug)"
    attempt
fi
expect_rc 0
S=$OUT/share
if [ -f "$S/guest.md5" ] && (cd "$S" && md5sum -c guest.md5 > "$OUT/md5.log" 2>&1); then
    addnote "$(wc -l < "$S/guest.md5") files match the guest's md5sums"
else
    bad "host files differ from the guest's checksums: $(grep -v ': OK' "$OUT/md5.log" 2>/dev/null | head -n 3 | tr '\n' ' ')"
fi
[ "$(stat -c %s "$S/big" 2>/dev/null)" = 67108864 ] || bad "big is not 64 MiB"
[ "$(stat -c %s "$S/several" 2>/dev/null)" = 5242880 ] || bad "several is not 5 MiB"
[ -f "$S/empty" ] && [ ! -s "$S/empty" ] || bad "empty file missing or not empty"
[ "$(readlink "$S/link")" = small ] || bad "symlink link -> small missing"
[ "$(readlink "$S/dirlink")" = d1/d2 ] || bad "symlink dirlink -> d1/d2 missing"
[ "$(cat "$S/d1/d2/d3/file" 2>/dev/null)" = nested ] || bad "nested file wrong"
[ -e "$S/before" ] && bad "renamed file still under its old name"
[ "$(cat "$S/after" 2>/dev/null)" = moved ] || bad "renamed file missing"
[ -e "$S/deleted" ] && bad "deleted file still there"
[ -e "$S/gonedir" ] && bad "removed directory still there"
[ "$(cat "$S/appended" 2>/dev/null | wc -l)" = 2 ] || bad "append lost a line"
