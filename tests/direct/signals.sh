#!/bin/sh
# SIGINT, SIGTERM and SIGHUP to boot, run and pack (docs/sandbox.md,
# "Signals"): the VM is killed, temporary files are removed, nothing new
# starts, what was written is kept, and the exit status is 128 + the signal
# (so `git bisect run` aborts).  usage: tests/direct/signals.sh MINIVMM TINYGUEST
set -u
. "$(dirname "$0")/lib"
# A shell starts background commands with SIGINT ignored, and minivmm keeps
# an ignored signal ignored (nohup): start them with the default action.
E="env --default-signal=INT,HUP"

hanging() { grep -qF "tinyguest: hanging" "$1"; }
tmp_in() { [ -n "$(find "$@" -name '*.tmp-*' 2>/dev/null)" ]; }
no_tmp() { # NAME DIR...
    n=$1
    shift
    left=$(find "$@" -name '*.tmp-*' 2>/dev/null)
    [ -z "$left" ] && ok "$n" || bad "$n" "left: $left"
}

needs_kvm signals

# --- boot: each signal while the guest hangs
for s in TERM:15 INT:2 HUP:1; do
    name=${s%%:*}
    num=${s#*:}
    con="$T/con.$name"
    $E "$VMM" boot --kernel "$GUEST" --timeout 60 --append action=hang --console "$con" \
        >"$T/out" 2>"$T/err" &
    pid=$!
    if until_true hanging "$con"; then
        start=$(date +%s)
        kill -"$name" "$pid"
        wait "$pid"; rc=$?
        took=$(( $(date +%s) - start ))
        expect_rc "boot: SIG$name gives 128+$num" $((128 + num))
        grep -q "interrupted by signal $num" "$T/err" && ok "boot: SIG$name is named on stderr" ||
            bad "boot: SIG$name named" "$(cat "$T/err")"
        hanging "$con" && ok "boot: SIG$name keeps the console file" ||
            bad "boot: SIG$name console" "marker gone"
        [ "$took" -le 10 ] && ok "boot: SIG$name stops the VM promptly" ||
            bad "boot: SIG$name promptness" "${took}s"
    else
        kill -KILL "$pid" 2>/dev/null
        wait "$pid"
        bad "boot: SIG$name" "the guest never reached its hang"
    fi
done

# --- an ignored signal stays ignored (nohup); SIGTERM still ends the VM
con="$T/con.nohup"
(trap '' HUP; exec "$VMM" boot --kernel "$GUEST" --timeout 60 --append action=hang \
    --console "$con" >"$T/out" 2>"$T/err") &
pid=$!
if until_true hanging "$con"; then
    # Both pending at once: a caught SIGHUP (1) would be taken first and win.
    kill -HUP "$pid"
    kill -TERM "$pid"
    wait "$pid"; rc=$?
    expect_rc "boot: an ignored SIGHUP stays ignored, SIGTERM gives 143" 143
    grep -q "interrupted by signal 15" "$T/err" && ok "boot: SIGTERM, not SIGHUP, ended it" ||
        bad "boot: ignored SIGHUP" "$(cat "$T/err")"
else
    kill -KILL "$pid" 2>/dev/null
    wait "$pid"
    bad "boot: nohup" "the guest never reached its hang"
fi

# --- run: SIGTERM during the first of two jobs, with --keep-going
export XDG_CACHE_HOME="$T/cache"
printf 'testcase: sig\nkernel_cmdline: action=hang\nsleep:\n- 1\n- 2\n' >"$T/two.yaml"
first_hangs() { for f in $(find "$T/res" -name console.log); do hanging "$f" && return 0; done; return 1; }
$E "$VMM" run "$T/two.yaml" --kernel "$GUEST" --result-root "$T/res" --timeout 60 --keep-going \
    >"$T/out" 2>"$T/err" &
pid=$!
if until_true first_hangs; then
    kill -TERM "$pid"
    wait "$pid"; rc=$?
    expect_rc "run: SIGTERM gives 143" 143
    n=$(find "$T/res" -name job.sh | wc -l)
    [ "$n" -eq 1 ] && ok "run: the second job never starts" || bad "run: second job" "$n job dirs"
    d=$(dirname "$(find "$T/res" -name job.sh | head -n 1)")
    for f in job.yaml job.sh console.log; do
        [ -s "$d/$f" ] && ok "run: interrupted job keeps $f" || bad "run: keeps $f" "$d/$f"
    done
    [ "$(cat "$d/exit_status" 2>/dev/null)" = 143 ] && ok "run: interrupted job's exit_status is 143" ||
        bad "run: exit_status" "$(cat "$d/exit_status" 2>&1)"
    grep -q '"verdict": "interrupted"' "$d/summary.json" 2>/dev/null &&
        ok "run: summary says interrupted" || bad "run: summary" "$(cat "$d/summary.json" 2>&1)"
    grep -q "1 job(s) not started" "$T/err" && ok "run: says what did not start" ||
        bad "run: not started message" "$(cat "$T/err")"
    no_tmp "run: no temporary file in the results or the cache" "$T/res" "$T/cache"
else
    kill -KILL "$pid" 2>/dev/null
    wait "$pid"
    bad "run: SIGTERM" "the first job never reached its hang"
fi

# --- run: SIGTERM while the base archive is being packed (a big --rootfs)
mkdir -p "$T/big/d"
truncate -s 300M "$T/big/zero1" && truncate -s 300M "$T/big/d/zero2"
$E "$VMM" run "$T/two.yaml" --kernel "$GUEST" --result-root "$T/res2" --rootfs "$T/big" \
    --timeout 60 --keep-going >"$T/out" 2>"$T/err" &
pid=$!
if until_true tmp_in "$T/cache"; then
    kill -TERM "$pid"
    wait "$pid"; rc=$?
    expect_rc "run: SIGTERM while packing gives 143" 143
    no_tmp "run: the half-written archive is removed" "$T/cache" "$T/res2"
    [ -z "$(find "$T/res2" -name job.sh 2>/dev/null)" ] && ok "run: no job starts after SIGTERM" ||
        bad "run: jobs after SIGTERM" "$(find "$T/res2" -name job.sh)"
else
    kill -KILL "$pid" 2>/dev/null
    wait "$pid"
    bad "run: SIGTERM while packing" "no temporary archive seen (exit: $(cat "$T/err"))"
fi

# --- pack: each signal while the archive is written
for s in TERM:15 INT:2 HUP:1; do
    name=${s%%:*}
    num=${s#*:}
    $E "$VMM" pack -o "$T/out.$name.cpio" "$T/big" >"$T/out" 2>"$T/err" &
    pid=$!
    if until_true tmp_in "$T" -maxdepth 1; then
        kill -"$name" "$pid"
        wait "$pid"; rc=$?
        expect_rc "pack: SIG$name gives 128+$num" $((128 + num))
        no_tmp "pack: SIG$name leaves no temporary file" "$T" -maxdepth 1
        [ ! -e "$T/out.$name.cpio" ] && ok "pack: SIG$name creates no -o file" ||
            bad "pack: SIG$name output" "$T/out.$name.cpio exists"
    else
        kill -KILL "$pid" 2>/dev/null
        wait "$pid"
        bad "pack: SIG$name" "no temporary file seen"
    fi
done

# --- a closed stdout (`minivmm boot ... | head`): EPIPE, never a death by
# SIGPIPE (141, which would abort a bisect); the guest's status stands.
{ "$VMM" boot --kernel "$GUEST" --timeout 20 --append "flood=200000 action=status:3" 2>"$T/err"
  echo $? >"$T/pipe-rc"; } | head -c 10 >/dev/null
rc=$(cat "$T/pipe-rc")
expect_rc "boot | head: a closed stdout does not kill minivmm (the guest's status)" 3

finish signals
