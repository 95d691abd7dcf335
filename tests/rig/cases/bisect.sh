# shellcheck shell=sh disable=SC2154,SC2153  # why, total_cs, OUT...: set by lib.sh and l1-init
# bisect: a real `git bisect run` with minivmm as the test (docs/bisect.md),
# over the synthetic history of /rig/bisect-lib.sh (tests/rig/bisect-lib.sh;
# tests/direct/bisect.sh runs the same with the tiny guest).  The stock
# kernel boots the hello (0: good), status (7: bad) and hang (124: bad) guests;
# a truncated copy of it (125) is skipped.  git must name c4 as the first bad
# commit; a second bisect must abort at a missing kernel file (255).
# shellcheck source=tests/rig/bisect-lib.sh
. /rig/bisect-lib.sh

bisect_ok() { :; }
bisect_bad() { bad "$1: $2"; }

# The hang's --timeout, as in the hang case: it must outlast the boot.
t=60
if [ -r /tmp/rig-boot-seconds ]; then
    b=$(cat /tmp/rig-boot-seconds)
    t=$((2 * ${b%.*} + 2))
    [ "$t" -ge 20 ] || t=20
fi
g="--memory 256M --append quiet"
t0=$(uptime_cs)
if ! command -v git > /dev/null 2>&1; then
    bad "no git in L1 (tests/rig/run packs it when the bisect case runs)"
elif bisect_setup "$OUT/b" "$MINIVMM" "$KERNEL" \
        "--initrd $GUESTS/hello.cgz $g --timeout 120" \
        "--initrd $GUESTS/status.cgz $g --timeout 120" \
        "--initrd $GUESTS/hang.cgz $g --timeout $t" $((t + 400)); then
    bisect_main
    bisect_abort
    for n in main abort; do
        rig_log "$n runs (commit kernel guest exit)" < "$OUT/b/$n/boots"
        [ -z "$why" ] || show "$n: git" "$OUT/b/$n/bisect.out" 15
        [ -z "$why" ] || for f in "$OUT/b/$n"/boot-*.log; do show "$n: ${f##*/}" "$f" 5; done
    done
    addnote "c4 named first bad; c5 truncated (125) skipped; c6 hang (124, timeout $t) bad; 255 aborts"
else
    bad "cannot prepare $OUT/b"
fi
total_cs=$((total_cs + $(uptime_cs) - t0))
