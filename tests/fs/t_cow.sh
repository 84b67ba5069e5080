# t_cow.sh - a copy-on-write mount keeps what was written to it while it
# is mounted, also when more files are in use than the daemon keeps
# mapped (files.h: beyond 256 mapped files, unused ones are closed; a
# private mapping that holds changes must not be).
. "$(dirname "$0")/lib.sh"

NFILES=300
S="$T/src"
gen_many "$S" "$NFILES" $((2 * PAGE))
sum0=$(sha256sum <"$S/f000")
sum150=$(sha256sum <"$S/f150")
M="$T/mnt"
mount_fs "$M" -o cow "$S" || exit 1
pid=$PID
D="$M/src"

# only_byte FILE BYTE: FILE is not empty and holds nothing but BYTE.
only_byte() {
	[ -s "$1" ] && [ "$(tr -d "$2" <"$1" | wc -c)" -eq 0 ]
}

# read_others: read pages/0 of every file but f000 and f150 (so that
# more than 256 files have been mapped since those two were written).
read_others() {
	for i in $(seq -f '%03g' 1 $((NFILES - 1))); do
		[ "$i" = 150 ] || cat "$D/f$i/pages/0" >/dev/null
	done
}

check "write page 0 of f000" "$FSPROBE" fill "$D/f000/pages/0" W
check "write page 1 of f150" "$FSPROBE" fill "$D/f150/pages/1" V
read_others
# O_DIRECT: past the kernel's page cache of the entry, from the daemon.
dd if="$D/f000/pages/0" of="$T/r0" iflag=direct bs="$PAGE" status=none
check "after $NFILES files were used, f000/pages/0 still holds the write (O_DIRECT)" only_byte "$T/r0" W
dd if="$D/f150/pages/1" of="$T/r1" iflag=direct bs="$PAGE" status=none
check "f150/pages/1 still holds the write (O_DIRECT)" only_byte "$T/r1" V
echo 3 >/proc/sys/vm/drop_caches
read_others
head -c "$PAGE" "$D/f000/chunks/0" >"$T/c0"
check "after drop_caches, the alias chunks/0 of f000 shows the write" only_byte "$T/c0" W
check "the unwritten page 1 of f000 still reads the file" cmp -s <(tail -c "$PAGE" "$D/f000/chunks/0") <(tail -c "$PAGE" "$S/f000")
# Files never written are still closed beyond the cap.
fds=$(ls /proc/"$pid"/fd | wc -l)
if [ "$fds" -le 290 ]; then
	ok "descriptors stay bounded with $NFILES files, 2 written ($fds open)"
else
	fail "daemon holds $fds descriptors for $NFILES files, 2 of them written"
fi
eq "the backing file f000 is unchanged" "$(sha256sum <"$S/f000")" "$sum0"
eq "the backing file f150 is unchanged" "$(sha256sum <"$S/f150")" "$sum150"
umount_fs "$M" "$pid"
eq "f000 still unchanged after unmount" "$(sha256sum <"$S/f000")" "$sum0"
