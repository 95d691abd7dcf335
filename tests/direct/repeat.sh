#!/bin/sh
# minivmm boot --repeat N (docs/boot.md "Boot loop"): N fresh VMs of one
# kernel and command line, one line per boot and min / median / max of each
# phase on stderr, every boot in one JSON document with --timing=json, failed
# boots counted, the worst verdict as the exit status, a signal stops the
# loop.  usage: tests/direct/repeat.sh MINIVMM TINYGUEST
set -u
. "$(dirname "$0")/lib"

# rboot ARGS...: runs minivmm boot --quiet with the tiny guest; sets $rc, $T/out, $T/err
rboot() { "$VMM" boot --kernel "$GUEST" --timeout 10 --quiet "$@" >"$T/out" 2>"$T/err"; rc=$?; }
# count NAME WANT PATTERN FILE: FILE has WANT lines matching PATTERN
count() {
    got=$(grep -c -- "$3" "$4")
    [ "$got" -eq "$2" ] && ok "$1" || bad "$1" "$got lines match '$3', want $2: $(head -c 600 "$4")"
}
# sane_row NAME PHASE N: the summary row of PHASE counts N with min <= median <= max
sane_row() {
    row=$(grep "^repeat: $2 " "$T/err")
    if echo "$row" | awk -v n="$3" '{ exit !(NF == 6 && $3 == n && $4 >= 0 && $4 <= $5 && $5 <= $6) }'; then
        ok "$1"
    else
        bad "$1" "row '$row'"
    fi
}

needs_kvm repeat

# --- all boots pass: N lines, a summary, sane numbers
rboot --repeat 3 --append "marks=1,2,3,42 action=status:0"
expect_rc "3 passing boots exit 0" 0
count "one line per boot" 3 "^repeat: boot [1-3]/3: exit 0 (pass, status): setup " "$T/err"
has "boot 3 of 3 is reported" "$T/err" "repeat: boot 3/3: exit 0"
for p in setup init job-start job-end marker-42 guest end-to-exit wall; do
    sane_row "summary $p: n 3, min <= median <= max" "$p" 3
done
has "summary: every boot counted by status" "$T/err" "repeat: statuses: exit 0 x3"
has "summary: the final line" "$T/err" "repeat: 3 of 3 boots; exit status 0 (pass)"
# every line's phases are name-number pairs, ending in "ms"
if awk '/^repeat: boot / { i = 1; while ($i !~ /\):$/) i++
                           for (i++; i < NF; i += 2) if ($(i + 1) !~ /^[0-9]+\.[0-9]+$/) exit 1
                           if ($NF != "ms") exit 1; n++ }
        END { exit n != 3 }' "$T/err"; then ok "per-boot phases are numbers"
else bad "per-boot phases" "$(cat "$T/err")"; fi

# --- boots that differ (action=seq: boot k makes seqK in the share and
# reports the k-th status): the failures are counted, the worst wins
mkdir "$T/s1"
rboot --repeat 5 --share "$T/s1" --append "action=seq:0,3,0,7,0"
expect_rc "boots 2 and 4 fail (3, 7): the exit status is the worst, 7" 7
has "the failed boot 2 is reported" "$T/err" "repeat: boot 2/5: exit 3 (fail, status)"
has "the failed boot 4 is reported" "$T/err" "repeat: boot 4/5: exit 7 (fail, status)"
has "statuses counted" "$T/err" "repeat: statuses: exit 0 x3, exit 3 x1, exit 7 x1"
has "the worst and where" "$T/err" "exit status 7 (fail), the worst, first at boot 4"
sane_row "failed boots still count in the phases" wall 5
[ -d "$T/s1/seq5" ] && [ ! -e "$T/s1/seq6" ] && ok "five boots ran, no more" || bad "five boots" "$(ls "$T/s1")"

# a crash outranks a failure; skip (125) never hides a failure
mkdir "$T/s2"
rboot --repeat 3 --share "$T/s2" --append "action=seq:5,0,200"
expect_rc "status 200 folds to 123 and outranks 5" 123
mkdir "$T/s3"
"$VMM" boot --kernel "$GUEST" --timeout 10 --quiet --repeat 2 --share "$T/s3" \
    --append "action=seq:0,4 marks=1" --timing=json >"$T/out" 2>"$T/err"; rc=$?
