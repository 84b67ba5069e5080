#!/bin/sh
# install-test.sh BUILD_DIR HEADER CONSUMER_C SANITIZE MESON
#
# Install the build into a temporary DESTDIR, then build consumer.c against
# the installed header, shared library and pkg-config file only, and run it.
# Checks the soname (libmmapio.so.1), that the program needs exactly that,
# and that the library exports every function of the header and nothing
# else (no internal mmapio__ symbols).  The installed daemon, if any, holds
# no test hooks.  Exits 77 when a tool is missing.
set -eu

# Under the valgrind test setup this shell itself runs under valgrind, which
# would report the shell's own leaks: leave it by exec (valgrind does not
# follow exec) and run the consumer under valgrind instead.
wrap=
if [ "${MMAPIO_UNDER_VALGRIND:-}" = 1 ]; then
	if [ -z "${MMAPIO_INSTALL_TEST_REEXEC:-}" ]; then
		MMAPIO_INSTALL_TEST_REEXEC=1 exec /bin/sh "$0" "$@"
	fi
	wrap="valgrind --error-exitcode=99 --leak-check=full --quiet"
fi

build=$1 header=$2 src=$3 sanitize=$4 meson=$5
CC=${CC:-cc}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
skip() {
	echo "SKIP: $*"
	exit 77
}

for tool in pkg-config readelf nm "$meson"; do
	command -v "$tool" >/dev/null 2>&1 || skip "$tool not found"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mmapio-install-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
dest=$tmp/dest

"$meson" install -C "$build" --no-rebuild --destdir "$dest" \
	>"$tmp/install.log" 2>&1 || {
	cat "$tmp/install.log" >&2
	fail "meson install --destdir failed"
}

pc=$(find "$dest" -name mmapio.pc | head -n 1)
[ -n "$pc" ] || fail "no mmapio.pc installed"
[ -n "$(find "$dest" -path '*/include/mmapio.h')" ] ||
	fail "no include/mmapio.h installed"
lib=$(find "$dest" -name 'libmmapio.so.1' | head -n 1)
[ -n "$lib" ] || fail "no libmmapio.so.1 installed"
[ -e "$(dirname "$lib")/libmmapio.so" ] ||
	fail "no libmmapio.so development link next to $lib"

soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[ "$soname" = "libmmapio.so.1" ] || fail "soname is '$soname'"

export PKG_CONFIG_PATH="$(dirname "$pc")"
export PKG_CONFIG_LIBDIR="$(dirname "$pc")"
export PKG_CONFIG_SYSROOT_DIR="$dest"
pkg-config --exists mmapio || fail "pkg-config does not find mmapio"
version=$(pkg-config --modversion mmapio)
cflags=$(pkg-config --cflags mmapio)
libs=$(pkg-config --libs mmapio)
libdir=$(pkg-config --variable=libdir mmapio)
case "$libdir" in
"$dest"/*) ;; # pkgconf applies the sysroot to variables too
*) libdir=$dest$libdir ;;
esac
case "$cflags $libs" in
*"$dest"*) ;;
*) fail "pkg-config flags do not point into the destdir: $cflags $libs" ;;
esac
[ -e "$libdir/libmmapio.so.1" ] || fail "pkg-config libdir $libdir lacks the library"

extra=
if [ "$sanitize" != none ] && [ -n "$sanitize" ]; then
	extra="-fsanitize=$sanitize"
fi
# shellcheck disable=SC2086
$CC -std=c11 -Wall -Wextra -Werror -Wstrict-prototypes $extra $cflags \
	"$src" -o "$tmp/consumer" $libs ||
	fail "building consumer.c against the installed library failed"

needed=$(readelf -d "$tmp/consumer" | sed -n 's/.*(NEEDED).*\[\(libmmapio[^]]*\)\].*/\1/p')
[ "$needed" = "libmmapio.so.1" ] || fail "consumer needs '$needed'"

# Exported symbols: every header function, nothing else of ours.
nm -D --defined-only "$lib" | awk '{ print $NF }' | sort -u >"$tmp/exported"
sed -n 's/^MMAPIO_API[^(]*[ *]\(mmapio_[a-z0-9_]*\)(.*/\1/p' "$header" |
	sort -u >"$tmp/declared"
[ -s "$tmp/declared" ] || fail "no functions found in $header"
missing=$(comm -23 "$tmp/declared" "$tmp/exported")
[ -z "$missing" ] || fail "not exported: $missing"
extra_syms=$(grep -v '^_' "$tmp/exported" | comm -13 "$tmp/declared" - || true)
[ -z "$extra_syms" ] || fail "exported beyond the header: $extra_syms"
grep -q '^mmapio__' "$tmp/exported" && fail "internal symbols exported"

# The daemon, when built, is installed without test hooks, and the test
# daemon is not installed at all (src/fs/testhooks.h).
[ -z "$(find "$dest" -name mmapfs-test)" ] || fail "mmapfs-test was installed"
daemon=$(find "$dest" -path '*/bin/mmapfs' -type f | head -n 1)
if [ -n "$daemon" ] && grep -a -q MMAPFS_TEST "$daemon"; then
	fail "the installed mmapfs contains test hooks (MMAPFS_TEST)"
fi

mkdir "$tmp/run"
# shellcheck disable=SC2086
LD_LIBRARY_PATH=$libdir $wrap "$tmp/consumer" "$tmp/run" ||
	fail "consumer failed against the installed library"
echo "installed mmapio $version: soname $soname, $(wc -l <"$tmp/declared") functions exported"
