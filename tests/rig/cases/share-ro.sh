# share-ro: a read-only share refuses every change from the guest.
mkdir -p "$OUT/ro"
echo keep > "$OUT/ro/keep"
tree() { (cd "$OUT/ro" && find . | sort | xargs stat -c '%n %s %Y %a %h' | md5sum); }
before=$(tree)
boot ro --initrd "$INITRD" --timeout 300 --share "$OUT/ro,ro"
expect_rc 0
[ "$(tree)" = "$before" ] || bad "the read-only directory changed"
[ "$(cat "$OUT/ro/keep")" = keep ] || bad "keep changed"
addnote "guest saw every write refused"
