#!/bin/sh
# Direct tests of an installed minivmm (docs/install.md): `make install
# DESTDIR=...` from this checkout stages the binary, the man page and the
# programs; the staged binary, run from another directory, finds its programs
# beside itself (PREFIX/share/minivmm from PREFIX/bin), compiles and runs
# jobs with them, answers --help and --version for every command, and a
# missing programs directory is one line and 255, never a job that passes.
# usage: tests/direct/install.sh MINIVMM TINYGUEST_BZIMAGE
set -u
. "$(dirname "$0")/lib"
top=$(cd "$(dirname "$0")/../.." && pwd)

one_line() { # NAME: stderr is exactly one line
    if [ "$(wc -l <"$T/err")" -eq 1 ]; then ok "$1: one line"; else bad "$1: one line" "$(cat "$T/err")"; fi
}
# no_make_deps NAME: an installed binary never tells its user to run `make deps`
no_make_deps() {
    if grep -q "make deps" "$T/err"; then bad "$1: no 'make deps'" "$(cat "$T/err")"; else ok "$1: no 'make deps'"; fi
}

needs_kvm install

# The binary under test (minivmm, or minivmm-san under `make san`), installed
# with the PREFIX it was built for: the install rebuilds nothing.
san=0
[ "$(basename "$VMM")" = minivmm-san ] && san=1
make -s -C "$top" --no-print-directory install SAN=$san DESTDIR="$T/d" >"$T/out" 2>"$T/err"; rc=$?
expect_rc "make install DESTDIR=...: installs" 0
bin=$(find "$T/d" -path '*/bin/minivmm' -type f)
data=$(find "$T/d" -path '*/share/minivmm' -type d)
if [ -x "$bin" ] && [ -x "$data/programs/pass/run" ] && [ -f "$data/programs/uptime/meta.yaml" ] &&
    [ -n "$(find "$T/d" -name minivmm.1)" ]; then ok "installed: bin/minivmm, share/minivmm/programs, the man page"
else bad "installed files" "$(find "$T/d")"; fi
cmp -s "$bin" "$VMM" && ok "installed: the binary under test" || bad "installed binary" "differs from $VMM"

mkdir -p "$T/elsewhere" "$T/jobs"
cd "$T/elsewhere" || exit 1
export XDG_CACHE_HOME="$T/cache"
vmm() { "$bin" "$@" >"$T/out" 2>"$T/err"; rc=$?; }

# compile: the program comes from the installed programs directory
printf 'testcase: p\nkernel_cmdline: action=status:0\npass: hi\n' >"$T/jobs/p.yaml"
vmm compile "$T/jobs/p.yaml" -o "$T/compiled/new"
expect_rc "compile with the installed binary" 0
has "compile: the script runs the installed program" "$T/compiled/new/p-hi.sh" "run_test 'pass' 'hi'"
has "compile: -o DIR missing is made" "$T/out" "$T/compiled/new/p-hi.sh"

# run with the tiny guest as the kernel (it exits with action=status:N)
vmm run "$T/jobs/p.yaml" --kernel "$GUEST" --result-root "$T/r" --timeout 10
expect_rc "run with the installed binary: the job passes" 0
has "run: job.sh runs the installed program" "$(find "$T/r" -name job.sh)" "run_test 'pass' 'hi'"
no_make_deps "run"
printf 'testcase: f\nkernel_cmdline: action=status:3\nfail: 3\n' >"$T/jobs/f.yaml"
vmm run "$T/jobs/f.yaml" --kernel "$GUEST" --result-root "$T/r" --timeout 10
expect_rc "run with the installed binary: the job fails" 3
has "run: job.sh runs the installed fail" "$(find "$T/r" -path '*/f/*' -name job.sh)" "run_test 'fail' 3"
[ -z "$(ls -A "$T/elsewhere")" ] && ok "nothing written in the working directory but what was asked" ||
    bad "working directory" "$(ls -A "$T/elsewhere")"

# --help and --version: the main command and every command it lists
for a in --help help --version version; do
    vmm $a
    expect_rc "minivmm $a" 0
    [ -s "$T/out" ] && ok "minivmm $a prints" || bad "minivmm $a prints" "nothing on stdout"
done
cmds=$("$bin" --help | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p' | grep -v -x help)
[ "$(echo $cmds)" = "run boot compile pack rootfs compare" ] && ok "--help lists run boot compile pack rootfs compare" || bad "commands" "$cmds"
for c in $cmds; do
    vmm $c --help
    expect_rc "minivmm $c --help" 0
    has "minivmm $c --help: usage on stdout" "$T/out" "usage: minivmm $c"
    vmm $c --version
    expect_rc "minivmm $c --version" 0
    has "minivmm $c --version" "$T/out" "minivmm "
done

# The programs directory missing: a job that names a program fails in one
# line, even one whose other keys are declared parameters (it used to pass
# with the program taken for a parameter).
mv "$data/programs" "$T/programs.away"
printf 'testcase: f\nkernel_cmdline: action=status:0\nparams: [n]\nn: 1\nfail: 3\n' >"$T/jobs/decl.yaml"
vmm compile "$T/jobs/decl.yaml" -o "$T/compiled/decl"
expect_rc "compile without the programs directory" 255
one_line "compile without the programs directory"
has "compile: the programs directory is named" "$T/err" "$data/programs: No such file or directory"
[ ! -e "$T/compiled/decl" ] && ok "compile: nothing written" || bad "compile wrote" "$(ls "$T/compiled/decl")"
vmm run "$T/jobs/decl.yaml" --kernel "$GUEST" --result-root "$T/r2" --timeout 10
expect_rc "run without the programs directory: no pass" 255
one_line "run without the programs directory"
no_make_deps "run without the programs directory"
[ ! -e "$T/r2" ] && ok "run: no result directory" || bad "run made results" "$(find "$T/r2")"
vmm run "$T/jobs/f.yaml" --kernel "$GUEST" --result-root "$T/r2" --timeout 10
expect_rc "run of a plain job without the programs directory" 255
has "run: the programs directory is named" "$T/err" "$data/programs: No such file or directory"
mv "$T/programs.away" "$data/programs"

# MINIVMM_DATADIR, when set, is the only place looked at
MINIVMM_DATADIR="$T/nowhere" vmm compile "$T/jobs/p.yaml" -o "$T/compiled/env"
expect_rc "MINIVMM_DATADIR missing" 255
one_line "MINIVMM_DATADIR missing"
has "MINIVMM_DATADIR missing: named" "$T/err" "$T/nowhere (MINIVMM_DATADIR)"
MINIVMM_DATADIR="$data" vmm compile "$T/jobs/p.yaml" -o "$T/compiled/env"
expect_rc "MINIVMM_DATADIR names the data" 0

finish install
