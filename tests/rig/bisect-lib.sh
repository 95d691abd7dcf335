# shellcheck shell=sh
# A real `git bisect run` over a small synthetic history, with minivmm as the
# test (docs/bisect.md).  Sourced by the rig case tests/rig/cases/bisect.sh
# (busybox sh in L1, the Debian kernel and rig guests) and by the direct test
# tests/direct/bisect.sh (this host, the tiny guest): the same history, run
# script and checks, with the kernel and the guests as parameters.
#
# Each commit of the history holds these files, as if it were a kernel tree
# whose build gives a kernel and whose test gives a verdict:
#   kernel   good | truncated | missing   (the image the "build" gives: the
#            kernel, its first 64 KiB, or nothing at all)
#   guest    pass | fail | hang | crash   (what the guest then does: report
#            0, report a failure, never end, crash: 126)
#   version  N for commit cN (so that no two trees are the same)
# The run script boots that pair with `minivmm boot` and exits with minivmm's
# status unchanged: 0 good; 1..124 (124: timeout), 126 and 127 bad; 125 skip;
# 255 (host error) aborts.
#
# The caller defines bisect_ok NAME and bisect_bad NAME DETAIL (its own
# pass/fail bookkeeping) and calls
#   bisect_setup DIR MINIVMM KERNEL PASS_ARGS FAIL_ARGS HANG_ARGS WATCHDOG
#   [CRASH_ARGS]
# then bisect_main and bisect_abort (and bisect_crash, which needs
# CRASH_ARGS; the rig leaves it out to save boots).  *_ARGS are the minivmm
# boot options that give each guest (split at spaces: no spaces inside a
# path), including its --timeout; WATCHDOG is the seconds after which a whole
# `git bisect run` is killed.  Files: DIR/NAME/repo (the history), DIR/NAME/bisect.out (what git
# printed), DIR/NAME/boots (one line per run of the script: short commit,
# kernel, guest, exit status), DIR/NAME/boot-SHORT.log (minivmm's output).

# The history of the main bisect, oldest first (kernel:guest).  c1 is marked
# good and c10 bad; c4 is the first bad commit.  git (2.39) tests c5 first, the
# middle: its kernel is truncated, minivmm says 125 and git skips it; then c6,
# the hang (124: bad); then c4 (bad) and c3 (good).  The skipped commit is
# not next to the first bad one, so the answer stays unambiguous.
bisect_history_main="good:pass good:pass good:pass good:fail truncated:fail
good:hang good:fail good:fail good:fail good:fail"
bisect_first_bad_main=4
# The second bisect: git tests the middle commit c3 first; its kernel file is
# missing, minivmm says 255 (host error) and git must abort.
bisect_history_abort="good:pass good:pass missing:pass good:fail good:fail"

# Two more for git's check of 126 and 127 (crash, no status): the first time
# the script exits with either, git 2.39 runs it again at the good commit, and
# aborts ("bogus exit code") if that gives the same status.  "crash": c3 is
# the first bad commit and crashes (126); git checks c1, which passes, and
# goes on.  "bogus": every commit crashes, c1 too; git must abort.
bisect_history_crash="good:pass good:pass good:crash good:crash good:fail"
bisect_history_bogus="good:crash good:crash good:crash good:crash good:crash"

bisect_setup() {
    BD=$1; BMINIVMM=$2; BKERNEL=$3
    BPASS=$4; BFAIL=$5; BHANG=$6; BWATCHDOG=$7; BCRASH=${8:-}
    mkdir -p "$BD/kernels" || return 1
    cp "$BKERNEL" "$BD/kernels/good" &&
        head -c 65536 "$BKERNEL" > "$BD/kernels/truncated" || return 1
    # git reads no configuration of the host's user or system (a global
    # commit.gpgsign or hook path would change what this test does), and
    # fixed names and dates give the same commit ids on every run.
    export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
    export GIT_AUTHOR_NAME=minivmm GIT_AUTHOR_EMAIL=minivmm@example.invalid
    export GIT_COMMITTER_NAME=minivmm GIT_COMMITTER_EMAIL=minivmm@example.invalid
    export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
    # The run script: what a user writes (docs/bisect.md), with the "build"
    # replaced by picking a prebuilt image.  It runs in the work tree.
    cat > "$BD/run.sh" <<EOF
#!/bin/sh
# git bisect run script: boot the kernel and guest this commit names and
# exit with minivmm's status, unchanged.
k=\$(cat kernel) && g=\$(cat guest) || exit 255
c=\$(git rev-parse --short HEAD)
case \$g in
    pass) set -- $BPASS ;;
    fail) set -- $BFAIL ;;
    hang) set -- $BHANG ;;
    crash) set -- $BCRASH ;;
    *) exit 255 ;;
esac
"$BMINIVMM" boot --kernel "$BD/kernels/\$k" "\$@" > "\$BISECT_DIR/boot-\$c.log" 2>&1
rc=\$?
echo "\$c \$k \$g \$rc" >> "\$BISECT_DIR/boots"
exit \$rc
EOF
    chmod 0755 "$BD/run.sh"
}

# bisect_repo NAME HISTORY: DIR/NAME/repo with one commit per word of
# HISTORY, messages c1, c2, ...
bisect_repo() {
    r=$BD/$1/repo
    rm -rf "${BD:?}/$1" && mkdir -p "$r" || return 1
    # --template= : no hook samples (L1 has no /usr/share/git-core).
    git init -q --template= "$r" || return 1
    n=0
    for kg in $2; do
        n=$((n + 1))
        echo "${kg%%:*}" > "$r/kernel"
        echo "${kg#*:}" > "$r/guest"
        echo "$n" > "$r/version"
        git -C "$r" add kernel guest version && git -C "$r" commit -q -m "c$n" || return 1
        git -C "$r" rev-parse HEAD >> "$BD/$1/commits" || return 1
    done
}

