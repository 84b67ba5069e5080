#!/usr/bin/env bash
# The daemon's exit when a request cannot end (src/fs/conn.h): libfuse's
# loop waits at exit for its busy workers and cannot cancel them, so a
# worker held by a request the kernel will not release would keep the
# daemon up forever.  Once a signal asked the loop to end, the daemon
# gives it bounds.join_ms (2 s), then aborts its own connection, which
# fails the requests in flight (ECONNABORTED to their callers), through
# fusectl, mounted for the purpose in a mount namespace of its own when
# the machine has none mounted.
#
# The test daemon holds each WRITE (its hook, testhooks.h) far longer than
# that: a dd whose WRITE is held when SIGTERM comes must fail with the
# abort, not succeed once the hold ends, and the daemon must then exit and
# leave no mount behind.
. "$(dirname "$0")/lib.sh"

[ -x "${MMAPFS_TESTD:-}" ] || skip "no test daemon (mmapfs-test; -Dtest_daemon=false)"

PAGE=$(getconf PAGESIZE)
gen "$T/data.bin" $((64 * 1024))
M="$T/mnt"
MMAPFS=$MMAPFS_TESTD MMAPFS_TEST_WRITE_DELAY_MS=5000 mount_fs "$M" -o chunk_size=64K "$T/data.bin" || exit 1

# A WRITE in flight (held in the daemon), then the signal.
printf 'HELDWRITE' >"$T/w"
dd if="$T/w" of="$M/data.bin/pages/1" conv=notrunc status=none 2>"$T/dd.err" &
DD=$!
sleep 1 # the WRITE reaches the daemon and its hold
kill -0 "$DD" 2>/dev/null || fail "the write returned before the signal: the hook did not hold it"
kill -TERM "$PID"
wait "$DD"
rc=$?
[ "$rc" -ne 0 ] || fail "the held write succeeded: the connection was not aborted"
grep -q "abort" "$T/dd.err" ||
	fail "the held write failed, but not by the abort: $(cat "$T/dd.err")"
[ "$rc" -ne 0 ] && ok "the held write failed by the abort: $(cat "$T/dd.err")"
grep -q "aborting the connection" "$LOG" ||
	fail "the daemon did not say why it aborted"
grep -q "connection [0-9]* aborted" "$LOG" ||
	fail "the daemon did not abort its connection"
# The held WRITE ends (and is held once more after its reply), then the
# loop returns and the daemon unmounts.
if ! wait_gone "$PID"; then
	fail "daemon $PID still running after the abort"
elif is_mounted "$M"; then
	fail "the mount is still up after the daemon exited"
else
	ok "the daemon exited and left no mount"
fi
