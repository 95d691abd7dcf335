#!/bin/sh
# minivmm guest init (PID 1): mount the basics, load the collected modules,
# mount the result share, run the job with its output saved there, save dmesg,
# sync, report the job's status through the exit device, power off.
# Anything that stops the job from running is printed with "minivmm-init:" and
# the guest powers off without a status (minivmm then exits 127).
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
if [ -x /bin/busybox ]; then
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

export RESULT_ROOT=/result
cd /result || fail "cannot enter /result"
mark 2                                          # job start
{ sh /minivmm/job.sh run_job; echo $? >/tmp/job.status; } 2>&1 | tee /result/output
mark 3                                          # job end
st=$(cat /tmp/job.status 2>/dev/null)
[ -n "$st" ] || st=1
dmesg >/result/dmesg 2>&1
cd /
sync
echo "minivmm-init: job exited with status $st"
port 1540 "$st"                                 # exit device, port 0x604: the VM ends
poweroff -f
