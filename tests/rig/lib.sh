# Helpers for rig cases; sourced (busybox sh, inside L1) before each
# tests/rig/cases/NAME.sh.  Environment set by tests/rig/l1-init:
#   CASE     case name            MINIVMM  minivmm binary in L1
#   KERNEL   guest bzImage        INITRD   this case's guest initrd (if any)
#   GUESTS   dir of all guest initrds (NAME.cgz)
#   OUT      empty scratch dir for this case's files
# A case calls vmm/boot, then expect_* checks; l1-init calls verdict after it.
# Every minivmm run has a watchdog (its --timeout + 60 s, SIGKILL), so a
# minivmm that ignores --timeout cannot hang the rig.

why=""          # failed checks, "; "-separated
note=""         # facts for the result line
rc=""           # exit status of the last vmm run
elapsed=""      # its wall time in seconds (x.xx), from L1's /proc/uptime
last=""         # label of the last vmm run: files $OUT/$last.{out,err,console}
total_cs=0

uptime_cs() { read -r u _ < /proc/uptime; echo "${u%.*}${u#*.}" | sed 's/^0*//;s/^$/0/'; }
cs2s() { printf '%d.%02d' $(($1 / 100)) $(($1 % 100)); }

bad() { why="${why:+$why; }$*"; }
addnote() { note="${note:+$note, }$*"; }

# Meaning of minivmm's exit statuses (for messages).
rcname() {
    case "$1" in
        124) echo "124/timeout" ;;
        125) echo "125/kernel-unusable" ;;
        126) echo "126/guest-crashed" ;;
        127) echo "127/ended-without-status" ;;
        137) echo "137/killed-by-rig-watchdog" ;;
        255) echo "255/usage-or-host-error" ;;
        *) echo "$1" ;;
    esac
}

# vmm LABEL ARGS...: run "$MINIVMM" ARGS; stdout, stderr to $OUT/LABEL.out/.err.
vmm() {
    last=$1; shift
    t=""; wd=120; prev=""
    for a in "$@"; do
        [ "$prev" = "--timeout" ] && t=$a
        prev=$a
    done
    [ -n "$t" ] && wd=$((t + 60))
    t0=$(uptime_cs)
    timeout -s KILL "$wd" "$MINIVMM" "$@" > "$OUT/$last.out" 2> "$OUT/$last.err"
    rc=$?
    t1=$(uptime_cs)
    total_cs=$((total_cs + t1 - t0))
    elapsed=$(cs2s $((t1 - t0)))
    echo "RIG-LOG $CASE $last: exit $(rcname $rc) after ${elapsed}s: minivmm $*"
    if [ "$rc" -eq 137 ] && [ "$((t1 - t0))" -ge "$((wd * 100 - 100))" ]; then
        bad "$last: minivmm still running after ${wd}s, killed by the rig watchdog"
    fi
}

# boot LABEL ARGS...: vmm with the rig's usual guest options and a --console file.
boot() {
    l=$1; shift
    vmm "$l" boot --kernel "$KERNEL" --memory 256M --append quiet \
        --console "$OUT/$l.console" "$@"
}

expect_rc() {
    [ "$rc" = "$1" ] || bad "$last: exit $(rcname "$rc"), want $(rcname "$1")"
}

# expect_in FILE-SUFFIX TEXT: $OUT/$last.SUFFIX contains TEXT.
expect_in() {
    f="$OUT/$last.$1"
    if [ ! -e "$f" ]; then
        bad "$last: no $1 file written"
    elif ! grep -q -F -- "$2" "$f"; then
        bad "$last: '$2' missing from $1 ($(wc -c < "$f") bytes)"
    fi
}

# expect_one_line_err: stderr holds exactly one non-empty line.
expect_one_line_err() {
    n=$(grep -c . "$OUT/$last.err")
    [ "$n" -eq 1 ] || bad "$last: $n lines on stderr, want one error line"
}

# expect_elapsed_le SECONDS / expect_elapsed_ge SECONDS (whole seconds).
expect_elapsed_le() {
    [ "${elapsed%.*}" -lt "$1" ] || bad "$last: took ${elapsed}s, limit ${1}s"
}
expect_elapsed_ge() {
    [ "${elapsed%.*}" -ge "$1" ] || bad "$last: returned after ${elapsed}s, before ${1}s"
}

# Print the tail of a file as RIG-LOG lines (kept in build/rig/console.log).
# (9p trace lines are left out; verdict shows the error replies separately).
show() {
    [ -s "$2" ] || return 0
    grep -v "^minivmm: 9p T" "$2" | tail -n "$3" | rig_log "$1"
}
# rig_log LABEL: each line of stdin as a RIG-LOG line.
rig_log() {
    while IFS= read -r line; do echo "RIG-LOG $CASE $1| $line"; done
}

verdict() {
    t=$(cs2s "$total_cs")
    if [ -z "$why" ]; then
        echo "RIG-CASE $CASE PASS ${note:-ok} [${t}s]"
    else
        for f in "$OUT"/*.err "$OUT"/*.console "$OUT"/*.out; do
            [ -e "$f" ] || continue
            # stdout repeats the console file; show it only when there is none.
            case "$f" in *.out) [ -e "${f%.out}.console" ] && continue ;; esac
            show "${f##*/}" "$f" 12
        done
        # The 9p server's error replies other than ENOENT (MINIVMM_TRACE_9P=ring).
        for f in "$OUT"/*.err; do
            [ -e "$f" ] || continue
            grep "^minivmm: 9p T.* Rlerror" "$f" | grep -v "Rlerror 2 (" | head -n 10 |
                rig_log "${f##*/} 9p"
        done
        echo "RIG-CASE $CASE FAIL $why [${t}s]"
    fi
}
