#!/bin/sh
# minivmm guest init (PID 1): mount the basics, load the collected modules,
# mount the result share, run the job with its output saved there, save dmesg,
# sync, report the job's status through the exit device, power off.
# Anything that stops the job from running is printed with "minivmm-init:" and
# the guest powers off without a status (minivmm then exits 127).
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
jobsh=sh
if [ -x /minivmm/bin/busybox ]; then
    # --rootfs: a userland of its own; busybox supplies what it lacks (docs/rootfs.md)
    /minivmm/bin/busybox --install -s /minivmm/bin
    PATH=/usr/local/sbin:/usr/local/bin:$PATH:/minivmm/bin
    jobsh="/minivmm/bin/busybox sh"
elif [ -x /bin/busybox ]; then
    /bin/busybox mkdir -p /usr/bin /usr/sbin /sbin
    /bin/busybox --install -s
fi
mkdir -p /proc /sys /dev /tmp /result
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp

port() { printf "\\$(printf %o "$2")" | dd of=/dev/port bs=1 seek="$1" count=1 2>/dev/null; }
mark() { port 1544 "$1"; }                      # boot timer, port 0x608
fail() {
    echo "minivmm-init: $*"
    sync
    poweroff -f
    sleep 10
    exit 1
}

mark 1                                          # init reached
kver=$(uname -r)
load=/lib/modules/$kver/minivmm.load
[ -f "$load" ] || load=/usr/lib/modules/$kver/minivmm.load     # --rootfs: below /usr
if [ -f "$load" ]; then
    while read -r ko; do
        [ -n "$ko" ] || continue
        insmod "$ko" 2>/tmp/insmod.err || grep -q 'File exists' /tmp/insmod.err ||
            fail "cannot load module $ko: $(cat /tmp/insmod.err)"
    done <"$load"
fi

tries=0
until mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 minivmm-result /result 2>/tmp/mount.err; do
    tries=$((tries + 1))
    [ "$tries" -lt 50 ] || fail "cannot mount the result share: $(cat /tmp/mount.err)"
    sleep 0.1
done

# --rootfs host: the host's / read-only over 9p under a tmpfs overlay; the job
# runs chrooted there, with /result and /minivmm bound in (docs/rootfs.md).
jobroot=
if [ -f /minivmm/rootfs-host ]; then
    mkdir -p /host/lower /host/rw /host/root
    tries=0
    until mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=524288 minivmm-root /host/lower 2>/tmp/mount.err; do
        tries=$((tries + 1))
        [ "$tries" -lt 50 ] || fail "cannot mount the host's root: $(cat /tmp/mount.err)"
        sleep 0.1
    done
    mount -t tmpfs -o mode=0755 minivmm-overlay /host/rw || fail "cannot mount the overlay's tmpfs"
    mkdir -p /host/rw/upper /host/rw/work
    mount -t overlay -o lowerdir=/host/lower,upperdir=/host/rw/upper,workdir=/host/rw/work \
        overlay /host/root 2>/tmp/mount.err || fail "cannot mount the overlay: $(cat /tmp/mount.err)"
    for d in proc sys dev tmp result minivmm; do
        mkdir -p "/host/root/$d" || fail "cannot create /$d in the overlay"
    done
    mount -t proc proc /host/root/proc && mount -t sysfs sysfs /host/root/sys &&
        mount -t devtmpfs devtmpfs /host/root/dev && mount -t tmpfs tmpfs /host/root/tmp &&
        mount --bind /result /host/root/result && mount --bind /minivmm /host/root/minivmm ||
        fail "cannot set up the mounts of the host's root"
    jobroot=/host/root
fi

export RESULT_ROOT=/result
cd /result || fail "cannot enter /result"
mark 2                                          # job start
if [ -n "$jobroot" ]; then
    { chroot "$jobroot" /minivmm/bin/busybox sh -c 'cd /result && exec /minivmm/bin/busybox sh /minivmm/job.sh run_job'
      echo $? >/tmp/job.status; } 2>&1 | tee /result/output
else
    { $jobsh /minivmm/job.sh run_job; echo $? >/tmp/job.status; } 2>&1 | tee /result/output
fi
mark 3                                          # job end
st=$(cat /tmp/job.status 2>/dev/null)
[ -n "$st" ] || st=1
dmesg >/result/dmesg 2>&1
cd /
sync
echo "minivmm-init: job exited with status $st"
port 1540 "$st"                                 # exit device, port 0x604: the VM ends
poweroff -f
