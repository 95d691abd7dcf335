#!/bin/sh
# The VM process's sandbox (docs/sandbox.md): boots with a share work under
# the seccomp filter, --no-sandbox is accepted, and the running VM process
# has the filter, no-new-privs and exactly the documented capabilities
# while minivmm itself (the command layer) has none of that.
# usage: tests/direct/sandbox.sh MINIVMM TINYGUEST
set -u
. "$(dirname "$0")/lib"

boot() { "$VMM" boot --kernel "$GUEST" --timeout 10 "$@" >"$T/out" 2>"$T/err"; rc=$?; }
hanging() { grep -qF "tinyguest: hanging" "$1"; }
field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }   # PID FIELD

needs_kvm sandbox

mkdir -p "$T/share"
boot --share "$T/share" --share "$T/share,tag=ro,ro" --cpus 2 --append "action=status:7"
expect_rc "a boot with shares and 2 vCPUs runs under the filter" 7
[ ! -s "$T/err" ] && ok "the filter stops nothing (stderr empty)" || bad "stderr empty" "$(cat "$T/err")"
boot --no-sandbox --share "$T/share" --append "action=status:7"
expect_rc "boot --no-sandbox is accepted" 7
"$VMM" boot --help >"$T/out" 2>&1
has "boot --help names --no-sandbox" "$T/out" "--no-sandbox"
"$VMM" run --help >"$T/out" 2>&1
has "run --help names --no-sandbox" "$T/out" "--no-sandbox"
export XDG_CACHE_HOME="$T/cache"
printf 'testcase: sb\nkernel_cmdline: action=status:0\npass: x\n' >"$T/job.yaml"
"$VMM" run "$T/job.yaml" --kernel "$GUEST" --result-root "$T/res" --timeout 10 --no-sandbox \
    >"$T/out" 2>"$T/err"; rc=$?
expect_rc "run --no-sandbox is accepted" 0
"$VMM" run "$T/job.yaml" --kernel "$GUEST" --result-root "$T/res" --timeout 10 >"$T/out" 2>"$T/err"; rc=$?
expect_rc "run: a job under the filter passes" 0

# The VM process while the guest hangs: /proc/PID/status of minivmm's child.
# inspect NAME [--no-sandbox]: sets $vm_seccomp $vm_capeff $vm_nnp $top_seccomp $top_capeff
inspect() {
    name=$1
    shift
    con="$T/con.$name"
    "$VMM" boot --kernel "$GUEST" --timeout 60 --append action=hang --console "$con" "$@" \
        >"$T/out" 2>"$T/err" &
    pid=$!
    vm_seccomp=? vm_capeff=? vm_nnp=? top_seccomp=? top_capeff=?
    if until_true hanging "$con"; then
        child=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null | awk '{print $1}')
        if [ -n "$child" ]; then
            vm_seccomp=$(field "$child" Seccomp)
            vm_capeff=$(field "$child" CapEff)
            vm_nnp=$(field "$child" NoNewPrivs)
        fi
        top_seccomp=$(field "$pid" Seccomp)
        top_capeff=$(field "$pid" CapEff)
    fi
    kill -TERM "$pid" 2>/dev/null
    wait "$pid"
}

inspect sandboxed
[ "$vm_seccomp" = 2 ] && ok "the VM process runs under a seccomp filter" ||
    bad "VM process seccomp" "Seccomp: $vm_seccomp"
[ "$vm_nnp" = 1 ] && ok "the VM process has no-new-privs" || bad "VM process nnp" "NoNewPrivs: $vm_nnp"
[ "$top_seccomp" = 0 ] && ok "minivmm itself is not filtered" || bad "top seccomp" "Seccomp: $top_seccomp"
if [ "$(id -u)" -eq 0 ]; then
    # CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID
    [ "$vm_capeff" = 000000000000001f ] && ok "the VM process keeps exactly the 9p capabilities" ||
        bad "VM process CapEff" "$vm_capeff, want 000000000000001f"
    [ "$top_capeff" != 000000000000001f ] && [ "$top_capeff" != "?" ] &&
        ok "minivmm itself keeps its capabilities" || bad "top CapEff" "$top_capeff"
else
    [ "$vm_capeff" = 0000000000000000 ] && ok "the VM process has no capabilities (not root)" ||
        bad "VM process CapEff" "$vm_capeff"
fi

inspect unsandboxed --no-sandbox
[ "$vm_seccomp" = 0 ] && ok "--no-sandbox: no seccomp filter" || bad "--no-sandbox seccomp" "$vm_seccomp"
[ "$vm_capeff" = "$top_capeff" ] && ok "--no-sandbox: capabilities kept" ||
    bad "--no-sandbox caps" "$vm_capeff vs $top_capeff"

finish sandbox
