#!/bin/sh
# Library benchmark: mmapio_read/mmapio_write against memcpy on the same
# mapping and against pread/pwrite (4 KiB and 1 MiB blocks), and chunk and
# page iteration against a raw loop, side by side in one run; prints the
# table.  On a fresh Debian machine run as root: installs the build tools if
# they are missing, builds an optimised build in build-bench, then runs.
#
# Usage: scripts/bench-lib.sh [bench_lib options]
#   -s, --size SIZE     file size (default 1G)
#   -r, --rounds N      timed rounds (default 7)
#   -o, --output FILE   also write the results as TSV
#   -d, --dir DIR       where to put the temporary file
#   -q, --quick         smoke run
# Environment: BENCH_BUILDDIR overrides the build directory.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
builddir=${BENCH_BUILDDIR:-$root/build-bench}

missing=""
for p in gcc libc6-dev meson ninja-build pkg-config; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "bench-lib: missing Debian packages:$missing" \
			"(run as root to install them)" >&2
		exit 1
	fi
	echo "bench-lib: installing$missing" >&2
	apt-get update -q
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
fi

opts="-Dbuildtype=release -Db_ndebug=true -Dfuse=disabled -Dtests=disabled"
# shellcheck disable=SC2086
if [ -d "$builddir/meson-private" ]; then
	meson configure "$builddir" $opts >/dev/null
else
	meson setup "$builddir" "$root" $opts >/dev/null
fi
ninja -C "$builddir" tests/bench/bench_lib >&2

exec "$builddir/tests/bench/bench_lib" "$@"
