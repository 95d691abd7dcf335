# Sourced by L2 guest inits (packed as /rig-lib.sh by tests/rig/run).
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
# report N: the status byte to minivmm's exit device (port 0x604 = 1540).
report() { printf "\\$(printf %o "$1")" | dd of=/dev/port bs=1 seek=1540 count=1 2>/dev/null; sleep 1000000; }
# load_modules: insmod /modules/*.ko in the order of /modules.load (packed
# by tests/rig/run from the guest's "modules" list); status 90 on failure.
load_modules() {
    [ -f /modules.load ] || return 0
    while read -r m; do
        insmod "/modules/$m" || { echo "RIG-GUEST insmod $m failed"; report 90; }
    done < /modules.load
}
# mount_share TAG DIR [ro]: mount a minivmm --share; status 91 on failure.
mount_share() {
    mkdir -p "$2"
    mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288${3:+,$3} "$1" "$2" ||
        { echo "RIG-GUEST mount of $1 failed"; report 91; }
}
