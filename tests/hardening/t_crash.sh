# t_crash.sh - crash consistency: write random data through the mount,
# fsync some of it, kill -9 the daemon at a random moment, clean up the
# dead mount, remount, and verify every fsynced byte (in the backing file
# and through the new mount).  After every fsync the backing pages must
# also be clean (on disk, not only in the page cache): see crashio.c.
#
# HARDENING_CRASH_TRIALS (default 10) sets the number of trials.
. "$(dirname "$0")/../fs/lib.sh"

TRIALS=${HARDENING_CRASH_TRIALS:-10}
EXTRA=${HARDENING_EXTRA_OPTS:-}
CRASHIO="$HARD_BIN/hard_crashio"
writes=0 fsyncs=0 verified=0 lost=0 failed_trials=0

# figure LINE KEY: the value of KEY=... in a "figures:" line.
figure() {
	v=$(printf '%s\n' "$1" | sed -n "s/.*[ :]$2=\([0-9]*\).*/\1/p" | tail -1)
	echo "${v:-0}"
}

# The writer's check after every fsync needs cachestat(2) on a file where
# pages can be clean (not tmpfs): without it this test proves too little.
gen "$T/probe" "$PAGE"
why=$("$CRASHIO" cachestat "$T/probe")
case $? in
0) ;;
77) skip "$why" ;;
*) fail "crashio cachestat: $why"; exit 1 ;;
esac

for trial in $(seq 1 "$TRIALS"); do
	case $((trial % 4)) in
	0) opts=chunk_size=16K ;;
	1) opts=chunk_size=64K ;;
	2) opts=chunk_size=16K,flush=interval=20 ;;
	3) opts=chunk_size=32K,flush=writes=5 ;;
	esac
	[ -n "$EXTRA" ] && opts="$opts,$EXTRA"
	size=$((200000 + RANDOM * 8))
	ch=$(( $(printf '%s' "$opts" | sed 's/.*chunk_size=\([0-9]*\)K.*/\1/') * 1024 ))
	gen "$T/data.bin" "$size"
	# On disk before the mount, so that a dirty page after an fsync is
	# the mount's doing.
	sync "$T/data.bin"
	rm -f "$T/journal"
	M="$T/mnt$trial"
	mount_fs "$M" -o "$opts" "$T/data.bin" || { failed_trials=$((failed_trials + 1)); continue; }
	pid=$PID
	seed=$((trial * 7919 + RANDOM))
	"$CRASHIO" write "$M/data.bin" "$T/data.bin" "$ch" "$T/journal" "$seed" >"$T/w.out" 2>&1 &
	writer=$!
	# A random moment: 50 ms to 1.5 s into the run.
	sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.3f", 0.05 + (r % 1450) / 1000 }')"
	kill -9 "$pid"
	wait_gone "$pid" || fail "trial $trial: daemon $pid survived kill -9"
	wait "$writer"
	wrc=$?
	wline=$(grep figures "$T/w.out")
	cat "$T/w.out"
	[ "$wrc" -eq 77 ] && skip "trial $trial: $(cat "$T/w.out")"
	[ "$wrc" -eq 0 ] || fail "trial $trial ($opts): writer reported a problem"
	writes=$((writes + $(figure "$wline" writes)))
	fsyncs=$((fsyncs + $(figure "$wline" fsyncs)))
	# The dead mount answers ENOTCONN until it is unmounted.
	unmount_dir "$M"
	is_mounted "$M" && fail "trial $trial: dead mount still there"
	vline=$("$CRASHIO" verify "$T/journal" "$T/data.bin" "$seed" 2>&1)
	vrc=$?
	printf '%s\n' "$vline"
	if [ $vrc -ne 0 ]; then
		fail "trial $trial ($opts): fsynced bytes lost in the backing file"
		failed_trials=$((failed_trials + 1))
	fi
	verified=$((verified + $(figure "$vline" bytes_verified)))
	lost=$((lost + $(figure "$vline" lost)))
	# Remount: the tree serves the same bytes.
	mount_fs "$M" -o "$opts" "$T/data.bin" || continue
	n=$(ls "$M/data.bin/chunks" | wc -l)
	if (cd "$M/data.bin/chunks" && cat $(seq 0 $((n - 1)))) | cmp -s - "$T/data.bin"; then
		ok "trial $trial ($opts): remounted tree equals the backing file"
	else
		fail "trial $trial ($opts): remounted tree differs from the backing file"
	fi
	umount_fs "$M" "$PID"
done
echo "figures: trials=$TRIALS faults=$TRIALS writes=$writes fsyncs=$fsyncs bytes_verified=$verified lost=$lost failures=$((FAILS))"
