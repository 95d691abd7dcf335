# blk-crash: data the guest flushed before its kernel crashed is in the image.
dd if=/dev/zero of="$OUT/img" bs=1M count=4 2>/dev/null
boot crash --initrd "$INITRD" --timeout 300 --disk "$OUT/img"
expect_rc 126
expect_in err "guest crashed"
sum=$(sed -n 's/.*RIG-GUEST flushed \([0-9a-f]*\).*/\1/p' "$OUT/crash.console" | head -n 1)
[ -n "$sum" ] || bad "the guest printed no checksum"
img=$(dd if="$OUT/img" bs=1M count=3 2>/dev/null | sha256sum | cut -d' ' -f1)
[ "$img" = "$sum" ] || bad "image holds $img, the guest flushed $sum"
addnote "crash (126), flushed data intact"
