# t_backup.sh - backing up and restoring by chunk with the real tools:
# holes show (st_blocks, SEEK_DATA/SEEK_HOLE, du, tar -S, cp --sparse),
# replacing an entry's contents (O_TRUNC, truncate to 0) leaves exactly
# the new bytes followed by zeros, fallocate punches and zeroes inside an
# entry; each read back through the entry, an overlapping alias and the
# backing file.
. "$(dirname "$0")/lib.sh"

MB=1048576
SIZE=$((64 * MB))
PPC=$((MB / PAGE)) # pages per chunk

# A 64 MiB sparse file: chunk 2 written whole, 4 KiB at 64 KiB into chunk 5,
# chunks 7 and 8 written whole (for fallocate).
truncate -s $SIZE "$T/img"
gen "$T/c2" $MB
dd if="$T/c2" of="$T/img" bs=$MB seek=2 conv=notrunc status=none
head -c 4096 /dev/urandom | dd of="$T/img" bs=1024 seek=$((5 * 1024 + 64)) conv=notrunc status=none
gen "$T/c78" $((2 * MB))
dd if="$T/c78" of="$T/img" bs=$MB seek=7 conv=notrunc status=none
sync "$T/img"
[ "$("$FSPROBE" seek "$T/img" data 0)" = $((2 * MB)) ] ||
	skip "the file system of $T does not report holes"

M="$T/mnt"
mount_fs "$M" -o chunk_size=1M "$T/img" || exit 1
D="$M/img"

# range_of OFF LEN: bytes of the backing file.
range_of() {
	dd if="$T/img" iflag=skip_bytes,count_bytes skip="$1" count="$2" status=none
}
# zeros LEN
zeros() {
	head -c "$1" /dev/zero
}

# --- Holes -------------------------------------------------------------
eq "st_blocks of an all-hole chunk is 0" "$(stat -c %b "$D/chunks/0")" 0
eq "st_blocks of a written chunk is its size / 512" "$(stat -c %b "$D/chunks/2")" $((MB / 512))
eq "st_blocks of an all-hole page is 0" "$(stat -c %b "$D/pages/3")" 0
blocks5=$(stat -c %b "$D/chunks/5")
check "st_blocks of chunk 5 counts its 4 KiB (got $blocks5)" test "$blocks5" -ge 8 -a "$blocks5" -le 64
eq "SEEK_DATA in chunk 5" "$("$FSPROBE" seek "$D/chunks/5" data 0)" 65536
eq "SEEK_HOLE after it" "$("$FSPROBE" seek "$D/chunks/5" hole 65536)" 69632
eq "SEEK_DATA with no data left in the entry is ENXIO" "$("$FSPROBE" seek "$D/chunks/5" data 69632)" ENXIO
eq "SEEK_HOLE in a hole stays put" "$("$FSPROBE" seek "$D/chunks/5" hole 100)" 100
eq "SEEK_DATA in an all-hole chunk is ENXIO" "$("$FSPROBE" seek "$D/chunks/0" data 0)" ENXIO
eq "SEEK_HOLE of a written chunk is its end" "$("$FSPROBE" seek "$D/chunks/2" hole 0)" $MB
eq "SEEK_DATA at the entry's end is ENXIO" "$("$FSPROBE" seek "$D/chunks/2" data $MB)" ENXIO
eq "SEEK_HOLE at the entry's end is ENXIO" "$("$FSPROBE" seek "$D/chunks/2" hole $MB)" ENXIO
eq "SEEK_DATA of a page relative to the page" "$("$FSPROBE" seek "$D/pages/$((5 * PPC + 65536 / PAGE))" data 0)" 0

du_k=$(du -s -k "$D/chunks" | cut -f1)
check "du of chunks/ counts the data, not the size (${du_k} KiB)" test "$du_k" -ge 3072 -a "$du_k" -lt 8192
tar -cSf "$T/chunks.tar" -C "$D" chunks
tar_b=$(stat -c %s "$T/chunks.tar")
check "tar -cS of 64 MiB of chunks is small ($tar_b bytes)" test "$tar_b" -lt $((8 * MB))
mkdir "$T/untar"
tar -xSf "$T/chunks.tar" -C "$T/untar"
check "the archive restores chunk 5" cmp -s "$T/untar/chunks/5" "$D/chunks/5"

cp --sparse=always "$D/chunks/5" "$T/bk5"
check "cp --sparse=always keeps the holes ($(stat -c %b "$T/bk5") blocks)" test "$(stat -c %b "$T/bk5")" -le 64
check "and the bytes" cmp -s "$T/bk5" <(range_of $((5 * MB)) $MB)

