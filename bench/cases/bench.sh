# shellcheck shell=sh disable=SC2154  # OUT, INITRD, KERNEL, MINIVMM: set by l1-init
# bench: the fast-boot benchmark's boot loop, run inside the rig's L1 by
# bench/run (RIG_CASES_DIR=build/bench/cases RIG_WITH_QEMU=1 tests/rig/run).
# For each kernel (stock Debian, then the small custom one) it boots the
# guest in guests/bench N times with each VMM, interleaved minivmm, qemu,
# qemu-elf (QEMU given the kernel's vmlinux, when bench/run could take one
# with a PVH note out of the bzImage), minivmm, qemu, ..., after BENCH_WARMUP warm-up pairs that are reported
# but not counted.  One console line per boot, parsed by bench/run:
#   BENCH-RUN kernel=K vmm=V i=I warmup=0|1 status=S us=WALL ok=0|1
#             uptime=GUEST_UPTIME_AT_INIT why=REASON timing=MINIVMM_JSON
# A boot that fails (wrong status, no init marker, killed) is reported with
# ok=0 and a reason and is counted, not timed.  With BENCH_DIAG=1, one more
# boot per kernel and VMM at the end (i=diag, not counted) uses loglevel=7
# instead of quiet, and its console, with printk times, is printed as
#   BENCH-DIAG KERNEL VMM| LINE
# so that bench/run can keep it for finding where boot time goes.  The case fails only when the
# benchmark cannot run at all (no QEMU, no helper, no custom kernel).
BENCH_N=5 BENCH_WARMUP=1 BENCH_TIMEOUT=240 BENCH_DIAG=1
[ -r /rig/cases/bench.conf ] && . /rig/cases/bench.conf   # written by bench/run
BT=/rig/cases/benchtime
QEMU=$(command -v qemu-system-x86_64)
MARK=BENCH-GUEST-INIT-4d2f
# minivmm's default command line plus "quiet" (minivmm adds its default
# itself; --append quiet).  QEMU gets the same, except reboot=t, as
# tests/rig/reference-vmm does (microvm's default reboot methods hang);
# no boot here reboots.
MV_CMDLINE="console=ttyS0 panic=-1 reboot=acpi pci=off no_timer_check quiet"
Q_CMDLINE="console=ttyS0 panic=-1 reboot=t pci=off no_timer_check quiet"
MV_APPEND=quiet

kernels=""
[ -r "$KERNEL" ] && kernels="stock:$KERNEL" || bad "no stock kernel in L1"
[ -r /rig/custom-kernel ] && kernels="$kernels custom:/rig/custom-kernel" ||
    bad "no custom kernel in L1 (run tests/kernel/build-custom.sh)"
[ -x "$BT" ] || bad "no benchtime helper in L1 (RIG_CASES_DIR must build it)"
[ -n "$QEMU" ] || bad "no QEMU in L1 (RIG_WITH_QEMU=1)"
[ -n "$INITRD" ] || bad "no bench guest initrd"

