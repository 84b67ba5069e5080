# t_blockdev.sh - a block device as a source: a loop device over a sparse
# file, read and written through the mount; a read-only loop device is
# served read-only.  Character devices stay refused (t_options.sh).
. "$(dirname "$0")/lib.sh"

command -v losetup >/dev/null 2>&1 || skip "needs losetup"
LOOPS=""
detach_loops() {
	for l in $LOOPS; do
		losetup -d "$l" 2>/dev/null
	done
}
# lib.sh's cleanup unmounts and exits; detach the devices before it.
trap 'detach_loops; cleanup' EXIT

CH=65536
truncate -s $((16 * CH)) "$T/disk"
gen "$T/c3" $CH
dd if="$T/c3" of="$T/disk" bs=$CH seek=3 conv=notrunc status=none
L=$(losetup -f --show "$T/disk" 2>/dev/null) || skip "losetup failed"
LOOPS="$L"
N=$(basename "$L")

M="$T/mnt"
mount_fs "$M" -o chunk_size=64K "$L" || exit 1
D="$M/$N"
eq "the device's size in entries" "$(ls "$D/chunks" | wc -l)" 16
eq "the last chunk has the chunk size" "$(stat -c %s "$D/chunks/15")" $CH
check "a chunk reads as the file behind the device" cmp -s "$D/chunks/3" "$T/c3"
check "a page reads as it" cmp -s "$D/pages/$((3 * CH / PAGE + 1))" <(dd if="$T/c3" bs=$PAGE skip=1 count=1 status=none)
gen "$T/w" $PAGE
dd if="$T/w" of="$D/pages/2" conv=notrunc,fsync status=none
check "a write through the mount is in the device" cmp -s <(dd if="$L" bs=$PAGE skip=2 count=1 status=none) "$T/w"
check "fsync took it to the file behind the device" cmp -s <(dd if="$T/disk" bs=$PAGE skip=2 count=1 status=none) "$T/w"
eq "the source is named in the xattr" "$(getfattr --only-values -n user.mmapfs.source "$D/chunks/0" 2>/dev/null)" "$L"
umount_fs "$M" "$PID"
losetup -d "$L"
LOOPS=""

# A read-only loop device: served read-only, writes refused.
L=$(losetup -r -f --show "$T/disk" 2>/dev/null) || skip "losetup -r failed"
LOOPS="$L"
N=$(basename "$L")
mount_fs "$M" -o chunk_size=64K "$L" || exit 1
D="$M/$N"
check "ro device: reads work" cmp -s "$D/chunks/3" "$T/c3"
eq "ro device: entries have no write bits" "$(stat -c %a "$D/chunks/3" | tr -d 0145)" ""
check "ro device: writing is refused (the kernel opens entries itself)" "$FSPROBE" errno EACCES pwrite "$D/pages/1"
check "ro device: truncate -s 0 is refused" "$FSPROBE" errno EACCES truncate "$D/chunks/3" 0
umount_fs "$M" "$PID"
check "ro device: the file is unchanged" cmp -s <(dd if="$T/disk" bs=$CH skip=3 count=1 status=none) "$T/c3"
