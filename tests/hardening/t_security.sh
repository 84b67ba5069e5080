# t_security.sh - security defaults: no allow_other unless asked (other
# users are refused); with allow_other, default_permissions is on and the
# kernel enforces the backing files' modes (EACCES for another user on a
# 0600 file); a read-only backing file (mode 0444, or on a read-only bind
# mount) is never written, whatever the mount options.
. "$(dirname "$0")/../fs/lib.sh"

CH=16384
chmod 755 "$T"
gen "$T/open.bin" $((2 * CH))
gen "$T/private.bin" $((2 * CH))
chmod 644 "$T/open.bin"
chmod 600 "$T/private.bin"
M="$T/mnt"

super_opts() {
	awk -v m="$1" '$5 == m { print $NF }' /proc/self/mountinfo
}

as_nobody=""
if command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1 &&
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$FSPROBE" errno 0 stat "$T" 2>/dev/null; then
	as_nobody="setpriv --reuid=nobody --regid=nogroup --clear-groups"
else
	echo "SKIP (cases): another user's view needs setpriv, user nobody and a probe nobody can run"
fi

# Default: no allow_other; another user cannot even stat the mount.
mount_fs "$M" "$T/open.bin" || exit 1
check "default: no allow_other" sh -c "! printf '%s' '$(super_opts "$M")' | grep -q allow_other"
if [ -n "$as_nobody" ]; then
	check "default: another user gets EACCES on the mount" $as_nobody "$FSPROBE" errno EACCES stat "$M/open.bin"
fi
umount_fs "$M" "$PID"

# allow_other (alone, or among other options): default_permissions too.
for o in allow_other ro,allow_other allow_other,chunk_size=16K; do
	mount_fs "$M" -o "$o" "$T/open.bin" "$T/private.bin" || continue
	check "-o $o brings default_permissions" sh -c "printf '%s' '$(super_opts "$M")' | grep -q default_permissions"
	if [ -n "$as_nobody" ]; then
		check "-o $o: another user reads a 0644 file's entries" $as_nobody "$FSPROBE" errno 0 open_r "$M/open.bin/pages/0"
		werr=EACCES
		case $o in ro,*) werr=EROFS ;; esac
		check "-o $o: another user may not write a 0644 file's entries ($werr)" $as_nobody "$FSPROBE" errno $werr open_w "$M/open.bin/pages/0"
		check "-o $o: another user gets EACCES on a 0600 file's entries" $as_nobody "$FSPROBE" errno EACCES open_r "$M/private.bin/pages/0"
		check "-o $o: another user may not list a 0600 file's views" $as_nobody "$FSPROBE" errno EACCES stat "$M/private.bin/chunks/0"
	fi
	umount_fs "$M" "$PID"
done

# allow_root: only root and the mounting user, so nobody is refused.
if mount_fs "$M" -o allow_root "$T/open.bin" && [ -n "$as_nobody" ]; then
	check "-o allow_root: another user gets EACCES" $as_nobody "$FSPROBE" errno EACCES open_r "$M/open.bin/pages/0"
fi
umount_fs "$M" "$PID"

# A read-only backing file is never written, whatever the options.
gen "$T/locked.bin" $((3 * CH))
chmod 444 "$T/locked.bin"
touch -d '2001-01-01 00:00:00' "$T/locked.bin"
before="$(sha256sum <"$T/locked.bin") $(stat -c %Y "$T/locked.bin")"

# try_writes DIR: every way to write the entries of DIR (all may fail).
try_writes() {
	"$FSPROBE" fill "$1/chunks/0" W fsync 2>/dev/null
	"$FSPROBE" mmapwrite "$1/pages/1" 0 "$1/chunks/0" "$PAGE" 100 2>/dev/null
	printf 'x' 2>/dev/null >"$1/pages/2"
	dd if=/dev/zero of="$1/chunks/1" bs=100 count=1 conv=notrunc status=none 2>/dev/null
	truncate -s 0 "$1/pages/0" 2>/dev/null
	python3 -c "
import os, sys
try:
    a = os.open(sys.argv[1], os.O_RDONLY); b = os.open(sys.argv[2], os.O_WRONLY)
    os.copy_file_range(a, b, 100)
except OSError:
    pass" "$1/chunks/1" "$1/chunks/0"
}

for o in chunk_size=16K flush=always flush=interval=10 cow ro allow_other; do
	mount_fs "$M" -o "$o" "$T/locked.bin" || continue
	D="$M/locked.bin"
	case $o in
	cow) ;; # private mapping: writes are the mount's own, never the file's
	ro) check "-o ro: 0444 file: open for writing is EROFS" "$FSPROBE" errno EROFS open_w "$D/chunks/0" ;;
	*) check "-o $o: 0444 file: writing is EACCES" "$FSPROBE" errno EACCES pwrite "$D/chunks/0" ;;
	esac
	try_writes "$D"
	umount_fs "$M" "$PID"
	eq "-o $o: the 0444 file was never written (content and mtime)" "$(sha256sum <"$T/locked.bin") $(stat -c %Y "$T/locked.bin")" "$before"
done

# A writable file on a read-only bind mount.
mkdir -p "$T/rosrc" "$T/robind"
gen "$T/rosrc/ro.bin" $((2 * CH))
chmod 644 "$T/rosrc/ro.bin"
rsum=$(sha256sum <"$T/rosrc/ro.bin")
if mount --bind "$T/rosrc" "$T/robind" 2>/dev/null; then
	MOUNTS="$T/robind $MOUNTS"
	if mount -o remount,bind,ro "$T/robind" 2>/dev/null; then
		mount_fs "$M" -o chunk_size=16K "$T/robind/ro.bin" || exit 1
		check "read-only bind mount: writing is EACCES" "$FSPROBE" errno EACCES pwrite "$M/ro.bin/chunks/0"
		eq "read-only bind mount: entries show no write bits" "$(stat -c %a "$M/ro.bin/chunks/0")" 444
		try_writes "$M/ro.bin"
		umount_fs "$M" "$PID"
		eq "read-only bind mount: the file was never written" "$(sha256sum <"$T/rosrc/ro.bin")" "$rsum"
	else
		echo "SKIP (case): cannot remount the bind mount read-only"
	fi
	umount "$T/robind"
else
	echo "SKIP (case): bind mounts not permitted here"
fi
