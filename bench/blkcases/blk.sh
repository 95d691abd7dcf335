# shellcheck shell=sh disable=SC2154  # OUT, INITRD, KERNEL, MINIVMM: set by l1-init
# blk: the disk benchmark, run inside the rig's L1 by bench/blk
# (RIG_CASES_DIR=build/bench-blk/cases RIG_WITH_QEMU=1 tests/rig/run).
# The same guest (guests/blk/init), stock kernel and image file with each
# VMM in turn, BLKB_N rounds: minivmm --disk (served on the vCPU),
# minivmm with MINIVMM_VIRTIO_SERVE=pool (minivmm-io: =io, when asked for), QEMU microvm with
# virtio-blk-device (both cache=writeback, the image in L1's RAM).  Relayed:
#   BLKBENCH vmm=V i=I step=S secs=X n=COUNT bytes=B
#   BLKBENCH-RUN vmm=V i=I status=S ok=0|1
BLKB_N=3 BLKB_TIMEOUT=1800 BLKB_VMMS="minivmm qemu minivmm-pool" BLKB_IMG_MB=256
[ -r /rig/cases/blk.conf ] && . /rig/cases/blk.conf   # written by bench/blk
QEMU=$(command -v qemu-system-x86_64)
[ -n "$QEMU" ] || bad "no QEMU in L1 (RIG_WITH_QEMU=1)"
[ -n "$INITRD" ] && [ -r /rig/cases/blkrand.cgz ] || bad "no guest initrd or no blkrand.cgz"
cat "$INITRD" /rig/cases/blkrand.cgz > "$OUT/blk.cgz" || bad "cannot make the initrd"
dd if=/dev/zero of="$OUT/img" bs=1M count="$BLKB_IMG_MB" 2>/dev/null || bad "cannot make the image"
Q_CMDLINE="console=ttyS0 panic=-1 reboot=t pci=off no_timer_check quiet"

blk_run() {    # VMM I
    f=$OUT/$1-$2
    case $1 in
    minivmm*)
        want=0
        [ "$1" = minivmm-pool ] && export MINIVMM_VIRTIO_SERVE=pool
        [ "$1" = minivmm-io ] && export MINIVMM_VIRTIO_SERVE=io
        "$MINIVMM" boot --kernel "$KERNEL" --initrd "$OUT/blk.cgz" --memory 512M \
            --disk "$OUT/img" --append quiet --quiet --console "$f.con" \
            --timeout "$BLKB_TIMEOUT" < /dev/null > "$f.out" 2> "$f.err"
        st=$?
        unset MINIVMM_VIRTIO_SERVE ;;
    qemu)
        want=1          # isa-debug-exit: (0 << 1) | 1
        timeout -s KILL "$BLKB_TIMEOUT" "$QEMU" -nodefaults -no-user-config \
            -L /usr/share/qemu -accel kvm -cpu host -M microvm -m 512M -smp 1 \
            -display none -no-reboot -chardev "file,id=c0,path=$f.con" \
            -serial chardev:c0 -device isa-debug-exit,iobase=0x604,iosize=1 \
            -drive "file=$OUT/img,if=none,id=d0,format=raw,cache=writeback" \
            -device virtio-blk-device,drive=d0 \
            -kernel "$KERNEL" -initrd "$OUT/blk.cgz" -append "$Q_CMDLINE" \
            < /dev/null > "$f.out" 2> "$f.err"
        st=$? ;;
    esac
    tr -d '\r' < "$f.con" | sed -n "s/^BLKB step=/BLKBENCH vmm=$1 i=$2 step=/p"
    ok=0
    [ "$st" = "$want" ] && grep -q '^BLKB done' "$f.con" && ok=1
    echo "BLKBENCH-RUN vmm=$1 i=$2 status=$st ok=$ok"
    if [ $ok = 0 ]; then
        tr -d '\r' < "$f.con" | grep 'BLKB FAILED' | rig_log "$1-$2"
        show "$1-$2.err" "$f.err" 6
        show "$1-$2.console" "$f.con" 8
    fi
}

if [ -z "$why" ]; then
    echo "BLKBENCH-INFO n=$BLKB_N qemu=$("$QEMU" --version | head -n 1 | tr ' ' _) img_mb=$BLKB_IMG_MB"
    i=1
    while [ "$i" -le "$BLKB_N" ]; do
        for v in $BLKB_VMMS; do blk_run "$v" "$i"; done
        i=$((i + 1))
    done
    echo "BLKBENCH-END"
fi
