# t_coherence.sh - read-after-write coherence between aliased entries
# (pages/3 lies inside chunks/0), through descriptors opened before the
# write and through mmap(); concurrent overlapping writers finish.
. "$(dirname "$0")/lib.sh"

CH=65536
gen "$T/data.bin" $((8 * CH))

run_suite() {
	D=$1
	P3=$((3 * PAGE))
	check "$2: write page, read chunk (fd and mmap)" "$FSPROBE" alias "$D/pages/3" 100 "$D/chunks/0" $((P3 + 100)) 200
	check "$2: whole page vs chunk" "$FSPROBE" alias "$D/pages/3" 0 "$D/chunks/0" "$P3" "$PAGE"
	check "$2: one chunk write across pages 2-6, each page sees it" "$FSPROBE" span "$D/chunks/0" $((2 * PAGE)) "$D/pages" 2 5
	check "$2: one chunk write across 16 pages" "$FSPROBE" span "$D/chunks/1" 0 "$D/pages" $((CH / PAGE)) 16
	check "$2: page vs page of another chunk" "$FSPROBE" alias "$D/pages/$((CH / PAGE + 1))" 5 "$D/chunks/1" $((PAGE + 5)) 1000
	check "$2: store through mmap of a page, read the chunk" "$FSPROBE" mmapwrite "$D/pages/17" 0 "$D/chunks/1" $((17 * PAGE - CH)) "$PAGE"
	check "$2: store through mmap of a chunk, read the page" "$FSPROBE" mmapwrite "$D/chunks/2" $((PAGE + 40)) "$D/pages/$((2 * CH / PAGE + 1))" 40 100
	check "$2: concurrent overlapping writers finish" timeout 120 "$FSPROBE" race "$D/chunks/0" "$P3" "$D/pages/3" 0 "$PAGE" 3000
	check "$2: concurrent writers, partial overlap" timeout 120 "$FSPROBE" race "$D/chunks/0" $((P3 - 100)) "$D/pages/3" 50 1000 3000
	check "$2: after the race, pages/3 and its range of chunks/0 agree" cmp -s "$D/pages/3" <(dd if="$D/chunks/0" bs="$PAGE" skip=3 count=1 status=none)
	check "$2: stress, 4 threads writing through random aliases, every read checked" timeout 200 "$FSPROBE" stress "$D" 8 $((CH / PAGE)) 4 1500
}

M="$T/mnt"
mount_fs "$M" -o chunk_size=64K "$T/data.bin" || exit 1
run_suite "$M/data.bin" "multi-threaded"
check "writes reached the backing file" sh -c "head -c $CH '$T/data.bin' | cmp -s - '$M/data.bin/chunks/0'"
umount_fs "$M" "$PID"
sum_before=$(sha256sum <"$T/data.bin")

M2="$T/mnt2"
mount_fs "$M2" -o chunk_size=64K,cow "$T/data.bin" || exit 1
run_suite "$M2/data.bin" "cow"
umount_fs "$M2" "$PID"
eq "cow: the backing file was never written" "$(sha256sum <"$T/data.bin")" "$sum_before"

# The single-threaded loop hands invalidations to a helper thread (so no
# request waits for another): concurrent writers must still finish.
M3="$T/mnt3"
mount_fs "$M3" -s -o chunk_size=64K "$T/data.bin" || exit 1
check "single-threaded: concurrent overlapping writers finish" timeout 120 "$FSPROBE" race "$M3/data.bin/chunks/0" $((3 * PAGE)) "$M3/data.bin/pages/3" 0 "$PAGE" 2000
umount_fs "$M3" "$PID"

# Entries keep their page cache between opens while it is current
# (coherence.c, rule 1); what makes it stale is dropped at the next open.
gen "$T/kc.bin" $((4 * CH))
M4="$T/mnt4"
K="$M4/kc.bin"
mount_fs "$M4" -o chunk_size=64K "$T/kc.bin" || exit 1
cat "$K/chunks/1" >/dev/null
eq "a closed entry keeps its pages for the next open (fincore)" \
	"$(fincore --bytes --noheadings --output RES "$K/chunks/1" | tr -d ' ')" "$CH"
cat "$K/chunks/0" >/dev/null
printf 'ALIASWRITE' | dd of="$K/pages/2" conv=notrunc status=none
eq "a closed entry written through an alias reads the write at its next open" \
	"$(dd if="$K/chunks/0" bs=1 skip=$((2 * PAGE)) count=10 status=none)" ALIASWRITE
cat "$K/chunks/2" >/dev/null
printf 'OUTSIDEW' | dd of="$T/kc.bin" bs=1 seek=$((2 * CH + 7)) conv=notrunc status=none
eq "write(2) to the backing file by another process: seen at the next open" \
	"$(dd if="$K/chunks/2" bs=1 skip=7 count=8 status=none)" OUTSIDEW
umount_fs "$M4" "$PID"

