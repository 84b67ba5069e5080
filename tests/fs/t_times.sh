# t_times.sh - entries' times never stay behind a change to their bytes
# (src/fs/times.h), so that rsync -a backs up exactly what changed: a
# write through the mount moves the entries it touches and only those, a
# write(2) from outside moves every entry of the file, times set with
# utimensat are kept (rsync -a restores them), and after a remount no
# entry is older than the last write.
. "$(dirname "$0")/lib.sh"

command -v rsync >/dev/null 2>&1 || { echo "rsync not installed: skipped"; exit 77; }
CH=65536
gen "$T/img" $((8 * CH))
touch -d 2001-01-01 "$T/img"
OLD=$(date -d 2001-01-01 +%s)
M="$T/mnt"
C="$M/img/chunks"
P="$M/img/pages"
mount_fs "$M" -o chunk_size=64K "$T/img" || exit 1
mkdir -p "$T/bk"
barrier() { getfattr --absolute-names -n user.mmapfs.source "$1" >/dev/null; }
# The files rsync -a would copy from SRC/ to DST/ now (a dry run), times
# compared to the nanosecond (-@-1) so that two changes within one second
# count.
changed() { rsync -a -@-1 -n --itemize-changes "$1/" "$2/" | awk '/^>f/ { print $2 }' | sort -n | tr '\n' ' '; }

check "first backup" rsync -a -@-1 "$C/" "$T/bk/"
eq "a second backup copies nothing" "$(changed "$C" "$T/bk")" ""
eq "entries start from the backing file's time" "$(stat -c %Y "$C/5")" "$OLD"

# A write through pages/20 (inside chunks/1): those two entries move.
before=$(date +%s)
printf 'NEW' | dd of="$P/20" conv=notrunc status=none
eq "after a write through pages/20, rsync copies exactly chunks/1" "$(changed "$C" "$T/bk")" "1 "
check "pages/20 has the write's time" test "$(stat -c %Y "$P/20")" -ge "$before"
eq "pages/21 did not move" "$(stat -c %Y "$P/21")" "$OLD"
eq "chunks/2 did not move" "$(stat -c %Y "$C/2")" "$OLD"
check "backup of the change" rsync -a -@-1 "$C/" "$T/bk/"
check "the backup holds the new bytes" cmp -s "$C/1" "$T/bk/1"

# A write(2) by another process: the daemon cannot tell where, so every
# entry of the file moves, once the change is applied (the barrier).
printf 'OUT' | dd of="$T/img" bs=1 seek=$((5 * CH + 3)) conv=notrunc status=none
barrier "$M/img"
eq "after a write(2) from outside, rsync copies every chunk" "$(changed "$C" "$T/bk")" "0 1 2 3 4 5 6 7 "
check "backup after the outside change" rsync -a -@-1 "$C/" "$T/bk/"
eq "and then nothing" "$(changed "$C" "$T/bk")" ""

# A truncation by another process (here growing the file by one chunk):
# every entry moves, and the new chunk appears.
truncate -s $((9 * CH)) "$T/img"
barrier "$M/img"
eq "after a truncate(2) from outside, rsync copies every chunk" "$(changed "$C" "$T/bk")" "0 1 2 3 4 5 6 7 8 "
check "backup after the truncation" rsync -a -@-1 "$C/" "$T/bk/"

# Times set with utimensat are kept.
touch -m -d '2005-05-05 05:05:05' "$C/3"
eq "utimensat on an entry is kept" "$(stat -c %Y "$C/3")" "$(date -d '2005-05-05 05:05:05' +%s)"
touch -m -d '2006-06-06' "$C"
eq "utimensat on chunks/ is kept" "$(stat -c %Y "$C")" "$(date -d 2006-06-06 +%s)"
check "utimensat on the file's directory is EPERM" "$FSPROBE" errno EPERM utimens "$M/img"

# A restore with rsync -a -@-1 --inplace writes the bytes and sets the times.
printf 'DAMAGE' | dd of="$C/2" conv=notrunc status=none
check "restore with rsync -a -@-1 --inplace --no-whole-file exits 0" rsync -a -@-1 --inplace --no-whole-file "$T/bk/" "$C/"
check "the restored chunk equals the backup" cmp -s "$C/2" "$T/bk/2"
eq "the restored chunk has the backup's time" "$(stat -c %Y "$C/2")" "$(stat -c %Y "$T/bk/2")"
eq "after the restore, rsync copies nothing" "$(changed "$T/bk" "$C")" ""

# A store through another process's mapping raises no inotify event;
# with -o cache=open entries follow the backing file's times (attributes
# kept 1 s): after it, rsync copies every chunk.
umount_fs "$M" "$PID"
mount_fs "$M" -o chunk_size=64K,cache=open "$T/img" || exit 1
check "backup (cache=open)" rsync -a -@-1 "$C/" "$T/bk/"
"$FSPROBE" mstore "$T/img" $((6 * CH + 9)) MSTOR || fail "store through a mapping"
sleep 1.2 # past the attribute timeout of cache=open (1 s): no assertion
eq "after a store through another process's mapping (cache=open), rsync copies every chunk" \
	"$(changed "$C" "$T/bk")" "0 1 2 3 4 5 6 7 8 "
umount_fs "$M" "$PID"
mount_fs "$M" -o chunk_size=64K "$T/img" || exit 1

# After a remount no entry is older than the last write through the mount.
last=$(date +%s)
printf 'LAST' | dd of="$P/40" conv=notrunc status=none
umount_fs "$M" "$PID"
mount_fs "$M" -o chunk_size=64K "$T/img" || exit 1
check "after a remount, pages/40 is not older than its last write" test "$(stat -c %Y "$P/40")" -ge "$last"
check "after a remount, chunks/2 is not older than its last write" test "$(stat -c %Y "$C/2")" -ge "$last"
umount_fs "$M" "$PID"
