# t_underneath.sh - the backing files change under the mount (truncated,
# extended, rewritten, emptied, removed, re-created) while readers and
# writers use it: the daemon never dies, reads give valid data, 0 bytes
# or EIO and never garbage (churn.c), a file nobody touches keeps being
# served intact, and the tree follows the final size.
#
# HARDENING_CHURN_SECONDS (default 15) sets the duration.
. "$(dirname "$0")/../fs/lib.sh"

SECS=${HARDENING_CHURN_SECONDS:-15}
CH=16384
mkdir -p "$T/src"
gen "$T/src/a.bin" $((6 * CH))
gen "$T/src/b.bin" $((3 * CH))
gen "$T/keep.bin" $((4 * CH + 100))
M="$T/mnt"
mount_fs "$M" -o chunk_size=16K "$T/src/a.bin" "$T/src/b.bin" "$T/keep.bin" || exit 1
pid=$PID

out=$(timeout $((SECS + 120)) "$HARD_BIN/hard_churn" "$M" "$T/src" "$SECS" "$RANDOM")
rc=$?
printf '%s\n' "$out"
if [ $rc -eq 0 ]; then
	ok "reads under churn gave valid data, 0 bytes or EIO; no unexpected errors"
else
	fail "churn reported garbage or unexpected errors (rc $rc)"
fi
check "the daemon survived" kill -0 "$pid"
check "the mount still answers" stat "$M/a.bin/chunks"
check "an untouched file is still served intact" sh -c "cat '$M/keep.bin/chunks/'0 '$M/keep.bin/chunks/'1 '$M/keep.bin/chunks/'2 '$M/keep.bin/chunks/'3 '$M/keep.bin/chunks/'4 | cmp -s - '$T/keep.bin'"

# The tree follows the final size (bounded wait: cached names and
# attributes expire).
final=$(printf '%s\n' "$out" | sed -n 's/^final_size=//p')
n=$(((final + CH - 1) / CH))
last=$((final - (n - 1) * CH))
follows() {
	[ "$(ls "$M/a.bin/chunks" | wc -l)" = "$n" ] &&
		[ "$(stat -c %s "$M/a.bin/chunks/$((n - 1))")" = "$last" ] &&
		! stat "$M/a.bin/chunks/$n" >/dev/null 2>&1 &&
		(cd "$M/a.bin/chunks" && cat $(seq 0 $((n - 1)))) | cmp -s - "$T/src/a.bin"
}
i=0
while ! follows 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
if follows 2>/dev/null; then
	ok "the tree follows the final size ($final bytes, $n chunks)"
else
	fail "the tree does not follow the final size $final: $(ls "$M/a.bin/chunks" | wc -l) chunks listed, last $(stat -c %s "$M/a.bin/chunks/$((n - 1))" 2>&1)"
fi
pages=$(((final + PAGE - 1) / PAGE))
eq "page count follows too" "$(ls "$M/a.bin/pages" | wc -l)" "$pages"
check "b.bin is still served (old or new data)" sh -c "cat '$M/b.bin/chunks/0' >/dev/null"
check "the daemon is alive at the end" kill -0 "$pid"
umount_fs "$M" "$pid"
