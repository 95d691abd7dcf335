# blk-ro: a read-only --disk refuses every write; the image is unchanged.
dd if=/dev/urandom of="$OUT/img" bs=1M count=2 2>/dev/null
before=$(sha256sum < "$OUT/img")
boot ro --initrd "$INITRD" --timeout 300 --disk "$OUT/img,ro"
expect_rc 0
expect_in console "RIG-GUEST ro=1"
[ "$(sha256sum < "$OUT/img")" = "$before" ] || bad "the read-only image changed"
addnote "guest saw every write refused"
