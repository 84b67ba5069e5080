# t_sources.sh - command-line and source faults: every bad source or
# mount point gets one clear line and a non-zero exit and mounts nothing
# (a mount point with a mount on it is mounted over);
# zero-length sources are served as empty views; odd entries of a source
# directory are left out; 10,000 files are served with a bounded number
# of descriptors and mappings; a mount point inside a source directory
# does not hang the daemon.
. "$(dirname "$0")/../fs/lib.sh"

MNT="$T/mnt"
mkdir -p "$MNT" "$T/a" "$T/b/d" "$T/a/d" "$T/src/sub" "$T/outside"
gen "$T/data.bin" 10000
gen "$T/a/x" 100
gen "$T/b/x" 100
mkfifo "$T/fifo"
mknod "$T/blk" b 240 0 # a major for local use, no driver
python3 -c "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$T/sock"
ln -s "$T/fifo" "$T/link_fifo"
ln -s "$T/nothere" "$T/dangling"
: >"$T/notdir"
ln -s "$T/notdir" "$T/link_notdir"

bad "missing source" "No such file" "$T/nothere" "$MNT"
bad "dangling symbolic link as source" "No such file" "$T/dangling" "$MNT"
bad "FIFO source" "FIFO" "$T/fifo" "$MNT"
bad "symbolic link to a FIFO" "FIFO" "$T/link_fifo" "$MNT"
bad "character device source" "character device" /dev/null "$MNT"
# Block devices are sources; a node with no device behind it is not.
bad "block device node without a device" "No such device" "$T/blk" "$MNT"
bad "socket source" "socket" "$T/sock" "$MNT"
bad "the root directory as source" "root" / "$MNT"
bad "duplicate names" "both be named" "$T/a/x" "$T/b/x" "$MNT"
bad "the same file twice" "both be named" "$T/a/x" "$T/a/x" "$MNT"
bad "a file and a directory of the same name" "both be named" "$T/a/d" "$T/b/d" "$MNT"
bad "a bad source after good ones" "FIFO" "$T/data.bin" "$T/a" "$T/fifo" "$MNT"
# A name holding a newline must not break the message in two lines.
nl_fifo="$T/$(printf 'fifo\nname')"
mkfifo "$nl_fifo"
bad "FIFO source whose name holds a newline" "FIFO" "$nl_fifo" "$MNT"
bad "mount point missing" "No such file" "$T/data.bin" "$T/nomnt"
bad "mount point is a file" "not a directory" "$T/data.bin" "$T/notdir"
bad "mount point is a link to a file" "not a directory" "$T/data.bin" "$T/link_notdir"
bad "mount point is a FIFO" "not a directory" "$T/data.bin" "$T/fifo"
bad "mount point is a source file" "not a directory" "$T/data.bin" "$T/data.bin"

# Unreadable source: file modes only bind a non-root user.
if command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
	cp "$T/data.bin" "$T/secret"
	chmod 600 "$T/secret"
	chmod 755 "$T"
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$MMAPFS" "$T/secret" "$MNT" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && [ "$(printf '%s\n' "$out" | grep -c .)" -eq 1 ] &&
		printf '%s' "$out" | grep -q "Permission denied"; then
		ok "unreadable source ($out)"
	else
		fail "unreadable source: rc=$rc out=$out"
	fi
else
	echo "SKIP (case): unreadable source needs setpriv and user nobody"
fi

# A mount point that is a mount point already: the second daemon mounts
# over the first, and the first serves again once the second is gone.
mount_fs "$T/busy" "$T/data.bin" || exit 1
bpid=$PID
mount_fs "$T/busy" "$T/a/x" || exit 1
check "mounted over a mount: the second mount serves" cmp -s "$T/busy/x/chunks/0" "$T/a/x"
umount_fs "$T/busy" "$PID"
check "the first mount still serves" cmp -s "$T/busy/data.bin/chunks/0" "$T/data.bin"
umount_fs "$T/busy" "$bpid"

