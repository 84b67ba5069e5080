# t_hostile.sh - a table of hostile requests, each with its expected
# errno (hostile.c); afterwards the daemon is alive and still serves
# correct data through every view.
. "$(dirname "$0")/../fs/lib.sh"

CH=16384
gen "$T/data.bin" $((4 * CH + 3000))
M="$T/mnt"
mount_fs "$M" -o chunk_size=16K "$T/data.bin" || exit 1
pid=$PID
check "every hostile request gets its errno, data intact afterwards" \
	"$HARD_BIN/hard_hostile" "$M" data.bin "$T/data.bin" "$CH"
check "the daemon survived" kill -0 "$pid"
n=$(ls "$M/data.bin/pages" | wc -l)
check "pages concatenated equal the backing file" sh -c "cd '$M/data.bin/pages' && cat \$(seq 0 $((n - 1))) | cmp -s - '$T/data.bin'"
check "nothing was created next to the backing file" sh -c "[ \"\$(ls '$T' | grep -v '^log\.' | tr '\n' ' ')\" = 'data.bin mnt ' ]"
umount_fs "$M" "$pid"
