#!/bin/sh
# Direct tests of `minivmm run` with hostile job files and kernel images:
# every part of RESULT_ROOT/TESTCASE/PARAMS/KVER/N stays below the result
# root and is short enough; includes, misspelt programs and missing
# directories give one line and 255.  The tiny guest stands in for the kernel
# (it reports the status its kernel_cmdline asks for).
# usage: tests/direct/job-paths.sh MINIVMM TINYGUEST_BZIMAGE
set -u
. "$(dirname "$0")/lib"

one_line() { # NAME
    if [ "$(wc -l <"$T/err")" -eq 1 ]; then ok "$1: one line"; else bad "$1: one line" "$(cat "$T/err")"; fi
}

needs_kvm job-paths

export XDG_CACHE_HOME="$T/cache"
# The result root is deep inside $T, so that a path escaping it still lands
# in $T, where the test sees it (and cleans it up).
R="$T/a/b/c/d/e/root"
mkdir -p "$R" "$T/jobs"
run() { "$VMM" run "$@" --result-root "$R" --timeout 10 >"$T/out" 2>"$T/err"; rc=$?; }
# only_in_root NAME: nothing but the result root (and the cache) under $T/a
only_in_root() {
    extra=$(find "$T/a" -mindepth 1 | grep -v "^$R" |
        grep -v -x -e "$T/a/b" -e "$T/a/b/c" -e "$T/a/b/c/d" -e "$T/a/b/c/d/e")
    if [ -z "$extra" ]; then ok "$1: nothing outside the result root"
    else bad "$1: nothing outside the result root" "$extra"; fi
}
# depth NAME: the newest result is exactly ROOT/TESTCASE/PARAMS/KVER/N
depth() {
    n=$(find "$R" -name exit_status | awk -F/ -v r="$R" 'BEGIN { d = split(r, x, "/") } { print NF - d }' | sort -u)
    if [ "$n" = 5 ]; then ok "$1: ROOT/TESTCASE/PARAMS/KVER/N"; else bad "$1: depth" "$(find "$R" -name exit_status)"; fi
}

# testcase with ../
printf 'testcase: "../../../../esc"\nkernel_cmdline: action=status:0\npass: hi\n' >"$T/jobs/tc.yaml"
run "$T/jobs/tc.yaml" --kernel "$GUEST"
expect_rc "testcase ../: the job runs" 0
only_in_root "testcase ../"
depth "testcase ../"
[ -d "$R/%2E.%2F..%2F..%2F..%2Fesc/hi/tinyguest-1.0/0" ] && ok "testcase ../: escaped as %2E.%2F.." ||
    bad "testcase ../: escaped" "$(ls "$R")"
rm -rf "$R"; mkdir -p "$R"

# a kernel whose version string holds ../ (setup header: kernel_version at
# 0x20e points, + 0x200, at the string)
cp "$GUEST" "$T/evil.bzImage"
off=$(od -An -tu2 -j $((0x20e)) -N 2 "$GUEST" | tr -d ' ')
printf '../../../../kv\000' | dd of="$T/evil.bzImage" bs=1 seek=$((off + 0x200)) conv=notrunc 2>/dev/null
printf 'testcase: kv\nkernel_cmdline: action=status:0\npass: hi\n' >"$T/jobs/kv.yaml"
run "$T/jobs/kv.yaml" --kernel "$T/evil.bzImage"
expect_rc "kernel version ../: the job runs" 0
only_in_root "kernel version ../"
depth "kernel version ../"
has "kernel version ../: summary keeps the real version" "$(find "$R" -name summary.json)" '"kernel_version": "../../../../kv"'
rm -rf "$R"; mkdir -p "$R"

# a parameter value with / and .. (lkp's name rule maps it; the part is then escaped)
printf 'testcase: p\nkernel_cmdline: action=status:0\npass: ["../../../../x y"]\n' >"$T/jobs/p.yaml"
run "$T/jobs/p.yaml" --kernel "$GUEST"
expect_rc "parameter ../: the job runs" 0
only_in_root "parameter ../"
depth "parameter ../"
rm -rf "$R"; mkdir -p "$R"

# a dozen list parameters: a job name over 255 bytes (lkp's names take the
# options a program declares: `many` declares p0 ... p11)
mkdir -p "$T/progs/many"
{ printf '#!/bin/sh\n'; for i in 0 1 2 3 4 5 6 7 8 9 10 11; do printf '# - p%d\n' "$i"; done; } >"$T/progs/many/run"
chmod +x "$T/progs/many/run"
{
    printf 'testcase: long\nkernel_cmdline: action=status:0\nmany:\n'
    for i in 0 1 2 3 4 5 6 7 8 9 10 11; do
        printf 'p%d: [value-%02d-abcdefghijklmnopqrstuvwxyz]\n' "$i" "$i"
    done
} >"$T/jobs/long.yaml"
run "$T/jobs/long.yaml" --kernel "$GUEST" --programs "$T/progs"
expect_rc "a name over 255 bytes: the job runs" 0
depth "a name over 255 bytes"
long=$(find "$R" -mindepth 2 -maxdepth 2)
[ "${#long}" -gt 0 ] && [ "$(basename "$long" | wc -c)" -le 201 ] && ok "a name over 255 bytes: PARAMS cut to 200 bytes" ||
    bad "long name cut" "$long"
case $long in *~*) ok "a name over 255 bytes: ends in ~HASH" ;; *) bad "long name hash" "$long" ;; esac
rm -rf "$R"; mkdir -p "$R"

