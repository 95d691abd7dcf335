# rootfs-hackbench: Debian's hackbench (rt-tests) from a userland that
# `minivmm rootfs --packages rt-tests` built on the rig's host before L1
# started (tests/rig/run, cached; docs/rootfs.md).  Two runs with --rootfs:
# each leaves hackbench's output and a stats.json whose
# hackbench.throughput is a positive number, and `minivmm compare` of the
# two result directories prints that metric.
. /rig/run-lib.sh
fs=/rig/rootfs-rt-tests.cgz
if [ ! -s "$fs" ]; then
    bad "no userland: $(cat /rig/rootfs-rt-tests.err 2>/dev/null || echo "$fs missing")"
else
    mkdir -p "$OUT/progs/hackbench" "$OUT/jobs"
    cat > "$OUT/progs/hackbench/run" <<'PROG'
#!/bin/sh
# Debian's hackbench, from the --rootfs userland (not in the host's busybox)
exec hackbench "$@"
PROG
    chmod 0755 "$OUT/progs/hackbench/run"
    printf 'testcase: rootfs-hackbench\nhackbench: -s 100 -l 100 -g 2 -f 5\n' > "$OUT/jobs/hb.yaml"
    dirs=""
    for n in 1 2; do
        vmm "hb$n" run "$OUT/jobs/hb.yaml" --kernel "$KERNEL" --modules /rig/l2modules \
            --programs "$OUT/progs" --result-root "$OUT/results" --rootfs "$fs" \
            --memory 1G --timeout 900
        expect_rc 0
        d=$(result_dirs rootfs-hackbench | sed -n "${n}p")
        [ -n "$d" ] || { bad "hb$n: no result directory"; continue; }
        dirs="$dirs $d"
        grep -q "^Time:" "$d/hackbench" 2>/dev/null ||
            bad "hb$n: hackbench's output has no Time: line: $(head -c 300 "$d/hackbench" 2>/dev/null; tail -n 3 "$d/output" 2>/dev/null)"
        v=$(sed -n 's/.*"hackbench\.throughput": *\([0-9.eE+-]*\).*/\1/p' "$d/stats.json" 2>/dev/null)
        if [ -z "$v" ]; then
            bad "hb$n: no hackbench.throughput in stats.json: $(head -c 300 "$d/stats.json" 2>/dev/null || echo missing)"
        elif ! awk -v v="$v" 'BEGIN { exit !(v + 0 > 0) }'; then
            bad "hb$n: hackbench.throughput is $v, want > 0"
        else
            addnote "run $n: hackbench.throughput $v"
        fi
    done
    set -- $dirs
    if [ $# = 2 ]; then
        vmm compare compare "$1" -- "$2"
        expect_rc 0
        expect_in out "hackbench.throughput"
    else
        bad "compare: want 2 result directories, got $#"
    fi
fi
