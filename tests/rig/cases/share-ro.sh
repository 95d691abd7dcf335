# share-ro: a read-only share refuses every change from the guest.
mkdir -p "$OUT/ro"
echo keep > "$OUT/ro/keep"
before=$(ls -la "$OUT/ro" | md5sum)
boot ro --initrd "$INITRD" --timeout 300 --share "$OUT/ro,ro"
expect_rc 0
[ "$(ls -la "$OUT/ro" | md5sum)" = "$before" ] || bad "the read-only directory changed"
[ "$(cat "$OUT/ro/keep")" = keep ] || bad "keep changed"
addnote "guest saw every write refused"
