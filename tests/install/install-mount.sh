#!/bin/sh
# install-mount.sh BUILD_DIR MESON
#
# Install the build into a temporary directory, move the installed tree
# elsewhere (a prefix it was not built for), and mount with that daemon
# the ways mount(8) and mount.fuse3 offer, with no LD_LIBRARY_PATH: the
# daemon finds the installed libmmapio through its $ORIGIN run path.
#
# Facts the cases rest on (util-linux 2.38, fuse3 3.14): mount(8) runs
# /sbin/mount.fuse3 with PATH and LD_LIBRARY_PATH removed from the
# environment; mount.fuse3 runs the program named by the type (fuse.NAME)
# or by the source (NAME#SOURCE with type fuse) through /bin/sh -c, so a
# bare name is looked up in the shell's default path
# (/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin for dash)
# and a full path is used as it is.
#   1. mount -t fuse./PREFIX/bin/mmapfs SRC MNT
#   2. mount -t fuse 'PREFIX/bin/mmapfs#SRC' MNT
#   3. mount -t fuse.mmapfs SRC MNT, in a private mount namespace where
#      /usr/local/sbin (on that default path) holds a link to the daemon,
#      as a prefix on the default path would.
# Exits 77 when it cannot mount here (not root, no /dev/fuse, no tools).
set -eu

build=$1 meson=$2

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
skip() {
	echo "SKIP: $*"
	exit 77
}

[ "$(id -u)" = 0 ] || skip "needs root"
[ -c /dev/fuse ] || skip "needs /dev/fuse"
for tool in "$meson" mount umount mount.fuse3 readelf findmnt; do
	command -v "$tool" >/dev/null 2>&1 || skip "$tool not found"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mmapfs-install-XXXXXX")
mnt=$tmp/mnt
cleanup() {
	if findmnt -n --mountpoint "$mnt" >/dev/null 2>&1; then
		umount "$mnt" 2>/dev/null || umount -l "$mnt"
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

"$meson" install -C "$build" --no-rebuild --destdir "$tmp/dest" \
	>"$tmp/install.log" 2>&1 || {
	cat "$tmp/install.log" >&2
	fail "meson install --destdir failed"
}
# Another prefix than the one it was installed for.
mv "$tmp/dest" "$tmp/elsewhere"
bin=$(find "$tmp/elsewhere" -path '*/bin/mmapfs' | head -n 1)
[ -x "$bin" ] || fail "no bin/mmapfs installed"
case $bin in *[[:space:]]*) skip "the temporary path has spaces: $bin" ;; esac

runpath=$(readelf -d "$bin" | sed -n 's/.*(RUNPATH).*\[\(.*\)\].*/\1/p')
case $runpath in
*'$ORIGIN'*) ;;
*) fail "bin/mmapfs has no \$ORIGIN run path: '$runpath'" ;;
esac
env -u LD_LIBRARY_PATH "$bin" --version >"$tmp/version" 2>&1 ||
	fail "the moved daemon does not start: $(cat "$tmp/version")"

head -c 20000 /dev/urandom >"$tmp/data.bin"
mkdir "$mnt"
page=$(getconf PAGESIZE)

# mounted HOW: the mount at $mnt is ours, reads, then unmount it.
mounted() {
	how=$1
	[ "$(findmnt -n -o FSTYPE --mountpoint "$mnt")" = fuse.mmapfs ] ||
		fail "$how: type '$(findmnt -n -o FSTYPE --mountpoint "$mnt")', want fuse.mmapfs"
	[ "$(findmnt -n -o SOURCE --mountpoint "$mnt")" = "$tmp/data.bin" ] ||
		fail "$how: source '$(findmnt -n -o SOURCE --mountpoint "$mnt")'"
	head -c "$page" "$tmp/data.bin" | cmp -s - "$mnt/data.bin/pages/0" ||
		fail "$how: pages/0 differs"
	umount "$mnt" || fail "$how: umount failed"
	echo "ok: $how"
}

env -u LD_LIBRARY_PATH mount -t "fuse.$bin" -o ro "$tmp/data.bin" "$mnt" ||
	fail "mount -t fuse.$bin failed"
mounted "mount -t fuse.PREFIX/bin/mmapfs"

env -u LD_LIBRARY_PATH mount -t fuse "$bin#$tmp/data.bin" "$mnt" ||
	fail "mount -t fuse 'PREFIX/bin/mmapfs#SRC' failed"
mounted "mount -t fuse 'PREFIX/bin/mmapfs#SRC'"

if command -v unshare >/dev/null 2>&1 && [ -d /usr/local/sbin ] &&
	unshare -m --propagation private true 2>/dev/null; then
	# Everything below happens in the namespace, and is undone there.
	unshare -m --propagation private sh -eu -c '
		bin=$1 src=$2 mnt=$3
		trap "umount \"\$mnt\" 2>/dev/null || true" EXIT
		mount -t tmpfs mmapfs-install /usr/local/sbin
		ln -s "$bin" /usr/local/sbin/mmapfs
		env -u LD_LIBRARY_PATH -u PATH /bin/mount -t fuse.mmapfs -o ro "$src" "$mnt"
		[ "$(findmnt -n -o FSTYPE --mountpoint "$mnt")" = fuse.mmapfs ]
		test -d "$mnt/data.bin/pages"
		umount "$mnt"
	' _ "$bin" "$tmp/data.bin" "$mnt" ||
		fail "mount -t fuse.mmapfs with the daemon on the default path failed"
	echo "ok: mount -t fuse.mmapfs (the daemon on /bin/sh's default path)"
else
	echo "SKIP (case): no private mount namespace here for mount -t fuse.mmapfs"
fi
echo "installed mmapfs runs from $(dirname "$bin") with no LD_LIBRARY_PATH"
