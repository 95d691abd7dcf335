# p9stress (issue 16): the stock kernel with --share under many small 9P
# operations: 64 MiB written with fsync and read back by sum, 10,000 small
# files created, listed and checked, the tree removed (the guest's steps are
# in tests/rig/guests/p9stress/init).  The guest's RIG-GUEST progress lines
# are relayed to L1's console every 5 s while minivmm runs, so when L2 or
# the whole L1 stops, the last relayed line says during which step.
# Not retried: a failure of any kind fails the case (docs/9p.md, "Under
# load", and docs/testing.md, "Faults of the emulated CPU in the rig").
# About 150 s under TCG in minivmm's default mode (requests served on the
# vCPU); tests/rig/loops/p9stress-ab.sh repeats it and compares the modes.
C=$OUT/stress.console
# relay: RIG-GUEST lines new in the console file, as RIG-LOG lines.
relay() {
    seen=0
    while sleep 5; do
        n=$(grep -c '^RIG-GUEST' "$C" 2>/dev/null)
        [ "${n:-0}" -gt "$seen" ] || continue
        grep '^RIG-GUEST' "$C" | sed -n "$((seen + 1)),${n}p" | rig_log guest
        seen=$n
    done
}
rm -rf "$OUT/share" && mkdir -p "$OUT/share"
relay &
relay_pid=$!
export MINIVMM_TRACE_9P=ring
boot stress --initrd "$INITRD" --timeout 1200 --share "$OUT/share" --memory 512M
unset MINIVMM_TRACE_9P
kill "$relay_pid" 2>/dev/null
wait "$relay_pid" 2>/dev/null
expect_rc 0
last_step=$(grep '^RIG-GUEST p9stress' "$C" 2>/dev/null | tail -n 1)
addnote "last guest step: ${last_step#RIG-GUEST p9stress }"
# shellcheck disable=SC2154 # rc is set by vmm (tests/rig/lib.sh)
if [ "$rc" != 0 ]; then
    # Where the server was: its last requests (the in-memory trace, printed
    # at exit) and the vCPU registers minivmm printed at a timeout.
    grep '^minivmm: 9p T' "$OUT/stress.err" | tail -n 6 | rig_log trace
    grep 'rip=' "$OUT/stress.err" | head -n 2 | rig_log regs
fi
S=$OUT/share
if [ -f "$S/guest.md5" ] && (cd "$S" && md5sum -c guest.md5 > "$OUT/md5.log" 2>&1); then
    addnote "64 MiB file matches the guest's source sum"
else
    bad "big differs from the guest's source sum or guest.md5 is missing"
fi
[ "$(stat -c %s "$S/big" 2>/dev/null)" = 67108864 ] || bad "big is not 64 MiB"
[ -e "$S/tree" ] && bad "the tree of 10,000 files is still in the share ($(ls "$S/tree" | wc -l) entries)"
[ "$(ls -A "$S" | sort | tr '\n' ' ')" = "big guest.md5 " ] || bad "share holds more than big and guest.md5: $(ls -A "$S" | head -n 5 | tr '\n' ' ')"
