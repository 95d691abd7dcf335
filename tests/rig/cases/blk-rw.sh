# blk-rw: the guest reads what the host wrote on --disk and writes its own
# bytes; after minivmm exits the image holds them (sha256 both ways).
dd if=/dev/urandom of="$OUT/img" bs=1M count=1 2>/dev/null
dd if=/dev/zero of="$OUT/img" bs=1M seek=1 count=7 2>/dev/null
host=$(dd if="$OUT/img" bs=1M count=1 2>/dev/null | sha256sum | cut -d' ' -f1)
boot rw --initrd "$INITRD" --timeout 300 --disk "$OUT/img"
expect_rc 0
expect_in console "RIG-GUEST size 8388608"
expect_in console "RIG-GUEST host $host"
mine=$(sed -n 's/.*RIG-GUEST wrote \([0-9a-f]*\).*/\1/p' "$OUT/rw.console" | head -n 1)
[ -n "$mine" ] || bad "the guest printed no checksum of its write"
img=$(dd if="$OUT/img" bs=1M skip=4 count=1 2>/dev/null | sha256sum | cut -d' ' -f1)
[ "$img" = "$mine" ] || bad "image at 4 MiB: $img, guest wrote $mine"
[ "$(stat -c %s "$OUT/img")" = 8388608 ] || bad "image size changed"
addnote "guest read the host's bytes, image holds the guest's"
