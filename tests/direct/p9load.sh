#!/bin/sh
# Many small 9P operations back to back, driven as Linux drives virtio-mmio
# (interrupts, InterruptStatus read and acknowledged, EVENT_IDX): the tiny
# guest's action=p9load (tests/guest/p9load.c).  A reply that never raises
# an interrupt ends the guest with status 61, a request the device never
# takes with 62 (a watchdog on the guest's APIC timer, 20 s without any
# reply); both are failures here.  docs/9p.md, "Under load".
# usage: tests/direct/p9load.sh MINIVMM TINYGUEST_BZIMAGE
set -u
. "$(dirname "$0")/lib"
needs_kvm p9load
env=

# load NAME N ARGS: N (even) files through a fresh export; checks status, the
# guest's summary line, stderr and the files left (the even-numbered ones).
load() {
    name=$1 n=$2 args=$3
    rm -rf "$T/x"
    mkdir "$T/x"
    # shellcheck disable=SC2086 # env: NAME=VALUE words
    env $env "$VMM" boot --kernel "$GUEST" --timeout 300 --share "$T/x" \
        --append "action=p9load:$n$args" >"$T/out" 2>"$T/err"
    rc=$?
    case $rc in
    61) bad "$name" "lost interrupt: $(grep -a 'p9load: stalled' "$T/out")" ;;
    62) bad "$name" "lost notification: $(grep -a 'p9load: stalled' "$T/out")" ;;
    *) expect_rc "$name: every reply came with an interrupt" 0 ;;
    esac
    has "$name: all files done" "$T/out" "tinyguest: p9load: $n files, "
    [ ! -s "$T/err" ] && ok "$name: nothing on stderr" || bad "$name: stderr" "$(head -c 300 "$T/err")"
    left=$(ls "$T/x" | wc -l)
    if [ "$left" -eq $((n / 2)) ] && [ -f "$T/x/f0" ] && [ ! -e "$T/x/f1" ] &&
        [ -f "$T/x/f$((n - 2))" ] && [ ! -e "$T/x/f$((n - 1))" ]; then
        ok "$name: the even-numbered files are left, the odd ones removed"
    else
        bad "$name: files left" "$left of $n, want $((n / 2))"
    fi
}

# Served on the vCPU that notified (the default: no ioeventfd, no worker,
# KVM_IRQ_LINE before the vCPU re-enters).  One request at a time, as a
# shell loop creating files does: an interrupt for every reply.
load "10000 files, one request in flight" 10000 ":1"
load "10000 files, 16 requests in flight" 10000 ":16"
# Without EVENT_IDX (avail flags / used flags).
load "5000 files, 4 in flight, no EVENT_IDX" 5000 ":4:noidx"
# The worker pool (MINIVMM_VIRTIO_SERVE=pool): completions from several
# workers race the guest's acknowledge; notifications and interrupts are
# suppressed in between.
env=MINIVMM_VIRTIO_SERVE=pool
load "pool: 10000 files, one in flight" 10000 ":1"
load "pool: 10000 files, 16 in flight" 10000 ":16"
load "pool: 5000 files, 4 in flight, no EVENT_IDX" 5000 ":4:noidx"
# The pool with the interrupt raised by KVM_IRQ_LINE from the completing
# thread instead of irqfd.
env="MINIVMM_VIRTIO_SERVE=pool MINIVMM_VIRTIO_IRQ=line"
load "pool, KVM_IRQ_LINE: 5000 files, 4 in flight" 5000 ":4"
# The I/O thread serving each request itself.
env=MINIVMM_VIRTIO_SERVE=io
load "I/O thread: 5000 files, 4 in flight" 5000 ":4"
env=

finish p9load
