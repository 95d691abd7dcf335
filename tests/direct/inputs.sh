#!/bin/sh
# Checked inputs (docs/run.md "Checked inputs"): what minivmm boot, run and
# pack do with hostile files and values on their command line, and the
# bounds on what a guest can make minivmm write.  Each case checks what a
# user sees: the exit status, one stderr line, and files left as they were.
# usage: tests/direct/inputs.sh MINIVMM TINYGUEST_BZIMAGE
set -u
. "$(dirname "$0")/lib"

# A command that hangs must not hang the tests: `timeout` ends it (status
# 124 from timeout then fails the exit status check; it is not a timed test).
cmd() { timeout 60 "$VMM" "$@" >"$T/out" 2>"$T/err"; rc=$?; }
boot() { cmd boot --timeout 20 "$@"; }
run() { cmd run "$@"; }
one_line() { # NAME: stderr is exactly one line
    if [ "$(wc -l <"$T/err")" -eq 1 ]; then ok "$1: one stderr line"; else bad "$1: one stderr line" "$(head -c 400 "$T/err")"; fi
}
same() { # NAME FILE1 FILE2
    if cmp -s "$2" "$3"; then ok "$1"; else bad "$1" "$2 changed ($(wc -c <"$2") bytes)"; fi
}
size_is() { # NAME FILE BYTES
    n=$(wc -c <"$2" 2>/dev/null || echo -1)
    if [ "$n" -eq "$3" ]; then ok "$1"; else bad "$1" "$(basename "$2") has $n bytes, want $3"; fi
}

needs_kvm inputs

# ---- 1. --console naming an input of the boot ---------------------------------
cp "$GUEST" "$T/k"
cp "$GUEST" "$T/k.orig"
printf 'INITRD-CONTENT' >"$T/i1"
cp "$T/i1" "$T/i1.orig"
boot --kernel "$T/k" --console "$T/k" --append action=status:3
expect_rc "--console = --kernel is refused (255)" 255
one_line "--console = --kernel"
has "--console = --kernel is named" "$T/err" "same file as $T/k"
same "--console = --kernel leaves the kernel intact" "$T/k" "$T/k.orig"
boot --kernel "$T/k" --initrd "$T/i1" --console "$T/i1" --append action=status:3
expect_rc "--console = --initrd is refused (255)" 255
same "--console = --initrd leaves the initrd intact" "$T/i1" "$T/i1.orig"
ln -s "$T/k" "$T/k-link"
ln "$T/i1" "$T/i1-hard"
boot --kernel "$T/k" --console "$T/k-link" --append action=status:3
expect_rc "--console = a symlink to the kernel is refused" 255
same "... and the kernel is intact" "$T/k" "$T/k.orig"
boot --kernel "$T/k" --initrd "$T/i1" --console "$T/i1-hard" --append action=status:3
expect_rc "--console = a hard link to the initrd is refused" 255
same "... and the initrd is intact" "$T/i1" "$T/i1.orig"

# ---- 2. an existing console file survives every later error -------------------
printf 'EARLIER CONSOLE LOG\n' >"$T/con"
cp "$T/con" "$T/con.orig"
boot --kernel "$GUEST" --console "$T/con" --initrd "$T/missing" --append action=status:3
expect_rc "missing initrd after --console is 255" 255
same "missing initrd: the console file is untouched" "$T/con" "$T/con.orig"
boot --kernel "$GUEST" --console "$T/con" --share "$T/no-such-dir" --append action=status:3
expect_rc "bad --share after --console is 255" 255
same "bad --share: the console file is untouched" "$T/con" "$T/con.orig"
long=$(head -c 3000 /dev/zero | tr '\0' 'x')
boot --kernel "$GUEST" --console "$T/con" --append "$long"
expect_rc "over-long command line after --console is 255" 255
same "over-long command line: the console file is untouched" "$T/con" "$T/con.orig"
boot --kernel "$T/missing" --console "$T/con"
expect_rc "missing kernel with --console is 255" 255
same "missing kernel: the console file is untouched" "$T/con" "$T/con.orig"
boot --kernel "$GUEST" --console "$T/con" --cpus 0
same "bad option: the console file is untouched" "$T/con" "$T/con.orig"
boot --kernel "$GUEST" --console "$T/new-con" --initrd "$T/missing"
[ ! -e "$T/new-con" ] && ok "a failed boot creates no console file" || bad "no console file" "$T/new-con created"
boot --kernel "$GUEST" --console "$T/con" --append action=status:3
expect_rc "a boot that starts replaces the console file" 3
has "... with this boot's console" "$T/con" "tinyguest: hello"
grep -q EARLIER "$T/con" && bad "console file replaced" "old content kept" || ok "... and none of the old"

