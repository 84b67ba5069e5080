# t_reopen.sh - a write through pages/N, loaded back through an mmap of the
# chunk holding it while another thread opens and closes that chunk in a
# loop (exercise.c -R): this found the stale loads that the kernel's cache
# drop at every open caused while the daemon dropped the same pages after
# a write through an alias (coherence.c, rule 1).  Then the random
# exerciser with every kind of operation (mmap loads and stores,
# reopening) on the same mount.
# With -o cache=open every open drops the entry's pages, by the daemon:
# the mix also stores through a mapping of the backing file (B), which
# only that mode promises to show.
. "$(dirname "$0")/../fs/lib.sh"

CH=65536
SECS=${HARDENING_EXERCISE_SECONDS:-10}
gen "$T/data.bin" $((4 * CH + 3000))
for mode in keep open; do
	M="$T/mnt.$mode"
	mount_fs "$M" -o chunk_size=64K,cache=$mode "$T/data.bin" || continue
	pid=$PID
	ops=rlwmfcb settle=-W
	# cache=open rereads at open instead: no barrier, and stores into
	# the backing file's mapping are seen at the next open too.
	[ $mode = open ] && ops=rlwmfcbB settle=

	check "cache=$mode: no stale mmap load of a chunk reopened by another thread" \
		timeout 300 "$HARD_BIN/hard_exercise" -R 20000 "$M/data.bin" \
		"$T/data.bin" "$CH"
	check "cache=$mode: random mix -o $ops (mmap, reopening): no stale read, no miscompare, no stall" \
		timeout $((SECS + 120)) "$HARD_BIN/hard_exercise" $settle -t "$SECS" -j 4 \
		-o $ops -s "$RANDOM" "$M/data.bin" "$T/data.bin" "$CH"
	check "cache=$mode: the daemon survived" kill -0 "$pid"
	umount_fs "$M" "$pid"
done