# bench_boot NAME KERNEL_PATH VMM I WARMUP: one timed boot, one BENCH-RUN line.
bench_boot() {
    f=$OUT/$1-$3-$4
    rm -f "$f.res" "$f.con" "$f.out" "$f.err"
    if [ "$3" = minivmm ]; then
        want=0
        "$BT" "$f.res" $((BENCH_TIMEOUT + 60)) "$MINIVMM" boot --kernel "$2" \
            --initrd "$INITRD" --memory 256M --append "$MV_APPEND" --quiet \
            --console "$f.con" --timeout "$BENCH_TIMEOUT" --timing=json \
            < /dev/null > "$f.out" 2> "$f.err"
    else
        want=1          # isa-debug-exit: (status 0 << 1) | 1
        kimg=$2         # qemu-elf: the vmlinux bench/run took out of it (PVH entry)
        [ "$3" = qemu-elf ] && kimg=/rig/cases/vmlinux-$1
        "$BT" "$f.res" "$BENCH_TIMEOUT" "$QEMU" -nodefaults -no-user-config \
            -L /usr/share/qemu -accel kvm -cpu host -M microvm -m 256M -smp 1 \
            -display none -no-reboot -chardev "file,id=c0,path=$f.con" \
            -serial chardev:c0 -device isa-debug-exit,iobase=0x604,iosize=1 \
            -kernel "$kimg" -initrd "$INITRD" -append "$Q_CMDLINE" \
            < /dev/null > "$f.out" 2> "$f.err"
    fi
    st=""; us=""; killed=""
    [ -s "$f.res" ] && read -r st us killed < "$f.res"
    st=${st#status=}; us=${us#us=}; killed=${killed#killed=}
    up=$(sed -n "s/.*$MARK uptime=\([0-9.]*\).*/\1/p" "$f.con" 2>/dev/null | head -n 1)
    timing=$(grep '^{.*"vmm_start_ms"' "$f.err" 2>/dev/null | head -n 1)
    reason=-           # ("why" is lib.sh's list of failed checks)
    if [ -z "$st" ]; then reason=benchtime_failed
    elif [ "$killed" = 1 ]; then reason=killed_after_${BENCH_TIMEOUT}s
    elif [ "$st" != "$want" ]; then reason=exit_$st
    elif [ -z "$up" ]; then reason=no_init_marker_on_console
    elif [ "$3" = minivmm ] && ! echo "$timing" | grep -q '"name": "init"'; then
        reason=no_init_boot_timer_marker
    fi
    ok=1; [ "$reason" = - ] || ok=0
    echo "BENCH-RUN kernel=$1 vmm=$3 i=$4 warmup=$5 status=${st:-?} us=${us:-0} ok=$ok uptime=${up:--} why=$reason timing=${timing:-null}"
    if [ $ok = 0 ]; then
        show "$1-$3-$4.err" "$f.err" 8
        show "$1-$3-$4.console" "$f.con" 12
    fi
    rm -f "$f.out"
}

if [ -z "$why" ]; then
    read -r up _ < /proc/uptime
    echo "BENCH-INFO n=$BENCH_N warmup=$BENCH_WARMUP timeout=$BENCH_TIMEOUT l1_uptime=$up l1_cpus=$(grep -c ^processor /proc/cpuinfo)"
    echo "BENCH-INFO qemu=$("$QEMU" --version | head -n 1)"
    echo "BENCH-INFO minivmm_cmdline=$MV_CMDLINE"
    echo "BENCH-INFO qemu_cmdline=$Q_CMDLINE"
    okn=0; failn=0
    for k in $kernels; do
        name=${k%%:*}; path=${k#*:}
        echo "BENCH-INFO kernel=$name size=$(wc -c < "$path")"
        vmms="minivmm qemu"     # and QEMU given the vmlinux, when bench/run made one
        [ -r "/rig/cases/vmlinux-$name" ] && vmms="$vmms qemu-elf"
        i=$((1 - BENCH_WARMUP))
        while [ "$i" -le "$BENCH_N" ]; do
            w=0; [ "$i" -le 0 ] && w=1
            for v in $vmms; do
                bench_boot "$name" "$path" "$v" "$i" "$w"
                if [ "$w" = 0 ]; then
                    if [ "$ok" = 1 ]; then okn=$((okn + 1)); else failn=$((failn + 1)); fi
                fi
            done
            i=$((i + 1))
        done
    done
    if [ "$BENCH_DIAG" = 1 ]; then
        MV_APPEND=loglevel=7
        Q_CMDLINE="${Q_CMDLINE% quiet} loglevel=7"
        for k in $kernels; do
            name=${k%%:*}; path=${k#*:}
            vmms="minivmm qemu"
            [ -r "/rig/cases/vmlinux-$name" ] && vmms="$vmms qemu-elf"
            for v in $vmms; do
                bench_boot "$name" "$path" "$v" diag 1
                tr -d '\r' < "$OUT/$name-$v-diag.con" | sed "s/^/BENCH-DIAG $name $v| /"
            done
        done
    fi
    read -r up _ < /proc/uptime
    echo "BENCH-END l1_uptime=$up"
    addnote "$okn boots ok, $failn failed"
fi
