# run-hang: a job that hangs ends with the timeout status; console.log is kept.
. /rig/run-lib.sh
runjob hang hang.yaml --timeout 90
expect_rc 124
d=$(result_dirs hang | head -n 1)
[ "$(cat "$d/exit_status" 2>/dev/null)" = 124 ] || bad "exit_status is not 124"
grep -q "Run /init as init process" "$d/console.log" 2>/dev/null || bad "console.log lost the guest's boot output"
grep -q "hang: looping forever" "$d/hang" 2>/dev/null || bad "the program's output, written before the timeout, is missing"
grep -q '"verdict": "timeout"' "$d/summary.json" 2>/dev/null || bad "summary.json has no timeout verdict"
addnote "timeout (124), console.log kept"