# bisect_sha NAME N: the full id of commit cN (DIR/NAME/commits: line N).
bisect_sha() {
    sed -n "$2p" "$BD/$1/commits"
}

# bisect_do NAME: `git bisect start cLAST c1` and `git bisect run`; sets
# brc (git's exit status); its output in DIR/NAME/bisect.out.
bisect_do() {
    r=$BD/$1/repo
    : > "$BD/$1/boots"
    ncommits=$(grep -c . "$BD/$1/commits")
    (
        cd "$r" || exit 255
        BISECT_DIR=$BD/$1
        export BISECT_DIR
        git bisect start "$(bisect_sha "$1" "$ncommits")" "$(bisect_sha "$1" 1)" &&
            timeout -s KILL "$BWATCHDOG" git bisect run "$BD/run.sh"
    ) > "$BD/$1/bisect.out" 2>&1
    brc=$?
}

# bisect_said NAME: git's verdict or error lines, on one line.
bisect_said() {
    grep -E 'first bad commit|could be any|cannot bisect|^error|^fatal' "$BD/$1/bisect.out" |
        head -n 4 | tr '\n' ' '
}

# bisect_booted NAME N STATUS: the run script ran at cN and minivmm exited STATUS.
bisect_booted() {
    c=$(bisect_sha "$1" "$2" | cut -c1-7)
    if grep -q "^${c}[0-9a-f]* [a-z]* [a-z]* $3\$" "$BD/$1/boots"; then
        bisect_ok "$1: c$2 tested, minivmm exit $3"
    else
        bisect_bad "$1: c$2 tested, minivmm exit $3" "runs (commit kernel guest status): $(tr '\n' ';' < "$BD/$1/boots")"
    fi
}

# bisect_names NAME N: git bisect run ended with 0 and named cN the first bad commit.
bisect_names() {
    want=$(bisect_sha "$1" "$2")
    what="$1: git bisect run names c$2 as the first bad commit"
    if [ "$brc" = 0 ] && grep -q "^$want is the first bad commit" "$BD/$1/bisect.out"; then
        bisect_ok "$what"
    else
        bisect_bad "$what" "git exit $brc, want 0 and $want; git said: $(bisect_said "$1")"
    fi
}

# bisect_aborted NAME TEXT WHAT: git bisect run failed, said TEXT (a grep
# pattern) and named no first bad commit.
bisect_aborted() {
    if [ "$brc" != 0 ] && grep -q "$2" "$BD/$1/bisect.out" &&
        ! grep -q "is the first bad commit" "$BD/$1/bisect.out"; then
        bisect_ok "$1: $3"
    else
        bisect_bad "$1: $3" "git exit $brc; git said: $(bisect_said "$1")"
    fi
}

# bisect_logged NAME WORD N WHAT: git's bisect log marks cN WORD (bad, skip).
bisect_logged() {
    git -C "$BD/$1/repo" bisect log > "$BD/$1/log" 2>&1
    if grep -q "^git bisect $2 $(bisect_sha "$1" "$3")" "$BD/$1/log"; then
        bisect_ok "$1: $4"
    else
        bisect_bad "$1: $4" "bisect log: $(grep '^git' "$BD/$1/log" | tr '\n' ';')"
    fi
}

# bisect_history NAME HISTORY: make the history and bisect it (bisect_do).
bisect_history() {
    if bisect_repo "$1" "$2"; then
        bisect_do "$1"
    else
        bisect_bad "$1: history" "cannot make the git history"
        brc=255
        return 1
    fi
}

bisect_main() {
    bisect_history main "$bisect_history_main" || return
    bisect_names main "$bisect_first_bad_main"
    bisect_booted main 5 125       # the truncated kernel: skipped
    bisect_booted main 6 124       # the hang: bad
    bisect_logged main skip 5 "git skipped c5 (125)"
    bisect_logged main bad 6 "git counted the hang at c6 (124) as bad"
    git -C "$BD/main/repo" bisect reset > /dev/null 2>&1
}

bisect_abort() {
    bisect_history abort "$bisect_history_abort" || return
    bisect_booted abort 3 255
    bisect_aborted abort "exit code 255 from .* is < 0 or >= 128" "a host error (255) aborts git bisect run"
    n=$(grep -c . "$BD/abort/boots")
    if [ "$n" = 1 ]; then
        bisect_ok "abort: nothing ran after the host error"
    else
        bisect_bad "abort: nothing ran after the host error" "$n runs: $(tr '\n' ';' < "$BD/abort/boots")"
    fi
    git -C "$BD/abort/repo" bisect reset > /dev/null 2>&1
}

bisect_crash() {
    bisect_history crash "$bisect_history_crash" || return
    bisect_names crash 3
    bisect_booted crash 3 126
    bisect_booted crash 1 0         # git's check of the good commit after a 126
    git -C "$BD/crash/repo" bisect reset > /dev/null 2>&1

    bisect_history bogus "$bisect_history_bogus" || return
    bisect_booted bogus 1 126
    bisect_aborted bogus "bogus exit code 126 for good revision" "126 at the good commit too aborts git bisect run"
    git -C "$BD/bogus/repo" bisect reset > /dev/null 2>&1
}
