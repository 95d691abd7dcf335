# Sourced by the run-* cases: `minivmm run` with the rig's kernel, the L2
# module subset, the repository's programs and example jobs, in L1.
# The 9p server keeps its requests in memory and prints them to LABEL.err
# at exit (docs/9p.md, "Debugging"); lib.sh's show leaves those lines out.
MINIVMM_TRACE_9P=ring
export MINIVMM_TRACE_9P
# runjob LABEL JOB [ARGS...]: results under $OUT/results.
runjob() {
    l=$1; j=$2; shift 2
    vmm "$l" run "/rig/examples/$j" --kernel "$KERNEL" --modules /rig/l2modules \
        --programs /rig/programs --result-root "$OUT/results" --memory 512M "$@"
}
# result_dirs TESTCASE: the result directories made for TESTCASE, one a line.
result_dirs() { find "$OUT/results/$1" -mindepth 3 -maxdepth 3 -type d 2>/dev/null | sort; }
# expect_result_files DIR: everything a run leaves.
expect_result_files() {
    for f in job.yaml job.sh console.log output dmesg exit_status summary.json; do
        [ -s "$1/$f" ] || bad "$(basename "$(dirname "$1")")/$(basename "$1"): $f missing or empty"
    done
}
