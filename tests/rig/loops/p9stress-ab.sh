# shellcheck disable=SC2154 # rc, CASE, OUT, GUESTS: set by tests/rig/lib.sh and l1-init
# Experiment for issue 16 (docs/9p.md, "Under load"): the p9stress guest
# (tests/rig/guests/p9stress) ROUNDS times (default 5) with the interrupt
# through irqfd (minivmm's default) and as many times with
# MINIVMM_VIRTIO_IRQ=line (KVM_IRQ_LINE from the completing thread, the way
# QEMU raises it), alternating.  Each run's end and the guest's last step are
# RIG-LOG lines on L1's console as they happen, so an L1 that stops
# mid-way still shows which mode was running.
#   RIG_CASES_DIR=tests/rig/loops RIG_TIMEOUT=20000 tests/rig/run ./minivmm p9stress-ab
# (RIG_STALL as usual: an L1 stall ends the run and names this case.)
ROUNDS=${ROUNDS:-5}
ok_fd=0 ok_line=0 i=0
while [ $i -lt "$ROUNDS" ]; do
    i=$((i + 1))
    for mode in irqfd line; do
        l=$mode-$i
        rm -rf "$OUT/share" && mkdir -p "$OUT/share"
        if [ $mode = line ]; then export MINIVMM_VIRTIO_IRQ=line; else unset MINIVMM_VIRTIO_IRQ; fi
        boot "$l" --initrd "$GUESTS/p9stress.cgz" --timeout 1200 --share "$OUT/share" --memory 512M
        unset MINIVMM_VIRTIO_IRQ
        step=$(grep '^RIG-GUEST p9stress' "$OUT/$l.console" 2>/dev/null | tail -n 1)
        echo "RIG-LOG $CASE $l: $(rcname "$rc"), last step: ${step#RIG-GUEST p9stress }"
        if [ "$rc" = 0 ]; then
            if [ $mode = line ]; then ok_line=$((ok_line + 1)); else ok_fd=$((ok_fd + 1)); fi
        else
            grep 'rip=' "$OUT/$l.err" | head -n 2 | rig_log "$l regs"
        fi
    done
done
addnote "irqfd passed $ok_fd of $i, KVM_IRQ_LINE passed $ok_line of $i"
[ $ok_fd = "$i" ] && [ $ok_line = "$i" ] || bad "not every run passed"
