#!/bin/sh
# virtio-blk (--disk): the tiny guest's action=blk:rw|ro (tests/guest/blk.c)
# drives the device; the image is then compared byte for byte with the one
# the host expects (the guest's writes, write-zeroes and discards applied,
# nothing else), its allocated size checked after the discard, and the
# hostile requests' status bytes checked by the guest.  Also: a read-only
# disk stays unchanged, the image lock, and bad --disk inputs (one stderr
# line, 255, nothing booted).  docs/blk.md.
# usage: tests/direct/blk.sh MINIVMM TINYGUEST_BZIMAGE
set -u
. "$(dirname "$0")/lib"
needs_kvm blk

# sectors FILE SEEK COUNT: COUNT sectors of FILE from sector SEEK, on stdout.
sectors() { dd if="$1" bs=512 skip="$2" count="$3" 2>/dev/null; }
# put FILE SEEK: stdin into FILE at sector SEEK.
put() { dd of="$1" bs=512 seek="$2" conv=notrunc 2>/dev/null; }

# A 1 MiB image: random sectors 0..7, 300..307 and 512..1023, 'Z' at 400.
head -c 1048576 /dev/zero >"$T/orig"
head -c 4096 /dev/urandom | put "$T/orig" 0
head -c 4096 /dev/urandom | put "$T/orig" 300
head -c 512 /dev/zero | tr '\0' Z | put "$T/orig" 400
head -c 262144 /dev/urandom | put "$T/orig" 512
# What the guest's blk:rw must leave.
cp "$T/orig" "$T/want"
sectors "$T/orig" 0 8 | put "$T/want" 100
for k in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
    c=$(printf "\\$(printf %o $((65 + k)))")
    head -c 512 /dev/zero | tr '\0' "$c" | put "$T/want" $((200 + k))
done
head -c 4096 /dev/zero | put "$T/want" 300
head -c 262144 /dev/zero | put "$T/want" 512

blocks() { stat -c %b "$1"; }

for mode in vcpu pool io; do
    cp "$T/orig" "$T/img"
    before=$(blocks "$T/img")
    MINIVMM_VIRTIO_SERVE=$mode "$VMM" boot --kernel "$GUEST" --timeout 60 \
        --disk "$T/img,serial=blk-test-1" --append action=blk:rw >"$T/out" 2>"$T/err"
    rc=$?
    expect_rc "$mode: blk:rw, every request got its status" 0
    has "$mode: 17 checks" "$T/out" "tinyguest: blk: 17 checks, 0 failed"
    has "$mode: serial" "$T/out" "tinyguest: blk: serial blk-test-1"
    [ ! -s "$T/err" ] && ok "$mode: nothing on stderr" || bad "$mode: stderr" "$(head -c 300 "$T/err")"
    if cmp -s "$T/want" "$T/img"; then
        ok "$mode: the image holds the guest's writes and nothing else"
    else
        bad "$mode: image" "$(cmp "$T/want" "$T/img" 2>&1 | head -1)"
    fi
    after=$(blocks "$T/img")
    if [ "$after" -lt "$before" ]; then
        ok "$mode: discard punched a hole ($before -> $after blocks)"
    else
        bad "$mode: discard" "allocated blocks $before -> $after"
    fi
done

# cache=none (O_DIRECT, where the file system has it) and cache=unsafe:
# the same bytes in the image.
for c in none unsafe; do
    cp "$T/orig" "$T/img"
    "$VMM" boot --kernel "$GUEST" --timeout 60 --disk "$T/img,cache=$c" \
        --append action=blk:rw >"$T/out" 2>"$T/err"
    rc=$?
    if [ "$c" = none ] && grep -q "cannot open with O_DIRECT" "$T/err"; then
        expect_rc "cache=none without O_DIRECT here: refused" 255
        continue
    fi
    expect_rc "cache=$c: blk:rw" 0
    cmp -s "$T/want" "$T/img" && ok "cache=$c: image as expected" ||
        bad "cache=$c: image" "$(cmp "$T/want" "$T/img" 2>&1 | head -1)"
done

# Read-only: refused writes, and the image is untouched.
cp "$T/orig" "$T/img"
"$VMM" boot --kernel "$GUEST" --timeout 60 --disk "$T/img,ro" --append action=blk:ro \
    >"$T/out" 2>"$T/err"
