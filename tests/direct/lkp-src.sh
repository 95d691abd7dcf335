#!/bin/sh
# `--lkp-src DIR` with the small lkp-style tree tests/lkp/src-mini (docs/jobs.md
# "--lkp-src"): compile's files and scripts equal tests/data/lkp-src/NAME.expected
# (names, variables and programs checked against lkp itself by
# `tests/lkp/compare --lkp-src --programs-of tests/lkp/src-mini`); the script
# runs lkp's programs from the tree with lkp's environment (run on this host
# with the guest runtime, job/runtime.sh: the tiny guest cannot run a shell);
# bad --lkp-src values are refused.  Host only: no guest is booted.
# usage: tests/direct/lkp-src.sh MINIVMM TINYGUEST_BZIMAGE
set -u
. "$(dirname "$0")/lib"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
S=$TOP/tests/lkp/src-mini
D=$TOP/tests/data/lkp-src

for n in kinds mini inc defaults vals lists; do
    rm -rf "$T/o"
    "$VMM" compile --lkp-src "$S" "$S/jobs/$n.yaml" --nr-cpu 2 -o "$T/o" >"$T/out" 2>"$T/err"; rc=$?
    expect_rc "$n: compiles" 0
    { sed "s|^$T/o/||" "$T/out"; for s in $(grep '\.sh$' "$T/out"); do cat "$s"; done; } >"$T/got"
    if cmp -s "$T/got" "$D/$n.expected"; then ok "$n: output as expected"
    else bad "$n: output" "$(diff "$D/$n.expected" "$T/got" | head -20)"; fi
done

# --no-defaults: lkp's include/ files are not read (mini.yaml: no mvstamp,
# no mvnote); and it needs --lkp-src.
rm -rf "$T/o"
"$VMM" compile --lkp-src "$S" --no-defaults "$S/jobs/mini.yaml" -o "$T/o" >"$T/out" 2>"$T/err"; rc=$?
expect_rc "--no-defaults" 0
if grep -q 'mvstamp\|mvnote' $(grep '\.sh$' "$T/out"); then bad "--no-defaults: defaults applied" "$(grep -h 'mvstamp\|mvnote' $(grep '\.sh$' "$T/out"))"
else ok "--no-defaults: no default monitor or variable"; fi
"$VMM" compile --no-defaults "$S/jobs/mini.yaml" -o "$T/o" >"$T/out" 2>"$T/err"; rc=$?
expect_rc "--no-defaults without --lkp-src: refused" 255
has "--no-defaults without --lkp-src: the message" "$T/err" "--no-defaults needs --lkp-src"
# A template outside lkp's ERB subset: one line naming the file and place.
cp -r "$S" "$T/bad-src"
printf 'a: 1\n<%% x = 1 %%>\n' >"$T/bad-src/include/category/functional"
"$VMM" compile --lkp-src "$T/bad-src" "$S/jobs/mini.yaml" -o "$T/o4" >"$T/out" 2>"$T/err"; rc=$?
expect_rc "bad template: refused" 255
has "bad template: file and place" "$T/err" "bad-src/include/category/functional:2:1: ERB"
[ "$(wc -l <"$T/err")" = 1 ] && ok "bad template: one line" || bad "bad template: lines" "$(cat "$T/err")"
[ ! -e "$T/o4" ] && ok "bad template: nothing written" || bad "bad template: wrote" "$(ls "$T/o4")"

# Without --lkp-src, inc.yaml's include is not found (lkp's search path is not used).
"$VMM" compile --programs "$S/programs" "$S/jobs/inc.yaml" -o "$T/o3" >"$T/out" 2>"$T/err"; rc=$?
expect_rc "inc without --lkp-src: refused" 255
has "inc without --lkp-src: include not found" "$T/err" "include file 'greet.yaml' not found"

# The option form --lkp-src=DIR, and the tree's programs replace minivmm's:
# without --lkp-src none of the keys is a program.
rm -rf "$T/o"
"$VMM" compile "--lkp-src=$S" "$S/jobs/mini.yaml" -o "$T/o" >"$T/out" 2>"$T/err"; rc=$?
expect_rc "--lkp-src=DIR" 0
"$VMM" compile "$S/jobs/mini.yaml" -o "$T/o2" >"$T/out" 2>"$T/err"; rc=$?
expect_rc "without --lkp-src: no program" 255
has "without --lkp-src: the message" "$T/err" "the job runs no program"

# Running a compiled script: lkp's programs run from $LKP_SRC/programs with
# TMP, TMP_RESULT_ROOT and BENCHMARK_ROOT set; results named by program.
rm -rf "$T/o" "$T/res" "$T/tmp"
"$VMM" compile --lkp-src "$S" "$S/jobs/kinds.yaml" --nr-cpu 2 -o "$T/o" >"$T/out" 2>"$T/err"
sh=$(grep '\.sh$' "$T/out")
(cd "$T" && MINIVMM_RUNTIME=$TOP/job/runtime.sh LKP_SRC=$S RESULT_ROOT=$T/res TMP=$T/tmp \
    sh "$sh" run_job) >"$T/run" 2>"$T/err"; rc=$?