# ---- 3. kernel and initrd that are not regular files never block ---------------
mkfifo "$T/fifo"
boot --kernel "$T/fifo"
expect_rc "boot --kernel FIFO: 255 at once" 255
one_line "boot --kernel FIFO"
has "boot --kernel FIFO is named" "$T/err" "not a regular file"
printf 'testcase: direct\nkernel_cmdline: action=status:5\npass: hi\n' >"$T/job.yaml"
export XDG_CACHE_HOME="$T/cache"
run "$T/job.yaml" --kernel "$T/fifo" --result-root "$T/res"
expect_rc "run --kernel FIFO: 255 at once" 255
one_line "run --kernel FIFO"
boot --kernel "$GUEST" --initrd "$T/fifo"
expect_rc "boot --initrd FIFO: 255 at once" 255
has "boot --initrd FIFO is named" "$T/err" "initrd $T/fifo is not a regular file"
boot --kernel "$GUEST" --console "$T/fifo" --append action=status:3
expect_rc "boot --console FIFO nobody reads: 255 at once" 255
has "... and said so" "$T/err" "FIFO that nobody reads"
boot --kernel /dev/zero
expect_rc "boot --kernel /dev/zero: 255, not read" 255
boot --kernel "$T"
expect_rc "boot --kernel DIRECTORY: 255" 255
one_line "boot --kernel DIRECTORY"

# Initrd sizes that add up past 2^64 (two sparse files of 2^63 - 4 bytes and
# 8 more) once wrapped to 0: the initrds were silently dropped.
S=""
for d in "$T" /dev/shm; do
    if truncate -s 9223372036854775804 "$d/minivmm-sparse-$$" 2>/dev/null; then S="$d/minivmm-sparse-$$"; break; fi
    rm -f "$d/minivmm-sparse-$$"
done
if [ -n "$S" ]; then
    printf 'abcdefgh' >"$T/i8"
    boot --kernel "$GUEST" --initrd "$S" --initrd "$S" --initrd "$T/i8" --append action=status:0
    expect_rc "initrds whose sizes add up past 2^64 are refused (255)" 255
    has "... as larger than any guest memory" "$T/err" "is larger than any guest memory"
    rm -f "$S"
else
    echo "SKIP initrd size wrap: no file system here takes a 2^63-byte sparse file"
fi

# ---- 4. a file too large to be a kernel: 125 from boot and run, nothing read ---
truncate -s 300M "$T/huge"
boot --kernel "$T/huge"
expect_rc "boot: a 300 MiB file is 125 (cannot be booted)" 125
one_line "boot: 300 MiB kernel"
has "boot: the size is named" "$T/err" "larger than any kernel image"
run "$T/job.yaml" --kernel "$T/huge" --result-root "$T/res"
expect_rc "run: a 300 MiB file is 125" 125
has "run: the size is named (checked before reading)" "$T/err" "larger than any kernel image"
[ ! -e "$T/res" ] && ok "run: nothing made for a huge kernel" || bad "run: huge kernel" "result root created"
chmod 000 "$T/k" 2>/dev/null
if [ "$(id -u)" -ne 0 ]; then
    boot --kernel "$T/k"
    expect_rc "boot: an unreadable kernel is 255" 255
fi
chmod 644 "$T/k"

# ---- 5. pack -o only ever replaces a regular file ----------------------------
echo data >"$T/in.txt"
cmd pack -o "$T/fifo" "$T/in.txt"
expect_rc "pack -o FIFO is refused (255)" 255
one_line "pack -o FIFO"
[ -p "$T/fifo" ] && ok "pack -o FIFO: the FIFO is still there" || bad "pack -o FIFO" "replaced"
mkdir "$T/outdir"
cmd pack -o "$T/outdir" "$T/in.txt"
expect_rc "pack -o DIRECTORY is refused" 255
echo target >"$T/target"
ln -s "$T/target" "$T/out-link"
cmd pack -o "$T/out-link" "$T/in.txt"
expect_rc "pack -o SYMLINK is refused" 255
[ -L "$T/out-link" ] && [ "$(cat "$T/target")" = target ] && ok "pack -o SYMLINK: link and target intact" ||
    bad "pack -o SYMLINK" "changed"
if [ "$(id -u)" -eq 0 ] && mknod "$T/null" c 1 3 2>/dev/null; then
    cmd pack -o "$T/null" "$T/in.txt"
    expect_rc "pack -o DEVICE is refused" 255
    [ -c "$T/null" ] && ok "pack -o DEVICE: the device node is still there" || bad "pack -o DEVICE" "replaced"
fi
printf 'OLD ARCHIVE' >"$T/out.cpio"
cmd pack -o "$T/out.cpio" "$T/in.txt" "$T/no-such-input"
expect_rc "pack with a missing input is 255" 255
has "pack: an existing OUT is kept when packing fails" "$T/out.cpio" "OLD ARCHIVE"
cmd pack --compress none -o "$T/out.cpio" "$T/in.txt"
expect_rc "pack -o REGULAR FILE replaces it" 0
has "pack: OUT is the new archive" "$T/out.cpio" "070701"
ls "$T" | grep -q 'tmp-' && bad "pack leaves no temporary file" "$(ls "$T")" || ok "pack leaves no temporary file"

