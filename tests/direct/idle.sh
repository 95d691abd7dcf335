#!/bin/sh
# An idle guest must leave minivmm asleep: while the tiny guest halts for
# 5 s, minivmm's own CPU time stays under 5% of the wall time, both the
# command's (user + system, read from the shell's `times` for its finished
# children) and the VM process's (vm_process_cpu_ms in the timing JSON:
# minivmm does not wait for that process's teardown, so `times` includes it
# only in sanitizer builds, where minivmm still waits).
# Before the fix, the main thread's timed waits returned at once and it spun
# for the guest's whole life (about 100% of one core).
# usage: tests/direct/idle.sh MINIVMM TINYGUEST
set -u
. "$(dirname "$0")/lib"


out=$(sh -c '
    start=$(date +%s.%N)
    "$1" boot --kernel "$2" --append action=hang --timeout 5 --timing=json >/dev/null 2>"$3.err"
    rc=$?
    end=$(date +%s.%N)
    echo "$rc $start $end"
    times >"$3"          # not in a pipeline: a subshell would not know the children
    sed -n 2p "$3"' sh "$VMM" "$GUEST" "$T/times")
rc=$(echo "$out" | sed -n 1p | cut -d" " -f1)
wall=$(echo "$out" | sed -n 1p | awk '{ print $3 - $2 }')
vm=$(sed -n 's/.*"vm_process_cpu_ms": \([0-9.]*\).*/\1/p' "$T/times.err")
[ -n "$vm" ] && ok "the timing report gives the VM process's CPU time" ||
    { bad "the timing report gives the VM process's CPU time" "$(cat "$T/times.err")"; vm=0; }
cpu=$(echo "$out" | sed -n 2p | awk '{ for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); s += a[1] * 60 + a[2] } print s }')
[ "$rc" -eq 124 ] && ok "the halted guest runs until its --timeout (124)" || bad "halted guest" "exit $rc"
if awk -v c="$cpu" -v w="$wall" 'BEGIN { exit !(w >= 5 && c < 0.05 * w) }'; then
    ok "minivmm sleeps while the guest idles (cpu ${cpu}s in ${wall}s)"
else
    bad "minivmm sleeps while the guest idles" "cpu ${cpu}s in ${wall}s wall (limit 5%)"
fi
if awk -v c="$vm" -v w="$wall" 'BEGIN { exit !(w >= 5 && c / 1000 < 0.05 * w) }'; then
    ok "its VM process sleeps too (cpu ${vm} ms in ${wall}s)"
else
    bad "its VM process sleeps too" "cpu ${vm} ms in ${wall}s wall (limit 5%)"
fi
finish idle
