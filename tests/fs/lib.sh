# lib.sh - harness for the mount tests (sourced by each t_*.sh).
#
# Every test mounts into its own fresh temporary directory, waits for the
# mount, and always unmounts in cleanup (also on failure): fusermount3 -u,
# then a lazy umount of only its own mount point as a last resort.  It
# fails if a daemon's log holds a sanitizer report.  Without root or
# /dev/fuse it exits 77 (skipped).
#
# Environment: MMAPFS (the daemon), FSPROBE (tests/fs/fsprobe), and for
# the tests that need test hooks MMAPFS_TESTD (mmapfs-test, the daemon
# built with src/fs/testhooks.h's hooks, never installed).

set -u

# skip REASON: exit 77.  Also after mounting: cleanup unmounts and keeps
# the 77, unless a check failed before.
skip() {
	echo "SKIP: $*"
	exit 77
}

[ "$(id -u)" = 0 ] || skip "needs root"
[ -c /dev/fuse ] || skip "needs /dev/fuse"
command -v fusermount3 >/dev/null 2>&1 || skip "needs fusermount3"
[ -x "${MMAPFS:-}" ] || skip "MMAPFS not set"
[ -x "${FSPROBE:-}" ] || skip "FSPROBE not set"

. "$(dirname "${BASH_SOURCE[0]}")/mounts.sh"

T=$(mktemp -d /tmp/mmapfs-test.XXXXXX) || exit 1
FAILS=0
MOUNTS=""    # mount points this test mounted
DAEMONS=""   # pids of daemons it started
LOGS=""      # their logs

fail() {
	echo "FAIL: $*" >&2
	FAILS=$((FAILS + 1))
}

ok() {
	echo "ok: $*"
}

# check DESCRIPTION COMMAND...: run it, record a failure if it fails.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else fail "$desc"; fi
}

# bad DESCRIPTION WORD ARGS...: mmapfs ARGS must exit non-zero with one
# line on stderr that mentions WORD, and mount nothing at $T/mnt.
bad() {
	desc=$1 word=$2
	shift 2
	out=$(timeout 20 "$MMAPFS" "$@" 2>&1 >/dev/null)
	rc=$?
	lines=$(printf '%s\n' "$out" | grep -c .)
	if [ $rc -eq 0 ] || [ $rc -eq 124 ]; then
		fail "$desc: exit status $rc"
	elif [ "$lines" -ne 1 ]; then
		fail "$desc: expected one line on stderr, got $lines: $out"
	elif ! printf '%s' "$out" | grep -q -- "$word"; then
		fail "$desc: message '$out' does not mention '$word'"
	else
		ok "$desc ($out)"
	fi
	if is_mounted "$T/mnt"; then
		fail "$desc: something got mounted"
		unmount_dir "$T/mnt"
	fi
}

# eq DESCRIPTION GOT WANT
eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		fail "$1: got '$2', want '$3'"
	fi
}

scan_log() {
	if grep -E -q "ERROR: AddressSanitizer|runtime error:|LeakSanitizer|ERROR: ThreadSanitizer" "$1" 2>/dev/null; then
		fail "sanitizer report in $1:"
		sed 's/^/    /' "$1" >&2
	fi
}

cleanup() {
	status=$?
	for m in $MOUNTS; do
		unmount_dir "$m"
	done
	for p in $DAEMONS; do
		wait_gone "$p" || fail "daemon $p still running after unmount"
	done
	for l in $LOGS; do
		scan_log "$l"
	done
	# What the daemons said, for the failures above (their logs go with $T).
	if [ "$FAILS" -ne 0 ]; then
		for l in $LOGS; do
			[ -s "$l" ] || continue
			echo "daemon log $(basename "$l") (last 20 lines):" >&2
			tail -n 20 "$l" | sed 's/^/    /' >&2
		done
	fi
	rm -rf "$T"
	if [ "$FAILS" -ne 0 ]; then
		echo "$FAILS check(s) failed"
		exit 1
	fi
	[ "$status" -eq 77 ] && exit 77
	# A script that stopped early (a syntax error, a command that killed
	# it) has not passed, even with no check failed.
	if [ "$status" -ne 0 ]; then
		echo "the test script stopped early (status $status)"
		exit 1
	fi
	echo "all checks passed"
	exit 0
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# mount_fs DIR [mmapfs arguments...]: mount in the foreground (as a child),
# wait until the mount is up.  Sets PID to the daemon's pid, LOG to its log.
mount_fs() {
	dir=$1
	shift
	mkdir -p "$dir"
	# A mount over a mount point: wait for one more on it.
	stacked=$(mount_count "$dir")
	LOG="$T/log.$(basename "$dir").$$.$(date +%s%N)"
	# setsid: its own session, scheduled like a detached daemon (the
	# stress test caught a race only with that timing).  Without job
	# control a background child is no group leader, so setsid execs in
	# place and $! is the daemon.
	$SETSID "$MMAPFS" -f "$@" "$dir" >"$LOG" 2>&1 &
	PID=$!
	MOUNTS="$MOUNTS $dir"
	DAEMONS="$DAEMONS $PID"
	LOGS="$LOGS $LOG"
	i=0
	while [ "$(mount_count "$dir")" -le "$stacked" ]; do
		if ! kill -0 "$PID" 2>/dev/null || [ $i -ge 200 ]; then
			fail "mount at $dir did not come up:"
			sed 's/^/    /' "$LOG" >&2
			return 1
		fi
		sleep 0.05
		i=$((i + 1))
	done
	# The first request waits for INIT: stat once so the mount is ready.
	stat "$dir" >/dev/null
}

# umount_fs DIR PID: unmount and wait for the daemon to exit.
umount_fs() {
	unmount_dir "$1"
	wait_gone "$2" || fail "daemon $2 still running after unmount"
}

# gen FILE SIZE [SEED]: deterministic pseudo-random content, a function
# of SEED (by default of FILE's base name and SIZE), so that a failure
# reproduces with the same bytes.
gen() {
	"$FSPROBE" gen "$@" || exit 1
}

# gen_many DIR COUNT SIZE: files DIR/f000 .. of SIZE bytes each (gen), for
# tests that need more files in use than the daemon keeps mapped.
gen_many() {
	mkdir -p "$1"
	for i in $(seq -f '%03g' 0 $(($2 - 1))); do
		gen "$1/f$i" "$3"
	done
}

PAGE=$(getconf PAGESIZE)
SETSID=$(command -v setsid || true)

# ASan/UBSan settings for the daemon when built with sanitizers.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:handle_sigbus=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