# Zero-length sources are empty views, not errors; they grow.
: >"$T/empty"
: >"$T/src/empty_inside"
gen "$T/src/f" 5000
printf 'x' >"$T/outside/secret"
mkdir -p "$T/outside/dir"
ln -s ../outside/secret "$T/src/link_out"
ln -s ../outside/dir "$T/src/link_out_dir"
ln -s f "$T/src/link_in"
ln -s sub "$T/src/link_subdir"
ln -s loop2 "$T/src/loop1"
ln -s loop1 "$T/src/loop2"
ln -s nothere "$T/src/dangling"
mkfifo "$T/src/fifo"
mknod "$T/src/blk" b 7 201
python3 -c "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$T/src/sock"
nl_name="$(printf 'new\nline')"
gen "$T/src/$nl_name" 100
long_name=$(printf '%0250d' 7).bin
gen "$T/src/$long_name" 100
mount_fs "$MNT" "$T/empty" "$T/src" || exit 1
pid=$PID
eq "zero-length source: empty chunks/" "$(ls -A "$MNT/empty/chunks" | wc -l)" 0
eq "zero-length source: empty pages/" "$(ls -A "$MNT/empty/pages" | wc -l)" 0
check "zero-length source: chunks/0 is ENOENT" "$FSPROBE" errno ENOENT stat "$MNT/empty/chunks/0"
eq "zero-length file inside a directory: empty views" "$(ls -A "$MNT/src/empty_inside/pages" | wc -l)" 0
gen "$T/grow" 5000
cat "$T/grow" >>"$T/empty"
i=0
while ! cmp -s "$MNT/empty/chunks/0" "$T/grow" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "zero-length source that grows: chunks/0 appears with the data" cmp -s "$MNT/empty/chunks/0" "$T/grow"
eq "directory source: only data files, sub-directories and links inside" \
	"$(LC_ALL=C ls "$MNT/src" | tr '\n' ' ')" "$long_name empty_inside f link_in new line sub "
check "a file name with a newline is served" cmp -s "$MNT/src/$nl_name/chunks/0" "$T/src/$nl_name"
check "a 254-character file name is served" cmp -s "$MNT/src/$long_name/pages/0" "$T/src/$long_name"
check "a link inside the source is served" cmp -s "$MNT/src/link_in/chunks/0" "$T/src/f"
check "a link to a file outside is not followed" "$FSPROBE" errno ENOENT stat "$MNT/src/link_out"
check "a link to a directory outside is not followed" "$FSPROBE" errno ENOENT stat "$MNT/src/link_out_dir"
check "a link loop is left out" "$FSPROBE" errno ENOENT stat "$MNT/src/loop1"
check "a dangling link is left out" "$FSPROBE" errno ENOENT stat "$MNT/src/dangling"
check "a FIFO inside is left out" "$FSPROBE" errno ENOENT stat "$MNT/src/fifo"
check "a device inside is left out" "$FSPROBE" errno ENOENT stat "$MNT/src/blk"
check "a socket inside is left out" "$FSPROBE" errno ENOENT stat "$MNT/src/sock"
check "the daemon is alive" kill -0 "$pid"
umount_fs "$MNT" "$pid"

