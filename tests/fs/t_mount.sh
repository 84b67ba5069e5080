# t_mount.sh - mmapfs mounts like other FUSE filesystems: fsname (the
# first source, resolved) and subtype mmapfs in /proc/mounts, overridable;
# `mount -a` with an fstab line mounts once and is then a no-op; a mount
# point that is itself a mount point (a tmpfs, another mmapfs) is mounted
# over; statfs gives the first source's filesystem figures (df, stat -f);
# -o uid=, gid=, umask= set the owner and modes of every object.
. "$(dirname "$0")/lib.sh"

command -v findmnt >/dev/null 2>&1 || skip "needs findmnt (util-linux)"
command -v mount.fuse3 >/dev/null 2>&1 || skip "needs mount.fuse3 (fuse3)"

chmod 755 "$T"
gen "$T/data.bin" $((5 * PAGE + 100))
chmod 644 "$T/data.bin"
M="$T/mnt"
REAL_T=$(realpath "$T")

field() { # field COLUMN MOUNTPOINT: findmnt's view of the mount
	findmnt -n -o "$1" --mountpoint "$2"
}

# fsname and subtype by default: the first source, resolved.
mount_fs "$M" "$T/data.bin" || exit 1
eq "fsname is the first source" "$(field SOURCE "$M")" "$REAL_T/data.bin"
eq "type is fuse.mmapfs" "$(field FSTYPE "$M")" "fuse.mmapfs"
umount_fs "$M" "$PID"

ln -s data.bin "$T/link.bin"
(cd "$T" && mount_fs "$M" link.bin) || exit 1
eq "a relative, linked source is resolved" "$(field SOURCE "$M")" "$REAL_T/data.bin"
umount_fs "$M" "$PID"

cp "$T/data.bin" "$T/a b,c.bin"
mount_fs "$M" "$T/a b,c.bin" "$T/data.bin" || exit 1
eq "a source with a space and a comma" "$(field SOURCE "$M")" "$REAL_T/a b,c.bin"
umount_fs "$M" "$PID"

mount_fs "$M" -o fsname=models,subtype=weights "$T/data.bin" || exit 1
eq "-o fsname= overrides" "$(field SOURCE "$M")" "models"
eq "-o subtype= overrides" "$(field FSTYPE "$M")" "fuse.weights"
umount_fs "$M" "$PID"

# mount -a with an fstab line, twice: the second run is a no-op.  The
# type names the daemon by its full path (mount.fuse3 runs it by name
# through /bin/sh, without the caller's PATH).
F="$T/fmnt"
mkdir -p "$F"
printf '%s %s fuse.%s ro,chunk_size=8K 0 0\n' "$T/data.bin" "$F" "$MMAPFS" >"$T/fstab"
MOUNTS="$MOUNTS $F"
out=$(mount -a -T "$T/fstab" 2>&1)
eq "mount -a: exit 0 ($out)" "$?" 0
eq "mount -a: mounted, read-only" "$(field OPTIONS "$F" | cut -d, -f1)" "ro"
check "mount -a: serves" cmp -s "$F/data.bin/pages/0" <(head -c "$PAGE" "$T/data.bin")
eq "mount -a: chunk_size=8K from the fstab line" "$(ls "$F/data.bin/chunks" | wc -l)" 3
out=$(mount -a -T "$T/fstab" 2>&1)
eq "second mount -a: exit 0 ($out)" "$?" 0
eq "second mount -a: still one mount" "$(findmnt -n --mountpoint "$F" | wc -l)" 1
out=$(mount -a -v -T "$T/fstab" 2>&1)
check "mount -a -v says already mounted ($out)" sh -c "printf '%s' \"\$1\" | grep -q 'already mounted'" _ "$out"
# The same source mounted by hand with a relative path is the same line.
unmount_dir "$F"
(cd "$T" && mount_fs "$F" -o ro data.bin) || exit 1
out=$(mount -a -T "$T/fstab" 2>&1)
eq "mount -a after a mount by hand: exit 0 ($out)" "$?" 0
eq "mount -a after a mount by hand: still one mount" "$(findmnt -n --mountpoint "$F" | wc -l)" 1
umount_fs "$F" "$PID"

