#!/bin/sh
# An idle guest must leave minivmm asleep: the tiny guest halts, once for
# 2 s and once for 7 s, and the CPU time the 5 s more cost stays under 5% of
# the wall time they took, both the command's (user + system, read from the
# shell's `times` for its finished children) and the VM process's
# (vm_process_cpu_ms in the timing JSON: minivmm does not wait for that
# process's teardown, so `times` includes it only in sanitizer builds, where
# minivmm still waits).  The difference leaves start-up and teardown out:
# under ASan on a loaded host they alone came near 5% of a 5 s run.
# Before the fix, the main thread's timed waits returned at once and it spun
# for the guest's whole life (about 100% of one core).
# usage: tests/direct/idle.sh MINIVMM TINYGUEST
set -u
. "$(dirname "$0")/lib"


# One halted guest for $1 seconds: "RC WALL CPU VMCPU_MS"
idle_run() {
    out=$(sh -c '
        start=$(date +%s.%N)
        "$1" boot --kernel "$2" --append action=hang --timeout "$4" --timing=json >/dev/null 2>"$3.err"
        rc=$?
        end=$(date +%s.%N)
        echo "$rc $start $end"
        times >"$3"          # not in a pipeline: a subshell would not know the children
        sed -n 2p "$3"' sh "$VMM" "$GUEST" "$T/times" "$1")
    vm=$(sed -n 's/.*"vm_process_cpu_ms": \([0-9.]*\).*/\1/p' "$T/times.err")
    [ -n "$vm" ] || vm=0  # checked below
    echo "$out" | awk -v vm="$vm" 'NR == 1 { rc = $1; wall = $3 - $2 }
        NR == 2 { for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); s += a[1] * 60 + a[2] } }
        END { print rc, wall, s, vm }'
}
short=$(idle_run 2)
long=$(idle_run 7)
set -- $short $long
[ "$1" -eq 124 ] && [ "$5" -eq 124 ] && ok "the halted guest runs until its --timeout (124)" ||
    bad "halted guest" "exit $1 and $5"
[ "$4" != 0 ] && [ "$8" != 0 ] && ok "the timing report gives the VM process's CPU time" ||
    bad "the timing report gives the VM process's CPU time" "$4 ms and $8 ms"
if awk -v w="$6" -v w0="$2" -v c="$7" -v c0="$3" 'BEGIN { exit !(w - w0 >= 4 && c - c0 < 0.05 * (w - w0)) }'; then
    ok "minivmm sleeps while the guest idles (cpu ${3}s in ${2}s, ${7}s in ${6}s)"
else
    bad "minivmm sleeps while the guest idles" "cpu ${3}s in ${2}s, ${7}s in ${6}s wall (limit 5% of the difference)"
fi
if awk -v w="$6" -v w0="$2" -v c="$8" -v c0="$4" 'BEGIN { exit !(w - w0 >= 4 && (c - c0) / 1000 < 0.05 * (w - w0)) }'; then
    ok "its VM process sleeps too (cpu ${4} ms in ${2}s, ${8} ms in ${6}s)"
else
    bad "its VM process sleeps too" "cpu ${4} ms in ${2}s, ${8} ms in ${6}s wall (limit 5% of the difference)"
fi
finish idle