expect_rc "kinds: run_job" 0
has "setup ran: mvprep/setup with its argument" "$T/res/mvprep" "mvprep: level 1"
has "setup pass runs mvboth's run (lkp)" "$T/res/mvboth" "mvboth: run fast"
has "test ran with its options" "$T/res/mvhello" "mvhello: hi!"
has "test saw the setup's TMP file" "$T/res/mvhello" "mvhello: prepared at level 1"
has "LKP_SRC and top-level variables" "$T/res/mvhello" "LKP_SRC=$S testcase=kinds"
has "test status recorded" "$T/res/mvhello.status" "0"
has "daemon started with its option (before the test)" "$T/res/mvd" "mvd: serving on 8080"
has "runtime lines" "$T/run" "minivmm: test mvhello: exit status 0"
(cd "$T" && MINIVMM_RUNTIME=$TOP/job/runtime.sh RESULT_ROOT=$T/res sh "$sh" extract_stats) >"$T/st"
has "extract_stats" "$T/st" "mvhello.exit_status: 0"

# vals.yaml: lkp's double quotes let the shell expand a value with `$`
# (nr_node, then greeting from it); a YAML 1.1 boolean program value gives
# no arguments; timeout is exported as written.
rm -rf "$T/o" "$T/res" "$T/tmp"
"$VMM" compile --lkp-src "$S" "$S/jobs/vals.yaml" -o "$T/o" >"$T/out" 2>"$T/err"
sh=$(grep '\.sh$' "$T/out")
(cd "$T" && MINIVMM_RUNTIME=$TOP/job/runtime.sh LKP_SRC=$S RESULT_ROOT=$T/res TMP=$T/tmp \
    sh "$sh" run_job) >"$T/run" 2>"$T/err"; rc=$?
expect_rc "vals: run_job" 0
has "vals: \$ values expanded by the shell" "$T/res/mvhello" "mvhello: node 0-1 of 2!"
[ "$(cat "$T/res/mvprep" 2>&1)" = "mvprep: level " ] && ok "vals: boolean program value, no argument" ||
    bad "vals: boolean program value, no argument" "$(cat "$T/res/mvprep" 2>&1)"
sh -c 'f=$1; shift; . "$f"; export_top_env; echo "timeout=$timeout flag=$flag word=$word"' \
    sh "$sh" >"$T/env" 2>&1
has "vals: timeout as written, booleans as Ruby reads them" "$T/env" "timeout=4h flag=false word=off"

# No tree in the guest: one line, status 127 for the program.
(cd "$T" && MINIVMM_RUNTIME=$TOP/job/runtime.sh LKP_SRC=$T/none RESULT_ROOT=$T/res2 TMP=$T/tmp \
    sh "$sh" run_job) >"$T/run" 2>"$T/err"; rc=$?
expect_rc "no lkp tree: the setup fails" 127
has "no lkp tree: named" "$T/err" "minivmm: no lkp tree at LKP_SRC='$T/none'"

# Bad --lkp-src: one line, 255, nothing written (compile and run).
mkdir -p "$T/empty"
for a in "$T/missing:No such file or directory" "$T/empty:no programs/ directory" \
         "$S/README:not a directory"; do
    dir=${a%%:*} why=${a#*:}
    rm -rf "$T/o"
    "$VMM" compile --lkp-src "$dir" "$S/jobs/mini.yaml" -o "$T/o" >"$T/out" 2>"$T/err"; rc=$?
    expect_rc "compile --lkp-src $(basename "$dir"): refused" 255
    has "compile --lkp-src $(basename "$dir"): why" "$T/err" "--lkp-src $dir: $why"
    [ "$(wc -l <"$T/err")" -eq 1 ] && [ ! -e "$T/o" ] && ok "compile --lkp-src $(basename "$dir"): one line, nothing written" ||
        bad "compile --lkp-src $(basename "$dir"): one line, nothing written" "$(cat "$T/err")"
    "$VMM" run "$S/jobs/mini.yaml" --lkp-src "$dir" --result-root "$T/r" >"$T/out" 2>"$T/err"; rc=$?
    expect_rc "run --lkp-src $(basename "$dir"): refused" 255
    has "run --lkp-src $(basename "$dir"): why" "$T/err" "--lkp-src $dir: $why"
    [ ! -e "$T/r" ] && ok "run --lkp-src $(basename "$dir"): nothing written" ||
        bad "run --lkp-src $(basename "$dir"): nothing written" "$(ls "$T/r")"
done
# pack --lkp-src: the tree as run packs it, at lkp/lkp/src, without dot entries.
mkdir -p "$T/tree/programs/x" "$T/tree/.git"
echo secret >"$T/tree/.git/config"; echo lib >"$T/tree/lib.sh"
ln -s ../lib.sh "$T/tree/programs/x/run"
"$VMM" pack --lkp-src "$T/tree" --compress none -o "$T/p.cpio" >"$T/out" 2>"$T/err"; rc=$?
expect_rc "pack --lkp-src" 0
tr -c '[:print:]' '\n' <"$T/p.cpio" >"$T/list"   # newc: names in plain text (no cpio tool)
has "pack --lkp-src: the tree's files" "$T/list" "lkp/lkp/src/lib.sh"
has "pack --lkp-src: links kept" "$T/list" "lkp/lkp/src/programs/x/run"
grep -q '\.git' "$T/list" && bad "pack --lkp-src: no dot entries" "$(grep git "$T/list")" ||
    ok "pack --lkp-src: no dot entries"
"$VMM" pack --lkp-src "$T/missing" -o "$T/p2.cpio" >"$T/out" 2>"$T/err"; rc=$?
expect_rc "pack --lkp-src missing: refused" 255
has "pack --lkp-src missing: why" "$T/err" "--lkp-src $T/missing: No such file or directory"
[ ! -e "$T/p2.cpio" ] && ok "pack --lkp-src missing: nothing written" ||
    bad "pack --lkp-src missing: nothing written" "$(ls -la "$T/p2.cpio")"
finish lkp-src
