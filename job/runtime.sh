# minivmm guest runtime: sourced by job scripts made by `minivmm compile`
# (at $MINIVMM_RUNTIME, default /minivmm/runtime.sh).  POSIX sh, busybox only.
#
# run_setup, run_monitor, run_daemon and run_test take [VAR=value]... NAME
# [ARG]...: they run $MINIVMM_PROGRAMS/NAME/run ARG... with the VARs in its
# environment, its stdout and stderr going to $RESULT_ROOT/NAME and its exit
# status to $RESULT_ROOT/NAME.status.  minivmm_job_end stops monitors and
# daemons and returns the first non-zero status of a setup or test (else 0).
#
# A NAME of the form PROGRAM/SCRIPT (scripts compiled with --lkp-src) runs
# lkp's $LKP_SRC/programs/PROGRAM/SCRIPT instead, with lkp's job environment
# (TMP, TMP_RESULT_ROOT, BENCHMARK_ROOT); its results are named PROGRAM.

: "${MINIVMM_PROGRAMS:=/minivmm/programs}"
: "${RESULT_ROOT:=/minivmm/result}"
export MINIVMM_PROGRAMS RESULT_ROOT
mkdir -p "$RESULT_ROOT" || exit
MINIVMM_JOB_STATUS=0
MINIVMM_BG_PIDS=

# Sets minivmm_name and rewrites "$@" with NAME replaced by its run path;
# the caller does: eval "set -- $minivmm_args".
minivmm_prepare()
{
	minivmm_name=
	minivmm_args=
	_mv_i=0
	for _mv_a do
		_mv_i=$((_mv_i + 1))
		if [ -z "$minivmm_name" ]; then
			case $_mv_a in
			*=*) ;;
			*/*)
				minivmm_name=${_mv_a%%/*}
				minivmm_lkp_env || return
				minivmm_args="$minivmm_args \"\$LKP_SRC/programs/\${$_mv_i}\""
				continue
				;;
			*)
				minivmm_name=$_mv_a
				minivmm_args="$minivmm_args \"\$MINIVMM_PROGRAMS/\$minivmm_name/run\""
				continue
				;;
			esac
		fi
		minivmm_args="$minivmm_args \"\${$_mv_i}\""
	done
	if [ -z "$minivmm_name" ]; then
		echo "minivmm: no program name in: $*" >&2
		return 127
	fi
}

# lkp's job environment for its programs (lkp's bin/run-lkp, lib/job-init.sh).
minivmm_lkp_env()
{
	if [ -z "$LKP_SRC" ] || [ ! -d "$LKP_SRC/programs" ]; then
		echo "minivmm: no lkp tree at LKP_SRC='$LKP_SRC' (run with --lkp-src DIR)" >&2
		return 127
	fi
	: "${TMP:=/tmp/lkp}" "${BENCHMARK_ROOT:=/lkp/benchmarks}"
	: "${TMP_RESULT_ROOT:=$RESULT_ROOT}"
	export TMP TMP_RESULT_ROOT BENCHMARK_ROOT LKP_SRC
	mkdir -p "$TMP"
}

minivmm_record()
{
	echo "$2" > "$RESULT_ROOT/$1.status"
	if [ "$2" -ne 0 ] && [ "$MINIVMM_JOB_STATUS" -eq 0 ]; then
		MINIVMM_JOB_STATUS=$2
	fi
	echo "minivmm: $3 $1: exit status $2"
}

minivmm_fg()
{
	_mv_kind=$1
	shift
	minivmm_prepare "$@" || return
	eval "set -- $minivmm_args"
	env "$@" > "$RESULT_ROOT/$minivmm_name" 2>&1
	_mv_s=$?
	minivmm_record "$minivmm_name" "$_mv_s" "$_mv_kind"
	return "$_mv_s"
}

minivmm_bg()
{
	minivmm_prepare "$@" || return
	eval "set -- $minivmm_args"
	env "$@" > "$RESULT_ROOT/$minivmm_name" 2>&1 &
	MINIVMM_BG_PIDS="$MINIVMM_BG_PIDS $!"
}

run_setup() { minivmm_fg setup "$@"; }
run_test() { minivmm_fg test "$@"; }
run_monitor() { minivmm_bg "$@"; }
run_daemon() { minivmm_bg "$@"; }

minivmm_job_end()
{
	for _mv_p in $MINIVMM_BG_PIDS; do
		kill "$_mv_p" 2>/dev/null
	done
	for _mv_p in $MINIVMM_BG_PIDS; do
		wait "$_mv_p" 2>/dev/null
	done
	MINIVMM_BG_PIDS=
	return "$MINIVMM_JOB_STATUS"
}

# extract_stats: one "NAME.exit_status: N" line per test program.
minivmm_stats()
{
	for _mv_n do
		_mv_s=
		[ -r "$RESULT_ROOT/$_mv_n.status" ] && read -r _mv_s < "$RESULT_ROOT/$_mv_n.status"
		echo "$_mv_n.exit_status: ${_mv_s:-none}"
	done
}
