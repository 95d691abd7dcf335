#!/bin/sh
# Build the small custom test kernel: Debian's linux-source-6.1, `make
# tinyconfig` plus the fragment tests/kernel/custom.config, x86-64 bzImage.
#
#   tests/kernel/build-custom.sh [OUTDIR]     (default: build/custom-kernel)
#
# Writes OUTDIR/bzImage, OUTDIR/config (the full .config) and
# OUTDIR/modules/modules.builtin (for `minivmm run --modules OUTDIR/modules`),
# and prints the bzImage path on stdout.  The source is unpacked into
# OUTDIR/src and kept, so a changed fragment rebuilds incrementally; the make
# output goes to OUTDIR/build.log.  Idempotent: nothing is done while
# OUTDIR/bzImage is newer than the fragment (FORCE=1 rebuilds anyway).
# Missing Debian packages are installed with apt-get (as root, or through
# sudo).  Every line of the fragment must hold in the final .config, or the
# build stops naming the options Kconfig dropped.  Any failure: one line
# "build-custom: REASON" on stderr, exit status 1.
# See "The custom test kernel" in docs/testing.md.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
frag=$top/tests/kernel/custom.config
out=${1:-$top/build/custom-kernel}
tarball=/usr/src/linux-source-6.1.tar.xz
PKGS="linux-source-6.1 bc flex bison libelf-dev libssl-dev build-essential"

die() { echo "build-custom: $*" >&2; exit 1; }
log() { echo "build-custom: $*" >&2; }

[ -r "$frag" ] || die "fragment $frag not readable"
case $out in /*) ;; *) out=$(pwd)/$out ;; esac
mkdir -p "$out" 2>/dev/null || die "cannot create $out"

# 0. Up to date?  (-nt: bzImage modified after the fragment; dash and bash
#    both have it.)
# shellcheck disable=SC3013
if [ "${FORCE:-0}" != 1 ] && [ -f "$out/bzImage" ] && [ -f "$out/config" ] &&
   [ -f "$out/modules/modules.builtin" ] && [ "$out/bzImage" -nt "$frag" ]; then
    log "up to date"
    echo "$out/bzImage"
    exit 0
fi

# One build per OUTDIR at a time (a second caller waits, then finds it done).
if command -v flock >/dev/null 2>&1 && [ -z "${BUILD_CUSTOM_LOCKED:-}" ]; then
    BUILD_CUSTOM_LOCKED=1 exec flock "$out/.lock" sh "$0" "$@"
fi

# 1. Packages: only call apt-get when something is missing.
missing=
for p in $PKGS; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$st" = "install ok installed" ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found; need:$missing"
    if [ "$(id -u)" -eq 0 ]; then SUDO=
    elif command -v sudo >/dev/null 2>&1; then SUDO=sudo
    else die "need root or sudo to install:$missing"; fi
    log "installing:$missing"
    $SUDO apt-get update >&2 || die "apt-get update failed"
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends \
        $missing >&2 || die "apt-get install$missing failed"
fi
[ -r "$tarball" ] || die "$tarball missing (is linux-source-6.1 installed?)"

# 2. Source: unpack once; again only when the tarball changed.
src=$out/src
stamp=$(stat -c '%s %Y' "$tarball")
if [ ! -f "$src/.unpacked" ] || [ "$(cat "$src/.unpacked")" != "$stamp" ]; then
    log "unpacking $tarball into $src"
    rm -rf "$src" "$src.tmp"
    mkdir -p "$src.tmp"
    tar -xJf "$tarball" -C "$src.tmp" --strip-components=1 ||
        die "cannot unpack $tarball"
    if [ ! -f "$src.tmp/Makefile" ] || [ ! -d "$src.tmp/arch/x86" ]; then
        die "$tarball does not hold a kernel tree"
    fi
    echo "$stamp" >"$src.tmp/.unpacked"
    mv "$src.tmp" "$src"
fi

# 3. Configure: tinyconfig + fragment + olddefconfig, logged.
buildlog=$out/build.log
: >"$buildlog"
export ARCH=x86_64
kmake() { make -C "$src" "$@" >>"$buildlog" 2>&1; }
fail() { tail -n 25 "$buildlog" >&2; die "$* (full log: $buildlog)"; }

t0=$(date +%s)
kmake tinyconfig || fail "make tinyconfig failed"
(cd "$src" && ./scripts/kconfig/merge_config.sh -m .config "$frag") >>"$buildlog" 2>&1 ||
    fail "merge_config.sh failed"
kmake olddefconfig || fail "make olddefconfig failed"

# 4. Verify: every CONFIG_X=V and "# CONFIG_X is not set" line of the fragment
#    must be in .config as written.
dropped=
while IFS= read -r line; do
    case $line in
    CONFIG_*=*)
        opt=${line%%=*}
        grep -qxF "$line" "$src/.config" || {
            got=$(grep -E "^($opt=|# $opt is not set)" "$src/.config" || true)
            dropped="$dropped ${opt#CONFIG_}(${got:-absent})"
        } ;;
    "# CONFIG_"*" is not set")
        opt=${line#\# }; opt=${opt%% *}
        ! grep -q "^$opt=" "$src/.config" || dropped="$dropped ${opt#CONFIG_}(set)" ;;
    esac
done <"$frag"
[ -z "$dropped" ] ||
    die "fragment options not as asked in .config (missing dependency?):$dropped"

# 5. Build.
log "make -j$(nproc) bzImage (log: $buildlog)"
kmake -j"$(nproc)" bzImage || fail "make bzImage failed"
[ -f "$src/arch/x86/boot/bzImage" ] || fail "make succeeded but wrote no bzImage"

# 6. Install: config and modules first, bzImage last (its presence means
#    "done").  OUTDIR/modules is a module tree for `minivmm --modules`: no
#    .ko files (MODULES=n), only modules.builtin, so minivmm's default modules
#    (virtio_mmio, 9pnet_virtio, 9p) resolve as built in.
mkdir -p "$out/modules" || die "cannot create $out/modules"
[ -f "$src/modules.builtin" ] || fail "make wrote no modules.builtin"
if ! { cp "$src/modules.builtin" "$out/modules/modules.builtin.tmp" &&
       mv "$out/modules/modules.builtin.tmp" "$out/modules/modules.builtin"; }; then
    die "cannot write $out/modules/modules.builtin"
fi
if ! { cp "$src/.config" "$out/config.tmp" && mv "$out/config.tmp" "$out/config"; }; then
    die "cannot write $out/config"
fi
if ! { cp "$src/arch/x86/boot/bzImage" "$out/bzImage.tmp" &&
       mv "$out/bzImage.tmp" "$out/bzImage"; }; then
    die "cannot write $out/bzImage"
fi
log "built in $(( $(date +%s) - t0 )) s, $(stat -c %s "$out/bzImage") bytes"
echo "$out/bzImage"
