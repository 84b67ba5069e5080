#!/bin/bash
# Benchmark of libmmapio and mmapfs, side by side with native I/O on the
# backing file and with libfuse's passthrough_ll example, in one run.
#
# On a fresh Debian machine, as root: installs what it needs with apt-get,
# builds an optimised build (build-bench-fs), compiles passthrough_ll from
# /usr/share/doc/libfuse3-dev/examples into it, prepares the data, runs every
# measurement, prints a table (figure, reference, ratio, target, result),
# writes it as TSV and draws a PNG with gnuplot.  It unmounts what it
# mounted on every exit, and nothing else.
#
# Usage: scripts/bench.sh [options]
#   -s, --size SIZE     data file, a multiple of 1M (default 1G); K, M, G, T
#                       suffixes
#   -r, --rounds N      rounds; every figure is the median (default 3);
#                       meta and scale run in the first round only
#   -d, --dir DIR       work directory, disk-backed (default /var/tmp)
#   -o, --out DIR       results: bench.tsv, bench-raw.tsv, bench.png
#                       (default BUILDDIR/tests/bench/bench-results)
#       --entries N     pages/ entries for the metadata test (default 262144)
#       --stats N       random stats (default 10000)
#       --big SIZE      sparse file of the scale test (default 1T)
#       --rand-ms MS    duration of each random I/O run (default 1000)
#       --syncs N       write+sync rounds per round (default 100)
#       --tree-pages N  pages of the entries test (default 4096)
#       --known N       entries the kernel holds for the memory figure
#                       (default 1048576)
#       --only LIST     run only these measurements (comma-separated):
#                       lib, read, write, rand, sync, tree, meta, known,
#                       scale
#       --smoke         seconds: tiny sizes, one round
# Environment: BENCH_BUILDDIR (build directory); BENCH_MMAPFS, BENCH_IO,
# BENCH_LIB (use these binaries: no installation, no build).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
builddir=${BENCH_BUILDDIR:-$root/build-bench-fs}
size=1G rounds=3 dir=/var/tmp out="" entries=262144 stats=10000 big=1T
rand_ms=1000 syncs=100 lib_args=() tree_pages=4096 known=1048576
only=lib,read,write,rand,sync,tree,meta,known,scale

die() {
	echo "bench: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case $1 in
	-s | --size) size=$2; shift ;;
	-r | --rounds) rounds=$2; shift ;;
	-d | --dir) dir=$2; shift ;;
	-o | --out) out=$2; shift ;;
	--entries) entries=$2; shift ;;
	--stats) stats=$2; shift ;;
	--big) big=$2; shift ;;
	--rand-ms) rand_ms=$2; shift ;;
	--syncs) syncs=$2; shift ;;
	--only) only=$2; shift ;;
	--tree-pages) tree_pages=$2; shift ;;
	--known) known=$2; shift ;;
	--smoke)
		size=8M rounds=1 entries=2048 stats=100 big=1G
		rand_ms=50 syncs=5 lib_args=(--quick) tree_pages=256 known=4096
		;;
	-h | --help)
		sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*) die "unknown option $1 (see --help)" ;;
	esac
	shift
done

bytes() { # SIZE with an optional K/M/G/T suffix, in bytes
	local n=${1%[KkMmGgTt]} s=1
	case $1 in
	*[Kk]) s=$((1 << 10)) ;;
	*[Mm]) s=$((1 << 20)) ;;
	*[Gg]) s=$((1 << 30)) ;;
	*[Tt]) s=$((1 << 40)) ;;
	esac
	[[ $n =~ ^[0-9]+$ ]] || die "bad size $1"
	echo $((n * s))
}
size_b=$(bytes "$size")
big_b=$(bytes "$big")
if [ "$size_b" -lt $((4 << 20)) ] || [ $((size_b % (1 << 20))) != 0 ]; then
	die "--size must be a multiple of 1M, at least 4M"
fi
[ "$(id -u)" = 0 ] || die "needs root (FUSE mounts, apt-get)"
[ -c /dev/fuse ] || die "needs /dev/fuse"

# --- setup: packages, build, passthrough_ll --------------------------------
install_packages() {
	local p missing=()
	for p in gcc libc6-dev meson ninja-build pkg-config libfuse3-dev fuse3 \
		gnuplot-nox util-linux; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "bench: installing ${missing[*]}" >&2
	apt-get update -q >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
}

