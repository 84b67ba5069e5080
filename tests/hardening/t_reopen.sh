# t_reopen.sh - a write through pages/N, loaded back through an mmap of the
# chunk holding it while another thread opens and closes that chunk in a
# loop (exercise.c -R).  Known open bug: a few loads in 20,000 see the page
# as it was before the write.  The kernel drops an entry's cache on every
# open (no keep_cache) while the daemon invalidates the same pages after a
# write through an alias; the interleaving that leaves the stale page is not
# isolated yet.  While it reproduces, this test reports SKIP, never a pass.
. "$(dirname "$0")/../fs/lib.sh"

CH=65536
gen "$T/data.bin" $((4 * CH + 3000))
M="$T/mnt"
if mount_fs "$M" -o chunk_size=64K "$T/data.bin"; then
	pid=$PID
	known_bug "stale mmap load of a chunk reopened by another thread" \
		timeout 300 "$HARD_BIN/hard_exercise" -R 20000 "$M/data.bin" \
		"$T/data.bin" "$CH"
	check "the daemon survived" kill -0 "$pid"
	umount_fs "$M" "$pid"
fi