rc=$?
expect_rc "ro: writes refused, reads and flush work" 0
has "ro: 5 checks" "$T/out" "tinyguest: blk: 5 checks, 0 failed"
cmp -s "$T/orig" "$T/img" && ok "ro: image unchanged" || bad "ro: image" "changed"

# The lock: a VM holding the image, then a second one.
cp "$T/orig" "$T/img"
# hold ARGS: a hanging VM with the disk, in the background, once booted.
hold() {
    "$VMM" boot --kernel "$GUEST" --timeout 120 --disk "$1" --append action=hang \
        >"$T/hold.out" 2>&1 &
    holder=$!
    until_true grep -q "tinyguest: hanging" "$T/hold.out" || bad "hold $1" "did not boot"
}
release() { kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null; }
second() {
    "$VMM" boot --kernel "$GUEST" --timeout 30 --disk "$1" --append action=status:0 \
        >"$T/out" 2>"$T/err"
    rc=$?
}
hold "$T/img"
second "$T/img"
expect_rc "lock: a second writer is refused" 255
has "lock: message" "$T/err" "--disk $T/img: locked by another process"
[ "$(wc -l <"$T/err")" -eq 1 ] && ok "lock: one line" || bad "lock: lines" "$(cat "$T/err")"
grep -q tinyguest "$T/out" && bad "lock: booted" "the second VM ran" || ok "lock: nothing booted"
second "$T/img,ro"
expect_rc "lock: a reader is refused while a writer holds it" 255
release
hold "$T/img,ro"
second "$T/img,ro"
expect_rc "lock: two readers share an image" 0
second "$T/img"
expect_rc "lock: a writer is refused while a reader holds it" 255
release
second "$T/img"
expect_rc "lock: free again once the holder ended" 0

# Bad --disk inputs: one line, 255, nothing booted.
# badarg NAME TEXT ARGS...: minivmm boot ARGS fails with 255 and TEXT.
badarg() {
    name=$1 text=$2
    shift 2
    "$VMM" boot --kernel "$GUEST" --timeout 30 --append action=status:0 "$@" \
        >"$T/out" 2>"$T/err"
    rc=$?
    expect_rc "bad input: $name: 255" 255
    has "bad input: $name: message" "$T/err" "$text"
    [ "$(wc -l <"$T/err")" -eq 1 ] && ok "bad input: $name: one line" ||
        bad "bad input: $name: lines" "$(cat "$T/err")"
    grep -q "tinyguest:" "$T/out" && bad "bad input: $name" "booted" || true
}
: >"$T/empty"
head -c 1000 /dev/zero >"$T/odd"
badarg missing "--disk $T/nope: No such file or directory" --disk "$T/nope"
badarg directory "--disk $T: is a directory" --disk "$T"
badarg empty "--disk $T/empty: is empty" --disk "$T/empty"
badarg "size not a multiple of 512" "--disk $T/odd: size 1000 is not a multiple of 512" \
    --disk "$T/odd"
badarg "same image twice" "the same image as --disk $T/img" --disk "$T/img" --disk "$T/img,ro"
badarg "unknown option" "--disk $T/img: unknown option 'cache=often'" --disk "$T/img,cache=often"
badarg "long serial" "serial must be 1 to 20" --disk "$T/img,serial=abcdefghijklmnopqrstu"
badarg "no file" "--disk needs an image file" --disk ",ro"
badarg "device node" "--disk /dev/null: not a regular file" --disk /dev/null
set --
for i in 1 2 3 4 5 6 7 8 9; do
    head -c 4096 /dev/zero >"$T/d$i"
    set -- "$@" --disk "$T/d$i"
done
badarg "nine disks" "too many disks (at most 8)" "$@"
mkdir "$T/s"
"$VMM" boot --kernel "$GUEST" --timeout 30 --append action=status:0 --share "$T/s" \
    --disk "$T/d1" --disk "$T/d2" --disk "$T/d3" --disk "$T/d4" --disk "$T/d5" \
    --disk "$T/d6" --disk "$T/d7" --disk "$T/d8" >"$T/out" 2>"$T/err"
rc=$?
expect_rc "a share and eight disks boot" 0
has "... the ninth device on the last line" "$T/out" "virtio_mmio.device=4K@0xd0008000:15"
badarg "nine devices" "too many devices" --share "$T/s" --share "$T/s,tag=b" \
    --disk "$T/d1" --disk "$T/d2" --disk "$T/d3" --disk "$T/d4" --disk "$T/d5" \
    --disk "$T/d6" --disk "$T/d7" --disk "$T/d8"
