#!/bin/sh
# Direct tests of hostile trees for the initrd packer and the module scan
# (docs/initrd.md "Host trees are untrusted"): what a user sees from
# `minivmm pack` and `minivmm run --modules`.  No guest boots here.
# usage: tests/direct/initrd.sh MINIVMM TINYGUEST_BZIMAGE
set -u
. "$(dirname "$0")/lib"

one_line() { # NAME FILE
    if [ "$(wc -l <"$2")" -eq 1 ]; then ok "$1"; else bad "$1" "$(wc -l <"$2") lines"; fi
}
deep() { # DIR LEVELS: DIR/d/d/.../d
    p=$1
    i=0
    while [ "$i" -lt "$2" ]; do p=$p/d; i=$((i + 1)); done
    mkdir -p "$p"
}

# A module tree 1,000 levels deep: one line and exit 255, not a crash.
deep "$T/mods" 1000
XDG_CACHE_HOME=$T/cache "$VMM" run examples/pass.yaml --kernel "$GUEST" --modules "$T/mods" \
    --result-root "$T/results" >"$T/out" 2>"$T/err"
rc=$?
expect_rc "run --modules with a 1000-level tree exits 255" 255
has "run --modules names the depth limit" "$T/err" "directory tree deeper than 64 levels"
one_line "run --modules: one stderr line" "$T/err"

# A host tree 1,000 levels deep for pack: refused, nothing written.
deep "$T/tree" 1000
"$VMM" pack --compress none -o "$T/deep.cpio" "$T/tree" >"$T/out" 2>"$T/err"
rc=$?
expect_rc "pack of a 1000-level tree exits 255" 255
has "pack names the depth limit" "$T/err" "directory tree deeper than 256 levels"
one_line "pack: one stderr line" "$T/err"
if [ ! -e "$T/deep.cpio" ]; then ok "pack wrote nothing"; else bad "pack wrote nothing" "deep.cpio exists"; fi

# 256 levels are packed.
deep "$T/tree256" 256
"$VMM" pack --compress none -o "$T/ok.cpio" "$T/tree256" >"$T/out" 2>"$T/err"
rc=$?
expect_rc "pack of a 256-level tree succeeds" 0

# A file named TRAILER!!! would end the archive early for the kernel.
mkdir -p "$T/trailer/x"
echo early >"$T/trailer/TRAILER!!!"
echo after >"$T/trailer/x/after"
"$VMM" pack --compress none -o "$T/trailer.cpio" "$T/trailer" >"$T/out" 2>"$T/err"
rc=$?
expect_rc "pack of a tree with TRAILER!!! exits 255" 255
has "pack names the reserved name" "$T/err" "TRAILER!!! is reserved"

finish initrd
