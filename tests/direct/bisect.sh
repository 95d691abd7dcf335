#!/bin/sh
# A real `git bisect run` with minivmm as the test (docs/bisect.md): the
# history, run script and checks of tests/rig/bisect-lib.sh (also the rig
# case `bisect`), with the tiny guest standing in for the kernel: good commits
# report 0, bad ones 1 or hang (--timeout 2: 124), a truncated image (125) is
# skipped, and a missing kernel file (255) aborts the bisect.  Here only (it
# costs the rig three boots): git's second look at the good commit after a
# crash (126), and its abort when the good commit crashes too.
# usage: tests/direct/bisect.sh MINIVMM TINYGUEST
set -u
# shellcheck source=tests/direct/lib
. "$(dirname "$0")/lib"
# shellcheck source=tests/rig/bisect-lib.sh
. "$(dirname "$0")/../rig/bisect-lib.sh"

needs_kvm bisect
if ! command -v git >/dev/null 2>&1; then
    echo "bisect: git is missing (apt-get install git)"
    echo "direct-bisect: 0 passed, 1 failed"
    exit 1
fi
bisect_ok() { ok "$1"; }
bisect_bad() { bad "$1" "$2"; }

case $VMM in /*) ;; *) VMM=$(pwd)/$VMM ;; esac
bisect_setup "$T/bisect" "$VMM" "$GUEST" \
    "--append action=status:0 --timeout 10" \
    "--append action=status:1 --timeout 10" \
    "--append action=hang --timeout 2" 120 \
    "--append action=panic --timeout 10" ||
    { bad "setup" "cannot prepare $T/bisect"; finish bisect; }
bisect_main
bisect_abort
bisect_crash
finish bisect