build() {
	local opts=(-Dbuildtype=release -Db_ndebug=true -Dfuse=enabled
		-Dtests=disabled)
	if [ -d "$builddir/meson-private" ]; then
		meson configure "$builddir" "${opts[@]}" >/dev/null
	else
		meson setup "$builddir" "$root" "${opts[@]}" >/dev/null
	fi
	ninja -C "$builddir" src/fs/mmapfs tests/bench/bench_io \
		tests/bench/bench_lib >&2
}

# passthrough_ll DIR: compile libfuse's example into DIR; its path or "".
build_passthrough() {
	local ex=/usr/share/doc/libfuse3-dev/examples
	[ -r "$ex/passthrough_ll.c" ] || return 0
	# shellcheck disable=SC2046
	cc -O2 -w -I"$ex" "$ex/passthrough_ll.c" -o "$1/passthrough_ll" \
		$(pkg-config --cflags --libs fuse3) >&2 && echo "$1/passthrough_ll"
}

if [ -n "${BENCH_MMAPFS:-}" ]; then
	MMAPFS=$BENCH_MMAPFS IO=${BENCH_IO:?} LIB=${BENCH_LIB:?}
else
	install_packages
	build
	MMAPFS=$builddir/src/fs/mmapfs IO=$builddir/tests/bench/bench_io
	LIB=$builddir/tests/bench/bench_lib
fi
[ -n "$out" ] || out=$(dirname "$IO")/bench-results
mkdir -p "$out"

# --- mounts: fresh directories, each one tracked, all unmounted on exit -----
W=$(mktemp -d "$dir/mmapfs-bench.XXXXXX")
MOUNTS=() PIDS=()

. "$root/tests/fs/mounts.sh"

