#!/bin/sh
# Stats end to end (docs/stats.md): minivmm run parses what the job's
# programs left in the result directory into PROGRAM.json and stats.json,
# --expect turns them into the exit status (1 a failed expectation, 125 a
# missing metric, 255 a malformed one before anything boots), and
# minivmm compare reads the results back.  The tiny guest cannot run
# programs, so it stands in for the job: action=await:S makes "waiting" in
# the result directory and ends with status S once the test makes "go"
# there; in between the test writes the programs' outputs (real outputs
# from tests/data/stats) as the guest's programs would.
# usage: tests/direct/stats.sh MINIVMM TINYGUEST
set -u
. "$(dirname "$0")/lib"
needs_kvm stats
DATA=$(cd "$(dirname "$0")/../data/stats" && pwd)
export XDG_CACHE_HOME="$T/cache"

mkdir -p "$T/p/hackbench" "$T/p/mine"
printf '#!/bin/sh\nexit 0\n' >"$T/p/hackbench/run"
cp "$T/p/hackbench/run" "$T/p/mine/run"
printf '#!/bin/sh\nread a b\necho "a: $a"\necho "b: $b"\n' >"$T/p/mine/parse"
chmod +x "$T/p/hackbench/run" "$T/p/mine/run" "$T/p/mine/parse"
job() { printf 'testcase: st\nkernel_cmdline: action=await:%s\nhackbench:\nmine:\n' "$1" >"$T/job$1.yaml"; }
job 0
job 3

# run NAME STATUS OUTPUTS [OPTION]...: minivmm run with the guest ending
# with STATUS; OUTPUTS (a function) fills the result directory $d first.
# Sets rc and d; stdout in $T/NAME.out, stderr in $T/NAME.err.
run() {
    name=$1 st=$2 fill=$3
    shift 3
    "$VMM" run "$T/job$st.yaml" --kernel "$GUEST" --programs "$T/p" --result-root "$T/r/$name" \
        --timeout 60 --no-progress "$@" >"$T/$name.out" 2>"$T/$name.err" &
    pid=$!
    d=
    if until_true waiting "$T/r/$name"; then
        "$fill" "$d"
        touch "$d/go"
    else
        kill "$pid"
    fi
    wait "$pid"
    rc=$?
}
# waiting ROOT: the guest waits in a result directory under ROOT (sets d)
waiting() {
    w=$(find "$1" -name waiting 2>/dev/null | head -n 1)
    [ -n "$w" ] && d=$(dirname "$w")
}
outputs() {
    cp "$DATA/hackbench-3runs.txt" "$1/hackbench"
    echo 0 >"$1/hackbench.status"
    echo "7 8" >"$1/mine"
    echo 0 >"$1/mine.status"
}
slower() {
    outputs "$1"
    sed 's/^Time: .*/Time: 0.5/' "$DATA/hackbench-3runs.txt" >"$1/hackbench"
}
nan() {
    outputs "$1"
    echo "nan 8" >"$1/mine"
}

# --- stats.json and the per-program files; an expectation that holds
run a1 0 outputs --expect 'hackbench.throughput >= 1000' --expect 'mine.a == 7'
expect_rc "holding expectations: 0" 0
has "stats.json: hackbench's throughput (lkp: 1562 KiB / best time 0.160 s)" "$d/stats.json" '"hackbench.throughput": 9762.5,'
has "stats.json: a user's parser (programs/mine/parse)" "$d/stats.json" '"mine.b": 8,'
has "stats.json: each test's exit status" "$d/stats.json" '"mine.exit_status": 0'
has "hackbench.json: hackbench's own metrics" "$d/hackbench.json" '"hackbench.throughput_worst": 6675.213675213675,'
has "one line per expectation, with the value" "$T/a1.out" "expect hackbench.throughput >= 1000: 9762.5 (holds)"
a1=$d

# --- a failed expectation is bad (1), also in exit_status and summary.json
run a2 0 outputs --expect 'hackbench.throughput > 1e6'
expect_rc "a failed expectation: 1 (bad)" 1
has "the failed expectation's line" "$T/a2.out" "expect hackbench.throughput > 1e6: 9762.5 (fails: bad)"
has "exit_status records it" "$d/exit_status" "1"
has "summary.json records it" "$d/summary.json" '"exit_status": 1, "verdict": "fail"'
a2=$d

