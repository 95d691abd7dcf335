# stats-monitors: a busybox job with the three monitors leaves stats.json
# and PROGRAM.json, --expect decides the status (0 holds, 1 fails, 125 a
# missing metric), and compare of two runs prints the metrics
# (docs/stats.md).
. /rig/run-lib.sh
runjob stats1 stats.yaml --timeout 300 --expect 'sleep.seconds == 2' \
    --expect 'sleep.exit_status == 0' --expect 'meminfo.MemTotal > 0' --expect 'vmstat.pgfault > 0'
expect_rc 0
d1=$(result_dirs stats | tail -n 1)
expect_result_files "$d1"
for f in stats.json sleep.json meminfo.json vmstat.json interrupts.json; do
    [ -s "$d1/$f" ] || bad "stats1: $f missing or empty"
done
for m in vmstat meminfo interrupts; do
    [ "$(grep -c '^time: ' "$d1/$m" 2>/dev/null)" -ge 2 ] || bad "stats1: fewer than 2 samples in $m"
done
grep -q '"interrupts\.' "$d1/stats.json" || bad "stats1: no interrupts.* metric in stats.json"
expect_in out "expect sleep.seconds == 2: 2 (holds)"
runjob stats2 stats.yaml --timeout 300 --expect 'sleep.seconds > 5'
expect_rc 1
expect_in out "expect sleep.seconds > 5: 2 (fails: bad)"
d2=$(result_dirs stats | tail -n 1)
runjob stats3 stats.yaml --timeout 300 --expect 'nosuch.metric > 1'
expect_rc 125
expect_in out "expect nosuch.metric > 1: missing (cannot test)"
vmm compare compare "$d1" -- "$d2"
expect_rc 0
expect_in out "sleep.seconds"
expect_in out "meminfo.MemTotal"
addnote "stats.json, --expect 0/1/125, compare"
