#!/bin/sh
# minivmm rootfs (docs/rootfs.md) with a fake debootstrap on PATH: the
# arguments it gets, the archive it makes (trimmed, gzip'd newc), the cache
# (a second build of the same inputs runs no debootstrap), progress, and the
# one-line errors with status 255: debootstrap missing, mirror unreachable,
# package missing, bad package names, -o in a missing directory, not root;
# SIGTERM while debootstrap runs leaves nothing behind.  Then `run --rootfs`
# with the tiny guest: what run puts on top of a userland and of host.
# A real debootstrap is used by the rig (tests/rig/cases/rootfs-hackbench.sh).
# usage: tests/direct/rootfs.sh MINIVMM TINYGUEST_BZIMAGE
set -u
. "$(dirname "$0")/lib"

export XDG_CACHE_HOME="$T/cache"
C=$T/cache/minivmm/rootfs
mkdir -p "$T/bin" "$T/empty" "$T/out"
cat >"$T/bin/debootstrap" <<'EOF'
#!/bin/sh
# fake debootstrap: records its arguments, does what FAKE_MODE says
echo "$*" >>"$FAKE_ARGS"
suite=; dir=; mirror=
for a; do suite=$dir; dir=$mirror; mirror=$a; done
case ${FAKE_MODE:-ok} in
ok)
    echo "I: Retrieving InRelease"
    echo "I: Retrieving libc6 2.36-9"
    echo "I: Validating libc6 2.36-9"
    echo "I: Extracting libc6..."
    echo "I: Installing core packages..."
    echo "I: Configuring required packages..."
    mkdir -p "$dir/etc" "$dir/usr/bin" "$dir/var/cache/apt/archives" "$dir/usr/share/doc/x" \
        "$dir/var/lib/apt/lists"
    echo "fake $suite $mirror" >"$dir/etc/fake-release"
    ln -s usr/bin "$dir/bin"
    echo deb >"$dir/var/cache/apt/archives/x.deb"
    echo list >"$dir/var/lib/apt/lists/x_Packages"
    echo doc >"$dir/usr/share/doc/x/copyright"
    echo "I: Base system installed successfully."
    ;;
release)
    echo "I: Retrieving InRelease"
    echo "E: Failed getting release file $mirror/dists/$suite/Release"
    exit 1 ;;
debs)
    echo "E: Couldn't find these debs: nosuchpkg"
    exit 1 ;;
slow)
    mkdir -p "$dir/etc"
    touch "$FAKE_STARTED"
    exec sleep 60 ;;
esac
EOF
chmod +x "$T/bin/debootstrap"
export FAKE_ARGS="$T/args" FAKE_STARTED="$T/started"
P="$T/bin:$PATH"
# rf ARGS...: minivmm rootfs with the fake debootstrap first on PATH
rf() { PATH=$P "$VMM" rootfs "$@" >"$T/out/o" 2>"$T/err"; rc=$?; }
oneline() {
    if [ "$(wc -l <"$T/err")" -eq 1 ]; then ok "$1: one stderr line"; else bad "$1" "$(cat "$T/err")"; fi
}
nofile() { if [ ! -e "$2" ]; then ok "$1"; else bad "$1" "$2 exists"; fi; }
nobuild() {
    if [ -z "$(ls -d "$C"/build-* 2>/dev/null)" ]; then ok "$1: no build directory left"
    else bad "$1" "left: $(ls -d "$C"/build-*)"; fi
}

# --- usage errors: 255, one line, nothing written
rf --packages rt-tests
expect_rc "missing -o" 255
has "missing -o is named" "$T/err" "missing -o FILE.cgz"
rf --packages 'rt-tests,,fio' -o "$T/x.cgz"
expect_rc "an empty package name" 255
has "an empty package name is named" "$T/err" "--packages: empty package name"
oneline "empty package name"
rf --packages 'Fio' -o "$T/x.cgz"
expect_rc "an upper-case package name" 255
has "a bad package name is named" "$T/err" "'Fio' is not a Debian package name"
rf --packages 'fio;reboot' -o "$T/x.cgz"
expect_rc "a package name with ';'" 255
rf --packages '' -o "$T/x.cgz"
expect_rc "an empty --packages" 255
rf --packages fio -o "$T/nodir/x.cgz"
expect_rc "-o in a missing directory" 255
has "-o in a missing directory is named" "$T/err" "directory $T/nodir does not exist"
oneline "-o in a missing directory"
rf --packages fio -o "$T/empty"
expect_rc "-o a directory" 255
has "-o a directory is refused" "$T/err" "is not a regular file"
rf --packages fio -o "$T/x.cgz" --mirror 'ftp://x/debian'
expect_rc "an ftp mirror" 255
rf --packages fio -o "$T/x.cgz" --suite '../x'
expect_rc "a bad suite" 255
rf --packages fio -o "$T/x.cgz" --suite --no-check-gpg
expect_rc "a suite that would be a debootstrap option" 255
rf --packages fio -o "$T/x.cgz" extra
expect_rc "a stray argument" 255
rf --bogus
expect_rc "an unknown option" 255
nofile "no archive after usage errors" "$T/x.cgz"
[ -e "$T/args" ] && bad "usage errors run no debootstrap" "$(cat "$T/args")" || ok "usage errors run no debootstrap"
PATH=$P "$VMM" rootfs --help >"$T/out/h" 2>&1; rc=$?
expect_rc "--help" 0
has "--help names the cache" "$T/out/h" "CACHE/rootfs/"

