# shellcheck shell=sh disable=SC2154  # rc, elapsed, total_cs, OUT...: set by lib.sh and l1-init
# nopit: without --pit (the default) there is no PIT in the VM; the stock
# and the custom kernel must still boot, keep time and report their status.
# The guest prints RIG-NOPIT-BEFORE, sleeps 2 s, prints RIG-NOPIT-AFTER and
# reports 21.  L1 reads minivmm's stdout (the console) through a pipe and
# notes its own uptime when each marker line arrives: the gap must be 2 s
# within 10% (1.80 to 2.20 s) by L1's clock.  minivmm flushes the console
# at least every 20 ms, so both markers are late by about the same amount.

# timed LABEL KERNEL: like lib.sh's boot (same options, watchdog, RIG-LOG
# line, rc and elapsed), with stdout read line by line as it arrives.
timed() {
    last=$1
    k=$2
    rm -f "$OUT/$last.t0" "$OUT/$last.t1"
    s0=$(uptime_cs)
    { timeout -s KILL 360 "$MINIVMM" boot --kernel "$k" --memory 256M --append quiet \
          --console "$OUT/$last.console" --initrd "$INITRD" --timeout 300 2> "$OUT/$last.err"
      echo $? > "$OUT/$last.rc"; } |
        while IFS= read -r line; do
            case $line in
                *RIG-NOPIT-BEFORE*) uptime_cs > "$OUT/$last.t0" ;;
                *RIG-NOPIT-AFTER*) uptime_cs > "$OUT/$last.t1" ;;
            esac
            printf '%s\n' "$line" >> "$OUT/$last.out"
        done
    s1=$(uptime_cs)
    total_cs=$((total_cs + s1 - s0))
    elapsed=$(cs2s $((s1 - s0)))
    rc=$(cat "$OUT/$last.rc" 2>/dev/null)
    [ -n "$rc" ] || rc=255
    echo "RIG-LOG $CASE $last: exit $(rcname "$rc") after ${elapsed}s: minivmm boot --kernel $k" \
        "--memory 256M --append quiet --console $OUT/$last.console --initrd $INITRD --timeout 300"
    [ "$rc" -ne 137 ] || bad "$last: minivmm still running after 360s, killed by the rig watchdog"
}

# check_sleep LABEL: the guest's `sleep 2` took 1.80 to 2.20 s of L1 time.
check_sleep() {
    if [ ! -s "$OUT/$1.t0" ] || [ ! -s "$OUT/$1.t1" ]; then
        bad "$1: the markers around the guest's sleep 2 did not both arrive"
        return
    fi
    d=$(($(cat "$OUT/$1.t1") - $(cat "$OUT/$1.t0")))
    if [ "$d" -lt 180 ] || [ "$d" -gt 220 ]; then
        bad "$1: the guest's sleep 2 took $(cs2s "$d")s by L1's clock, want 1.80 to 2.20s"
    fi
    ce=$(grep -o 'clockevent=[^ ]*' "$OUT/$1.console" | head -n 1 | tr -d '\r')
    addnote "$1: sleep 2 took $(cs2s "$d")s, ${ce:-clockevent=?}"
}

timed stock "$KERNEL"
expect_rc 21
expect_in console RIG-NOPIT-AFTER
check_sleep stock

if [ ! -r /rig/custom-kernel ]; then
    bad "no custom kernel in L1 (tests/kernel/build-custom.sh did not run)"
else
    timed custom /rig/custom-kernel
    expect_rc 21
    expect_in console RIG-NOPIT-AFTER
    check_sleep custom
fi
