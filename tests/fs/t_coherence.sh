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

# cache=keep: the kernel opens entries itself and keeps their pages; the
# daemon drops the pages of every entry the kernel holds when a change
# happens (coherence.c, rules 1 and 7).  A getxattr through the mount is
# the barrier for changes from outside: it returns once every change
# inotify reported before it has been applied.
gen "$T/kc.bin" $((4 * CH))
M4="$T/mnt4"
K="$M4/kc.bin"
fin() { fincore --bytes --noheadings --output RES "$1" | tr -d ' '; }
barrier() { getfattr --absolute-names -n user.mmapfs.source "$1" >/dev/null; }
mount_fs "$M4" -o chunk_size=64K "$T/kc.bin" || exit 1
cat "$K/chunks/1" >/dev/null
eq "a closed entry keeps its pages for the next open (fincore)" "$(fin "$K/chunks/1")" "$CH"
cat "$K/chunks/0" >/dev/null
printf 'ALIASWRITE' | dd of="$K/pages/2" conv=notrunc status=none
eq "a write through an alias drops the closed entry's pages before it returns" "$(fin "$K/chunks/0")" 0
eq "a closed entry written through an alias reads the write at its next open" \
	"$(dd if="$K/chunks/0" bs=1 skip=$((2 * PAGE)) count=10 status=none)" ALIASWRITE
eq "the aliases it does not overlap keep their pages" "$(fin "$K/chunks/1")" "$CH"
cat "$K/chunks/2" >/dev/null
printf 'OUTSIDEW' | dd of="$T/kc.bin" bs=1 seek=$((2 * CH + 7)) conv=notrunc status=none
barrier "$K"
eq "write(2) by another process: the file's entries lose their pages by the barrier" "$(fin "$K/chunks/2")" 0
eq "write(2) by another process: seen after the barrier" \
	"$(dd if="$K/chunks/2" bs=1 skip=7 count=8 status=none)" OUTSIDEW
# An open descriptor, and a mapping, see it too: no reopen needed.
check "write(2) by another process: an open descriptor and a mapping see it after the barrier" \
	"$FSPROBE" outside "$K/chunks/3" "$T/kc.bin" $((3 * CH)) 100 "$K"
# The kernel forgets inodes under memory pressure; a forgotten entry has
# no pages, and one looked up again starts afresh.
cat "$K/pages/20" >/dev/null
echo 2 >/proc/sys/vm/drop_caches
printf 'AFTERFORGET' | dd of="$K/chunks/1" bs=1 seek=$((20 * PAGE - CH)) conv=notrunc status=none
eq "an entry the kernel forgot reads a write made while it was forgotten" \
	"$(head -c 11 "$K/pages/20")" AFTERFORGET
umount_fs "$M4" "$PID"

# Times: an entry the kernel holds with no pages (named by ls -l) loses
# its cached attributes when a write through an alias changes its bytes,
# so its mtime follows at once, not when the hour of attribute caching
# ends (coherence.c, rule 2).
touch -d 2000-01-01 "$T/kc.bin"
mount_fs "$M4" -o chunk_size=64K "$T/kc.bin" || exit 1
ls -l "$K/pages" >/dev/null
eq "ls -l: pages/3 shows the backing file's time" "$(stat -c %Y "$K/pages/3")" "$(stat -c %Y "$T/kc.bin")"
printf 'TIMES' | dd of="$K/chunks/0" bs=1 seek=$((3 * PAGE)) conv=notrunc status=none
check "the write moved the backing file's time" test "$(stat -c %Y "$T/kc.bin")" -gt 946684800
eq "a held alias with no pages shows the new time after a write through another entry" \
	"$(stat -c %Y "$K/pages/3")" "$(stat -c %Y "$T/kc.bin")"
umount_fs "$M4" "$PID"

# ls -l asks every file for ACLs and security labels: a namespace the
# mount does not have is EOPNOTSUPP, which coreutils remembers per
# filesystem, never ENODATA, which it asks again for every entry.
mount_fs "$M4" -o chunk_size=64K "$T/kc.bin" || exit 1
check "getxattr of system.posix_acl_access is EOPNOTSUPP" "$FSPROBE" errno EOPNOTSUPP getxattr "$K/pages/1" system.posix_acl_access
check "getxattr of security.selinux is EOPNOTSUPP" "$FSPROBE" errno EOPNOTSUPP getxattr "$K/pages/1" security.selinux
check "getxattr of an unknown user. name is ENODATA" "$FSPROBE" errno ENODATA getxattr "$K/pages/1" user.other
umount_fs "$M4" "$PID"

# Stores through another process's mapping raise no inotify event:
# -o cache=open rereads at every open.
mount_fs "$M4" -o chunk_size=64K,cache=open "$T/kc.bin" || exit 1
cat "$K/chunks/3" >/dev/null
"$FSPROBE" mstore "$T/kc.bin" $((3 * CH + 5)) MMAPSTOR || fail "store through a mapping"
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
barrier "$M4/hl/b"
eq "a write through one name of a hard-linked file is seen through the other (after the barrier)" \
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
# Built unless -Dtest_daemon=false; without it the checks above stand and
# this part is skipped.
[ -x "${MMAPFS_TESTD:-}" ] || skip "no test daemon (mmapfs-test; -Dtest_daemon=false): the own-page race is not provoked"
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