# --- debootstrap missing
PATH=$T/empty "$VMM" rootfs --packages fio -o "$T/x.cgz" >"$T/out/o" 2>"$T/err"; rc=$?
expect_rc "debootstrap missing" 255
has "debootstrap missing says how to install it" "$T/err" "install debootstrap: apt-get install debootstrap"
oneline "debootstrap missing"
nofile "debootstrap missing: nothing written" "$T/x.cgz"

# --- a build: debootstrap's arguments, the archive, the trimming, the cache
rf --packages rt-tests,fio,rt-tests -o "$T/a.cgz" --mirror http://mirror.example/debian --progress
expect_rc "a build with the fake debootstrap" 0
has "debootstrap: minbase, amd64, the packages sorted" "$T/args" "--variant=minbase --arch=amd64 --include=fio,rt-tests bookworm $C/build-"
has "debootstrap: the mirror last" "$T/args" " http://mirror.example/debian"
has "progress: downloading" "$T/err" "minivmm rootfs: downloading packages"
has "progress: configuring" "$T/err" "minivmm rootfs: configuring packages"
has "the summary line" "$T/out/o" "minivmm rootfs: $T/a.cgz ("
has "the summary says built" "$T/out/o" "built"
if gzip -t "$T/a.cgz" 2>/dev/null && gzip -dc "$T/a.cgz" | cpio -t --quiet >"$T/list" 2>/dev/null; then
    ok "the archive is a gzip'd cpio"
else
    bad "the archive is a gzip'd cpio" "$(file "$T/a.cgz" 2>&1)"
fi
has "the archive holds the tree" "$T/list" "etc/fake-release"
has "the bin -> usr/bin symlink is kept" "$T/list" "bin"
mkdir -p "$T/x" && (cd "$T/x" && gzip -dc "$T/a.cgz" | cpio -idm --quiet 2>/dev/null)
if [ -L "$T/x/bin" ] && [ "$(readlink "$T/x/bin")" = usr/bin ]; then ok "bin is a symlink to usr/bin"
else bad "bin is a symlink to usr/bin" "$(ls -la "$T/x")"; fi
has "the file content" "$T/x/etc/fake-release" "fake bookworm http://mirror.example/debian"
if [ -d "$T/x/var/cache/apt/archives" ] && [ -z "$(ls "$T/x/var/cache/apt/archives")" ] &&
   [ -z "$(ls "$T/x/var/lib/apt/lists")" ] && [ -z "$(ls "$T/x/usr/share/doc")" ]; then
    ok "package files, lists and docs trimmed, their directories kept"
else
    bad "trimmed" "$(cd "$T/x" && find var usr/share)"
