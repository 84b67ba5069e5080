# t_external.sh - the backing file changes under the mount: growth adds
# entries, truncation removes them and reads of a vanished range give EIO
# or 0 bytes, never a dead daemon; a removed file keeps being served.
. "$(dirname "$0")/lib.sh"

CH=16384
gen "$T/data.bin" $((4 * CH))
gen "$T/keep.bin" $((2 * CH))
gen "$T/moving.bin" $((2 * CH))
M="$T/mnt"
mount_fs "$M" -o chunk_size=16K "$T/data.bin" "$T/keep.bin" "$T/moving.bin" || exit 1
D="$M/data.bin"
pid=$PID

# wait_for DESCRIPTION COMMAND...: the tree follows, at the latest after
# the kernel's cached names and attributes expire (bounded, not timed).
wait_for() {
	desc=$1
	shift
	i=0
	while ! "$@" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			fail "$desc"
			return
		fi
		sleep 0.1
	done
	ok "$desc"
}

eq "four chunks before" "$(ls "$D/chunks" | wc -l)" 4

# Growth.
head -c 5000 /dev/urandom >>"$T/data.bin"
eq "growth: a fifth chunk is listed" "$(ls "$D/chunks" | wc -l)" 5
eq "growth: the new chunk has the new bytes" "$(stat -c %s "$D/chunks/4")" 5000
check "growth: the new chunk reads back" sh -c "tail -c 5000 '$T/data.bin' | cmp -s - '$D/chunks/4'"
head -c 3000 /dev/urandom >>"$T/data.bin"
wait_for "growth: the last chunk grows" sh -c "[ \$(stat -c %s '$D/chunks/4') = 8000 ]"
check "growth: the grown chunk reads back" sh -c "tail -c 8000 '$T/data.bin' | cmp -s - '$D/chunks/4'"

# Truncation while an entry is open: reads of the vanished range give
# EIO or 0 bytes, and the daemon survives.
ls "$D/chunks/3" >/dev/null
check "truncation: read of a vanished chunk gives EIO or 0 bytes" "$FSPROBE" truncread "$D/chunks/3" "$T/data.bin" $((2 * CH + 100))
check "truncation: the daemon is alive" kill -0 "$pid"
eq "truncation: listing follows at once" "$(ls "$D/chunks" | wc -l)" 3
wait_for "truncation: the vanished chunk is gone" sh -c "! stat '$D/chunks/3' >/dev/null 2>&1"
wait_for "truncation: the last chunk is short" sh -c "[ \$(stat -c %s '$D/chunks/2') = 100 ]"
check "truncation: the short chunk reads back" sh -c "tail -c 100 '$T/data.bin' | cmp -s - '$D/chunks/2'"
check "truncation: other files are still served" cmp -s "$M/keep.bin/chunks/1" <(tail -c $CH "$T/keep.bin")

# Truncation to zero under a mapping the daemon already uses, with reads
# racing it.
gen "$T/data.bin" $((4 * CH))
ls "$D/chunks" >/dev/null
( for i in $(seq 1 200); do cat "$D/chunks/"* >/dev/null 2>&1; done ) &
racer=$!
for i in $(seq 1 20); do
	truncate -s 0 "$T/data.bin"
	head -c $((4 * CH)) /dev/urandom >"$T/data.bin"
done
wait $racer
check "reads racing truncations: the daemon is alive" kill -0 "$pid"
wait_for "after the races the tree matches the file" sh -c "cat '$D'/chunks/0 '$D'/chunks/1 '$D'/chunks/2 '$D'/chunks/3 | cmp -s - '$T/data.bin'"

# Removed backing file: what is open keeps being served, and it is logged.
exec 9<"$M/keep.bin/chunks/0"
cp "$T/keep.bin" "$T/keep.copy"
rm "$T/keep.bin"
check "removed: an open entry still reads the data" sh -c "head -c $CH '$T/keep.copy' | cmp -s - /dev/fd/9"
stat "$M/keep.bin/chunks/1" >/dev/null 2>&1
exec 9<&-
check "removed: the daemon is alive" kill -0 "$pid"
check "removed: the daemon logged it" grep -q "removed" "$LOG"

# Renamed backing file: same, and logged as such.
exec 9<"$M/moving.bin/chunks/1"
mv "$T/moving.bin" "$T/moved.bin"
check "renamed: an open entry still reads the data" sh -c "tail -c $CH '$T/moved.bin' | cmp -s - /dev/fd/9"
stat "$M/moving.bin/chunks/0" >/dev/null 2>&1
exec 9<&-
check "renamed: the daemon logged it" grep -q "moving.bin was renamed" "$LOG"
umount_fs "$M" "$pid"