# ---- 6. numbers never wrap, for boot and run alike ----------------------------
for v in 4294967297 18446744073709551617 " 1" "+1" 1x; do
    boot --kernel "$GUEST" --cpus "$v" --append action=status:3
    expect_rc "boot --cpus '$v' is 255" 255
    one_line "boot --cpus '$v'"
    run "$T/job.yaml" --kernel "$GUEST" --result-root "$T/res" --cpus "$v"
    expect_rc "run --cpus '$v' is 255" 255
    one_line "run --cpus '$v'"
done
for v in 4294967297 18446744073709551616 " 5" "+5" "-0"; do
    boot --kernel "$GUEST" --timeout "$v" --append action=status:3
    expect_rc "boot --timeout '$v' is 255" 255
    run "$T/job.yaml" --kernel "$GUEST" --result-root "$T/res" --timeout "$v"
    expect_rc "run --timeout '$v' is 255" 255
done
for v in " 512M" "+512M" 18446744073709551616 17592186044417M; do
    boot --kernel "$GUEST" --memory "$v" --append action=status:3
    expect_rc "boot --memory '$v' is 255" 255
    run "$T/job.yaml" --kernel "$GUEST" --result-root "$T/res" --memory "$v"
    expect_rc "run --memory '$v' is 255" 255
done
for v in " 4" "+4" 4294967297; do
    cmd compile "$T/job.yaml" -o "$T" --nr-cpu "$v"
    expect_rc "compile --nr-cpu '$v' is 255" 255
done
[ ! -e "$T/res" ] && ok "run: nothing made for a bad number" || bad "run: bad number" "result root created"

# ---- 7. what a guest can make minivmm write is bounded -------------------------
boot --kernel "$GUEST" --console "$T/con" --console-limit 16K --append "flood=40000 action=status:3"
expect_rc "a flooding guest still gives its status" 3
size_is "--console-limit 16K: the console file keeps 16 KiB" "$T/con" 16384
size_is "--console-limit 16K: stdout gets 16 KiB" "$T/out" 16384
has "the limit is said on stderr" "$T/err" "console output reached 16 KiB; the rest is dropped"
[ "$(grep -c 'console output reached' "$T/err")" -eq 1 ] && ok "... once" || bad "limit said once" "$(cat "$T/err")"
boot --kernel "$GUEST" --console "$T/con" --console-limit 16K --quiet --append "flood=40000 action=panic"
expect_rc "a crash after the limit is still seen (126)" 126
has "... and quoted" "$T/err" "guest crashed: Kernel panic - not syncing"
size_is "... with the console file at the limit" "$T/con" 16384
boot --kernel "$GUEST" --console "$T/con" --console-limit 0 --quiet --append "flood=40000 action=status:0"
expect_rc "--console-limit 0 boots" 0
[ "$(wc -c <"$T/con")" -gt 40000 ] && ok "--console-limit 0 keeps everything" || bad "--console-limit 0" "$(wc -c <"$T/con") bytes"
printf 'testcase: flood\nkernel_cmdline: flood=40000 action=status:0\npass: hi\n' >"$T/flood.yaml"
run "$T/flood.yaml" --kernel "$GUEST" --result-root "$T/res-flood" --console-limit 8K --timeout 20
expect_rc "run --console-limit: the job passes" 0
size_is "run --console-limit 8K: console.log keeps 8 KiB" "$T/res-flood/flood/hi/tinyguest-1.0/0/console.log" 8192
has "run: the limit is said on stderr" "$T/err" "console output reached 8 KiB"
mkdir "$T/shr"
boot --kernel "$GUEST" --share "$T/shr" --quiet --append "vbad=40 action=status:4"
expect_rc "a guest misusing virtio 40 times still gives its status" 4
n=$(grep -c 'guest error:' "$T/err")
[ "$n" -eq 5 ] && ok "only the first 5 virtio guest errors are printed" || bad "virtio guest errors bounded" "$n lines"
has "then one line says the rest are suppressed" "$T/err" "further guest errors of this virtio device suppressed"
[ "$(wc -l <"$T/err")" -eq 6 ] && ok "6 stderr lines in all" || bad "stderr lines" "$(wc -l <"$T/err")"

# ---- 8. --help and --version for every command -------------------------------
for c in "" boot run compile pack; do
    for o in --help --version; do
        cmd $c $o
        if [ "$rc" -eq 0 ] && [ -s "$T/out" ] && [ ! -s "$T/err" ]; then ok "minivmm $c $o: exit 0, stdout"
        else bad "minivmm $c $o" "exit $rc, stdout $(wc -c <"$T/out") bytes, stderr $(head -c 200 "$T/err")"; fi
    done
done
cmd pack --version
has "pack --version prints the version" "$T/out" "minivmm "

finish inputs
