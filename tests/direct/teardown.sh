#!/bin/sh
# minivmm returns without waiting for the VM's teardown (docs/speed.md), but
# everything the user reads is complete when it exits: the exit status, the
# --console file, stdout and stderr.  These checks read them the moment
# minivmm has exited.  MINIVMM_TEST_TEARDOWN_DELAY_MS makes each VM process
# sleep 1.5 s after it sent its result, before its teardown: whatever it
# still wrote after the result would be missing here.  A VM process that
# dies before its result is reported as before.
# usage: tests/direct/teardown.sh MINIVMM TINYGUEST
set -u
. "$(dirname "$0")/lib"
needs_kvm teardown
export XDG_CACHE_HOME="$T/cache"
export MINIVMM_TEST_TEARDOWN_DELAY_MS=1500
lines=3000                      # flood: lines of 64 bytes before the status
flood="flood=$((lines * 64))"

# whole NAME FILE STATUS: FILE holds every flood line, and its last line
# is the guest's status report.
whole() {
    n=$(grep -c '^F\{63\}$' "$2")
    last=$(tail -n 1 "$2")
    if [ "$n" -eq "$lines" ] && [ "$last" = "tinyguest: status $3" ]; then
        ok "$1"
    else
        bad "$1" "$n of $lines flood lines, last line '$last' ($(wc -c <"$2") bytes)"
    fi
}

"$VMM" boot --kernel "$GUEST" --quiet --console "$T/con" --timing=json \
    --append "$flood action=status:9" >"$T/out" 2>"$T/err"; rc=$?
expect_rc "boot: the guest's status is the exit status" 9
whole "... the --console file is complete at exit" "$T/con" 9
tail -n 1 "$T/err" | grep -q '^{"boot_path".*"vm_process_cpu_ms": [0-9.]*}$' &&
    ok "... stderr ends with the whole timing report" ||
    bad "... stderr ends with the whole timing report" "$(tail -c 300 "$T/err")"

# stdout through a pipe: the reader sees all of it and then its end.
"$VMM" boot --kernel "$GUEST" --append "$flood action=status:200" 2>"$T/err" | cat >"$T/out"
whole "boot | cat: stdout is complete" "$T/out" 200
has "... stderr has the status line" "$T/err" "guest reported status 200 (exit status 123)"

# A reader that stops early: minivmm still ends with the guest's status.
{ "$VMM" boot --kernel "$GUEST" --console "$T/con2" --append "$flood action=status:5" 2>/dev/null
  echo $? >"$T/rc"; } | head -n 2 >"$T/out"
rc=$(cat "$T/rc")
expect_rc "boot | head: the exit status is the guest's" 5
whole "... the --console file is still complete" "$T/con2" 5

# run: several jobs one after the other (each VM process reaped later),
# every job's result files complete.
printf 'testcase: td\nkernel_cmdline: %s action=status:0\npass:\n- 1\n- 2\n- 3\n- 4\n- 5\n' \
    "$flood" >"$T/five.yaml"
"$VMM" run "$T/five.yaml" --kernel "$GUEST" --result-root "$T/res" --timeout 60 \
    >"$T/out" 2>"$T/err"; rc=$?
expect_rc "run: five jobs pass" 0
n=0
for f in $(find "$T/res" -name console.log); do
    [ "$(cat "${f%/console.log}/exit_status")" = 0 ] || continue
    [ "$(grep -c '^F\{63\}$' "$f")" -eq "$lines" ] && n=$((n + 1))
done
[ "$n" -eq 5 ] && ok "... each has its whole console.log and exit_status 0" ||
    bad "... each has its whole console.log and exit_status 0" "$n of 5"

# A VM process killed before it sent its result: 255, and said so.
"$VMM" boot --kernel "$GUEST" --timeout 60 --append action=hang --console "$T/con3" \
    >"$T/out" 2>"$T/err" &
pid=$!
if until_true grep -qF "tinyguest: hanging" "$T/con3"; then
    child=$(pgrep -P "$pid" | head -n 1)
    kill -KILL "$child"
    wait "$pid"; rc=$?
    expect_rc "a VM process killed by SIGKILL gives 255" 255
    has "... and the line that says so" "$T/err" "the VM process was killed by signal 9"
else
    kill -KILL "$pid" 2>/dev/null
    wait "$pid"
    bad "VM process killed" "the guest never reached its hang"
fi

finish teardown