# Only 1 entry of the mount remembered: the others are forgotten, and a
# forgotten entry is dropped when it comes back.
mount_fs "$M4" -o chunk_size=64K,cache_entries=1 "$T/kc.bin" || exit 1
for i in 0 1 2 3; do cat "$K/pages/$i" >/dev/null; done
for i in 0 1 2 3; do
	printf 'FORGOTTEN%d' "$i" | dd of="$K/chunks/0" bs=1 seek=$((i * PAGE)) conv=notrunc status=none
done
for i in 0 1 2 3; do
	eq "cache_entries=1: pages/$i reads the write through chunks/0" "$(head -c 10 "$K/pages/$i")" "FORGOTTEN$i"
done
umount_fs "$M4" "$PID"

# The bound is the mount's, not each file's: entries of another file,
# opened and closed, make the files forget in turn, so a cached entry of
# this one is forgotten too and its pages are dropped at its next open.
gen "$T/kc2.bin" $((4 * CH))
mount_fs "$M4" -o chunk_size=64K,cache_entries=1 "$T/kc.bin" "$T/kc2.bin" || exit 1
cat "$K/chunks/1" >/dev/null
eq "cache_entries=1: an entry alone in the mount keeps its pages (fincore)" \
	"$(fincore --bytes --noheadings --output RES "$K/chunks/1" | tr -d ' ')" "$CH"
for i in 0 1 2 3; do cat "$M4/kc2.bin/chunks/$i" >/dev/null; done
eq "cache_entries=1: after entries of another file, it is forgotten (fincore)" \
	"$(fincore --bytes --noheadings --output RES "$K/chunks/1" | tr -d ' ')" 0
umount_fs "$M4" "$PID"

# Stores through another process's mapping raise no inotify event:
# -o cache=open rereads at every open.
mount_fs "$M4" -o chunk_size=64K,cache=open "$T/kc.bin" || exit 1
cat "$K/chunks/3" >/dev/null
python3 -c "
import mmap, sys
with open(sys.argv[1], 'r+b') as f:
    m = mmap.mmap(f.fileno(), 0)
    m[int(sys.argv[2]):int(sys.argv[2]) + 8] = b'MMAPSTOR'
    m.flush()
    m.close()
" "$T/kc.bin" $((3 * CH + 5))
eq "cache=open: a store through another process's mapping is seen at the next open" \
	"$(dd if="$K/chunks/3" bs=1 skip=5 count=8 status=none)" MMAPSTOR
umount_fs "$M4" "$PID"

# Two names of one file (a hard link in a source directory).
mkdir -p "$T/hl"
gen "$T/hl/a" "$CH"
ln "$T/hl/a" "$T/hl/b"
mount_fs "$M4" -o chunk_size=64K "$T/hl" || exit 1
cat "$M4/hl/b/chunks/0" >/dev/null
printf 'HARDLINK' | dd of="$M4/hl/a/pages/0" conv=notrunc status=none
eq "a write through one name of a hard-linked file is seen through the other at its next open" \
	"$(head -c 8 "$M4/hl/b/chunks/0")" HARDLINK
umount_fs "$M4" "$PID"

# A write's own pages (coherence.c, rule 8): the kernel copies a write into
# the writer's page before it sends the WRITE.  With every WRITE held
# 400 ms by the test daemon (its hook, testhooks.h), the probe drops that
# page and reads it back from the mapping in between; once the write
# returned, the writer must read what it wrote.  Whole pages are dropped
# before the reply; a partly written last page is looked at
# (FUSE_NOTIFY_RETRIEVE).
MD="$T/mnt.delay"
[ -x "${MMAPFS_TESTD:-}" ] || { fail "MMAPFS_TESTD (the test daemon, mmapfs-test) not set"; exit 1; }
MMAPFS=$MMAPFS_TESTD MMAPFS_TEST_WRITE_DELAY_MS=400 mount_fs "$MD" -o chunk_size=64K "$T/data.bin" || exit 1
grep -q "test hook: each WRITE is held 400 ms" "$LOG" || fail "the test daemon did not take its WRITE delay"
check "own page dropped and read back during the write: whole pages" \
	timeout 60 "$FSPROBE" ownrace "$MD/data.bin/chunks/0" "$T/data.bin" "$PAGE" $((2 * PAGE)) 400
check "own page dropped and read back during the write: inside one page" \
	timeout 60 "$FSPROBE" ownrace "$MD/data.bin/chunks/0" "$T/data.bin" $((2 * PAGE + 100)) 50 400
check "own page dropped and read back during the write: across two pages, both partial" \
	timeout 60 "$FSPROBE" ownrace "$MD/data.bin/chunks/1" "$T/data.bin" $((PAGE + 100)) "$PAGE" 400
check "own page dropped and read back during the write: through pages/N" \
	timeout 60 "$FSPROBE" ownrace "$MD/data.bin/pages/5" "$T/data.bin" 10 100 400
umount_fs "$MD" "$PID"
