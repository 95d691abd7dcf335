#!/bin/sh
# A guest that misbehaves on purpose gets a clear end, never a crash of
# minivmm: wild port and MMIO accesses, broken virtqueue descriptor chains,
# a device reset mid-request, racing 9P requests (the tiny guest's actions
# in tests/guest/hostile.c, vq.c, p9race.c).  Under the ASan/UBSan build a
# memory error in minivmm fails the run.
# usage: tests/direct/hostile.sh MINIVMM TINYGUEST_BZIMAGE
set -u
. "$(dirname "$0")/lib"

# boot ARGS...: runs minivmm boot with the tiny guest; sets $rc, $T/out, $T/err
boot() { "$VMM" boot --kernel "$GUEST" --timeout 120 "$@" >"$T/out" 2>"$T/err"; rc=$?; }
# stderr_is NAME N TEXT: stderr has exactly N lines, each containing TEXT
# (a device prints its first 5 guest errors, then one "suppressed" line:
# N over 5 means 5 such lines and that line)
SUPP="further guest errors of this virtio device suppressed"
stderr_is() {
    n=$(wc -l <"$T/err")
    m=$(grep -cF -- "$3" "$T/err")
    want=$2 extra=0
    [ "$want" -gt 5 ] && { want=5; extra=1; }
    if [ "$n" -eq $((want + extra)) ] && [ "$m" -eq "$want" ] &&
       { [ "$extra" -eq 0 ] || grep -qF -- "$SUPP" "$T/err"; }; then ok "$1"
    else bad "$1" "want $want lines with '$3'$([ $extra -eq 1 ] && echo " and the suppressed line"), got $n lines: $(head -c 400 "$T/err")"; fi
}

needs_kvm hostile

# 1. Every port, every width, varied values (all but the writes that end the
# VM by definition: exit device, ACPI S5 and reset, i8042 and 0xcf9 reset).
boot --append "action=wildpio" --timing=json
expect_rc "wild port I/O: the guest reports 0 afterwards" 0
has "wild port I/O: all 65,536 ports done" "$T/out" "tinyguest: wildpio: done"
[ "$(wc -l <"$T/err")" -eq 1 ] && ok "wild port I/O: stderr has only the timing report" ||
    bad "wild port I/O: stderr has only the timing report" "$(wc -l <"$T/err") lines: $(head -c 300 "$T/err")"
grep -q '"markers_dropped": [1-9][0-9]*, .*"end": "status"' "$T/err" &&
    ok "wild port I/O: 1000+ boot timer markers, the excess dropped" || bad "wild port I/O: markers" "$(head -c 300 "$T/err")"

# 2. Garbage at every offset and width of a virtio-mmio window, the windows
# after it and the rest of the MMIO hole; the device keeps working.
mkdir "$T/a" "$T/b"
boot --share "$T/a" --share "$T/b" --append "action=wildmmio"
expect_rc "wild MMIO: the guest reports 0 (device works after a reset)" 0
has "wild MMIO: sweep done" "$T/out" "tinyguest: wildmmio: done"
n=$(wc -l <"$T/err")
m=$(grep -c "^minivmm: virtio-9p@0xd000[01]000: guest error: .*; device needs reset$" "$T/err")
if [ "$n" -ge 1 ] && [ "$n" -le 8 ] && [ "$n" -eq "$m" ]; then ok "wild MMIO: one line per reset episode ($n)"
else bad "wild MMIO: stderr" "$n lines, $m guest-error lines: $(head -c 400 "$T/err")"; fi

# 3. Broken descriptor chains: each one makes the device ask for a reset
# (one stderr line each), the guest resets and a fresh queue works again.
mkdir "$T/share"
head -c 1048576 /dev/urandom >"$T/share/big"   # vq:reset reads it, 8 times at once
vq() { # CASE LINES TEXT
    boot --share "$T/share" --append "action=vq:$1"
    expect_rc "vq:$1: the guest survives and reports 0" 0
    stderr_is "vq:$1: one line per broken chain" "$2" "$3"
}
vq outside 7 "guest error: queue 0: buffer or ring outside guest RAM; device needs reset"
# With RAM on both sides of the hole: straddling 3 GiB and the end of high RAM.
boot --memory 4G --share "$T/share" --append "action=vq:outside"
expect_rc "vq:outside with 4G: the guest survives and reports 0" 0
stderr_is "vq:outside with 4G: one line per broken chain" 7 "guest error: queue 0: buffer or ring outside guest RAM"
vq loop 2 "guest error: queue 0: descriptor chain longer than the queue size; device needs reset"
vq long 5 "guest error: queue 0: "
grep -q "bad indirect descriptor" "$T/err" && grep -q "longer than the queue size" "$T/err" &&
    grep -q "outside guest RAM" "$T/err" && ok "vq:long: each reason named" || bad "vq:long: reasons" "$(cat "$T/err")"
vq huge 2 "guest error: queue 0: buffer or ring outside guest RAM; device needs reset"
vq avail 3 "guest error: queue 0: "
grep -q "avail index jumped" "$T/err" && grep -q "head index out of range" "$T/err" &&
    grep -q "next index out of range" "$T/err" && ok "vq:avail: each reason named" || bad "vq:avail: reasons" "$(cat "$T/err")"