# -o follow_symlinks: links to files outside are served; links to
# directories and into the mount point still are not.
gen "$MNT/under" 100 # hidden by the mount, found by the scan before it
ln -s "$MNT/under" "$T/src/link_into_mnt"
mount_fs "$MNT" -o follow_symlinks "$T/src" || exit 1
pid=$PID
check "follow_symlinks: a link to a file outside is served" cmp -s "$MNT/src/link_out/chunks/0" "$T/outside/secret"
check "follow_symlinks: a link inside is still served" cmp -s "$MNT/src/link_in/chunks/0" "$T/src/f"
check "follow_symlinks: a link to a directory outside is not followed" "$FSPROBE" errno ENOENT stat "$MNT/src/link_out_dir"
check "follow_symlinks: a link into the mount point is not followed" "$FSPROBE" errno ENOENT stat "$MNT/src/link_into_mnt"
check "follow_symlinks: a link loop is left out" "$FSPROBE" errno ENOENT stat "$MNT/src/loop1"
check "follow_symlinks: writes reach the file outside" sh -c "printf y >'$MNT/src/link_out/pages/0' && [ \"\$(cat '$T/outside/secret')\" = y ]"
umount_fs "$MNT" "$pid"
rm "$T/src/link_into_mnt" "$MNT/under"
check "--help names follow_symlinks" sh -c "'$MMAPFS' --help | grep -q follow_symlinks"

# A mount point inside a source directory: the tree then holds the
# mount point itself.  Using it must not make the daemon wait for
# itself, with the multi-threaded loop or the single-threaded one (-s).
mkdir -p "$T/self/mnt"
gen "$T/self/f" 5000
for mode in "" -s; do
	mount_fs "$T/self/mnt" $mode "$T/self" || continue
	spid=$PID
	# Let the root's cached attributes expire (1 s), so that the stat
	# below reaches the daemon.  A request the daemon has read can only
	# end by its reply or its death: poll, then kill the daemon.
	sleep 1.5
	stat "$T/self/mnt/self/mnt" >/dev/null 2>&1 &
	sp=$!
	i=0
	while kill -0 "$sp" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$sp" 2>/dev/null; then
		fail "mount point inside a source directory ${mode:-(multi-threaded)}: stat of it hangs: the daemon waits for itself"
		kill -9 "$spid" 2>/dev/null
	elif wait "$sp"; then
		ok "mount point inside a source directory ${mode:-(multi-threaded)}: stat of it answers"
		check "the daemon answers afterwards ${mode}" cmp -s "$T/self/mnt/self/f/chunks/0" "$T/self/f"
	else
		fail "mount point inside a source directory ${mode:-(multi-threaded)}: stat of it fails"
	fi
	wait "$sp" 2>/dev/null
	umount_fs "$T/self/mnt" "$spid"
done

# 10,000 files in one source directory: every one served, a bounded
# number of descriptors and of mapped files.
mkdir -p "$T/many"
head -c $((10000 * 64)) /dev/urandom | (cd "$T/many" && split -b 64 -a 4 -d - f)
mount_fs "$MNT" "$T/many" || exit 1
pid=$PID
eq "10,000 files listed" "$(ls "$MNT/many" | wc -l)" 10000
check "every file reads back (chunks/0, in order)" bash -c "cd '$MNT/many' && cat \$(ls | sed 's|\$|/chunks/0|') | cmp -s - <(cd '$T/many' && cat \$(ls))"
check "every file reads back again (pages/0, reverse order)" bash -c "cd '$MNT/many' && cat \$(ls -r | sed 's|\$|/pages/0|') | cmp -s - <(cd '$T/many' && cat \$(ls -r))"
fds=$(ls /proc/"$pid"/fd | wc -l)
maps=$(grep -c "$T/many/" /proc/"$pid"/maps)
files=$(grep "$T/many/" /proc/"$pid"/maps | awk '{ print $NF }' | sort -u | wc -l)
echo "note: daemon holds $fds descriptors, $maps mappings of $files source files"
if [ "$fds" -le 300 ]; then ok "descriptors bounded ($fds)"; else fail "daemon holds $fds descriptors"; fi
if [ "$files" -le 300 ] && [ "$maps" -le 600 ]; then
	ok "mappings bounded ($maps mappings, $files files)"
else
	fail "daemon maps $files files in $maps mappings"
fi
check "a file evicted earlier is served again" cmp -s "$MNT/many/f0000/chunks/0" "$T/many/f0000"
check "the daemon is alive" kill -0 "$pid"
umount_fs "$MNT" "$pid"
