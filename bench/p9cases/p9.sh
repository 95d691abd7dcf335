# shellcheck shell=sh disable=SC2154  # OUT, INITRD, KERNEL, MINIVMM: set by l1-init
# p9: the 9P benchmark, run inside the rig's L1 by bench/p9
# (RIG_CASES_DIR=build/bench-p9/cases RIG_WITH_QEMU=1 tests/rig/run).
# The same guest (guests/p9/init) and stock kernel with each VMM in turn,
# P9B_N rounds: minivmm --share, minivmm with MINIVMM_VIRTIO_SERVE=pool,
# QEMU microvm with virtio-9p-device (-fsdev local).  The guest's step lines
# are relayed as
#   P9BENCH vmm=V i=I step=S secs=X n=COUNT bytes=B
# and each run ends with P9BENCH-RUN vmm=V i=I status=S ok=0|1.  The case
# fails only when the benchmark cannot run at all.
P9B_N=3 P9B_TIMEOUT=1800 P9B_VMMS="minivmm qemu minivmm-pool"
[ -r /rig/cases/p9.conf ] && . /rig/cases/p9.conf   # written by bench/p9
QEMU=$(command -v qemu-system-x86_64)
[ -n "$QEMU" ] || bad "no QEMU in L1 (RIG_WITH_QEMU=1)"
[ -n "$INITRD" ] && [ -r /rig/cases/src.cgz ] || bad "no guest initrd or no src.cgz"
# The guest initrd and the source tarball, as one (concatenated) initrd.
cat "$INITRD" /rig/cases/src.cgz > "$OUT/p9.cgz" || bad "cannot make the initrd"
Q_CMDLINE="console=ttyS0 panic=-1 reboot=t pci=off no_timer_check quiet"

p9_run() {    # VMM I
    f=$OUT/$1-$2
    rm -rf "$OUT/share" && mkdir -p "$OUT/share"
    case $1 in
    minivmm*)
        want=0
        [ "$1" = minivmm-pool ] && export MINIVMM_VIRTIO_SERVE=pool
        "$MINIVMM" boot --kernel "$KERNEL" --initrd "$OUT/p9.cgz" --memory 512M \
            --share "$OUT/share" --append quiet --quiet --console "$f.con" \
            --timeout "$P9B_TIMEOUT" < /dev/null > "$f.out" 2> "$f.err"
        st=$?
        unset MINIVMM_VIRTIO_SERVE ;;
    qemu)
        want=1          # isa-debug-exit: (0 << 1) | 1
        timeout -s KILL "$P9B_TIMEOUT" "$QEMU" -nodefaults -no-user-config \
            -L /usr/share/qemu -accel kvm -cpu host -M microvm -m 512M -smp 1 \
            -display none -no-reboot -chardev "file,id=c0,path=$f.con" \
            -serial chardev:c0 -device isa-debug-exit,iobase=0x604,iosize=1 \
            -fsdev "local,id=f0,path=$OUT/share,security_model=none" \
            -device virtio-9p-device,fsdev=f0,mount_tag=share0 \
            -kernel "$KERNEL" -initrd "$OUT/p9.cgz" -append "$Q_CMDLINE" \
            < /dev/null > "$f.out" 2> "$f.err"
        st=$? ;;
    esac
    tr -d '\r' < "$f.con" | sed -n "s/^P9B step=/P9BENCH vmm=$1 i=$2 step=/p"
    ok=0
    [ "$st" = "$want" ] && grep -q '^P9B done' "$f.con" && ok=1
    echo "P9BENCH-RUN vmm=$1 i=$2 status=$st ok=$ok"
    if [ $ok = 0 ]; then
        tr -d '\r' < "$f.con" | grep 'P9B FAILED' | rig_log "$1-$2"
        show "$1-$2.err" "$f.err" 6
        show "$1-$2.console" "$f.con" 8
    fi
}

if [ -z "$why" ]; then
    echo "P9BENCH-INFO n=$P9B_N qemu=$("$QEMU" --version | head -n 1 | tr ' ' _) src=$(wc -c < /rig/cases/src.cgz)"
    i=1
    while [ "$i" -le "$P9B_N" ]; do
        for v in $P9B_VMMS; do p9_run "$v" "$i"; done
        i=$((i + 1))
    done
    echo "P9BENCH-END"
fi
