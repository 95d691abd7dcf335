# run-lkp-src: `minivmm run --lkp-src` with the small lkp-style tree
# tests/lkp/src-mini (its jobs/mini.yaml: a setup, a monitor and a test, all
# plain sh) on the Debian kernel and busybox: the tree is packed as
# /lkp/lkp/src and lkp's programs run from it with LKP_SRC and TMP set;
# lkp's defaults of the tree (include/category/functional) add a monitor and
# a variable the guest sees.  Exit 0, two jobs (count: [1, 2]) with two
# result directories holding what the programs wrote.
. /rig/run-lib.sh
vmm lkpsrc run /rig/lkp-src-mini/jobs/mini.yaml --kernel "$KERNEL" --modules /rig/l2modules \
    --lkp-src /rig/lkp-src-mini --result-root "$OUT/results" --memory 512M --timeout 300
expect_rc 0
d=$(result_dirs mini)
[ "$(echo "$d" | grep -c .)" = 2 ] || bad "want 2 result directories, got: $(echo $d)"
for r in $d; do
    expect_result_files "$r"
    case $r in */1-hello_lkp-3/*) n=1 ;; */2-hello_lkp-3/*) n=2 ;; *) n=0; bad "unexpected result directory $r" ;; esac
    [ "$(grep -c '^mvhello: hello lkp$' "$r/mvhello" 2>/dev/null)" = "$n" ] ||
        bad "$r: mvhello did not greet $n times (count: $n)"
    grep -q '^mvhello: prepared at level 3$' "$r/mvhello" 2>/dev/null ||
        bad "$r: the test did not see the setup's file in TMP"
    grep -q '^mvhello: LKP_SRC=/lkp/lkp/src testcase=mini$' "$r/mvhello" 2>/dev/null ||
        bad "$r: LKP_SRC or the job's variables missing in the test"
    grep -q '^mvprep: level 3$' "$r/mvprep" 2>/dev/null || bad "$r: the setup's output missing"
    for s in mvprep mvhello; do
        [ "$(cat "$r/$s.status" 2>/dev/null)" = 0 ] || bad "$r: $s.status is not 0"
    done
    [ -e "$r/mvwatch" ] || bad "$r: the monitor's output file missing"
    grep -q '^mvstamp: functional defaults$' "$r/mvstamp" 2>/dev/null ||
        bad "$r: the monitor lkp's defaults add did not run with their variable"
    grep -q "test mvhello: exit status 0" "$r/output" 2>/dev/null || bad "$r: runtime lines missing"
done
expect_in out "mini-1-hello_lkp-3: pass (exit 0"
expect_in out "mini-2-hello_lkp-3: pass (exit 0"
addnote "lkp tree programs ran in 2 jobs, with the tree's defaults"
