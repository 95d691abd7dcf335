# run-pass: `minivmm run` of a passing example job: exit 0, one result
# directory with every file, the program's output and status 0 recorded.
. /rig/run-lib.sh
runjob pass pass.yaml --timeout 300
expect_rc 0
d=$(result_dirs pass)
[ "$(echo "$d" | grep -c .)" = 1 ] || bad "want 1 result directory, got: $d"
d=$(echo "$d" | head -n 1)
expect_result_files "$d"
[ "$(cat "$d/exit_status" 2>/dev/null)" = 0 ] || bad "exit_status is not 0"
grep -q "pass: hello world" "$d/pass" 2>/dev/null || bad "program output file missing"
grep -q "test pass: exit status 0" "$d/output" 2>/dev/null || bad "job output (runtime lines) missing"
grep -q '"verdict": "pass"' "$d/summary.json" 2>/dev/null || bad "summary.json has no pass verdict"
grep -q "Linux version" "$d/dmesg" 2>/dev/null || bad "dmesg does not look like dmesg"
expect_in out "pass-hello_world: pass (exit 0"
addnote "result in ${d#$OUT/}"
