#!/bin/sh
# Install what the project needs from Debian (only what is missing), then
# configure and build.
#
# Usage: scripts/setup.sh [--test] [BUILDDIR [MESON_OPTION...]]
#   --test    also install what the test suites use (valgrind, attr, ...)
#   BUILDDIR  build directory (default: build)
set -eu
cd "$(dirname "$0")/.."

want_test=0
if [ "${1:-}" = "--test" ]; then
	want_test=1
	shift
fi
builddir=${1:-build}
[ $# -gt 0 ] && shift

pkgs="gcc libc6-dev meson ninja-build pkg-config libfuse3-dev fuse3 libcmocka-dev"
[ $want_test -eq 1 ] && pkgs="$pkgs valgrind attr clang clang-format libclang-rt-14-dev psmisc procps rsync tar util-linux"

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing Debian packages:$missing (run as root to install them)" >&2
		exit 1
	fi
	echo "setup: installing$missing"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi

if [ -d "$builddir/meson-private" ]; then
	[ $# -gt 0 ] && meson configure "$builddir" "$@"
else
	meson setup "$builddir" "$@"
fi
ninja -C "$builddir"
