# shellcheck disable=SC2154 # rc, CASE, OUT, GUESTS: set by tests/rig/lib.sh and l1-init
# Experiment for issue 16 (docs/9p.md, "Under load"): the p9stress guest
# (tests/rig/guests/p9stress) ROUNDS times (default 3) in each of the
# MODES (default "vcpu pool"), in turn: vcpu = minivmm's default (served on
# the vCPU that notified, KVM_IRQ_LINE, no other thread woken), pool =
# MINIVMM_VIRTIO_SERVE=pool (ioeventfd, I/O thread, worker pool, irqfd),
# line = the pool with MINIVMM_VIRTIO_IRQ=line (KVM_IRQ_LINE from the
# completing worker, the way QEMU raises it) and io =
# MINIVMM_VIRTIO_SERVE=io (requests served on the I/O thread).  Each run's end and the guest's last step are
# RIG-LOG lines on L1's console as they happen, so an L1 that stops
# mid-way still shows which mode was running.
#   RIG_CASES_DIR=tests/rig/loops RIG_TIMEOUT=20000 tests/rig/run ./minivmm p9stress-ab
# (RIG_STALL as usual: an L1 stall ends the run and names this case.)
ROUNDS=${ROUNDS:-3}
MODES=${MODES:-vcpu pool}
i=0 runs="" allok=1
while [ $i -lt "$ROUNDS" ]; do
    i=$((i + 1))
    for mode in $MODES; do
        l=$mode-$i
        rm -rf "$OUT/share" && mkdir -p "$OUT/share"
        unset MINIVMM_VIRTIO_IRQ MINIVMM_VIRTIO_SERVE
        case $mode in
        pool) export MINIVMM_VIRTIO_SERVE=pool ;;
        line) export MINIVMM_VIRTIO_SERVE=pool MINIVMM_VIRTIO_IRQ=line ;;
        io) export MINIVMM_VIRTIO_SERVE=io ;;
        esac
        boot "$l" --initrd "$GUESTS/p9stress.cgz" --timeout 1200 --share "$OUT/share" --memory 512M
        unset MINIVMM_VIRTIO_IRQ MINIVMM_VIRTIO_SERVE
        step=$(grep '^RIG-GUEST p9stress' "$OUT/$l.console" 2>/dev/null | tail -n 1)
        echo "RIG-LOG $CASE $l: $(rcname "$rc"), last step: ${step#RIG-GUEST p9stress }"
        if [ "$rc" = 0 ]; then
            runs="$runs $l:ok"
        else
            runs="$runs $l:$rc" allok=0
            grep 'rip=' "$OUT/$l.err" | head -n 2 | rig_log "$l regs"
        fi
    done
done
addnote "${runs# }"
[ $allok = 1 ] || bad "not every run passed"