cleanup() {
	local m p left=0
	for m in "${MOUNTS[@]}"; do
		unmount_dir "$m" || true
	done
	for p in "${PIDS[@]}"; do
		wait_gone "$p" || true
	done
	for m in "${MOUNTS[@]}"; do
		is_mounted "$m" && left=1 && echo "bench: $m still mounted" >&2
	done
	# Never remove a tree that still holds a mount.
	[ $left = 0 ] && rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# fs_mount NAME CMD...: mount CMD (whose last argument is $W/mnt.NAME) and
# set MNT, MPID and MOUNT_NS.
fs_mount() {
	local name=$1 line
	shift
	MNT=$W/mnt.$name
	mkdir -p "$MNT"
	[[ " ${MOUNTS[*]} " == *" $MNT "* ]] || MOUNTS+=("$MNT")
	if ! line=$("$IO" mount "$MNT" 10000 "$W/log.$name" "$@"); then
		[ -n "$line" ] && PIDS+=("${line%% *}")
		sed 's/^/    /' "$W/log.$name" >&2
		die "mount of $name failed"
	fi
	MPID=${line%% *} MOUNT_NS=${line#* }
	PIDS+=("$MPID")
}

fs_umount() {
	unmount_dir "$MNT"
	wait_gone "$MPID" || echo "bench: daemon $MPID had to be killed" >&2
}

mount_mmapfs() { # NAME SOURCE [options]
	local name=$1 src=$2
	shift 2
	fs_mount "$name" "$MMAPFS" -f "$@" "$src" "$W/mnt.$name"
}

mount_passthrough() { # NAME SOURCE_DIR
	fs_mount "$1" "$PT" -f -o "source=$2" "$W/mnt.$1"
}

# --- raw results: KEY ROUND VALUE --------------------------------------------
RAW=$out/bench-raw.tsv
printf 'key\tround\tvalue\n' >"$RAW"
ROUND=0
rec() { printf '%s\t%s\t%s\n' "$1" "$ROUND" "$2" >>"$RAW"; }

# MiB/s from "bytes ns" or "ops ns" (then ops/s in units of 4 KiB... kept
# as MiB/s with the block size given).
rate() { awk -v b="$2" '{ printf "%.1f", $1 * b / ($2 / 1e9) / 1048576 }' \
	<<<"$1"; }
ms_now() { date +%s%N; }

log() { printf 'bench: %s\n' "$*" >&2; }

# --- the data ----------------------------------------------------------------
PAGE=$(getconf PAGESIZE)
CHUNK=$((1 << 20))
nchunks=$((size_b / CHUNK))
npages=$((size_b / PAGE))
mkdir -p "$W/src" "$W/meta" "$W/native" "$W/big" "$W/tree" "$W/known"
DATA=$W/src/data
log "preparing data in $W"
truncate -s "$size_b" "$DATA"
"$IO" seq write $CHUNK "$DATA" >/dev/null
truncate -s $((entries * PAGE)) "$W/meta/meta"
[[ ",$only," != *",meta,"* ]] || "$IO" mkfiles "$W/native" "$entries"
truncate -s "$big_b" "$W/big/huge"
if [[ ",$only," == *",tree,"* ]]; then
	# The same bytes as entries and as native files: pages of a small
	# file, and the data file's 1 MiB chunks.
	mkdir -p "$W/npages" "$W/nchunks"
	truncate -s $((tree_pages * PAGE)) "$W/tree/pg"
	"$IO" seq write $CHUNK "$W/tree/pg" >/dev/null
	"$IO" mkfiles "$W/npages" "$tree_pages" "$W/tree/pg" "$PAGE"
	"$IO" mkfiles "$W/nchunks" "$nchunks" "$DATA" "$CHUNK"
fi
truncate -s $((known * PAGE)) "$W/known/k"
warm() { cat "$DATA" >/dev/null; }
warm

PT=""
PT=$(build_passthrough "$(dirname "$IO")") || PT=""
[ -n "$PT" ] || log "passthrough_ll not available: its rows are left out"

# --- measurements --------------------------------------------------------------
BLOCKS="4096 131072 1048576"
# Sequential writes at 4 KiB are one synchronous request per call through
# the mount (no write-back cache): tens of seconds per GiB; left out.
WBLOCKS="131072 1048576"

run_library() {
	log "library (bench_lib)"
	"$LIB" -s "$size" "${lib_args[@]}" -o "$W/lib.tsv" >"$W/lib.out"
}

# seq_read: native, mmapfs cold then warm, passthrough_ll cold then warm,
# for each block size; the order of the contenders alternates with the round.
seq_read() {
	local bs=$1 c order="native mmapfs pt"
	[ $((ROUND % 2)) = 1 ] && order="pt mmapfs native"
	for c in $order; do
		case $c in
		native)
			rec "read.$bs.native" "$(rate "$("$IO" seq read "$bs" "$DATA")" 1)"
			;;
		mmapfs)
			mount_mmapfs sr "$DATA"
			local d=$MNT/data/chunks
			rec "read.$bs.mmapfs_cold" "$(rate "$("$IO" seq read "$bs" "$d" "$nchunks")" 1)"
			rec "read.$bs.mmapfs_warm" "$(rate "$("$IO" seq read "$bs" "$d" "$nchunks")" 1)"
			fs_umount
			;;
		pt)
			[ -n "$PT" ] || continue
			mount_passthrough pr "$W/src"
			rec "read.$bs.pt_cold" "$(rate "$("$IO" seq read "$bs" "$MNT/data")" 1)"
			rec "read.$bs.pt_warm" "$(rate "$("$IO" seq read "$bs" "$MNT/data")" 1)"
			fs_umount
			;;
		esac
	done
}

seq_write() {
	local bs=$1 c order="native mmapfs pt"
	[ $((ROUND % 2)) = 1 ] && order="pt mmapfs native"
	for c in $order; do
		case $c in
		native)
			rec "write.$bs.native" "$(rate "$("$IO" seq write "$bs" "$DATA")" 1)"
			;;
		mmapfs)
			mount_mmapfs sw "$DATA"
			rec "write.$bs.mmapfs" "$(rate "$("$IO" seq write "$bs" "$MNT/data/chunks" "$nchunks")" 1)"
			fs_umount
			;;
		pt)
			[ -n "$PT" ] || continue
			mount_passthrough pw "$W/src"
			rec "write.$bs.pt" "$(rate "$("$IO" seq write "$bs" "$MNT/data")" 1)"
			fs_umount
			;;
		esac
	done
}

