#!/bin/sh
# Set-up, split by need (docs/testing.md, "Set-up"):
#   tests/deps.sh --main   what `minivmm run` needs: the build packages,
#                          busybox-static, and the Debian kernel; on a host
#                          whose /dev/kvm cannot boot Linux (no VMX/SVM),
#                          also what the nested rig needs (QEMU, cpio) so
#                          that tests/try can run the job there.
#   tests/deps.sh          (`make deps`) all of that plus what only the tests
#                          need: libcheck, clang (fuzzing), acpica-tools,
#                          the compression tools, git, QEMU, debootstrap
#                          (the rig's rootfs-hackbench userland), and the small
#                          custom test kernel (tests/kernel/build-custom.sh,
#                          several minutes the first time).
# Idempotent: packages already installed and a kernel already unpacked are
# left alone.  Writes build/debian/env (sourceable by sh):
#   MINIVMM_TEST_KERNEL   path of the unpacked vmlinuz
#   MINIVMM_TEST_MODULES  its lib/modules/VER directory
#   MINIVMM_TEST_KVER     VER
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
dest=$top/build/debian
MAIN_PKGS="build-essential pkg-config libyaml-dev zlib1g-dev libseccomp-dev
liblzma-dev libzstd-dev liblz4-dev libbz2-dev liblzo2-dev libxxhash-dev busybox-static"
RIG_PKGS="qemu-system-x86 cpio gzip"
TEST_PKGS="check libfdt-dev acpica-tools clang xz-utils bzip2 lzop lz4 zstd git procps
debootstrap"
main=0
case "${1:-}" in
    --main) main=1 ;;
    "") ;;
    *) echo "usage: tests/deps.sh [--main]" >&2; exit 2 ;;
esac
if [ $main = 1 ]; then
    PKGS=$MAIN_PKGS
    [ -c /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo 2>/dev/null || PKGS="$PKGS $RIG_PKGS"
else
    PKGS="$MAIN_PKGS $RIG_PKGS $TEST_PKGS"
fi

die() { echo "deps: $*" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
    SUDO=
elif command -v sudo >/dev/null 2>&1; then
    SUDO=sudo
else
    SUDO=
fi
command -v apt-get >/dev/null 2>&1 || die "apt-get not found (Debian needed)"

# 1. Packages: only call apt-get when something is missing.
missing=
for p in $PKGS; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$st" = "install ok installed" ] || missing="$missing $p"
done
updated=0
if [ -n "$missing" ]; then
    [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ] || die "need root or sudo to install:$missing"
    echo "deps: installing:$missing"
    $SUDO apt-get update
    updated=1
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
else
    echo "deps: packages already installed"
fi

# 2. The kernel linux-image-amd64 points at (e.g. linux-image-6.1.0-NN-amd64).
find_vmlinuz() { ls "$dest"/root/boot/vmlinuz-* 2>/dev/null | head -n 1; }
vmlinuz=$(find_vmlinuz || true)
if [ -z "$vmlinuz" ]; then
    if [ "$updated" -eq 0 ]; then
        [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ] || die "need root or sudo for apt-get update"
        $SUDO apt-get update
    fi
    kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
           sed -n 's/^ *Depends: \(linux-image-[^ ]*-amd64\)$/\1/p' |
           grep -v -e '-unsigned$' | head -n 1)
    [ -n "$kpkg" ] || die "cannot tell which package linux-image-amd64 depends on"
    echo "deps: fetching $kpkg"
    mkdir -p "$dest/dl"
    rm -rf "$dest/root"
    # apt-get download writes into the current directory; as root it drops
    # privileges to _apt, so the directory must be writable for it.
    chmod 0777 "$dest/dl" 2>/dev/null || true
    (cd "$dest/dl" && apt-get download "$kpkg") || die "apt-get download $kpkg failed"
    deb=$(ls "$dest"/dl/"$kpkg"_*.deb 2>/dev/null | head -n 1)
    [ -n "$deb" ] || die "downloaded .deb for $kpkg not found in $dest/dl"
    mkdir -p "$dest/root.tmp"
    dpkg -x "$deb" "$dest/root.tmp" || die "dpkg -x $deb failed"
    mv "$dest/root.tmp" "$dest/root"
    vmlinuz=$(find_vmlinuz || true)
    [ -n "$vmlinuz" ] || die "no boot/vmlinuz-* in $deb"
else
    echo "deps: kernel already unpacked"
fi

kver=${vmlinuz##*/vmlinuz-}
moddir=$dest/root/lib/modules/$kver
[ -d "$moddir" ] || die "module directory $moddir missing"
[ -r "$vmlinuz" ] || chmod a+r "$vmlinuz" 2>/dev/null || true
cat > "$dest/env.tmp" <<EOF
MINIVMM_TEST_KERNEL=$vmlinuz
MINIVMM_TEST_MODULES=$moddir
MINIVMM_TEST_KVER=$kver
export MINIVMM_TEST_KERNEL MINIVMM_TEST_MODULES MINIVMM_TEST_KVER
EOF
mv "$dest/env.tmp" "$dest/env"
echo "deps: kernel  $vmlinuz"
echo "deps: modules $moddir"
echo "deps: env     $dest/env"

[ $main = 1 ] && { echo "deps: ready for minivmm run (tests/deps.sh without --main sets up the tests)"; exit 0; }

# 3. The small custom test kernel (virtio-mmio command-line devices, 9p built
# in), for the rig's command-line discovery case.  Several minutes the first
# time; skipped when already built.
"$top/tests/kernel/build-custom.sh" || die "building the custom test kernel failed"
