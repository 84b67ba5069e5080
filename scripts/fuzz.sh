#!/bin/sh
# Build the libFuzzer targets (tests/fuzz) with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer, and run each for a bounded time.  The corpus
# each run grows is kept in the build directory for the next run; a
# crashing input is written there too (crash-*), and the script fails.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
# Environment: FUZZ_BUILDDIR (default build-fuzz).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
builddir=${FUZZ_BUILDDIR:-$root/build-fuzz}
secs=${1:-60}
case $secs in
'' | *[!0-9]*)
	echo "fuzz: bad duration '$secs'" >&2
	exit 2
	;;
esac

command -v clang >/dev/null 2>&1 || { echo "fuzz: clang is missing" >&2; exit 1; }
if [ ! -f "$builddir/build.ninja" ]; then
	CC=clang meson setup "$builddir" "$root" -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null ||
		{ echo "fuzz: setup failed (libclang-rt-14-dev installed?)" >&2; exit 1; }
fi
ninja -C "$builddir" >/dev/null || { echo "fuzz: build failed" >&2; exit 1; }

status=0
out="$builddir/tests/fuzz"
for t in name opts; do
	corpus="$out/corpus-$t"
	mkdir -p "$corpus"
	echo "=== fuzz_$t: $secs s"
	# Parser messages (stderr) are noise here; libFuzzer's own report
	# goes to stderr as well, so it is kept in a log.
	"$out/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -dict="$root/tests/fuzz/$t.dict" \
		-artifact_prefix="$out/" "$corpus" >"$out/fuzz_$t.log" 2>&1
	rc=$?
	grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done)' "$out/fuzz_$t.log"
	if [ $rc -ne 0 ]; then
		echo "fuzz_$t FAILED (exit $rc); see $out/fuzz_$t.log:"
		grep -E 'ERROR|SUMMARY|Test unit written' "$out/fuzz_$t.log"
		status=1
	else
		echo "fuzz_$t: no crash, leak or mismatch; corpus $(ls "$corpus" | wc -l) inputs"
	fi
done
exit $status
