#!/bin/sh
# minivmm run -j N (docs/run.md, "Many jobs at once"): the same result tree
# and exit status as a sequential run, one summary line per job in finish
# order, the first failed job in job order deciding the status, jobs that
# really run at once, the host's CPUs capping how many, bad -j values, and
# SIGTERM (or a SIGKILL of minivmm) ending every VM.  The tiny guest stands
# in for the kernel; action=await:S makes "waiting" in the job's result
# directory and ends with status S only once the test makes "go" there, so
# nothing here depends on timing: a job that must run at once with others
# simply cannot finish before the test saw them all.
# usage: tests/direct/jobs.sh MINIVMM TINYGUEST_BZIMAGE
set -u
. "$(dirname "$0")/lib"
# A shell starts background commands with SIGINT ignored; minivmm keeps it so.
E="env --default-signal=INT,HUP"

needs_kvm jobs

export XDG_CACHE_HOME="$T/cache"
# The host's size as minivmm sees it (tests only): room for 8 VMs of 1 CPU.
export MINIVMM_TEST_HOST_CPUS=8
mkdir -p "$T/jobs"
# dir ROOT PARAMS: the result directory of the job named PARAMS (lkp's
# names: kernel_cmdline is no program option, so the jobs of a list are
# defaults, defaults-2, ... in file order)
dir() { find "$1" -mindepth 4 -maxdepth 4 -type d -path "$1/*/$2/*" | head -n 1; }
# count ROOT NAME: how many result directories hold NAME
count() { find "$1" -name "$2" 2>/dev/null | wc -l; }
at_least() { [ "$(count "$1" "$2")" -ge "$3" ]; }
waiting() { [ -d "$(dir "$1" "$2")/waiting" ]; }
ended() { [ -e "$(dir "$1" "$2")/exit_status" ]; }
go() { touch "$(dir "$1" "$2")/go"; }
# tree ROOT: every file under ROOT with its content, times left out
tree() {
    (cd "$1" && find . -type f | LC_ALL=C sort | while read -r f; do
        echo "== $f"
        sed 's/, "wall_seconds": .*/}/' "$f"
    done; find . -type d | LC_ALL=C sort)
}
stop() { kill -KILL "$1" 2>/dev/null; wait "$1"; }

# --- results and status as a sequential run: job 2 fails (3) last in time,
# job 4 fails (5) first; 3 is the status (the first failed job in job order)
printf 'testcase: jobs\nkernel_cmdline: [action=status:0, "action=await:3", action=status:0, action=status:5, action=status:0]\npass:\n' >"$T/jobs/mix.yaml"
$E "$VMM" run "$T/jobs/mix.yaml" --kernel "$GUEST" --result-root "$T/seq" --timeout 60 --keep-going \
    >"$T/seq.out" 2>"$T/seq.err" &
pid=$!
if until_true waiting "$T/seq" defaults-2; then
    go "$T/seq" defaults-2
    wait "$pid"; rc=$?
    expect_rc "sequential: the first failed job's status" 3
else
    stop "$pid"
    bad "sequential" "the await job never waited: $(cat "$T/seq.err")"
fi
$E "$VMM" run "$T/jobs/mix.yaml" --kernel "$GUEST" --result-root "$T/par" --timeout 60 --keep-going \
    -j 3 >"$T/out" 2>"$T/err" &
pid=$!
if until_true ended "$T/par" defaults-5 && until_true ended "$T/par" defaults-4 &&
    until_true waiting "$T/par" defaults-2; then
    ok "-j 3: jobs 3 to 5 end while job 2 waits (they ran at once)"
    [ "$(cat "$(dir "$T/par" defaults-4)/exit_status")" = 5 ] && ok "-j 3: job 4 failed first" ||
        bad "-j 3: job 4" "$(cat "$(dir "$T/par" defaults-4)/exit_status")"
    lines4() { [ "$(wc -l <"$T/out")" -ge 4 ]; }
    until_true lines4 || bad "-j 3: four summary lines before job 2 ends" "$(cat "$T/out")"
    go "$T/par" defaults-2
    wait "$pid"; rc=$?
    expect_rc "-j 3: the first failed job in job order gives the status, not the first in time" 3
    if tree "$T/seq" >"$T/seq.tree" && tree "$T/par" >"$T/par.tree" && cmp -s "$T/seq.tree" "$T/par.tree"; then
        ok "-j 3: the same result tree as a sequential run (files, contents, N)"
    else
        bad "-j 3: result tree" "$(diff "$T/seq.tree" "$T/par.tree" | head -n 20)"
    fi
    n=$(grep -c '^minivmm: mix-defaults' "$T/out")
    [ "$n" -eq 5 ] && [ "$(wc -l <"$T/out")" -eq 5 ] && ok "-j 3: one summary line per job, nothing else" ||
        bad "-j 3: summary lines" "$(cat "$T/out")"
    tail -n 1 "$T/out" | grep -q 'mix-defaults-2: fail (exit 3' && ok "-j 3: lines in finish order (job 2 last)" ||
        bad "-j 3: finish order" "$(cat "$T/out")"
    sed 's/ ([^)]*)//' "$T/seq.out" | sort >"$T/seq.lines"
    sed 's/ ([^)]*)//; s|/par/|/seq/|' "$T/out" | sort >"$T/par.lines"
    cmp -s "$T/seq.lines" "$T/par.lines" && ok "-j 3: the summary lines of a sequential run" ||
        bad "-j 3: summary lines differ" "$(diff "$T/seq.lines" "$T/par.lines")"
