# share-crash: results written and synced before a kernel crash survive on the host.
mkdir -p "$OUT/res"
boot crash --initrd "$INITRD" --timeout 300 --share "$OUT/res"
expect_rc 126
[ "$(stat -c %s "$OUT/res/result" 2>/dev/null)" = 3145728 ] || bad "result is not 3 MiB on the host"
[ "$(md5sum < "$OUT/res/result" | cut -d' ' -f1)" = "$(cat "$OUT/res/result.md5" 2>/dev/null)" ] ||
    bad "result differs from the guest's checksum"
expect_in err "guest crashed"
addnote "crash (126), synced result intact"
