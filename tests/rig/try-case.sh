# shellcheck shell=sh disable=SC2154  # OUT, KERNEL, MINIVMM: set by l1-init
# try: the case tests/try runs in the rig's L1 (copied there as try.sh):
# `minivmm run` of the user's job with the rig's kernel, the L2 module
# subset and the repository's programs.  Every line minivmm prints is relayed
# at once as "RIG-TRY LINE"; then the result tree goes out as base64 lines
# "RIG-TRY-TAR ..." and the exit status as "RIG-TRY-EXIT N".  The case's own
# verdict is PASS whenever minivmm ran (the job's verdict is its exit status).
TRY_JOB="" TRY_ARGS=""
. /rig/cases/try.conf
mkdir -p "$OUT/job" "$OUT/results"
tar -xf /rig/cases/jobdir.tar -C "$OUT/job" || bad "cannot unpack the job directory"
if [ -z "$why" ]; then
    # shellcheck disable=SC2086 # TRY_ARGS: plain words (tests/try checks)
    { "$MINIVMM" run "$OUT/job/$TRY_JOB" --kernel "$KERNEL" --modules /rig/l2modules \
        --programs /rig/programs --result-root "$OUT/results" --progress $TRY_ARGS 2>&1
      echo "RIG-TRY-STATUS $?"; } | while IFS= read -r line; do
        case $line in
        "RIG-TRY-STATUS "*) echo "${line#RIG-TRY-STATUS }" > "$OUT/rc" ;;
        *) echo "RIG-TRY $line" ;;
        esac
    done
    rc=$(cat "$OUT/rc" 2>/dev/null)
    (cd "$OUT/results" && tar -cf - . | gzip -c | base64) | sed 's/^/RIG-TRY-TAR /'
    echo "RIG-TRY-EXIT ${rc:-255}"
    addnote "minivmm run exited ${rc:-?}"
fi
