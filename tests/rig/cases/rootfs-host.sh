# rootfs-host: `run --rootfs host` runs a program that exists only in the
# host's userland.  In the rig the host is L1, whose userland is busybox in
# an initramfs: that / is what is exported, so the case puts a script there
# first (a unique name, in no initrd).  The job then tries to change L1's
# files: through the overlay (lands in the guest's tmpfs) and through the
# 9p mount under it, remounted read-write in the guest (refused by the
# read-only export in the 9p server).  Afterwards L1's files are as they were (docs/rootfs.md).
. /rig/run-lib.sh
u=/opt/rig-host-only/prog-$$
mkdir -p /opt/rig-host-only
printf '#!/bin/sh\necho "host-only program ran: $0"\n' > "$u"
chmod 0755 "$u"
mkdir -p /etc                       # L1's initramfs has none
echo original > /etc/rig-host-file || bad "cannot write L1's /etc/rig-host-file"
rm -rf /rig-guest-new /rig-guest-dir
mkdir -p "$OUT/progs/hostonly" "$OUT/jobs"
cat > "$OUT/progs/hostonly/run" <<'PROG'
#!/bin/sh
# $1: the host-only program.  Runs it, then tries to change the host.
exec 2>&1
"$1" || echo "host-only program failed: $?"
echo changed > /etc/rig-host-file && echo "overlay write: $(cat /etc/rig-host-file)"
echo new > /rig-guest-new && echo "overlay create: $(cat /rig-guest-new)"
rm -f "$1" && [ ! -e "$1" ] && echo "overlay remove: gone"
# The export itself, made read-write in the guest (through init's mount
# namespace root): only the 9p server stands between the guest and the host.
l=/proc/1/root/host/lower
# (mount looks the mount point up in /proc/mounts, which a chrooted process
# sees without init's mounts: the remount runs in init's root.)
if chroot /proc/1/root /bin/busybox mount -o remount,rw /host/lower; then echo "remount rw: done"; else echo "remount rw: failed"; fi
echo "export: $(cat "$l/etc/rig-host-file")"
if echo x > "$l/etc/rig-host-file"; then echo "direct write: REACHED THE HOST"
else echo "direct write: refused"; fi
if mkdir "$l/rig-guest-dir"; then echo "direct mkdir: REACHED THE HOST"
else echo "direct mkdir: refused"; fi
exit 0
PROG
chmod 0755 "$OUT/progs/hostonly/run"
printf 'testcase: rootfs-host\nhostonly: %s\n' "$u" > "$OUT/jobs/host.yaml"
vmm host run "$OUT/jobs/host.yaml" --kernel "$KERNEL" --modules /rig/l2modules \
    --programs "$OUT/progs" --result-root "$OUT/results" --rootfs host --memory 512M --timeout 300
expect_rc 0
d=$(result_dirs rootfs-host | head -n 1)
if [ -z "$d" ]; then
    bad "no result directory"
else
    f=$d/hostonly
    for want in "host-only program ran: $u" "overlay write: changed" "overlay create: new" \
                "overlay remove: gone" "remount rw: done" "export: original" "direct write: refused" \
                "direct mkdir: refused"; do
        grep -qF "$want" "$f" 2>/dev/null ||
            bad "$(echo "'$want' missing from the program's output: $(head -c 1500 "$f" 2>/dev/null; ls "$d"; tail -n 3 "$d/output" "$d/hostonly.status" 2>/dev/null; tail -n 12 "$d/dmesg" 2>/dev/null)" | tr "\n" " ")"
    done
fi
[ "$(cat /etc/rig-host-file)" = original ] || bad "L1's /etc/rig-host-file changed: $(cat /etc/rig-host-file)"
[ -x "$u" ] || bad "L1's $u is gone"
[ ! -e /rig-guest-new ] || bad "the guest created /rig-guest-new in L1"
[ ! -e /rig-guest-dir ] || bad "the guest created /rig-guest-dir in L1"
addnote "a program only in L1's / ran; L1's files unchanged"