# --- a missing metric cannot test: 125, never a pass
run m 0 outputs --expect 'hackbench.throughput > 1' --expect 'fio.read_iops >= 1'
expect_rc "a missing metric: 125 (cannot test)" 125
has "the missing metric's line" "$T/m.out" "expect fio.read_iops >= 1: missing (cannot test)"

# --- a job that failed keeps its status; the expectations are still shown
run f 3 outputs --expect 'hackbench.throughput > 1'
expect_rc "the job's own failure (3) stands" 3
has "its expectation is still shown" "$T/f.out" "expect hackbench.throughput > 1: 9762.5 (holds)"

# --- a parser's bad output: one line, the other programs' stats kept
run n 0 nan --expect 'hackbench.throughput > 1'
expect_rc "a rejected parser output does not fail the job" 0
has "one line names the parser and the line" "$T/n.err" "/mine/parse: parser output rejected: line 1: value is not a finite decimal number"
if grep -q '"mine.a"' "$d/stats.json"; then bad "nothing of the rejected output kept" "$(cat "$d/stats.json")"; else ok "nothing of the rejected output kept"; fi

# --- a malformed expectation: 255 before anything boots
for e in 'hackbench.throughput>=1' 'x => 1' 'x >= fast' 'x >= nan'; do
    "$VMM" run "$T/job0.yaml" --kernel "$GUEST" --programs "$T/p" --result-root "$T/r/bad" \
        --expect "$e" >"$T/out" 2>"$T/err"
    rc=$?
    expect_rc "--expect '$e': 255" 255
    if [ "$(wc -l <"$T/err")" -eq 1 ] && [ ! -e "$T/r/bad" ]; then ok "--expect '$e': one line, nothing made"
    else bad "--expect '$e': one line, nothing made" "$(cat "$T/err"; ls "$T/r")"; fi
done

# --- compare: runs a1, a2 (and the numbered runs of a KVER directory) against slower ones
run b 0 slower
rmdir "$d/waiting"
b1=$d
run b 0 slower
"$VMM" compare "$a1" "$a2" -- "$(dirname "$d")" >"$T/cmp" 2>"$T/err"
rc=$?
expect_rc "compare: 0" 0
has "compare: hackbench's throughput, A's 2 runs and B's 2 (KVER/0, KVER/1)" "$T/cmp" "hackbench.throughput        9762.5 +- 0 (2)             3124 +- 0 (2)"
has "compare: the change" "$T/cmp" "-68.0%  *"
"$VMM" compare --json "$a1" -- "$b1" >"$T/cmp.json" 2>"$T/err"
rc=$?
expect_rc "compare --json: 0" 0
has "compare --json: the metric" "$T/cmp.json" '{"metric": "hackbench.throughput", "a": {"runs": 1, "mean": 9762.5, "stddev": 0}, "b": {"runs": 1, "mean": 3124, "stddev": 0}, "change_percent": -68'
"$VMM" compare "$a1" -- "$T/nowhere" >"$T/out" 2>"$T/err"
rc=$?
expect_rc "compare: a missing directory: 255" 255
has "compare: one line names it" "$T/err" "minivmm compare: $T/nowhere:"
"$VMM" compare "$a1" "$a2" >"$T/out" 2>"$T/err"
rc=$?
expect_rc "compare without '--': 255" 255
mkdir -p "$T/r/c" && echo '{"x": nan}' >"$T/r/c/stats.json"
"$VMM" compare "$a1" -- "$T/r/c" >"$T/out" 2>"$T/err"
rc=$?
expect_rc "compare: a bad stats.json: 255" 255
has "compare: one line says where" "$T/err" "minivmm compare: $T/r/c/stats.json: at byte 6: x: not a finite number"
# A result directory was the guest's to write: a stats.json that is a link
# (left there before minivmm could write its own) is not followed.
mkdir -p "$T/r/l" && ln -s "$a1/stats.json" "$T/r/l/stats.json"
"$VMM" compare "$a1" -- "$T/r/l" >"$T/out" 2>"$T/err"
rc=$?
expect_rc "compare: a stats.json that is a link: 255" 255
has "compare: the link is named" "$T/err" "minivmm compare: $T/r/l/stats.json: a symbolic link, not followed"
finish stats