vq ring 3 "bad alignment or outside RAM; device needs reset"
vq reset 0 ""
has "vq:reset: resets with a request in flight" "$T/out" "tinyguest: vq: 40 resets mid-request survived"
# Legal but nasty: the reply lands on the rings or on the request itself.
boot --share "$T/share" --append "action=vq:alias"
expect_rc "vq:alias: replies onto the rings and the request, the guest survives" 0
n=$(wc -l <"$T/err")
[ "$n" -le 4 ] && [ "$n" -eq "$(grep -c 'guest error: ' "$T/err")" ] && ok "vq:alias: at most a line per case" ||
    bad "vq:alias: stderr" "$(head -c 300 "$T/err")"
# 1000 broken rules, each followed by a reset: stderr stays bounded.
boot --share "$T/share" --append "action=vq:flood"
expect_rc "vq:flood: 1000 errors and resets, the guest survives" 0
n=$(wc -l <"$T/err")
[ "$n" -le 6 ] && ok "vq:flood: stderr bounded ($n lines)" || bad "vq:flood: stderr bounded" "$n lines"
has "vq:flood: the end of the error lines is said" "$T/err" "$SUPP"
# The VM ends with eight 1 MiB reads in flight: a clean stop, five times.
i=0 good=0
while [ $i -lt 5 ]; do
    boot --share "$T/share" --append "action=vq:exit"
    [ "$rc" -eq 0 ] && [ ! -s "$T/err" ] && good=$((good + 1))
    i=$((i + 1))
done
[ "$good" -eq 5 ] && ok "vq:exit: the VM ends cleanly with requests in flight (5 of 5)" ||
    bad "vq:exit: clean end" "$good of 5; last exit $rc, stderr: $(head -c 300 "$T/err")"

# Two vCPUs: the second resets the device and notifies under the first,
# which keeps setting queues up and sending Tversion.
boot --cpus 2 --share "$T/share" --append "action=mp:virtio"
expect_rc "mp:virtio: a second vCPU resetting under the first, the guest survives" 0
has "mp:virtio: both CPUs ran their rounds" "$T/out" "tinyguest: mp: 300 rounds"
n=$(wc -l <"$T/err")
[ "$(grep -vc '^minivmm: \(virtio-9p@0xd0000000: guest error: .*; device needs reset\|further guest errors of this virtio device suppressed\)$' "$T/err")" -eq 0 ] &&
    [ "$n" -le 6 ] && ok "mp:virtio: stderr holds only guest-error lines, at most 6 ($n)" ||
    bad "mp:virtio: stderr" "$n lines: $(grep -v 'guest error' "$T/err" | head -c 300)"

# Two vCPUs ending the VM at odds: the end is one of the defined ones.
boot --cpus 2 --timeout 20 --append "action=mp:spin"
expect_rc "mp:spin: the VM ends at the status while the other vCPU spins" 0
boot --cpus 2 --timeout 20 --append "action=mp:both"
[ "$rc" -eq 3 ] || [ "$rc" -eq 4 ] && ok "mp:both: two statuses at once, one wins ($rc)" ||
    bad "mp:both: one status wins" "exit $rc; $(head -c 300 "$T/err")"
boot --cpus 2 --timeout 20 --append "action=mp:triple"
[ "$rc" -eq 5 ] || [ "$rc" -eq 126 ] && ok "mp:triple: a status or the triple fault, whichever came first ($rc)" ||
    bad "mp:triple: status or crash" "exit $rc; $(head -c 300 "$T/err")"

# 4. 9P requests racing in the server's workers: walk vs clunk, remove vs
# read, fid reuse, Tversion vs walks.  Replies well formed, export consistent.
mkdir "$T/x" "$T/x/sub"
printf 'keep\n' >"$T/x/keep"
printf 'inner\n' >"$T/x/sub/inner"
boot --share "$T/x" --append "action=p9race"
expect_rc "9P races: every reply well formed" 0
has "9P races: all rounds ran" "$T/out" "tinyguest: p9race: 100 rounds"
[ ! -s "$T/err" ] && ok "9P races: nothing on stderr" || bad "9P races: stderr" "$(head -c 300 "$T/err")"
(cd "$T/x" && find . | LC_ALL=C sort | tr '\n' ' ') >"$T/files"
[ "$(cat "$T/files")" = ". ./keep ./sub ./sub/inner " ] && ok "9P races: removed files are gone, nothing else appeared" ||
    bad "9P races: export tree" "$(cat "$T/files")"
[ "$(cat "$T/x/keep")" = keep ] && [ "$(cat "$T/x/sub/inner")" = inner ] &&
    ok "9P races: untouched files keep their bytes" || bad "9P races: contents" "changed"

# 5. Requests the guest rewrites while the server parses them (and damages
# before posting): replies stay well formed, nothing lands outside the export.
mkdir -p "$T/f/x/sub"
printf 'keep\n' >"$T/f/x/keep"
boot --share "$T/f/x" --append "action=p9flip"
expect_rc "9P requests rewritten while parsed: replies well formed" 0
has "9P requests rewritten while parsed: all rounds ran" "$T/out" "tinyguest: p9flip: "
[ "$(ls -A "$T/f")" = x ] && ok "9P requests rewritten while parsed: nothing outside the export" ||
    bad "9P requests rewritten while parsed: outside the export" "$(ls -A "$T/f")"

finish hostile
