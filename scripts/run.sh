#!/bin/bash
# run.sh - build mmapfs (installing what is missing), mount data files and
# look around.  The mount stays up; the last lines say how to unmount.
#
# Usage: scripts/run.sh [FILE...] [MOUNTPOINT]
#   FILE...     data files or directories to serve (default: a generated
#               demo file)
#   MOUNTPOINT  where to mount (default: /tmp/mmapfs-demo).  With two or
#               more arguments the last one is the mount point; a single
#               argument is a FILE if it is a regular file, else the mount
#               point.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

say() {
	printf '\n$ %s\n' "$*"
}

# Build (setup.sh installs the Debian packages it is missing, as root).
"$root/scripts/setup.sh" build
mmapfs="$root/build/src/fs/mmapfs"
if [ ! -x "$mmapfs" ]; then
	echo "run: $mmapfs was not built (libfuse3-dev missing?)" >&2
	exit 1
fi
if ! command -v getfattr >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends attr >/dev/null 2>&1 || true
fi

# Arguments: FILE... [MOUNTPOINT].
mnt=/tmp/mmapfs-demo
if [ $# -eq 1 ] && [ ! -f "$1" ]; then
	mnt=$1
	set --
elif [ $# -ge 2 ]; then
	mnt=${!#}
	set -- "${@:1:$#-1}"
fi
if [ $# -eq 0 ]; then
	demo=/tmp/mmapfs-demo-data/demo.txt
	mkdir -p "$(dirname "$demo")"
	if [ ! -f "$demo" ]; then
		echo "run: generating the demo file $demo"
		seq -f 'mmapfs demo line %07g: every file is a directory of chunks and pages' \
			1 45000 >"$demo"
	fi
	set -- "$demo"
fi

# A mount left by an earlier run.sh at the same place is replaced.
if awk -v m="$mnt" '$5 == m && $9 == "fuse.mmapfs" { f = 1 } END { exit !f }' \
	/proc/self/mountinfo; then
	echo "run: unmounting the earlier mmapfs mount at $mnt"
	fusermount3 -u "$mnt"
fi
mkdir -p "$mnt"

say "mmapfs -o chunk_size=1M $* $mnt"
"$mmapfs" -o chunk_size=1M "$@" "$mnt"
i=0
until awk -v m="$mnt" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		echo "run: the mount at $mnt did not come up" >&2
		exit 1
	fi
	sleep 0.1
done

# A short look around the first file.
name=$(basename "$(realpath "$1")")
d="$mnt/$name"
say "ls -l $mnt"
ls -l "$mnt"
if [ -d "$d/chunks" ]; then
	say "ls $d"
	ls "$d"
	say "ls $d/chunks | head -5"
	ls "$d/chunks" | head -5
	say "ls $d/pages | wc -l"
	ls "$d/pages" | wc -l
	if [ -e "$d/pages/1" ]; then
		say "stat -c '%n: %s bytes, inode %i' $d/chunks/0 $d/pages/1"
		stat -c '%n: %s bytes, inode %i' "$d/chunks/0" "$d/pages/1"
		say "dd if=$d/pages/1 bs=64 count=2 status=none | od -A d -c | head -8"
		dd if="$d/pages/1" bs=64 count=2 status=none | od -A d -c | head -8
		if command -v getfattr >/dev/null 2>&1; then
			say "getfattr -d $d/pages/1"
			getfattr -d "$d/pages/1" 2>/dev/null
		fi
	fi
fi

cat <<EOM

The mount stays up at $mnt.  Entries are ordinary files: read them,
patch them with dd conv=notrunc, fsync them.  See man/mmapfs.1.
Unmount with:

    fusermount3 -u $mnt
EOM
