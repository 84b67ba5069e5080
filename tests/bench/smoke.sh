#!/bin/bash
# Smoke run of scripts/bench.sh: tiny sizes, one round, seconds.  Checks
# that it runs, prints its table and leaves no mount behind; never checks
# a timing.  Needs root and /dev/fuse (exit 77 otherwise).
# Usage: smoke.sh SOURCE_ROOT (BENCH_MMAPFS, BENCH_IO, BENCH_LIB set).
set -u
root=$1
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -c /dev/fuse ] || { echo "SKIP: needs /dev/fuse"; exit 77; }
command -v fusermount3 >/dev/null 2>&1 || { echo "SKIP: needs fusermount3"; exit 77; }

T=$(mktemp -d /tmp/mmapfs-bench-smoke.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

bash "$root/scripts/bench.sh" --smoke -d "$T" -o "$T/out" >"$T/stdout" 2>"$T/stderr"
rc=$?
cat "$T/stdout"
[ $rc = 0 ] || { fail "bench.sh exited $rc"; sed 's/^/    /' "$T/stderr" >&2; }
for fig in "^figure" "^library read" "^seq read cold" "^seq read warm" \
	"^seq write" "^rand read chunks" "^rand write pages" \
	"^write+fsync 1 page" "^stat " "^ls -l " "^scale .* mount time" \
	"^targets: "; do
	grep -q -- "$fig" "$T/stdout" || fail "no row matching '$fig'"
done
[ -s "$T/out/bench.tsv" ] || fail "no bench.tsv"
if awk -v t="$T/" 'index($5, t) == 1 { f = 1 } END { exit !f }' /proc/self/mountinfo; then
	fail "a mount under $T is left"
	# the smoke test's own mounts only
	awk -v t="$T/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo |
		while read -r m; do fusermount3 -u "$m" || umount -l "$m"; done
fi
for d in "$T"/mmapfs-bench.*; do
	[ -e "$d" ] && fail "work directory $d not removed"
done
[ $fails = 0 ] || exit 1
echo "smoke: ok"