else
    stop "$pid"
    bad "-j 3" "jobs did not run at once: $(cat "$T/err")"
fi

# --- three at once: none can end before all three wait
printf 'testcase: three\nkernel_cmdline: ["action=await:0", "action=await:0", "action=await:0"]\npass:\n' >"$T/jobs/three.yaml"
$E "$VMM" run "$T/jobs/three.yaml" --kernel "$GUEST" --result-root "$T/three" --timeout 60 -j 3 \
    >"$T/out" 2>"$T/err" &
pid=$!
if until_true at_least "$T/three" waiting 3; then
    ok "-j 3: three VMs at once"
    for d in $(find "$T/three" -name waiting); do touch "$(dirname "$d")/go"; done
    wait "$pid"; rc=$?
    expect_rc "-j 3: all three pass" 0
else
    stop "$pid"
    bad "-j 3: three at once" "$(count "$T/three" waiting) waiting: $(cat "$T/err")"
fi

# --- the host caps it: 2 CPUs, --cpus 1, -j 3: two at once, the third waits
MINIVMM_TEST_HOST_CPUS=2 $E "$VMM" run "$T/jobs/three.yaml" --kernel "$GUEST" --result-root "$T/cap" \
    --timeout 60 -j 3 >"$T/out" 2>"$T/err" &
pid=$!
if until_true at_least "$T/cap" waiting 2; then
    [ "$(count "$T/cap" job.yaml)" -eq 2 ] && ok "host of 2 CPUs: the third job has not started" ||
        bad "host cap" "$(count "$T/cap" job.yaml) jobs started"
    for d in $(find "$T/cap" -name waiting); do touch "$(dirname "$d")/go"; done
    if until_true at_least "$T/cap" waiting 3; then
        for d in $(find "$T/cap" -name waiting); do touch "$(dirname "$d")/go"; done
        wait "$pid"; rc=$?
        expect_rc "host of 2 CPUs: every job still runs" 0
    else
        stop "$pid"
        bad "host cap" "the third job never ran"
    fi
    has "host of 2 CPUs: one line says so" "$T/err" "-j 3: 2 VM(s) of 1 CPU(s) and 512 MiB fit this host (2 CPUs"
else
    stop "$pid"
    bad "host cap" "$(cat "$T/err")"
fi
printf 'testcase: quick\nkernel_cmdline: action=status:0\npass: [a, b, c, d]\n' >"$T/jobs/quick.yaml"
MINIVMM_TEST_HOST_MEMORY=1G "$VMM" run "$T/jobs/quick.yaml" --kernel "$GUEST" --result-root "$T/mem" \
    --timeout 10 -j 4 --memory 400M >"$T/out" 2>"$T/err"
has "host of 1 GiB, --memory 400M: two at once" "$T/err" "running at most 2 at once"

# --- without --keep-going: a failure starts nothing new, what runs finishes
printf 'testcase: stop\nkernel_cmdline: ["action=await:0", action=status:6, action=status:0, action=status:0]\npass:\n' >"$T/jobs/stop.yaml"
$E "$VMM" run "$T/jobs/stop.yaml" --kernel "$GUEST" --result-root "$T/stop" --timeout 60 -j 2 \
    >"$T/out" 2>"$T/err" &
pid=$!
if until_true ended "$T/stop" defaults-2 && until_true waiting "$T/stop" defaults; then
    go "$T/stop" defaults
    wait "$pid"; rc=$?
    expect_rc "no --keep-going: the failed job's status" 6
    [ "$(count "$T/stop" job.yaml)" -eq 2 ] && ok "no --keep-going: nothing starts after the failure" ||
        bad "no --keep-going" "$(count "$T/stop" job.yaml) jobs started"
    [ "$(cat "$(dir "$T/stop" defaults)/exit_status")" = 0 ] && ok "no --keep-going: the running job finishes" ||
        bad "no --keep-going: running job" "not finished"
    has "no --keep-going: says so" "$T/err" "stopping after a failed job (--keep-going runs the other 2)"
