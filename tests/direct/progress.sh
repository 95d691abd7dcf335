#!/bin/sh
# `minivmm run --progress`: one stderr line as each job is packed, boots,
# reaches init, starts and ends (the tiny guest writes the boot-timer
# markers 1, 2, 3 that initrd/init.sh writes in a real guest), in that
# order, before the summary; none with --no-progress, and none by default
# when stderr is not a terminal (scripts and the tests' one-line checks).
# usage: tests/direct/progress.sh MINIVMM TINYGUEST
set -u
. "$(dirname "$0")/lib"
needs_kvm progress
export XDG_CACHE_HOME="$T/cache"
mkdir -p "$T/j"
printf 'testcase: pr\nkernel_cmdline: marks=1,2,3\npass: x\n' > "$T/j/job.yaml"
run() { "$VMM" run "$T/j/job.yaml" --kernel "$GUEST" --result-root "$T/res" --timeout 20 "$@" \
        >"$T/out" 2>"$T/err"; rc=$?; }

run --progress
expect_rc "--progress: the job passes" 0
got=$(sed -n 's/^minivmm: job-x: \([a-z ]*\)\( (.* s)\)\{0,1\}$/\1/p' "$T/err" | tr '\n' ,)
want="packing the initrd,booting,init reached,job started,job ended,"
[ "$got" = "$want" ] && ok "--progress: packing, booting, init, job start, job end, in order" ||
    bad "--progress lines" "got '$got', want '$want'; stderr: $(head -c 400 "$T/err")"
has "--progress: each phase with its time since the VM started" "$T/err" "minivmm: job-x: init reached ("
has "--progress: the summary line still on stdout" "$T/out" "minivmm: job-x: pass (exit 0"

run
expect_rc "default: the job passes" 0
if grep -q 'job-x: \(packing\|booting\|init reached\)' "$T/err"; then
    bad "default, stderr not a terminal: no progress lines" "$(head -c 300 "$T/err")"
else ok "default, stderr not a terminal: no progress lines"; fi

run --progress --no-progress
expect_rc "--no-progress: the job passes" 0
if grep -q 'job-x: \(packing\|booting\)' "$T/err"; then
    bad "--no-progress (given last) wins: no progress lines" "$(head -c 300 "$T/err")"
else ok "--no-progress (given last) wins: no progress lines"; fi

finish progress
