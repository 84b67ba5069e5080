# t_exercise.sh - concurrent random I/O across aliases (chunks/N, pages/N,
# the backing file; pread/pwrite, mmap loads and stores, fsync, reopening)
# checked against a model after every operation (exercise.c): no stale
# read once a write returned, no miscompare, no deadlock (10 s watchdog).
#
# HARDENING_EXERCISE_SECONDS (default 10) is the duration of each of the
# three runs: default options; 16K chunks with flush=always while the
# kernel is made to forget every unused inode five times a second
# (drop_caches 2), so that entries are forgotten (FORGET) and looked up
# again all the time; and a file of one short page, so that every
# operation meets every other on that page (it caught the kernel's
# write-through racing with drops of the written page, coherence.c
# rule 8).
. "$(dirname "$0")/../fs/lib.sh"

SECS=${HARDENING_EXERCISE_SECONDS:-10}
# Operation kinds (exercise.c -o); by default every kind.
OPS=${HARDENING_EXERCISE_OPS:-rlwmfcb}
EXTRA=${HARDENING_EXTRA_OPTS:-}

# forget_loop: make the kernel evict unused inodes and dentries, again
# and again, until killed.
forget_loop() {
	while :; do
		echo 2 >/proc/sys/vm/drop_caches
		sleep 0.2
	done
}

# run CHUNK OPTIONS [SIZE [forget]]: one mount, one exerciser run (and,
# for the default size, the two-writers case); with "forget", while
# forget_loop runs.
run() {
	ch=$1 opts=$2 size=${3:-$((4 * $1 + 3000))} forgetter=
	[ "${4:-}" = forget ] && { forget_loop & forgetter=$!; }
	[ -n "$EXTRA" ] && opts="$opts,$EXTRA"
	gen "$T/data.bin" "$size"
	M="$T/mnt.$ch.$size"
	if ! mount_fs "$M" -o "$opts" "$T/data.bin"; then
		[ -n "$forgetter" ] && kill "$forgetter"
		return
	fi
	pid=$PID
	check "exerciser ($opts, $size bytes): no stale read, no miscompare, no stall" \
		timeout $((SECS + 120)) "$HARD_BIN/hard_exercise" -W -t "$SECS" -j 4 \
		-o "$OPS" -s "$RANDOM" "$M/data.bin" "$T/data.bin" "$ch"
	if [ "$size" = $((4 * ch + 3000)) ]; then
		check "two writers on one page through two aliases ($opts): each sees its own write" \
			timeout 300 "$HARD_BIN/hard_exercise" -S 20000 "$M/data.bin" "$T/data.bin" "$ch"
	fi
	[ -n "$forgetter" ] && kill "$forgetter" && wait "$forgetter" 2>/dev/null
	check "the daemon survived ($opts)" kill -0 "$pid"
	umount_fs "$M" "$pid"
}

run 65536 chunk_size=64K
run 16384 chunk_size=16K,flush=always $((4 * 16384 + 3000)) forget
run 65536 chunk_size=64K 3000
