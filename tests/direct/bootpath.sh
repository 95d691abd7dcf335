#!/bin/sh
# Boot paths (cli/kernel.h): a bzImage's payload unpacked on the host and the
# vmlinux entered directly (the default), the kernel's own decompressor
# (--boot-path bzimage), an ELF vmlinux as --kernel, the fallback when the
# payload cannot be unpacked, and the unpacked-kernel cache.  The tiny guest's
# bzImage carries its ELF, gzip'd, as its payload (tests/guest/build.sh).
# usage: tests/direct/bootpath.sh MINIVMM TINYGUEST
set -u
. "$(dirname "$0")/lib"
needs_kvm bootpath
export XDG_CACHE_HOME="$T/cache"
ELF=${GUEST%.bzImage}.elf
boot() { "$VMM" boot --timeout 10 --timing=json "$@" >"$T/out" 2>"$T/err"; rc=$?; }
path_is() { # NAME PATH
    has "$1" "$T/err" "\"boot_path\": \"$2\""
}
one_line() { # NAME: stderr is one line (the timing JSON) plus N more
    n=$(grep -vc '^{"boot_path"' "$T/err")
    [ "$n" -eq "$2" ] && ok "$1" || bad "$1" "$n other lines: $(head -c 300 "$T/err")"
}

boot --kernel "$GUEST" --append action=status:5
expect_rc "a bzImage boots direct by default" 5
path_is "... through the direct path" direct
one_line "... without a word on stderr" 0
n=$(ls "$T/cache/minivmm/vmlinux/"*.elf 2>/dev/null | wc -l)
[ "$n" -eq 1 ] && ok "the unpacked kernel is cached (one entry)" || bad "cache entry" "$n entries"
boot --kernel "$GUEST" --append action=status:6
expect_rc "a second boot (from the cache)" 6
path_is "... direct again" direct

boot --kernel "$GUEST" --boot-path bzimage --append action=status:7
expect_rc "--boot-path bzimage boots" 7
path_is "... through the kernel's own entry" bzimage
one_line "... quietly" 0

boot --kernel "$ELF" --append action=status:8
expect_rc "an ELF vmlinux as --kernel boots" 8
path_is "... direct" direct
has "... with the zero page's setup header made for it" "$T/out" "header=HdrS loader=0xff"

# A corrupt payload: one line says why, and the bzImage way still boots.
# The byte after the 10-byte gzip header (gzip -n) starts the first deflate
# block: 0xff makes its type the reserved one, corrupt whatever the guest's
# code is (a byte in the middle of the stream may instead make it unpack to
# more than its recorded size, which is refused with other words).
cp "$GUEST" "$T/bad.bzImage"
poff=$(od -An -tu4 -j $((0x248)) -N 4 "$GUEST" | tr -d ' ')
at=$((1024 + poff + 10))
printf '\377' | dd of="$T/bad.bzImage" bs=1 seek="$at" conv=notrunc 2>/dev/null
boot --kernel "$T/bad.bzImage" --append action=status:9
expect_rc "a corrupt payload falls back to the bzImage way" 9
path_is "... which it used" bzimage
has "... and says why, in one line" "$T/err" "booting through the kernel's own decompressor (--boot-path bzimage): gzip payload is corrupt"
one_line "... only that line" 1

# A corrupt cache entry is rebuilt, never booted.
entry=$(ls "$T/cache/minivmm/vmlinux/"*.elf | head -n 1)
size=$(wc -c <"$entry")
printf '\377' | dd of="$entry" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
boot --kernel "$GUEST" --append action=status:10
expect_rc "a corrupt cache entry: the boot still works" 10
has "... the entry is named corrupt and rebuilt" "$T/err" "is corrupt: unpacking it again"
boot --kernel "$GUEST" --append action=status:11
one_line "... and the rebuilt entry is used quietly" 0

# Hostile ELF files are refused (125) with one line.
head -c 100 "$ELF" >"$T/short.elf"
"$VMM" boot --kernel "$T/short.elf" --timeout 10 >"$T/out" 2>"$T/err"; rc=$?
expect_rc "a truncated ELF is 125" 125
has "... named" "$T/err" "truncated"
[ "$(wc -l <"$T/err")" -eq 1 ] && ok "... in one line" || bad "one line" "$(cat "$T/err")"
cp "$ELF" "$T/arm.elf"
printf '\267' | dd of="$T/arm.elf" bs=1 seek=18 conv=notrunc 2>/dev/null
"$VMM" boot --kernel "$T/arm.elf" --timeout 10 >"$T/out" 2>"$T/err"; rc=$?
expect_rc "an ELF for another machine is 125" 125
has "... named" "$T/err" "is not x86-64"

"$VMM" boot --kernel "$GUEST" --boot-path lz >"$T/out" 2>"$T/err"; rc=$?
expect_rc "--boot-path with a bad value is 255" 255
has "... named" "$T/err" "--boot-path 'lz'"

# run: the boot path goes to the VM, and summary.json says which it was.
printf 'testcase: bp\nkernel_cmdline: action=status:0\npass: hi\n' >"$T/job.yaml"
"$VMM" run "$T/job.yaml" --kernel "$GUEST" --result-root "$T/res" --boot-path bzimage --timeout 10 \
    >"$T/out" 2>"$T/err"; rc=$?
expect_rc "run --boot-path bzimage passes" 0
has "... and its summary says bzimage" "$(find "$T/res" -name summary.json)" '"boot_path": "bzimage"'
"$VMM" run "$T/job.yaml" --kernel "$ELF" --result-root "$T/res2" --timeout 10 >"$T/out" 2>"$T/err"; rc=$?
expect_rc "run with an ELF kernel passes" 0
has "... booted direct" "$(find "$T/res2" -name summary.json)" '"boot_path": "direct"'

finish bootpath
