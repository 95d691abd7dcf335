# shellcheck disable=SC2154 # rc, CASE, OUT, GUESTS: set by tests/rig/lib.sh and l1-init
# Experiment for issue 16 (docs/9p.md, "Under load"): the p9stress guest
# (tests/rig/guests/p9stress) ROUNDS times (default 3) in each of three
# modes, in turn: minivmm's default (worker pool, interrupt through irqfd),
# MINIVMM_VIRTIO_IRQ=line (KVM_IRQ_LINE from the completing thread, the way
# QEMU raises it) and MINIVMM_9P_INLINE=1 (requests served on the I/O
# thread, no worker wake-up).  Each run's end and the guest's last step are
# RIG-LOG lines on L1's console as they happen, so an L1 that stops
# mid-way still shows which mode was running.
#   RIG_CASES_DIR=tests/rig/loops RIG_TIMEOUT=20000 tests/rig/run ./minivmm p9stress-ab
# (RIG_STALL as usual: an L1 stall ends the run and names this case.)
ROUNDS=${ROUNDS:-3}
ok_fd=0 ok_line=0 ok_inline=0 i=0
while [ $i -lt "$ROUNDS" ]; do
    i=$((i + 1))
    for mode in irqfd line inline; do
        l=$mode-$i
        rm -rf "$OUT/share" && mkdir -p "$OUT/share"
        unset MINIVMM_VIRTIO_IRQ MINIVMM_9P_INLINE
        [ $mode = line ] && export MINIVMM_VIRTIO_IRQ=line
        [ $mode = inline ] && export MINIVMM_9P_INLINE=1
        boot "$l" --initrd "$GUESTS/p9stress.cgz" --timeout 1200 --share "$OUT/share" --memory 512M
        unset MINIVMM_VIRTIO_IRQ MINIVMM_9P_INLINE
        step=$(grep '^RIG-GUEST p9stress' "$OUT/$l.console" 2>/dev/null | tail -n 1)
        echo "RIG-LOG $CASE $l: $(rcname "$rc"), last step: ${step#RIG-GUEST p9stress }"
        if [ "$rc" = 0 ]; then
            case $mode in
            line) ok_line=$((ok_line + 1)) ;;
            inline) ok_inline=$((ok_inline + 1)) ;;
            *) ok_fd=$((ok_fd + 1)) ;;
            esac
        else
            grep 'rip=' "$OUT/$l.err" | head -n 2 | rig_log "$l regs"
        fi
    done
done
addnote "default passed $ok_fd of $i, KVM_IRQ_LINE $ok_line of $i, inline $ok_inline of $i"
[ $ok_fd = "$i" ] && [ $ok_line = "$i" ] && [ $ok_inline = "$i" ] || bad "not every run passed"