# Random 4 KiB: backing file (descriptor kept open), chunks/* (all entries
# kept open), pages/* (open, pread/pwrite, close per call, as `cat pages/N`).
random_io() {
	local op t
	mount_mmapfs rn "$DATA"
	for op in read write; do
		for t in 1 4; do
			rec "rand$op.t$t.native" "$(rate "$("$IO" rand $op $t "$rand_ms" 4096 "$DATA")" 4096)"
			rec "rand$op.t$t.chunks" "$(rate "$("$IO" rand $op $t "$rand_ms" 4096 "$MNT/data/chunks" "$nchunks")" 4096)"
			rec "rand$op.t$t.pages" "$(rate "$("$IO" rand $op $t "$rand_ms" 4096 "$MNT/data/pages" "$npages" reopen)" 4096)"
		done
	done
	fs_umount
}

# write + fsync of one page through the mount, store + msync of one page of
# a direct mapping, pwrite + fdatasync on the backing file (three different
# pages of the same disk-backed file), interleaved call by call.
sync_latency() {
	local r
	mount_mmapfs sy "$DATA"
	r=$("$IO" sync "$MNT/data/pages/0" "$DATA" "$PAGE" $((2 * PAGE)) "$syncs")
	read -r a b c <<<"$r"
	rec sync.mmapfs "$(awk -v v="$a" 'BEGIN { printf "%.1f", v / 1000 }')"
	rec sync.msync "$(awk -v v="$b" 'BEGIN { printf "%.1f", v / 1000 }')"
	rec sync.fdatasync "$(awk -v v="$c" 'BEGIN { printf "%.1f", v / 1000 }')"
	fs_umount
}

# ms of one `ls -l DIR`.
ls_ms() {
	local t0
	t0=$(ms_now)
	ls -l "$1" >/dev/null
	echo $((($(ms_now) - t0) / 1000000))
}

# ls -l of ENTRIES names and stat of STATS random ones: pages/ of a fresh
# mount (nothing cached) vs a native directory of as many empty files;
# then ls -l of both again (the second time).
metadata() {
	local r
	mount_mmapfs md "$W/meta/meta"
	r=$("$IO" stat "$MNT/meta/pages" "$entries" "$stats")
	rec stat.mmapfs "$(awk '{ printf "%.1f", $2 / 1e6 }' <<<"$r")"
	r=$("$IO" stat "$W/native" "$entries" "$stats")
	rec stat.native "$(awk '{ printf "%.1f", $2 / 1e6 }' <<<"$r")"
	fs_umount
	mount_mmapfs md "$W/meta/meta"
	rec ls.mmapfs "$(ls_ms "$MNT/meta/pages")"
	rec ls.native "$(ls_ms "$W/native")"
	rec ls2.mmapfs "$(ls_ms "$MNT/meta/pages")"
	rec ls2.native "$(ls_ms "$W/native")"
	r=$("$IO" stat "$MNT/meta/pages" "$entries" "$stats")
	rec stat2.mmapfs "$(awk '{ printf "%.1f", $2 / 1e6 }' <<<"$r")"
	r=$("$IO" stat "$W/native" "$entries" "$stats")
	rec stat2.native "$(awk '{ printf "%.1f", $2 / 1e6 }' <<<"$r")"
	fs_umount
}

# seq read of COUNT entries of DIR (or of one file, COUNT empty) in 128 KiB
# calls, as `cat` does: MiB/s.
cat_rate() { rate "$("$IO" seq read 131072 "$@")" 1; }

