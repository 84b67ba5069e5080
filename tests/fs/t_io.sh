# t_io.sh - reads and writes through entries: writes reach the backing
# file, never cross an entry's end, O_TRUNC zeroes the entry first, sizes
# never change, namespace changes are refused.
. "$(dirname "$0")/lib.sh"

CH=16384
gen "$T/data.bin" $((4 * CH + 3000))
cp "$T/data.bin" "$T/model"
M="$T/mnt"
mount_fs "$M" -o chunk_size=16K "$T/data.bin" || exit 1
D="$M/data.bin"

# model_write OFF FILE: apply the same write to the model of the backing file.
model_write() {
	dd if="$2" of="$T/model" bs=1 seek="$1" conv=notrunc status=none
}

printf 'hello, page three' >"$T/w1"
dd if="$T/w1" of="$D/pages/3" bs=1 seek=100 conv=notrunc status=none
model_write $((3 * PAGE + 100)) "$T/w1"
check "write through a page reaches the backing file" cmp -s "$T/data.bin" "$T/model"
check "the write reads back through the chunk" sh -c "dd if='$D/chunks/0' bs=1 skip=$((3 * PAGE + 100)) count=17 status=none | cmp -s - '$T/w1'"

gen "$T/w2" $CH
dd if="$T/w2" of="$D/chunks/2" conv=notrunc status=none
model_write $((2 * CH)) "$T/w2"
check "whole-chunk write reaches the backing file" cmp -s "$T/data.bin" "$T/model"

# O_TRUNC replaces the contents: the new bytes, then zeros; no shrinking.
printf 'TRUNCATED-OPEN' >"$T/w3"
cat "$T/w3" >"$D/pages/5"
head -c "$PAGE" /dev/zero >"$T/zpage"
model_write $((5 * PAGE)) "$T/zpage"
model_write $((5 * PAGE)) "$T/w3"
eq "O_TRUNC keeps the entry's size" "$(stat -c %s "$D/pages/5")" "$PAGE"
check "O_TRUNC leaves the new bytes followed by zeros" cmp -s "$T/data.bin" "$T/model"
gen "$T/w4" 5000
cp "$T/w4" "$D/chunks/1"
head -c "$CH" /dev/zero >"$T/zchunk"
model_write "$CH" "$T/zchunk"
model_write "$CH" "$T/w4"
check "cp into a chunk replaces it: its bytes, then zeros" cmp -s "$T/data.bin" "$T/model"
eq "backing file keeps its size" "$(stat -c %s "$T/data.bin")" $((4 * CH + 3000))

# Writes never cross an entry's end: short count, then ENOSPC.
check "write across the end is short, at the end ENOSPC (page)" "$FSPROBE" writeend "$D/pages/2"
check "write across the end is short, at the end ENOSPC (last chunk)" "$FSPROBE" writeend "$D/chunks/4"
printf 'EEEEEEEEEE' >"$T/e10"
model_write $((3 * PAGE - 10)) "$T/e10"
model_write $((4 * CH + 3000 - 10)) "$T/e10"
check "only the part that fits was written, nothing past the end" cmp -s "$T/data.bin" "$T/model"
check "O_APPEND writes start at the end: ENOSPC" "$FSPROBE" errno ENOSPC append "$D/pages/1"
check "write at a huge offset is ENOSPC" "$FSPROBE" errno ENOSPC pwrite "$D/pages/1" 9223372036854771712
check "read at a huge offset is empty, not an error" "$FSPROBE" errno 0 pread "$D/pages/1" 9223372036854771712
eq "dd past the end writes nothing" "$(dd if=/dev/zero of="$D/pages/1" bs=$PAGE seek=1 count=1 conv=notrunc 2>&1 | grep -c 'No space left')" 1

# Sizes never change through the mount.
check "truncate to another size is EPERM" "$FSPROBE" errno EPERM truncate "$D/pages/1" 1
check "truncate to a larger size is EPERM" "$FSPROBE" errno EPERM truncate "$D/chunks/4" $((CH + 1))
check "truncate to the same size succeeds" "$FSPROBE" errno 0 truncate "$D/chunks/4" 3000
check "fallocate (allocation) inside an entry succeeds" "$FSPROBE" errno 0 fallocate "$D/pages/1"

# Namespace operations are refused and nothing appears on disk.
before=$(ls -la "$T" | wc -l)
check "create is EPERM" "$FSPROBE" errno EPERM create "$D/pages/new"
check "create of a number past the end is EPERM" "$FSPROBE" errno EPERM create "$D/pages/99999"
check "mkdir is EPERM" "$FSPROBE" errno EPERM mkdir "$D/newdir"
check "mkdir in the root is EPERM" "$FSPROBE" errno EPERM mkdir "$M/newdir"
check "unlink is EPERM" "$FSPROBE" errno EPERM unlink "$D/pages/1"
check "rmdir is EPERM" "$FSPROBE" errno EPERM rmdir "$D/pages"
check "rename is EPERM" "$FSPROBE" errno EPERM rename "$D/pages/1" "$D/pages/2"
check "link is EPERM" "$FSPROBE" errno EPERM link "$D/pages/1" "$D/pages/x"
check "symlink is EPERM" "$FSPROBE" errno EPERM symlink "$D/pages/x"
check "mknod is EPERM" "$FSPROBE" errno EPERM mknod "$D/pages/x"
check "chmod is EPERM" "$FSPROBE" errno EPERM chmod "$D/pages/1"
check "chown is EPERM" "$FSPROBE" errno EPERM chown "$D/pages/1"
check "utimens on an entry sets its times" "$FSPROBE" errno 0 utimens "$D/pages/1"
check "utimens on the mount's root is EPERM" "$FSPROBE" errno EPERM utimens "$M"
check "opening a directory for writing is EISDIR" "$FSPROBE" errno EISDIR open_w "$D/pages"
eq "nothing was created next to the backing file" "$(ls -la "$T" | wc -l)" "$before"
check "the backing file is unchanged by refused operations" cmp -s "$T/data.bin" "$T/model"

# O_DIRECT reads and writes go through the mapping too.
dd if="$T/data.bin" of="$T/c3" bs=$CH skip=3 count=1 status=none
check "O_DIRECT read equals the range" sh -c "dd if='$D/chunks/3' iflag=direct bs=$CH status=none | cmp - '$T/c3'"
