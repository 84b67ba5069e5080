# t_gone.sh - a backing file removed or renamed under the mount keeps
# being served from its mapping, like an open file descriptor, also when
# more files are in use than the daemon keeps mapped (files.h: beyond 256,
# unused mappings are closed; one whose file is gone must not be, as
# reopening its name would give another file, or none).
. "$(dirname "$0")/lib.sh"

NFILES=300
S="$T/src"
gen_many "$S" "$NFILES" $((2 * PAGE))
cp "$S/f000" "$T/orig"
M="$T/mnt"
mount_fs "$M" "$S" || exit 1
D="$M/src"
check "f000/pages/0 reads its file" cmp -s "$D/f000/pages/0" <(head -c "$PAGE" "$T/orig")

# Renamed away, and another file takes its name.
mv "$S/f000" "$T/moved"
gen "$S/f000" $((2 * PAGE)) 4242
# The barrier: the daemon has applied the rename (inotify IN_MOVE_SELF).
getfattr --absolute-names -n user.mmapfs.source "$D/f000" >/dev/null
for i in $(seq -f '%03g' 1 $((NFILES - 1))); do
	cat "$D/f$i/pages/0" >/dev/null
done
# O_DIRECT: from the daemon's mapping, past the kernel's page cache.
dd if="$D/f000/pages/0" of="$T/r0" iflag=direct bs="$PAGE" status=none
check "after $NFILES files were used, f000/pages/0 still serves the renamed file's bytes" \
	cmp -s "$T/r0" <(head -c "$PAGE" "$T/orig")
check "the daemon said so in its log" grep -q "f000 was re" "$LOG"
umount_fs "$M" "$PID"