# A tree of entries against the same bytes as native files, and large
# entries against the backing file: warm passes of `cat pages/*` and `cat
# chunks/*` (2nd and 3rd pass of one mount: the 2nd pays a GETATTR per
# entry READ in the 1st, see README), a cold pass of chunks/* against the
# file mounted as one entry, O_DIRECT reads of chunks/*, and random 4 KiB
# preads of open chunks once they are cached.
tree() {
	local d c order="native mmapfs"
	[ $((ROUND % 2)) = 1 ] && order="mmapfs native"
	for c in $order; do
		case $c in
		native)
			cat_rate "$W/npages" "$tree_pages" >/dev/null
			rec tree.pages.native "$(cat_rate "$W/npages" "$tree_pages")"
			cat_rate "$W/nchunks" "$nchunks" >/dev/null
			rec tree.chunks.native "$(cat_rate "$W/nchunks" "$nchunks")"
			rec tree.chunks.backing "$(cat_rate "$DATA")"
			rec tree.direct.buffered "$(rate "$("$IO" seq read $CHUNK "$DATA")" 1)"
			rec tree.rand.native "$(rate "$("$IO" rand read 1 "$rand_ms" 4096 "$DATA")" 4096)"
			;;
		mmapfs)
			mount_mmapfs tp "$W/tree/pg"
			d=$MNT/pg/pages
			cat_rate "$d" "$tree_pages" >/dev/null
			rec tree.pages.mmapfs2 "$(cat_rate "$d" "$tree_pages")"
			rec tree.pages.mmapfs "$(cat_rate "$d" "$tree_pages")"
			fs_umount
			mount_mmapfs tc "$DATA"
			d=$MNT/data/chunks
			rec tree.cold.chunks "$(cat_rate "$d" "$nchunks")"
			rec tree.chunks.mmapfs2 "$(cat_rate "$d" "$nchunks")"
			rec tree.chunks.mmapfs "$(cat_rate "$d" "$nchunks")"
			rec tree.rand.chunks "$(rate "$("$IO" rand read 1 "$rand_ms" 4096 "$d" "$nchunks")" 4096)"
			rec tree.direct.chunks "$(rate "$("$IO" seq read $CHUNK "$d" "$nchunks" direct)" 1)"
			fs_umount
			mount_mmapfs t1 "$DATA" -o chunk_size="$size"
			rec tree.cold.one "$(cat_rate "$MNT/data/chunks/0")"
			fs_umount
			;;
		esac
	done
}

# The daemon's resident memory once the kernel holds KNOWN entries (ls -l
# of pages/ of a sparse file: READDIRPLUS hands the kernel every entry).
known_entries() {
	local before
	mount_mmapfs kn "$W/known/k"
	before=$(awk '/^VmRSS:/ { print $2 }' "/proc/$MPID/status")
	ls -l "$MNT/k/pages" >/dev/null
	rec known.rss "$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$MPID/status")"
	rec known.per_entry "$(awk -v b="$before" -v n="$known" \
		'/^VmRSS:/ { printf "%.0f", ($2 - b) * 1024 / n }' "/proc/$MPID/status")"
	fs_umount
}

