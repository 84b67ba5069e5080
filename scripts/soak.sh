#!/bin/sh
# Soak run of the hardening tests (tests/hardening): the same programs as
# the CI suite, for longer, then one table of figures: operations, crash
# trials, faults injected, bytes verified, failures.
#
# Usage: scripts/soak.sh [DURATION]
#        scripts/soak.sh --report LOGDIR   (the table of an earlier run)
#   DURATION  total run time: seconds, or with a suffix m or h (default 10m)
# Environment: SOAK_BUILDDIR (default build-soak), SOAK_LOGDIR (default a
# new directory under /tmp; every test's output is kept there).
# Needs root and /dev/fuse, as the mount tests do.  Exits non-zero when any
# failure was seen.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
builddir=${SOAK_BUILDDIR:-$root/build-soak}

report_only=""
if [ "${1:-}" = "--report" ]; then
	report_only=${2:?usage: soak.sh --report LOGDIR}
	set -- 60
fi
dur=${1:-10m}
case $dur in
*h) secs=$((${dur%h} * 3600)) ;;
*m) secs=$((${dur%m} * 60)) ;;
*) secs=$dur ;;
esac
case $secs in
'' | *[!0-9]*)
	echo "soak: bad duration '$dur' (use seconds, or 10m, 1h)" >&2
	exit 2
	;;
esac
[ "$secs" -ge 60 ] || { echo "soak: run for at least 60 seconds" >&2; exit 2; }

status=0
if [ -n "$report_only" ]; then
	logdir=$report_only
	secs="?"
else
	if [ ! -f "$builddir/build.ninja" ]; then
		meson setup "$builddir" "$root" >/dev/null || exit 1
	fi
	ninja -C "$builddir" >/dev/null || { echo "soak: build failed" >&2; exit 1; }

	logdir=${SOAK_LOGDIR:-$(mktemp -d /tmp/mmapfs-soak.XXXXXX)}
	mkdir -p "$logdir"
	export MMAPFS="$builddir/src/fs/mmapfs"
	export FSPROBE="$builddir/tests/fs/fsprobe"
	export HARD_BIN="$builddir/tests/hardening"

	# Shares of the time: the exerciser (three runs) 60 %, the churn 20 %, the
	# crash trials at least 100 of them (about 1.4 s each), the rest once.
	export HARDENING_EXERCISE_SECONDS=$((secs * 20 / 100))
	export HARDENING_CHURN_SECONDS=$((secs * 20 / 100))
	trials=$((secs * 30 / 100 * 10 / 14))
	[ "$trials" -ge 100 ] || trials=100
	export HARDENING_CRASH_TRIALS=$trials

	echo "soak: $secs s; logs in $logdir"
	for t in exercise crash underneath hostile sources security; do
		start=$(date +%s)
		bash "$root/tests/hardening/t_$t.sh" >"$logdir/$t.log" 2>&1
		rc=$?
		echo "soak: $t: exit $rc after $(($(date +%s) - start)) s"
		[ $rc -eq 0 ] || [ $rc -eq 77 ] || status=1
	done
fi

# sum FILE KEY: total of KEY=N over the file's "figures:" lines.
sum() {
	grep -h '^figures:' "$1" 2>/dev/null |
		sed -n "s/.*[ :]$2=\([0-9]*\).*/\1/p" |
		awk '{ s += $1 } END { printf "%.0f\n", s }'
}
# Lines of a test's final "figures:" summary only (crash prints one per
# trial and one for the run).
last_sum() {
	grep -h '^figures: trials=' "$1" 2>/dev/null | tail -1 |
		sed -n "s/.*[ :]$2=\([0-9]*\).*/\1/p"
}

L=$logdir
ex_ops=$(sum "$L/exercise.log" ops)
ch_ops=$(sum "$L/underneath.log" ops)
cr_writes=$(last_sum "$L/crash.log" writes)
cr_trials=$(last_sum "$L/crash.log" trials)
cr_faults=$(last_sum "$L/crash.log" faults)
ch_faults=$(sum "$L/underneath.log" faults)
cases=$(sum "$L/hostile.log" cases)
ex_bytes=$(sum "$L/exercise.log" bytes_verified)
cr_bytes=$(last_sum "$L/crash.log" bytes_verified)
ch_bytes=$(sum "$L/underneath.log" bytes_checked)
miscompares=$(sum "$L/exercise.log" miscompares)
lost=$(last_sum "$L/crash.log" lost)
garbage=$(sum "$L/underneath.log" garbage)
ch_fail=$(sum "$L/underneath.log" failures)
ex_fail=$(sum "$L/exercise.log" failures)
failed_checks=$(cat "$L"/*.log | grep -c '^FAIL')

ops=$((ex_ops + ch_ops + ${cr_writes:-0} + cases))
faults=$((${cr_faults:-0} + ch_faults))
bytes=$((ex_bytes + ${cr_bytes:-0} + ch_bytes))
failures=$((miscompares + ${lost:-0} + garbage + ch_fail + ex_fail + failed_checks))
[ "$failures" -eq 0 ] || status=1

echo "soak figures ($secs s, $(uname -r)):"
echo "  operations        $ops (exerciser $ex_ops, churn $ch_ops, crash writes ${cr_writes:-0}, hostile $cases)"
echo "  crash trials      ${cr_trials:-0} (kill -9, remount, verify)"
echo "  faults injected   $faults (kill -9 ${cr_faults:-0}, backing file changes $ch_faults)"
echo "  bytes verified    $bytes (exerciser $ex_bytes, fsynced after crash ${cr_bytes:-0}, churn $ch_bytes)"
echo "  failures          $failures (miscompares $miscompares, fsynced bytes lost ${lost:-0}, garbage $garbage, bad errors under churn $ch_fail, exerciser errors $ex_fail, failed checks $failed_checks)"
if [ "$failed_checks" -gt 0 ]; then
	echo "failed checks:"
	grep -h '^FAIL' "$L"/*.log | sort | uniq -c | sed 's/^/  /'
fi
exit $status
