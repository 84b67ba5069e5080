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
	check "$2: the mount still answers after the race" cmp -s "$D/pages/3" "$D/pages/3"
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
