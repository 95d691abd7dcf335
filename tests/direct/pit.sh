#!/bin/sh
# The PIT (i8254) is KVM's in-kernel one, and only with --pit (boot, run);
# without it ports 0x40-0x43 are unanswered (read all ones, writes ignored)
# and port 0x61 reads 0x20 (docs/devices.md).  MINIVMM_TRACE_IO=1 shows
# which port accesses reach minivmm: with KVM's PIT none of those do.
# usage: tests/direct/pit.sh MINIVMM TINYGUEST
set -u
. "$(dirname "$0")/lib"
needs_kvm pit
export XDG_CACHE_HOME="$T/cache"
boot() { "$VMM" boot --kernel "$GUEST" --timeout 20 --timing=json "$@" >"$T/out" 2>"$T/err"; rc=$?; }

boot --append action=status:3
expect_rc "the tiny guest boots without a PIT" 3
has "... and reports on the console" "$T/out" "tinyguest: status 3"
grep -q '"pit":' "$T/err" && bad "... no PIT is created by default" "$(cat "$T/err")" ||
    ok "... no PIT is created by default (no pit setup step)"

boot --pit --append action=status:4
expect_rc "the tiny guest boots with --pit" 4
has "... and reports on the console" "$T/out" "tinyguest: status 4"
has "... the PIT is created (pit setup step)" "$T/err" '"pit":'

# Every port, every width: without --pit the PIT's ports reach minivmm.
MINIVMM_TRACE_IO=1 "$VMM" boot --kernel "$GUEST" --timeout 60 --append action=wildpio \
    >"$T/out" 2>"$T/trace"; rc=$?
expect_rc "without --pit, wild port I/O (traced) still ends with status 0" 0
has "... port 0x40 reads all ones" "$T/trace" "io in port 0x40 size 1 value 0xff (unhandled)"
has "... port 0x43 reads all ones" "$T/trace" "io in port 0x43 size 1 value 0xff (unhandled)"
has "... port 0x61 reads 0x20 (channel 2 output high)" "$T/trace" "io in port 0x61 size 1 value 0x20"
n=$(grep -v '^minivmm: io ' "$T/trace" | grep -vc '^minivmm: further') || :
[ "$n" -eq 0 ] && ok "... and minivmm says nothing else about them" ||
    bad "... and minivmm says nothing else about them" "$(grep -v '^minivmm: io ' "$T/trace" | head -c 300)"
MINIVMM_TRACE_IO=1 "$VMM" boot --kernel "$GUEST" --timeout 60 --pit --append action=wildpio \
    >"$T/out" 2>"$T/trace"; rc=$?
expect_rc "with --pit, wild port I/O ends with status 0" 0
# (wider accesses that run past 0x43 are not KVM's: they reach minivmm)
n=$(grep -cE 'port 0x(4[0-3]|61) size 1 ' "$T/trace") || :
[ "$n" -eq 0 ] && ok "... and KVM's PIT answers ports 0x40-0x43 and 0x61" ||
    bad "... and KVM's PIT answers ports 0x40-0x43 and 0x61" "$n byte accesses reached minivmm"

# The option is a flag: a value is refused, for boot and run alike.
"$VMM" boot --kernel "$GUEST" --pit=yes >"$T/out" 2>"$T/err"; rc=$?
expect_rc "boot --pit=yes is refused (255)" 255
has "... named" "$T/err" "'--pit=yes'"
[ ! -s "$T/out" ] && ok "... nothing booted" || bad "... nothing booted" "$(head -c 200 "$T/out")"
printf 'testcase: pit\nkernel_cmdline: action=status:0\npass: hi\n' >"$T/job.yaml"
"$VMM" run "$T/job.yaml" --kernel "$GUEST" --result-root "$T/res0" --pit=1 >"$T/out" 2>"$T/err"; rc=$?
expect_rc "run --pit=1 is refused (255)" 255
has "... named" "$T/err" "'--pit=1'"
[ ! -e "$T/res0" ] && ok "... nothing written" || bad "... nothing written" "$(find "$T/res0")"
"$VMM" run "$T/job.yaml" --kernel "$GUEST" --result-root "$T/res" --pit --timeout 10 \
    >"$T/out" 2>"$T/err"; rc=$?
expect_rc "run --pit passes" 0
has "... its VM had a PIT (summary's setup steps)" "$(find "$T/res" -name summary.json)" '"pit":'
"$VMM" run "$T/job.yaml" --kernel "$GUEST" --result-root "$T/res2" --timeout 10 \
    >"$T/out" 2>"$T/err"; rc=$?
expect_rc "run without --pit passes" 0
s=$(find "$T/res2" -name summary.json)
grep -q '"pit":' "$s" && bad "... without a PIT" "$(cat "$s")" || ok "... without a PIT"

finish pit
