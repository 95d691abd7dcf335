# truncated: unusable kernel images end with 125 and a one-line error,
# promptly: half a bzImage, a gzip file, an empty file.
size=$(wc -c < "$KERNEL")
head -c $((size / 2)) "$KERNEL" > "$OUT/half.bzImage"
: > "$OUT/empty"
for k in half:"$OUT/half.bzImage" gzip:"$GUESTS/hello.cgz" empty:"$OUT/empty"; do
    vmm "${k%%:*}" boot --kernel "${k#*:}" --initrd "$GUESTS/hello.cgz" \
        --memory 256M --timeout 30
    expect_rc 125
    expect_one_line_err
    expect_elapsed_le 10
done
addnote "3 bad images -> 125"