# A mount point that is a mount point: a tmpfs (as automount leaves
# behind), then our own mount.
TM="$T/tmnt"
mkdir -p "$TM"
if mount -t tmpfs -o size=7m mmapfs-test "$TM"; then
	MOUNTS="$MOUNTS $TM"
	echo below >"$TM/marker"
	mount_fs "$TM" "$T/data.bin" || exit 1
	check "mounted over a tmpfs: serves" cmp -s "$TM/data.bin/pages/1" <(tail -c +$((PAGE + 1)) "$T/data.bin" | head -c "$PAGE")
	check "mounted over a tmpfs: hides it" test ! -e "$TM/marker"
	umount_fs "$TM" "$PID"
	eq "unmounted: the tmpfs is back" "$(cat "$TM/marker")" below
	eq "unmounted: the tmpfs is still mounted" "$(field FSTYPE "$TM")" tmpfs

	# statfs with several sources: the first one's filesystem.
	cp "$T/data.bin" "$TM/small.bin"
	mount_fs "$M" "$TM/small.bin" "$T/data.bin" || exit 1
	eq "statfs: first source on a tmpfs: its size" "$(stat -f -c '%b %S' "$M")" "$(stat -f -c '%b %S' "$TM")"
	eq "df: the tmpfs's size" "$(df -P "$M" | awk 'NR == 2 { print $2 }')" "$(df -P "$TM" | awk 'NR == 2 { print $2 }')"
	umount_fs "$M" "$PID"
	umount "$TM" || fail "umount of the tmpfs"
else
	echo "SKIP (cases): cannot mount a tmpfs here"
fi

# statfs: the figures of the filesystem holding the first source.
mount_fs "$M" "$T/data.bin" "$T/a b,c.bin" || exit 1
eq "statfs: total blocks and block size" "$(stat -f -c '%b %S %c %l' "$M")" "$(stat -f -c '%b %S %c %l' "$T")"
size=$(df -P "$M" | awk 'NR == 2 { print $2 }')
check "df: a real size ($size KiB)" test "$size" -gt 0
eq "df: the backing filesystem's size" "$size" "$(df -P "$T" | awk 'NR == 2 { print $2 }')"
check "df -i: inodes" test "$(df -Pi "$M" | awk 'NR == 2 { print $2 }')" -gt 0
eq "statfs: name length" "$(stat -f -c %l "$M")" "$(stat -f -c %l "$T")"
umount_fs "$M" "$PID"

# Stacked on our own mount.
mount_fs "$M" "$T/data.bin" || exit 1
P1=$PID
mount_fs "$M" -o chunk_size=4K "$T/a b,c.bin" || exit 1
check "mounted over a mmapfs mount: the new one serves" test -d "$M/a b,c.bin/pages"
umount_fs "$M" "$PID"
check "the mount below serves again" test -d "$M/data.bin/pages"
umount_fs "$M" "$P1"

# -o uid=, gid=, umask=.
mount_fs "$M" -o uid=1234,gid=567,umask=027 "$T/data.bin" || exit 1
eq "uid/gid/umask: root" "$(stat -c '%u %g %a' "$M")" "1234 567 750"
eq "uid/gid/umask: file directory" "$(stat -c '%u %g %a' "$M/data.bin")" "1234 567 750"
eq "uid/gid/umask: view directory" "$(stat -c '%u %g %a' "$M/data.bin/pages")" "1234 567 750"
eq "uid/gid/umask: entry" "$(stat -c '%u %g %a' "$M/data.bin/pages/2")" "1234 567 640"
eq "uid/gid/umask: ls -n" "$(ls -n "$M/data.bin/chunks" | awk 'NR == 2 { print $1, $3, $4 }')" "-rw-r----- 1234 567"
umount_fs "$M" "$PID"
mount_fs "$M" -o ro,umask=0 "$T/data.bin" || exit 1
eq "umask=0 on a read-only mount: write bits still cleared" "$(stat -c '%a' "$M/data.bin/pages/0")" 444
umount_fs "$M" "$PID"

# With allow_other the kernel enforces them (default_permissions).
if command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
	as_nobody="setpriv --reuid=nobody --regid=nogroup --clear-groups"
	mount_fs "$M" -o allow_other,umask=077 "$T/data.bin" || exit 1
	check "umask=077: another user gets EACCES" $as_nobody "$FSPROBE" errno EACCES open_r "$M/data.bin/pages/0"
	umount_fs "$M" "$PID"
	mount_fs "$M" -o allow_other,umask=077,uid=$(id -u nobody) "$T/data.bin" || exit 1
	check "uid=nobody,umask=077: nobody reads" $as_nobody "$FSPROBE" errno 0 open_r "$M/data.bin/pages/0"
	check "uid=nobody,umask=077: nobody writes" $as_nobody "$FSPROBE" errno 0 open_w "$M/data.bin/pages/0"
	umount_fs "$M" "$PID"
else
	echo "SKIP (cases): another user's view needs setpriv and user nobody"
fi

bad "bad uid" "uid" -o uid=alice "$T/data.bin" "$M"
bad "uid -1" "uid" -o uid=-1 "$T/data.bin" "$M"
bad "bad gid" "gid" -o gid=4294967295 "$T/data.bin" "$M"
bad "umask not octal" "umask" -o umask=089 "$T/data.bin" "$M"
bad "umask too large" "umask" -o umask=1777 "$T/data.bin" "$M"
