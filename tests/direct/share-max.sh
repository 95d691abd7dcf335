#!/bin/sh
# --share DIR,max=SIZE: what a user sees on the command line (the counting
# itself is tested in tests/unit/virtio_9p_limits.c; the tiny guest has no
# 9p client).  usage: tests/direct/share-max.sh MINIVMM TINYGUEST_BZIMAGE
set -u
. "$(dirname "$0")/lib"

boot() { "$VMM" boot --kernel "$GUEST" --timeout 10 "$@" >"$T/out" 2>"$T/err"; rc=$?; }
one_line() { # NAME TEXT
    if [ "$(wc -l <"$T/err")" -eq 1 ] && grep -qF -- "$2" "$T/err"; then ok "$1"
    else bad "$1" "stderr: $(head -c 300 "$T/err")"; fi
}

mkdir "$T/share"
boot --share "$T/share,max=64M" --append "action=status:4"
expect_rc "--share DIR,max=64M boots" 4
boot --share "$T/share,tag=r,max=2G,ro" --append "action=status:0"
expect_rc "max= with tag= and ro" 0
for v in 0 lots -1 1T; do
    boot --share "$T/share,max=$v" --append "action=status:0"
    expect_rc "max=$v is a usage error (255)" 255
    one_line "max=$v: one line naming it" "max=$v"
done
if "$VMM" boot --help 2>&1 | grep -q "max=SIZE"; then ok "--help shows max=SIZE"; else bad "--help" "no max=SIZE"; fi

finish share-max