# --- Restoring (O_TRUNC, truncate to 0) --------------------------------
# A backup of chunk 2 with holes; the chunk's pages are cached, through
# the chunk and an alias inside a future hole, before the restore.
cp --sparse=always "$D/chunks/2" "$T/bk2"
fallocate --punch-hole -o $((128 * 1024)) -l $((256 * 1024)) "$T/bk2"
dd if=/dev/urandom of="$T/bk2" bs=4096 seek=100 count=3 conv=notrunc status=none
alias2=$((2 * PPC + 160 * 1024 / PAGE))
cat "$D/chunks/2" "$D/pages/$alias2" >/dev/null
cp "$T/bk2" "$D/chunks/2"
check "cp of a backup with holes restores the chunk" cmp -s "$T/bk2" "$D/chunks/2"
check "the backing file holds the backup" cmp -s "$T/bk2" <(range_of $((2 * MB)) $MB)
check "an alias in a hole of the backup reads zeros" cmp -s "$D/pages/$alias2" <(zeros $PAGE)
cp "$T/c2" "$D/chunks/2"
cat "$D/chunks/2" >/dev/null
cp --sparse=always "$T/bk2" "$D/chunks/2"
check "cp --sparse=always of the backup restores the chunk" cmp -s "$T/bk2" "$D/chunks/2"
check "the backing file holds it" cmp -s "$T/bk2" <(range_of $((2 * MB)) $MB)
eq "the chunk keeps its size" "$(stat -c %s "$D/chunks/2")" $MB

# printf x > pages/3: the page is 'x' followed by zeros.
dd if=/dev/urandom of="$D/pages/3" bs=$PAGE count=1 conv=notrunc status=none
cat "$D/chunks/0" "$D/pages/3" >/dev/null
printf x >"$D/pages/3"
{ printf x; zeros $((PAGE - 1)); } >"$T/x"
check "printf x > pages/3: x then zeros through the entry" cmp -s "$D/pages/3" "$T/x"
check "through the overlapping chunk" cmp -s <(dd if="$D/chunks/0" bs=$PAGE skip=3 count=1 status=none) "$T/x"
check "in the backing file" cmp -s <(range_of $((3 * PAGE)) $PAGE) "$T/x"

# truncate -s 0 / own size / another size.
cat "$D/chunks/7" >/dev/null
truncate -s 0 "$D/chunks/8"
check "truncate -s 0 zeroes the chunk (read through it)" cmp -s "$D/chunks/8" <(zeros $MB)
check "and the backing file" cmp -s <(range_of $((8 * MB)) $MB) <(zeros $MB)
eq "and keeps its size" "$(stat -c %s "$D/chunks/8")" $MB
eq "its blocks were released" "$(stat -c %b "$D/chunks/8")" 0
check "the chunk before it is untouched" cmp -s "$D/chunks/7" <(head -c $MB "$T/c78")
cp "$T/c2" "$D/chunks/8"
cat "$D/chunks/8" "$D/pages/$((8 * PPC + 5))" >/dev/null
check "truncate -s 0 of a cached chunk" "$FSPROBE" errno 0 truncate "$D/chunks/8" 0
check "reads zeros through its own cached pages" cmp -s "$D/chunks/8" <(zeros $MB)
check "and through a cached alias" cmp -s "$D/pages/$((8 * PPC + 5))" <(zeros $PAGE)
cp "$T/c2" "$D/chunks/8"
check "ftruncate to 0 through a descriptor with cached pages reads zeros" "$FSPROBE" truncheld "$D/chunks/8"
# A page dirty through a shared mmap() must be written back to be dropped,
# which the kernel holds back during the truncation: the daemon drops it
# after a bounded wait, not on the truncation's thread (it would hang).
check "truncate -s 0 with a page dirty through mmap() returns" timeout 60 "$FSPROBE" truncdirty "$D/chunks/8"
cp "$T/c2" "$D/chunks/8"
check "truncate to the entry's own size succeeds" "$FSPROBE" errno 0 truncate "$D/chunks/8" $MB
check "and changes nothing" cmp -s "$D/chunks/8" "$T/c2"
check "truncate -s 1 is EPERM" "$FSPROBE" errno EPERM truncate "$D/chunks/8" 1
check "truncate past the size is EPERM" "$FSPROBE" errno EPERM truncate "$D/chunks/8" $((MB + 1))
check "and changed nothing" cmp -s "$D/chunks/8" "$T/c2"

