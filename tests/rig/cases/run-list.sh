# run-list: a list parameter expands into 2 jobs with 2 result directories.
. /rig/run-lib.sh
runjob list sleep-list.yaml --timeout 300
expect_rc 0
n=$(result_dirs sleep | grep -c .)
[ "$n" = 2 ] || bad "want 2 result directories, got $n: $(result_dirs sleep | tr '\n' ' ')"
for d in $(result_dirs sleep); do
    expect_result_files "$d"
    [ -s "$d/uptime" ] || bad "monitor output missing in $d"
done
result_dirs sleep | grep -q '/sleep/1/' || bad "no result directory for sleep-1"
result_dirs sleep | grep -q '/sleep/2/' || bad "no result directory for sleep-2"
addnote "2 jobs, 2 result directories"