hwm() { awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# Sparse BIG file: mount time, daemon VmHWM after mounting, after
# `ls -U pages | head` (unsorted: a sorted ls reads every name before
# printing one), after stat of the last page.
scale() {
	local last=$(((big_b + PAGE - 1) / PAGE - 1))
	mount_mmapfs bg "$W/big/huge"
	rec scale.mount_ms "$(awk -v v="$MOUNT_NS" 'BEGIN { printf "%.1f", v / 1e6 }')"
	rec scale.hwm_mount "$(hwm "$MPID")"
	(ls -U "$MNT/huge/pages" || true) | head >/dev/null
	rec scale.hwm_ls "$(hwm "$MPID")"
	stat "$MNT/huge/pages/$last" >/dev/null
	rec scale.hwm_stat "$(hwm "$MPID")"
	fs_umount
}

want() { [[ ",$only," == *",$1,"* ]]; }

if want lib; then
	run_library
else
	: >"$W/lib.tsv"
fi
for ROUND in $(seq 1 "$rounds"); do
	log "round $ROUND of $rounds"
	warm
	if want read; then
		for bs in $BLOCKS; do
			seq_read "$bs"
		done
	fi
	if want write; then
		for bs in $WBLOCKS; do
			seq_write "$bs"
		done
		sync "$DATA" # no write-back of those writes during what follows
		warm
	fi
	if want rand; then random_io; fi
	if want tree; then tree; fi
	if want sync; then sync_latency; fi
	# Minutes of listing and a 1 TiB mount vary little between rounds:
	# measured once, so that the default run stays within a few minutes.
	if [ "$ROUND" -eq 1 ]; then
		if want meta; then metadata; fi
		if want known; then known_entries; fi
		if want scale; then scale; fi
	fi
done

# --- summary -------------------------------------------------------------------
# Spec: figure, block, contender key, reference key, reference name, unit,
# kind (hi: throughput, ratio = contender / reference, target >=; lo: time,
# ratio = contender / reference, target <=; abs: the value itself < target).
spec() {
	local bs
	for bs in $BLOCKS; do
		echo "seq read cold|$bs|read.$bs.mmapfs_cold|read.$bs.native|native read|MiB/s|hi|0.3"
		echo "seq read cold vs peer|$bs|read.$bs.mmapfs_cold|read.$bs.pt_cold|passthrough_ll cold|MiB/s|hi|10"
		echo "seq read warm|$bs|read.$bs.mmapfs_warm|read.$bs.native|native read|MiB/s|hi|0.5"
		echo "seq read warm vs peer|$bs|read.$bs.mmapfs_warm|read.$bs.pt_warm|passthrough_ll warm|MiB/s|hi|-"
	done
	for bs in $WBLOCKS; do
		echo "seq write|$bs|write.$bs.mmapfs|write.$bs.native|native write|MiB/s|hi|0.25"
		echo "seq write vs peer|$bs|write.$bs.mmapfs|write.$bs.pt|passthrough_ll|MiB/s|hi|-"
	done
	for op in read write; do
		for t in 1 4; do
			echo "rand $op chunks ${t}T|4096|rand$op.t$t.chunks|rand$op.t$t.native|native p$op|MiB/s|hi|-"
			echo "rand $op pages ${t}T|4096|rand$op.t$t.pages|rand$op.t$t.native|native p$op|MiB/s|hi|-"
		done
	done
	echo "write+fsync 1 page|4096|sync.mmapfs|sync.msync|direct msync|us|lo|1.5"
	echo "write+fsync 1 page|4096|sync.mmapfs|sync.fdatasync|pwrite+fdatasync|us|lo|-"
	echo "warm cat pages/* ($tree_pages, 2nd pass)|4096|tree.pages.mmapfs2|tree.pages.native|native files|MiB/s|hi|0.9"
	echo "warm cat pages/* ($tree_pages, 3rd pass)|4096|tree.pages.mmapfs|tree.pages.native|native files|MiB/s|hi|0.9"
	echo "warm cat chunks/* (2nd pass)|1048576|tree.chunks.mmapfs2|tree.chunks.native|native files|MiB/s|hi|0.9"
	echo "warm cat chunks/* (3rd pass)|1048576|tree.chunks.mmapfs|tree.chunks.native|native files|MiB/s|hi|0.9"
	echo "warm cat chunks/* (3rd pass)|1048576|tree.chunks.mmapfs|tree.chunks.backing|cat backing file|MiB/s|hi|-"
	echo "cold cat chunks/*|1048576|tree.cold.chunks|tree.cold.one|one entry, cold|MiB/s|hi|0.7"
	echo "O_DIRECT read chunks/*|1048576|tree.direct.chunks|tree.direct.buffered|buffered backing|MiB/s|hi|0.5"
	echo "rand read open chunks, warm|4096|tree.rand.chunks|tree.rand.native|native pread|MiB/s|hi|0.5"
	echo "stat $stats random, fresh mount|-|stat.mmapfs|stat.native|native files|ms|lo|2"
	echo "stat $stats random, after ls -l|-|stat2.mmapfs|stat2.native|native files|ms|lo|2"
	echo "ls -l $entries, fresh mount|-|ls.mmapfs|ls.native|native files|ms|lo|4"
	echo "ls -l $entries, second time|-|ls2.mmapfs|ls2.native|native files|ms|lo|2"
	echo "daemon RSS, $known entries held|-|known.rss|-|-|MiB|abs|-"
	echo "daemon RSS per entry held|-|known.per_entry|-|-|bytes|abs|-"
	echo "scale $big mount time|-|scale.mount_ms|-|-|ms|abs|100"
	echo "scale $big VmHWM mounted|-|scale.hwm_mount|-|-|MiB|abs|16"
	echo "scale $big VmHWM after ls -U pages, head|-|scale.hwm_ls|-|-|MiB|abs|16"
	echo "scale $big VmHWM stat last|-|scale.hwm_stat|-|-|MiB|abs|16"
}

TSV=$out/bench.tsv
{
	spec
	echo "--lib--"
	cat "$W/lib.tsv"
} | awk -F'\t' -v raw="$RAW" -v tsv="$TSV" -v blocks="$BLOCKS" -v wblocks="$WBLOCKS" -v plot="$out/bench-plot.dat" \
	-f "$root/scripts/bench/summary.awk"
log "results: $TSV (raw: $RAW)"

if command -v gnuplot >/dev/null 2>&1; then
	gnuplot -e "datafile='$out/bench-plot.dat'; outfile='$out/bench.png'" \
		"$root/scripts/bench/plot.gp" && log "plot: $out/bench.png"
else
	log "gnuplot not installed: no plot"
fi