# --- fallocate -----------------------------------------------------------
# model_zero OFF LEN: the expected chunk 7 after zeroing bytes of it.
cp <(head -c $MB "$T/c78") "$T/m7"
model_zero() {
	zeros "$2" | dd of="$T/m7" iflag=fullblock oflag=seek_bytes seek="$1" conv=notrunc status=none
}
p7=$((7 * PPC + 1)) # page 1 of chunk 7
cat "$D/chunks/7" "$D/pages/$p7" "$D/pages/$((p7 + 1))" >/dev/null
fallocate --punch-hole -o $PAGE -l $((2 * PAGE)) "$D/chunks/7"
model_zero $PAGE $((2 * PAGE))
check "punch-hole: the entry reads zeros there" cmp -s "$D/chunks/7" "$T/m7"
check "punch-hole: so do the cached page aliases" cmp -s <(cat "$D/pages/$p7" "$D/pages/$((p7 + 1))") <(zeros $((2 * PAGE)))
check "punch-hole: and the backing file" cmp -s <(range_of $((7 * MB)) $MB) "$T/m7"
check "punch-hole: the blocks are gone" test "$(stat -c %b "$D/chunks/7")" -le $(((MB - 2 * PAGE) / 512))
cat "$D/pages/$((7 * PPC + 8))" >/dev/null
fallocate --zero-range -o $((8 * PAGE + 100)) -l 5000 "$D/chunks/7"
model_zero $((8 * PAGE + 100)) 5000
check "zero-range: the entry reads zeros there" cmp -s "$D/chunks/7" "$T/m7"
check "zero-range: so does the cached page alias" cmp -s "$D/pages/$((7 * PPC + 8))" <(dd if="$T/m7" bs=$PAGE skip=8 count=1 status=none)
check "zero-range: and the backing file" cmp -s <(range_of $((7 * MB)) $MB) "$T/m7"
check "chunk 8 untouched by it all" cmp -s "$D/chunks/8" "$T/c2"
check "zero-range reaching past the end (no KEEP_SIZE) is EPERM" "$FSPROBE" falloc EPERM "$D/chunks/7" zero $((MB - 4096)) 8192
check "punch reaching past the end stops at the end" "$FSPROBE" falloc 0 "$D/chunks/7" punch $((MB - 4096)) 8192
model_zero $((MB - 4096)) 4096
check "  only the entry was zeroed" cmp -s "$D/chunks/7" "$T/m7"
check "  the next chunk was not" cmp -s "$D/chunks/8" "$T/c2"
check "punch starting past the end is a no-op" "$FSPROBE" falloc 0 "$D/chunks/7" punch $((2 * MB)) 4096
check "allocation inside the entry succeeds" "$FSPROBE" falloc 0 "$D/chunks/0" alloc 0 4096
check "allocation past the end is EPERM" "$FSPROBE" falloc EPERM "$D/chunks/0" alloc 0 $((MB + 1))
umount_fs "$M" "$PID"

# --- Read-only and copy-on-write mounts ----------------------------------
cp "$T/img" "$T/before"
mount_fs "$M" -o ro,chunk_size=1M "$T/img" || exit 1
check "ro: truncate -s 0 is EROFS" "$FSPROBE" errno EROFS truncate "$D/chunks/2" 0
check "ro: O_TRUNC is EROFS" "$FSPROBE" errno EROFS open_trunc "$D/chunks/2"
check "ro: fallocate is EROFS" "$FSPROBE" falloc EROFS "$D/chunks/2" punch 0 4096
eq "ro: SEEK_DATA works" "$("$FSPROBE" seek "$D/chunks/5" data 0)" 65536
umount_fs "$M" "$PID"
mount_fs "$M" -o cow,chunk_size=1M "$T/img" || exit 1
eq "cow: no holes reported (private copies are data)" "$("$FSPROBE" seek "$D/chunks/5" data 0)" 0
eq "cow: st_blocks is the whole entry" "$(stat -c %b "$D/chunks/0")" $((MB / 512))
cat "$D/chunks/7" >/dev/null
"$FSPROBE" fill "$D/pages/$((7 * PPC))" Q
check "cow: punch-hole" "$FSPROBE" falloc 0 "$D/chunks/7" punch 0 $((2 * PAGE))
check "cow: the punched range reads zeros, private copy included" cmp -s <(head -c $((2 * PAGE)) "$D/chunks/7") <(zeros $((2 * PAGE)))
truncate -s 0 "$D/chunks/2"
check "cow: truncate -s 0 reads zeros" cmp -s "$D/chunks/2" <(zeros $MB)
umount_fs "$M" "$PID"
check "cow: the backing file is unchanged" cmp -s "$T/img" "$T/before"

# --- A backing file system without ZERO_RANGE: ext2 (no extents) ---------
# ext4_fallocate() refuses ZERO_RANGE on files without extents and punches
# them.  Needs mkfs.ext2 and a loop mount; the part is left out without.
if command -v mkfs.ext2 >/dev/null 2>&1 && truncate -s 16M "$T/ext2.img" &&
	mkfs.ext2 -q -F "$T/ext2.img" >/dev/null 2>&1 && mkdir -p "$T/ext2" &&
	mount -o loop "$T/ext2.img" "$T/ext2" 2>/dev/null; then
	gen "$T/ext2/img" $((2 * MB))
	mount_fs "$M" -o chunk_size=1M "$T/ext2/img" || exit 1
	MOUNTS="$MOUNTS $T/ext2" # after the mmapfs mount: unmounted after it
	check "ext2: zero-range is EOPNOTSUPP, as on the backing file" "$FSPROBE" falloc EOPNOTSUPP "$D/chunks/1" zerokeep 0 4096
	check "ext2: punch-hole works" "$FSPROBE" falloc 0 "$D/chunks/1" punch 0 4096
	check "ext2: and reads zeros" cmp -s <(head -c 4096 "$D/chunks/1") <(zeros 4096)
	truncate -s 0 "$D/chunks/0"
	check "ext2: truncate -s 0 zeroes the chunk" cmp -s "$D/chunks/0" <(zeros $MB)
	umount_fs "$M" "$PID"
	umount "$T/ext2"
else
	echo "skip: ext2 part (no mkfs.ext2 or loop mount here)"
fi
