# t_modes.sh - read-only and copy-on-write mounts, read-only backing
# files, and the security defaults (allow_other brings
# default_permissions, and without it only the mounting user gets in).
. "$(dirname "$0")/lib.sh"

CH=16384
gen "$T/data.bin" $((3 * CH))
gen "$T/locked.bin" $((2 * CH))
chmod 444 "$T/locked.bin"
sum=$(sha256sum <"$T/data.bin")
lsum=$(sha256sum <"$T/locked.bin")
M="$T/mnt"

# -o ro: everything that writes is EROFS, modes lose their write bits.
mount_fs "$M" -o ro,chunk_size=16K "$T/data.bin" || exit 1
D="$M/data.bin"
check "ro: reads work" cmp -s "$D/chunks/1" <(dd if="$T/data.bin" bs=$CH skip=1 count=1 status=none)
eq "ro: no write bits" "$(stat -c %a "$D/chunks/1")" "444"
check "ro: open for writing is EROFS" "$FSPROBE" errno EROFS open_w "$D/pages/1"
check "ro: O_TRUNC is EROFS" "$FSPROBE" errno EROFS open_trunc "$D/pages/1"
check "ro: truncate is EROFS" "$FSPROBE" errno EROFS truncate "$D/pages/1" "$PAGE"
check "ro: mkdir is EROFS" "$FSPROBE" errno EROFS mkdir "$D/x"
check "ro: unlink is EROFS" "$FSPROBE" errno EROFS unlink "$D/pages/1"
check "ro: rename is EROFS" "$FSPROBE" errno EROFS rename "$D/pages/1" "$D/pages/2"
check "ro: setxattr is EROFS" "$FSPROBE" errno EROFS setxattr "$D/pages/1" user.mmapfs.offset
check "ro: chmod is EROFS" "$FSPROBE" errno EROFS chmod "$D/pages/1"
umount_fs "$M" "$PID"
eq "ro: backing file unchanged" "$(sha256sum <"$T/data.bin")" "$sum"

# -o cow: writes are visible through the mount, never in the file.
mount_fs "$M" -o cow,chunk_size=16K "$T/data.bin" || exit 1
D="$M/data.bin"
check "cow: fill a chunk" "$FSPROBE" fill "$D/chunks/1" Z fsync
eq "cow: the mount shows the write" "$(tr -d Z <"$D/chunks/1" | wc -c)" 0
eq "cow: the page alias shows it too" "$(tr -d Z <"$D/pages/$((CH / PAGE))" | wc -c)" 0
eq "cow: the backing file is unchanged" "$(sha256sum <"$T/data.bin")" "$sum"
umount_fs "$M" "$PID"
eq "cow: still unchanged after unmount" "$(sha256sum <"$T/data.bin")" "$sum"
mount_fs "$M" -o cow,chunk_size=16K "$T/data.bin" || exit 1
check "cow: a new mount starts from the file again" cmp -s "$M/data.bin/chunks/1" <(dd if="$T/data.bin" bs=$CH skip=1 count=1 status=none)
umount_fs "$M" "$PID"

# A read-only backing file is never written, even by root on a rw mount.
mount_fs "$M" -o chunk_size=16K "$T/locked.bin" || exit 1
D="$M/locked.bin"
eq "read-only backing: entries show no write bits" "$(stat -c %a "$D/chunks/0")" "444"
check "read-only backing: writing is EACCES (root opens it: the kernel opens entries itself)" "$FSPROBE" errno EACCES pwrite "$D/chunks/0"
check "read-only backing: reads work" cmp -s "$D/chunks/0" <(head -c $CH "$T/locked.bin")
umount_fs "$M" "$PID"
eq "read-only backing: file unchanged" "$(sha256sum <"$T/locked.bin")" "$lsum"

# Security defaults.
opts_of() {
	awk -v m="$1" '$5 == m { print $NF }' /proc/self/mountinfo
}
mount_fs "$M" "$T/data.bin" || exit 1
check "default: no allow_other" sh -c "! opts_of() { :; }; ! printf '%s' '$(opts_of "$M")' | grep -q allow_other"
if command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
	chmod 755 "$T"
	check "default: other users cannot enter the mount" sh -c "! setpriv --reuid=nobody --regid=nogroup --clear-groups ls '$M' >/dev/null 2>&1"
fi
umount_fs "$M" "$PID"
chmod 600 "$T/locked.bin"
mount_fs "$M" -o allow_other "$T/data.bin" "$T/locked.bin" || exit 1
check "allow_other brings default_permissions" sh -c "printf '%s' '$(opts_of "$M")' | grep -q default_permissions"
if command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
	check "allow_other: others read a 0644 file" setpriv --reuid=nobody --regid=nogroup --clear-groups cat "$M/data.bin/pages/0" >/dev/null
	check "allow_other: the kernel enforces a 0600 file's mode" sh -c "! setpriv --reuid=nobody --regid=nogroup --clear-groups cat '$M/locked.bin/pages/0' >/dev/null 2>&1"
	check "allow_other: others cannot write a file they may not write" sh -c "! setpriv --reuid=nobody --regid=nogroup --clear-groups dd if=/dev/zero of='$M/data.bin/pages/0' bs=1 count=1 conv=notrunc status=none 2>/dev/null"
fi
umount_fs "$M" "$PID"
eq "backing file unchanged by the refused writes" "$(sha256sum <"$T/data.bin")" "$sum"
