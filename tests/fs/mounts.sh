# mounts.sh - mount bookkeeping shared by the test harness (tests/fs/lib.sh)
# and scripts/bench.sh.  Function definitions only: sourcing it does nothing.

# is_mounted DIR: whether DIR is a mount point now.
is_mounted() {
	awk -v m="$1" '$5 == m { found = 1 } END { exit !found }' \
		/proc/self/mountinfo
}

# mount_count DIR: how many mounts are stacked on DIR now.
mount_count() {
	awk -v m="$1" '$5 == m { n++ } END { print n + 0 }' /proc/self/mountinfo
}

# unmount_dir DIR: unmount our own mount point, whatever state it is in.
unmount_dir() {
	is_mounted "$1" || return 0
	fusermount3 -u "$1" 2>/dev/null && return 0
	sleep 0.2
	fusermount3 -u "$1" 2>/dev/null && return 0
	umount -l "$1" 2>/dev/null
}

# wait_gone PID: wait (at most 10 s) for a daemon to exit after its
# unmount.  If it is still there, kill -9 it and return 1.
wait_gone() {
	_wait=0
	while kill -0 "$1" 2>/dev/null && [ $_wait -lt 100 ]; do
		sleep 0.1
		_wait=$((_wait + 1))
	done
	kill -0 "$1" 2>/dev/null || return 0
	kill -9 "$1" 2>/dev/null
	return 1
}
