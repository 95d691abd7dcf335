# run-fail: a failing job's status (3) is minivmm's exit status and exit_status.
. /rig/run-lib.sh
runjob fail fail.yaml --timeout 300
expect_rc 3
d=$(result_dirs fail | head -n 1)
[ -n "$d" ] || bad "no result directory"
[ "$(cat "$d/exit_status" 2>/dev/null)" = 3 ] || bad "exit_status is not 3"
[ "$(cat "$d/fail.status" 2>/dev/null)" = 3 ] || bad "fail.status is not 3"
expect_result_files "$d"
addnote "exit 3 and exit_status 3"
