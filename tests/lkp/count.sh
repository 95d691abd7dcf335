#!/bin/sh
# Counts how many of lkp-tests' job files `minivmm compile` accepts.
# usage: tests/lkp/count.sh MINIVMM LKP_SRC [-v]
# Programs: a directory made from LKP_SRC/programs/*/ (NAME/run for each lkp
# program with a run, setup, daemon or *monitor script, and a meta.yaml with
# its type), so that lkp's program names are programs for minivmm too.
# Includes: -I LKP_SRC/jobs and every directory below it.  A file is refused
# when compile exits non-zero; -v prints its first error line.
set -u
MINIVMM=$(realpath "$1"); LKP=$(realpath "$2"); VERBOSE=${3:-}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
mkdir -p "$T/progs"
for d in "$LKP"/programs/*/; do
	n=$(basename "$d"); type=
	if [ -e "$d/run" ]; then type=test
	elif [ -e "$d/setup" ]; then type=setup
	elif [ -e "$d/daemon" ]; then type=daemon
	elif [ -e "$d/monitor" ] || [ -e "$d/no-stdout-monitor" ] || [ -e "$d/one-shot-monitor" ] ||
	     [ -e "$d/plain-monitor" ]; then type=monitor
	else continue; fi
	mkdir -p "$T/progs/$n"
	printf '#!/bin/sh\n' >"$T/progs/$n/run"; chmod +x "$T/progs/$n/run"
	printf 'type: %s\n' "$type" >"$T/progs/$n/meta.yaml"
done
incs=$(find "$LKP/jobs" -type d | sed 's/^/-I /')
acc=0; ref=0
for f in $(find "$LKP/jobs" -name '*.yaml' | sort); do
	rm -rf "$T/out"
	# shellcheck disable=SC2086
	if "$MINIVMM" compile "$f" --programs "$T/progs" $incs --nr-cpu 8 -o "$T/out" >/dev/null 2>"$T/err"; then
		acc=$((acc + 1))
	else
		ref=$((ref + 1))
		[ -n "$VERBOSE" ] && printf '%s: %s\n' "${f#$LKP/}" "$(head -1 "$T/err" | sed "s|$LKP/||g")"
	fi
done
echo "lkp jobs: $((acc + ref)) files, $acc accepted, $ref refused"
