# blk-discard: blkdiscard in the guest punches holes in the image file: its
# allocated size shrinks (the apparent size stays).
dd if=/dev/zero of="$OUT/img" bs=1M count=16 2>/dev/null
sync
before=$(stat -c %b "$OUT/img")
boot discard --initrd "$INITRD" --timeout 300 --disk "$OUT/img"
expect_rc 0
expect_in console "RIG-GUEST discarded"
after=$(stat -c %b "$OUT/img")
[ "$after" -lt "$((before / 4))" ] || bad "allocated blocks $before -> $after, want under a quarter"
[ "$(stat -c %s "$OUT/img")" = 16777216 ] || bad "image size changed"
addnote "allocated blocks $before -> $after"
