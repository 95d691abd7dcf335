# Debugging loop (docs/testing.md, "a 9p create that sometimes failed"):
# RIG_CASES_DIR=tests/rig/loops tests/rig/run ./minivmm  -- runs run-list's job
# up to 20 times (with run-lib.sh's MINIVMM_TRACE_9P=ring) and shows the
# trace around the first EINVAL.
. /rig/run-lib.sh
i=0; f=0
while [ $i -lt 20 ] && [ $f = 0 ]; do
    i=$((i+1))
    rm -rf "$OUT/results"
    runjob list-$i sleep-list.yaml --timeout 300
    for d in $(result_dirs sleep); do
        if [ ! -s "$d/output" ]; then
            f=$((f+1))
            echo "RIG-LOG $CASE run $i: $d/output empty"
            grep -n "Rlerror" "$OUT/list-$i.err" | head -20 | sed "s/^/RIG-LOG $CASE errs| /"
            grep -c "9p T" "$OUT/list-$i.err" | sed "s/^/RIG-LOG $CASE count| /"
            n=$(grep -n "Rlerror 22" "$OUT/list-$i.err" | head -1 | cut -d: -f1)
            [ -n "$n" ] && sed -n "$((n > 60 ? n - 60 : 1)),$((n + 5))p" "$OUT/list-$i.err" | sed "s/^/RIG-LOG $CASE tr| /"
        fi
    done
done
addnote "$f empty outputs in $i runs"