expect_rc "json: the exit status is still the worst" 4
grep '^{"repeat": ' "$T/err" >"$T/doc.json"
if [ "$(wc -l <"$T/doc.json")" -eq 1 ]; then ok "json: one document, on one line"
else bad "json: one document" "$(cat "$T/err")"; fi
if command -v jq >/dev/null; then
    jq -e '.repeat == 2 and (.boots | length) == 2 and .boots[1].exit_status == 4
           and .boots[0].verdict == "pass" and .boots[1].timing.end == "status"
           and (.boots[0].phases_ms | has("setup") and has("init") and has("wall") and has("end-to-exit"))
           and .summary.exit_status == 4 and .summary.worst_boot == 2
           and .summary.exit_statuses == {"0": 1, "4": 1}
           and .summary.phases_ms.wall.n == 2
           and .summary.phases_ms.init.min <= .summary.phases_ms.init.median
           and .summary.phases_ms.init.median <= .summary.phases_ms.init.max' \
        "$T/doc.json" >/dev/null && ok "json: every boot and the summary (jq)" ||
        bad "json: content" "$(cat "$T/doc.json")"
elif python3 -m json.tool "$T/doc.json" >/dev/null 2>&1; then ok "json: valid (python3)"
else bad "json: valid" "no jq, and python3 refuses: $(cat "$T/doc.json")"; fi
if grep -q "^repeat: " "$T/err"; then bad "json: no text lines beside it" "$(cat "$T/err")"
else ok "json: no text lines beside it"; fi

# a boot that never starts (cannot test) is reported with what exists
printf 'not a kernel at all' >"$T/junk"
head -c 600000 /dev/zero >>"$T/junk"
"$VMM" boot --kernel "$T/junk" --repeat 2 --quiet >"$T/out" 2>"$T/err"; rc=$?
expect_rc "an image that cannot boot: 125 for the series" 125
count "both boots reported" 2 "^repeat: boot [12]/2: exit 125 (cannot test, error): wall " "$T/err"
has "no setup phase where the guest never ran" "$T/err" "repeat: setup             0          -"

# --- the console: a %d pattern gives one file per boot
rboot --repeat 2 --append "action=status:0" --console "$T/con-%d.log"
expect_rc "--console with %d: boots run" 0
has "boot 1's console" "$T/con-1.log" "tinyguest: hello"
has "boot 2's console" "$T/con-2.log" "tinyguest: hello"
echo keep >"$T/one.log"
rboot --repeat 2 --append "action=status:0" --console "$T/one.log"
expect_rc "--console without %d and N > 1 is refused (255)" 255
[ "$(wc -l <"$T/err")" -eq 1 ] && ok "... in one line" || bad "one line" "$(cat "$T/err")"
[ "$(cat "$T/one.log")" = keep ] && ok "... and the file is untouched" || bad "file kept" "changed"
rboot --repeat 1 --append "action=status:0" --console "$T/one.log"
expect_rc "--repeat 1 takes a plain --console" 0
count "--repeat 1 still reports its boot and the summary" 1 "^repeat: 1 of 1 boots" "$T/err"
has "... and writes the console" "$T/one.log" "tinyguest: hello"

# --- bad --repeat: one line, 255, nothing boots
for v in 0 -1 x 3x "" 100001 99999999999999999999; do
    rboot --repeat "$v" --append "action=status:0"
    expect_rc "--repeat '$v' is refused (255)" 255
    [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q -- "--repeat" "$T/err" && [ ! -s "$T/out" ] &&
        ok "--repeat '$v': one line naming it" || bad "--repeat '$v' message" "$(cat "$T/err")"
done

# --- a signal stops the loop: no new boot, 128+N
E="env --default-signal=INT,HUP"
$E "$VMM" boot --kernel "$GUEST" --timeout 60 --repeat 5 --append action=hang \
    --console "$T/hang-%d.log" >"$T/out" 2>"$T/err" &
pid=$!
if until_true grep -qF "tinyguest: hanging" "$T/hang-1.log"; then
    kill -TERM "$pid"
    wait "$pid"; rc=$?
    expect_rc "SIGTERM during boot 1 gives 143" 143
    [ ! -e "$T/hang-2.log" ] && ok "no boot after the signal" || bad "no new boot" "boot 2 started"
    has "the interrupted boot is reported" "$T/err" "repeat: boot 1/5: exit 143 (interrupted"
    has "the loop says where it stopped" "$T/err" "interrupted after 1 of 5 boots"
else
    kill -KILL "$pid" 2>/dev/null
    wait "$pid"
    bad "signal test" "boot 1 never hung: $(cat "$T/err")"
fi

finish repeat
