#!/bin/sh
# Run every test suite: unit, fs, hardening, style, install and the
# benchmark smoke runs in a plain build; the unit suite again under
# valgrind; unit, fs and hardening again with AddressSanitizer and
# UndefinedBehaviorSanitizer; the libFuzzer targets for a bounded time.
# Installs what is missing first (scripts/setup.sh).  Exits non-zero if
# anything failed.
#
# Usage: scripts/test.sh [--quick]   (--quick: plain build only)
set -u
cd "$(dirname "$0")/.."

quick=0
[ "${1:-}" = "--quick" ] && quick=1
status=0
summary=""
logs=""

# run NAME BUILDDIR MESON_TEST_ARGS...: one meson test run, results kept.
run() {
	name=$1 dir=$2
	shift 2
	echo "=== $name"
	if meson test -C "$dir" --print-errorlogs "$@"; then
		res=ok
	else
		res=FAILED
		status=1
	fi
	log="$dir/meson-logs/testlog.json"
	[ "$name" = valgrind ] && log="$dir/meson-logs/testlog-valgrind.json"
	logs="$logs $log"
	summary="$summary$name: $(python3 scripts/test-counts.py "$log") ($res)
"
}

scripts/setup.sh --test build -Dwerror=true || exit 1
run "plain" build

if [ $quick -eq 0 ]; then
	run "valgrind" build --setup valgrind --suite unit
	scripts/setup.sh build-asan -Dwerror=true -Db_sanitize=address,undefined \
		-Db_lundef=false || exit 1
	run "sanitizers" build-asan --suite unit --suite fs --suite hardening
	CC=clang scripts/setup.sh build-fuzz -Dwerror=true -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false || exit 1
	run "fuzz" build-fuzz --suite fuzz
fi

echo "=== summary"
printf '%s' "$summary"
# The closing line: "N passed, N failed, N skipped" over every run.
# shellcheck disable=SC2086
python3 scripts/test-counts.py $logs
exit $status