fi
nobuild "after a build"
if [ "$(ls "$C"/*.cgz | wc -l)" = 1 ] && cmp -s "$C"/*.cgz "$T/a.cgz"; then ok "the cache holds the archive"
else bad "the cache holds the archive" "$(ls -la "$C")"; fi
if ls "$C"/*.log >/dev/null 2>&1 && grep -q "Base system installed" "$C"/*.log; then ok "debootstrap's log kept beside it"
else bad "debootstrap's log" "$(ls "$C")"; fi

# the same inputs in another order: from the cache, no debootstrap, no root needed
lines=$(wc -l <"$T/args")
FAKE_MODE=release rf --packages fio,rt-tests -o "$T/b.cgz" --mirror http://mirror.example/debian
expect_rc "the same inputs again" 0
has "from the cache" "$T/out/o" "from the cache"
if cmp -s "$T/a.cgz" "$T/b.cgz"; then ok "the same archive"; else bad "the same archive" "differs"; fi
[ "$(wc -l <"$T/args")" = "$lines" ] && ok "no debootstrap on a cache hit" || bad "no debootstrap on a cache hit" "$(tail -n 1 "$T/args")"
PATH=$T/empty "$VMM" rootfs --packages fio,rt-tests -o "$T/c.cgz" --mirror http://mirror.example/debian >"$T/out/o" 2>"$T/err"; rc=$?
expect_rc "a cache hit needs no debootstrap" 0
# another input is another build
FAKE_MODE=ok rf --packages fio -o "$T/d.cgz" --mirror http://mirror.example/debian
expect_rc "other packages: a new build" 0
[ "$(wc -l <"$T/args")" = $((lines + 1)) ] && ok "other packages run debootstrap" || bad "other packages run debootstrap" "$(cat "$T/args")"

# --- failures: one line, 255, -o untouched, nothing in the cache
echo old >"$T/keep.cgz"
FAKE_MODE=release rf --packages fio -o "$T/keep.cgz" --mirror http://unreachable.invalid/debian
expect_rc "mirror unreachable" 255
has "mirror unreachable is named" "$T/err" "mirror http://unreachable.invalid/debian unreachable or without suite bookworm"
oneline "mirror unreachable"
has "mirror unreachable: -o kept" "$T/keep.cgz" "old"
nobuild "mirror unreachable"
FAKE_MODE=debs rf --packages nosuchpkg -o "$T/keep.cgz"
expect_rc "a package not in the suite" 255
has "a missing package is named" "$T/err" "Couldn't find these debs: nosuchpkg"
oneline "missing package"
has "missing package: -o kept" "$T/keep.cgz" "old"
[ "$(ls "$C"/*.cgz | wc -l)" = 2 ] && ok "failed builds cache nothing" || bad "failed builds cache nothing" "$(ls "$C")"

# --- not root (when this runs as root and setpriv can drop it)
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 &&
   setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$VMM" 2>/dev/null; then
    mkdir -p "$T/nobody" && chmod 0777 "$T/nobody" && chmod 0755 "$T" "$T/bin"
    PATH=$P setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$VMM" rootfs --packages stress-ng -o "$T/nobody/x.cgz" >"$T/out/o" 2>"$T/err"; rc=$?
    expect_rc "not root" 255
    has "not root says so" "$T/err" "needs root"
    oneline "not root"
else
    echo "note: not-root check not run (needs root, setpriv and a $VMM that uid 65534 can run)"
fi

# --- SIGTERM while debootstrap runs: 143, nothing left
rm -f "$T/started"
FAKE_MODE=slow PATH=$P "$VMM" rootfs --packages ebizzy -o "$T/s.cgz" >"$T/out/o" 2>"$T/err" &
pid=$!
if until_true test -e "$T/started"; then
    kill -TERM "$pid"; wait "$pid"; rc=$?
    expect_rc "SIGTERM during debootstrap" 143
    has "SIGTERM: said" "$T/err" "interrupted; nothing written"
    nofile "SIGTERM: no archive" "$T/s.cgz"
    nobuild "SIGTERM"
else
    kill -KILL "$pid"; wait "$pid"
    bad "SIGTERM during debootstrap" "the fake debootstrap never started: $(cat "$T/err")"
fi

# --- run --rootfs with the tiny guest (it ignores the initrd; the archives
# run packs are in the cache)
if [ -c /dev/kvm ]; then
    printf 'testcase: rootfs\nkernel_cmdline: action=status:0\npass:\n' >"$T/j.yaml"
    tools() {       # the cached archive that holds minivmm/bin/busybox, listed
        for f in "$T"/cache/minivmm/*.cpio.gz; do
            gzip -dc "$f" | cpio -t --quiet 2>/dev/null | grep -qx minivmm/bin/busybox &&
                gzip -dc "$f" | cpio -t --quiet 2>/dev/null
        done
    }
    "$VMM" run "$T/j.yaml" --kernel "$GUEST" --result-root "$T/r1" --rootfs host --timeout 30 \
        >"$T/out/o" 2>"$T/err"; rc=$?
    expect_rc "run --rootfs host boots" 0
    tools >"$T/tools1"
    con=$(find "$T/r1" -name console.log | head -n 1)
    has "--rootfs host: a second 9p device (the host's /)" "$con" "virtio_mmio.device=4K@0xd0001000"
    has "--rootfs host: busybox for the chroot" "$T/tools1" "minivmm/bin/busybox"
    has "--rootfs host: the marker init looks for" "$T/tools1" "minivmm/rootfs-host"
    rm -f "$T"/cache/minivmm/*.cpio.gz
    "$VMM" run "$T/j.yaml" --kernel "$GUEST" --result-root "$T/r2" --rootfs "$T/a.cgz" --timeout 30 \
        >"$T/out/o" 2>"$T/err"; rc=$?
    expect_rc "run --rootfs FILE.cgz boots" 0
    tools >"$T/tools2"
    con=$(find "$T/r2" -name console.log | head -n 1)
    if grep -q "0xd0001000" "$con"; then bad "--rootfs FILE: only the result share" "$(head -n 3 "$con")"
    else ok "--rootfs FILE: only the result share"; fi
    has "--rootfs FILE: busybox on top" "$T/tools2" "minivmm/bin/busybox"
    if grep -q rootfs-host "$T/tools2"; then bad "--rootfs FILE: no host marker" "$(cat "$T/tools2")"
    else ok "--rootfs FILE: no host marker"; fi
    "$VMM" run "$T/j.yaml" --kernel "$GUEST" --result-root "$T/r3" --rootfs "$T/nosuch.cgz" \
        >"$T/out/o" 2>"$T/err"; rc=$?
    expect_rc "run --rootfs of a missing file" 255
    has "a missing --rootfs is named" "$T/err" "--rootfs $T/nosuch.cgz"
else
    bad "run --rootfs" "/dev/kvm is missing"
fi

finish rootfs