else
    stop "$pid"
    bad "no --keep-going" "$(cat "$T/err")"
fi

# --- --verbose: each job's console whole, just before its summary line
"$VMM" run "$T/jobs/mix.yaml" --kernel "$GUEST" --result-root "$T/verb" --timeout 2 -j 3 --verbose \
    --keep-going >"$T/out" 2>"$T/err"
bad_blocks=$(awk '/^minivmm: / { if (prev !~ /^tinyguest: (status|waiting)/) print; n++ } { prev = $0 }
    /^tinyguest: hello/ { if (open) print "two consoles mixed"; open = 1 } /^minivmm: / { open = 0 }' "$T/out")
[ -z "$bad_blocks" ] && [ "$(grep -c '^tinyguest: hello' "$T/out")" -eq 5 ] &&
    ok "--verbose -j 3: five consoles, none mixed, each before its summary line" ||
    bad "--verbose -j 3" "$bad_blocks"

# --- bad -j: one line, 255, nothing made
for j in 0 x 99999 -1 257 ""; do
    "$VMM" run "$T/jobs/mix.yaml" --kernel "$GUEST" --result-root "$T/badj" -j "$j" >"$T/out" 2>"$T/err"; rc=$?
    expect_rc "-j '$j' is refused" 255
    [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "jobs '$j'" "$T/err" && ok "-j '$j': one line naming it" ||
        bad "-j '$j': one line" "$(cat "$T/err")"
done
"$VMM" run "$T/jobs/mix.yaml" --kernel "$GUEST" --result-root "$T/badj" --jobs >"$T/out" 2>"$T/err"; rc=$?
expect_rc "--jobs without a value" 255
[ ! -e "$T/badj" ] && ok "bad -j: no result root made" || bad "bad -j" "result root made"

# --- many hosts (docs/scaling.md): one `run --job NAME` per expanded job,
# each into its own root, gathered into one: the tree of one sequential run
printf 'testcase: hosts\nkernel_cmdline: [action=status:0, action=status:3, action=status:0, action=status:5]\npass:\n' >"$T/jobs/hosts.yaml"
"$VMM" run "$T/jobs/hosts.yaml" --kernel "$GUEST" --result-root "$T/hseq" --timeout 10 --keep-going >"$T/out" 2>"$T/err"
"$VMM" compile "$T/jobs/hosts.yaml" -o "$T/split" >"$T/names" 2>"$T/err"
k=0
for name in $(sed -n 's|.*/||; s/\.yaml$//p' "$T/names"); do
    k=$((k + 1))
    "$VMM" run "$T/jobs/hosts.yaml" --kernel "$GUEST" --result-root "$T/host$k" --timeout 10 --job "$name" \
        >"$T/out" 2>"$T/err"
    [ "$(grep -c '^minivmm: ' "$T/out")" -eq 1 ] || bad "--job $name" "$(cat "$T/out" "$T/err")"
done
[ "$k" -eq 4 ] && ok "compile names the 4 jobs" || bad "compile names" "$(cat "$T/names")"
"$(dirname "$0")/../../examples/gather-results" "$T/hall" "$T"/host* 2>"$T/err"
if tree "$T/hseq" >"$T/seq.tree" && tree "$T/hall" >"$T/all.tree" && cmp -s "$T/seq.tree" "$T/all.tree"; then
    ok "--job per host, gathered: the tree of one sequential run"
else
    bad "gathered tree" "$(diff "$T/seq.tree" "$T/all.tree" | head -n 20) $(cat "$T/err")"
fi
"$VMM" run "$T/jobs/hosts.yaml" --kernel "$GUEST" --result-root "$T/host9" --timeout 10 --job hosts-defaults-4 \
    >"$T/out" 2>"$T/err"; rc=$?
expect_rc "--job: that job's status" 5
"$(dirname "$0")/../../examples/gather-results" "$T/hall" "$T/host9"
[ "$(cat "$T/hall/hosts/defaults-4/tinyguest-1.0/1/exit_status" 2>/dev/null)" = 5 ] &&
    ok "a re-run gathered later gets the next N" || bad "gather: next N" "$(find "$T/hall" -name exit_status)"
"$VMM" run "$T/jobs/hosts.yaml" --kernel "$GUEST" --result-root "$T/none" --job hosts-nope >"$T/out" 2>"$T/err"; rc=$?
expect_rc "--job of no such job" 255
[ "$(wc -l <"$T/err")" -eq 1 ] && [ ! -e "$T/none" ] && ok "--job of no such job: one line, nothing made" ||
    bad "--job nope" "$(cat "$T/err")"

# --- three minivmm processes (-j 2 each) into one result root at once: every
# job of every run gets its own N
for r in 1 2 3; do
    "$VMM" run "$T/jobs/quick.yaml" --kernel "$GUEST" --result-root "$T/shared" --timeout 10 -j 2 \
        >"$T/out.$r" 2>"$T/err.$r" &
done
wait
[ "$(cat "$T"/out.1 "$T"/out.2 "$T"/out.3 | grep -c ': pass (exit 0')" -eq 12 ] &&
    [ "$(cat "$T"/out.1 "$T"/out.2 "$T"/out.3 | sed 's/.* -> //' | sort -u | wc -l)" -eq 12 ] &&
    [ "$(count "$T/shared" exit_status)" -eq 12 ] &&
    [ "$(find "$T/shared" -mindepth 4 -maxdepth 4 -type d -name '[012]' | wc -l)" -eq 12 ] &&
    ok "three runs at once into one root: 12 jobs, 12 directories, N 0..2 each" ||
    bad "three runs at once" "$(cat "$T"/out.* "$T"/err.*)"

# --- SIGTERM during -j 3: every VM ends, each running job records 143
printf 'testcase: sig\nkernel_cmdline: ["action=await:0", "action=await:0", "action=await:0", action=status:0, action=status:0]\npass:\n' >"$T/jobs/sig.yaml"
vms() { pgrep -f -- "$T/sig" >/dev/null; }
no_vms() { ! vms; }
$E "$VMM" run "$T/jobs/sig.yaml" --kernel "$GUEST" --result-root "$T/sig" --timeout 60 -j 3 --keep-going \
    >"$T/out" 2>"$T/err" &
pid=$!
if until_true at_least "$T/sig" waiting 3; then
    [ "$(pgrep -f -- "$T/sig" | wc -l)" -ge 7 ] && ok "SIGTERM: minivmm, 3 job processes and 3 VMs seen before" ||
        bad "SIGTERM: processes before" "$(pgrep -af -- "$T/sig")"
    kill -TERM "$pid"
    wait "$pid"; rc=$?
    expect_rc "SIGTERM during -j 3 gives 143" 143
    no_vms && ok "SIGTERM: no minivmm or VM process left once minivmm has exited" ||
        bad "SIGTERM: processes left" "$(pgrep -af -- "$T/sig")"
    [ "$(grep -lx 143 $(find "$T/sig" -name exit_status) | wc -l)" -eq 3 ] &&
        ok "SIGTERM: the three running jobs record 143" || bad "SIGTERM: exit_status" "$(find "$T/sig" -name exit_status)"
    [ "$(grep -c ': interrupted (exit 143' "$T/out")" -eq 3 ] && ok "SIGTERM: three summary lines" ||
        bad "SIGTERM: summary lines" "$(cat "$T/out")"
    has "SIGTERM: says what did not start" "$T/err" "interrupted by signal 15: 2 job(s) not started"
    [ -z "$(find "$T/sig" "$T/cache" -name '*.tmp-*')" ] && ok "SIGTERM: no temporary file" ||
        bad "SIGTERM: temporary files" "$(find "$T/sig" "$T/cache" -name '*.tmp-*')"
else
    stop "$pid"
    bad "SIGTERM" "the jobs never waited: $(cat "$T/err")"
fi

# --- minivmm killed outright: its job processes end their VMs
$E "$VMM" run "$T/jobs/sig.yaml" --kernel "$GUEST" --result-root "$T/sigkill" --timeout 60 -j 3 \
    >"$T/out" 2>"$T/err" &
pid=$!
vms() { pgrep -f -- "$T/sigkill" >/dev/null; }
if until_true at_least "$T/sigkill" waiting 3; then
    vms && ok "SIGKILL: VM processes seen before" || bad "SIGKILL: processes before" "none"
    kill -KILL "$pid"
    { wait "$pid"; } 2>/dev/null        # the shell's "Killed"
    until_true no_vms && ok "SIGKILL of minivmm: no VM process left" ||
        bad "SIGKILL: processes left" "$(pgrep -af -- "$T/sigkill")"
else
    stop "$pid"
    bad "SIGKILL" "the jobs never waited: $(cat "$T/err")"
fi

finish jobs
