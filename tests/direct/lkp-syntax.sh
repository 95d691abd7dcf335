#!/bin/sh
# `minivmm compile` of small lkp-style job files (tests/data/lkp/NAME.yaml),
# one per construct of lkp's syntax (docs/jobs.md "lkp syntax"): the files
# written and every NAME.sh must equal tests/data/lkp/NAME.expected; and
# expressions outside the evaluated subset are refused with FILE:LINE:COL.
# Compile only: the guest is not booted.
# usage: tests/direct/lkp-syntax.sh MINIVMM TINYGUEST_BZIMAGE
set -u
. "$(dirname "$0")/lib"
D=$(cd "$(dirname "$0")/../data/lkp" && pwd)
P=$(cd "$(dirname "$0")/../data/job/programs" && pwd)

for f in "$D"/*.yaml; do
    n=$(basename "$f" .yaml)
    [ -e "$D/$n.expected" ] || continue
    rm -rf "$T/o"
    "$VMM" compile "$f" --programs "$P" -o "$T/o" >"$T/out" 2>"$T/err"; rc=$?
    expect_rc "$n: compiles" 0
    { sed "s|^$T/o/||" "$T/out"; for s in $(sed -n 's|^\(.*\.sh\)$|\1|p' "$T/out"); do cat "$s"; done; } >"$T/got"
    if cmp -s "$T/got" "$D/$n.expected"; then ok "$n: output as expected"
    else bad "$n: output" "$(diff "$D/$n.expected" "$T/got" | head -20)"; fi
done

# refused: one line, FILE:LINE:COL of the construct, 255, nothing written
refused() { # NAME LINE:COL NEEDLE TEXT
    printf '%s' "$4" >"$T/bad.yaml"
    rm -rf "$T/o"
    "$VMM" compile "$T/bad.yaml" --programs "$P" -o "$T/o" >"$T/out" 2>"$T/err"; rc=$?
    expect_rc "$1: refused" 255
    has "$1: place and construct" "$T/err" "bad.yaml:$2: {{ }}: $3"
    [ "$(wc -l <"$T/err")" -eq 1 ] && ok "$1: one line" || bad "$1: one line" "$(cat "$T/err")"
    [ ! -e "$T/o" ] && ok "$1: nothing written" || bad "$1: nothing written" "$(ls "$T/o")"
}
refused "method call" 3:19 "'(' after a name" \
    'testcase: t
hackbench:
  load: {{ fs.size() }}
fs: ext4
'
refused "multi-line, unknown key" 4:7 "unknown key 'nope'" \
    'testcase: t
hackbench:
  load: {{ 1 +
      nope }}
'
refused "quoted, power" 2:18 "'**' is outside" \
    'testcase: t
hackbench: "{{ 3 ** 2 }}"
'
finish lkp-syntax