if [ "$(id -u)" -ne 0 ]; then
    cp "$T/orig" "$T/noread" && chmod 000 "$T/noread"
    badarg unreadable "--disk $T/noread: cannot open" --disk "$T/noread"
fi
chmod 444 "$T/d1"
if [ "$(id -u)" -ne 0 ]; then
    badarg "read-only file, rw disk" "add ,ro for a read-only disk" --disk "$T/d1"
fi

# minivmm run: a job's `disk: 2HDD` (examples/disk-fs.yaml) gets two sparse
# images, attached first with lkp's hdd_partitions on the command line (the
# tiny guest prints it and ends with 0), removed after the job unless
# --keep-disks; run --disk adds the user's image after them.
top=$(cd "$(dirname "$0")/../.." && pwd)
# runjob LABEL ARGS...: minivmm run of examples/disk-fs.yaml on the tiny guest.
runjob() {
    l=$1
    shift
    rm -rf "$T/rr"
    "$VMM" run "$top/examples/disk-fs.yaml" --kernel "$GUEST" --result-root "$T/rr" \
        --timeout 30 --verbose --no-progress "$@" >"$T/$l.out" 2>"$T/$l.err"
    rc=$?
}
runjob plain
expect_rc "run: a job with disk: 2HDD" 0
has "run: two disks and the partitions on the command line" "$T/plain.out" \
    'virtio_mmio.device=4K@0xd0002000:7 hdd_partitions="/dev/vda /dev/vdb"]'
left=$(find "$T/rr" -name '*.img' -o -name '.disks-*' | head -n 3)
[ -z "$left" ] && ok "run: the images are gone after the job" || bad "run: left" "$left"
runjob keep --keep-disks --disk "$T/img,serial=mine"
expect_rc "run --keep-disks --disk" 0
has "run --disk: after the job's disks" "$T/keep.out" 'virtio_mmio.device=4K@0xd0003000:9 '
d=$(find "$T/rr" -type d -name disks)
if [ -f "$d/hdd0.img" ] && [ -f "$d/hdd1.img" ] && [ "$(stat -c %s "$d/hdd0.img")" = 67108864 ] &&
    [ "$(stat -c %b "$d/hdd0.img")" -lt 1024 ]; then
    ok "run --keep-disks: 64 MiB sparse images kept in the result directory"
else
    bad "run --keep-disks" "$(ls -ls "$d" 2>&1)"
fi
[ -z "$(find "$T/rr" -name '.disks-*')" ] && ok "run --keep-disks: no work directory left" ||
    bad "run --keep-disks" "work directory left"
runjob size --disk-size 1M
expect_rc "run --disk-size 1M" 0
runjob badsize --disk-size 100K
expect_rc "run --disk-size 100K: 255" 255
has "run --disk-size 100K: message" "$T/badsize.err" "--disk-size '100K': give a size of at least 1M"
runjob baddisk --disk "$T/nope"
expect_rc "run --disk missing: 255" 255
has "run --disk missing: message" "$T/baddisk.err" "--disk $T/nope: No such file or directory"
[ -z "$(find "$T/rr" -name '*.img' -o -name '.disks-*')" ] &&
    ok "run --disk missing: the job's images removed" || bad "run --disk missing" "images left"
set --
for i in 1 2 3 4 5 6 7; do set -- "$@" --disk "$T/d$i"; done
runjob toomany "$@"
expect_rc "run: 2 job disks and 7 --disk: 255" 255
has "run: too many disks: message" "$T/toomany.err" "at most 8 in all"
# --rootfs host is a second share: 8 disks and 2 shares would be 10 virtio
# devices, one more than there are windows and interrupt lines.
set --
for i in 1 2 3 4 5 6; do set -- "$@" --disk "$T/d$i"; done
runjob toomanyhost --rootfs host "$@"
expect_rc "run --rootfs host: 2 job disks and 6 --disk: 255" 255
has "run --rootfs host: too many disks: message" "$T/toomanyhost.err" "at most 7 in all"
[ -z "$(find "$T/rr" -name '*.img' -o -name '.disks-*')" ] &&
    ok "run --rootfs host, too many disks: no images made" || bad "run: too many disks" "images left"

finish blk