# compile: the same rule for the scripts it writes
"$VMM" compile "$T/jobs/long.yaml" --programs "$T/progs" -o "$T/compiled/new" >"$T/out" 2>"$T/err"; rc=$?
expect_rc "compile: long name, missing -o DIR made" 0
[ "$(ls "$T/compiled/new" | wc -l)" -eq 2 ] && ok "compile: NAME.yaml and NAME.sh" || bad "compile: files" "$(ls "$T/compiled/new")"
printf 'pass:\n' >"$T/jobs/self.yaml"
cp "$T/jobs/self.yaml" "$T/self.orig"
ln -s self.yaml "$T/jobs/self-defaults.yaml" # the job's name is self-defaults
"$VMM" compile "$T/jobs/self.yaml" -o "$T/jobs" >"$T/out" 2>"$T/err"; rc=$?
expect_rc "compile: never over the job file" 255
one_line "compile over the job file"
has "compile over the job file: explained" "$T/err" "refusing to write"
cmp -s "$T/jobs/self.yaml" "$T/self.orig" && ok "compile: job file unchanged" || bad "compile: job file" "changed"
# nor over a file it includes (a job named after its include), nor with -o
# naming the job file or a directory inside it; DIR is made only when none is
mkdir -p "$T/inc6"
printf 'testcase: common\npass:\n' >"$T/inc6/job-defaults.yaml"
cp "$T/inc6/job-defaults.yaml" "$T/common.orig"
printf '<<: job-defaults.yaml\n' >"$T/inc6/job.yaml"
"$VMM" compile "$T/inc6/job.yaml" -o "$T/inc6" >"$T/out" 2>"$T/err"; rc=$?
expect_rc "compile: never over an included file" 255
one_line "compile over an include"
has "compile over an include: explained" "$T/err" "refusing to write $T/inc6/job-defaults.yaml over $T/inc6/job-defaults.yaml, which the job reads"
cmp -s "$T/inc6/job-defaults.yaml" "$T/common.orig" && ok "compile: include unchanged" || bad "compile: include" "changed"
[ ! -e "$T/inc6/job-defaults.sh" ] && ok "compile: nothing written" || bad "compile: wrote" "job-defaults.sh"
for o in "$T/jobs/self.yaml" "$T/jobs/self.yaml/sub"; do
    "$VMM" compile "$T/jobs/self.yaml" -o "$o" >"$T/out" 2>"$T/err"; rc=$?
    expect_rc "compile -o ${o#$T/}" 255
    one_line "compile -o ${o#$T/}"
done
cmp -s "$T/jobs/self.yaml" "$T/self.orig" && ok "compile -o the job file: unchanged" || bad "compile -o the job file" "changed"

# includes: only below the job's directory, unless --include-dir widens it
printf 'testcase: inc\nkernel_cmdline: action=status:0\npass:\n<<: /proc/self/status\n' >"$T/jobs/inc.yaml"
run "$T/jobs/inc.yaml" --kernel "$GUEST"
expect_rc "include of /proc/self/status: refused" 255
one_line "include refused"
has "include refused: explained" "$T/err" "is outside the job file's directory"
mkdir -p "$T/shared"
printf 'from_shared: 1\n' >"$T/shared/common.yaml"
printf 'testcase: inc\nkernel_cmdline: action=status:0\npass:\n<<: common.yaml\n' >"$T/jobs/inc2.yaml"
run "$T/jobs/inc2.yaml" --kernel "$GUEST"
expect_rc "include from another directory: refused" 255
run "$T/jobs/inc2.yaml" --kernel "$GUEST" --include-dir "$T/shared"
expect_rc "--include-dir widens it" 0
has "--include-dir: the included key is in the job" "$(find "$R" -name job.sh)" "export from_shared=1"
mkfifo "$T/jobs/fifo.yaml"
printf 'testcase: inc\npass:\n<<: fifo.yaml\n' >"$T/jobs/inc3.yaml"
run "$T/jobs/inc3.yaml" --kernel "$GUEST"
expect_rc "include of a FIFO: refused without blocking" 255
has "include of a FIFO: named" "$T/err" "is a FIFO, not a regular file"
run "$T/jobs/fifo.yaml" --kernel "$GUEST"
expect_rc "a FIFO as the job file" 255
has "a FIFO as the job file: named" "$T/err" "is a FIFO"
run /dev/zero --kernel "$GUEST"
expect_rc "/dev/zero as the job file" 255
has "/dev/zero as the job file: named" "$T/err" "is a character device"

# mistakes that passed silently
printf 'testcase: typo\nkernel_cmdline: action=status:0\npas: x\n' >"$T/jobs/typo.yaml"
run "$T/jobs/typo.yaml" --kernel "$GUEST"
expect_rc "a misspelt program" 255
one_line "misspelt program"
has "misspelt program: the closest is named" "$T/err" "'pas' is not a program (no pas/run in the program path): did you mean 'pass'?"
printf 'params: [pas]\n' >>"$T/jobs/typo.yaml"
run "$T/jobs/typo.yaml" --kernel "$GUEST"
expect_rc "params: declares it a parameter" 0
run "$T/jobs/kv.yaml" --kernel "$GUEST" --programs "$T/missing"
expect_rc "--programs of a missing directory" 255
one_line "--programs missing"
run "$T/jobs/kv.yaml" --kernel "$GUEST" --include-dir "$T/jobs/kv.yaml"
expect_rc "--include-dir of a file" 255

finish job-paths
