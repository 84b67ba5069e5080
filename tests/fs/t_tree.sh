# t_tree.sh - the mounted tree: names, sizes, listing, inode numbers,
# attributes, xattrs, directory sources.
. "$(dirname "$0")/lib.sh"

CH=16384
gen "$T/data.bin" $((5 * CH + 1000))   # 6 chunks, last one short
: >"$T/empty"
gen "$T/exact" $((2 * CH))             # no short entry
chmod 640 "$T/data.bin"
mkdir -p "$T/dir/sub" "$T/dir/emptydir" "$T/outside"
gen "$T/dir/a" 5000
gen "$T/dir/sub/b" 70000
mkfifo "$T/dir/fifo"
gen "$T/outside/secret" 100
ln -s ../outside/secret "$T/dir/link_out"
ln -s a "$T/dir/link_in"
ln -s sub "$T/dir/link_dir"

M="$T/mnt"
mount_fs "$M" -o chunk_size=16K "$T/data.bin" "$T/empty" "$T/exact" \
	"$T/dir" || exit 1

eq "root lists every source" "$(ls "$M" | tr '\n' ' ')" "data.bin dir empty exact "
eq "a data file is a directory of views" "$(ls "$M/data.bin" | tr '\n' ' ')" "chunks pages "
eq "chunks are listed in numeric order" "$(ls -f "$M/data.bin/chunks" | tr '\n' ' ')" ". .. 0 1 2 3 4 5 "
npages=$(((5 * CH + 1000 + PAGE - 1) / PAGE))
eq "page count" "$(ls "$M/data.bin/pages" | wc -l)" "$npages"
eq "pages listed in numeric order" "$(ls -f "$M/data.bin/pages" | sed -n '3,13p' | tr '\n' ' ')" "0 1 2 3 4 5 6 7 8 9 10 "
eq "full chunk size" "$(stat -c %s "$M/data.bin/chunks/0")" "$CH"
eq "short last chunk" "$(stat -c %s "$M/data.bin/chunks/5")" "1000"
eq "short last page" "$(stat -c %s "$M/data.bin/pages/$((npages - 1))")" "$(((5 * CH + 1000) % PAGE))"
eq "exact multiple: last chunk full" "$(stat -c %s "$M/exact/chunks/1")" "$CH"
eq "empty file: no chunks" "$(ls -A "$M/empty/chunks" | wc -l)" "0"
eq "empty file: no pages" "$(ls -A "$M/empty/pages" | wc -l)" "0"
check "empty file: chunks/0 does not exist" "$FSPROBE" errno ENOENT stat "$M/empty/chunks/0"

# Every bad name form.
check "malformed chunk names are ENOENT" "$FSPROBE" names "$M/data.bin/chunks" 6
check "malformed page names are ENOENT" "$FSPROBE" names "$M/data.bin/pages" "$npages"
check "unknown view name" "$FSPROBE" errno ENOENT stat "$M/data.bin/blocks"
check "unknown source name" "$FSPROBE" errno ENOENT stat "$M/nothere"
check "entries are not directories" "$FSPROBE" errno ENOTDIR stat "$M/data.bin/chunks/0/x"

# Byte-exact content of every entry.
bad=0
for i in 0 1 2 3 4 5; do
	dd if="$T/data.bin" bs=$CH skip=$i count=1 status=none | cmp -s - "$M/data.bin/chunks/$i" || bad=$((bad + 1))
done
eq "every chunk equals its range" "$bad" 0
bad=0
for i in $(seq 0 $((npages - 1))); do
	dd if="$T/data.bin" bs=$PAGE skip=$i count=1 status=none | cmp -s - "$M/data.bin/pages/$i" || bad=$((bad + 1))
done
eq "every page equals its range" "$bad" 0
check "chunks concatenated equal the file" sh -c "cat \$(ls -d '$M/data.bin/chunks/'* | sort -t/ -k1 -V) | cmp -s - '$T/data.bin'"
eq "read past the end is empty" "$(dd if="$M/data.bin/chunks/5" bs=1 skip=2000 count=10 status=none | wc -c)" 0

# Attributes from the backing file.
eq "mode from the backing file" "$(stat -c %a "$M/data.bin/chunks/0")" "640"
eq "directory mode gets x where r" "$(stat -c %a "$M/data.bin")" "750"
eq "owner from the backing file" "$(stat -c %u:%g "$M/data.bin/pages/0")" "$(stat -c %u:%g "$T/data.bin")"
eq "mtime from the backing file" "$(stat -c %Y "$M/data.bin/pages/0")" "$(stat -c %Y "$T/data.bin")"

# Inode numbers: stable, distinct, and what readdir reports.
i1=$(stat -c %i "$M/data.bin/pages/7")
i2=$(stat -c %i "$M/data.bin/pages/7")
eq "inode numbers are stable" "$i1" "$i2"
eq "readdir reports the same inode numbers" "$(ls -i "$M/data.bin/pages" | awk '$2 == 7 { print $1 }')" "$i1"
eq "inode numbers are distinct" "$(stat -c %i "$M"/data.bin/chunks/* "$M"/data.bin/pages/* "$M"/exact/chunks/* | sort -u | wc -l)" $((6 + npages + 2))
check "find -inum finds the entry" sh -c "[ \"\$(find '$M/data.bin' -inum $i1)\" = '$M/data.bin/pages/7' ]"

# seekdir to arbitrary positions.
check "seekdir resumes listing anywhere (pages)" "$FSPROBE" seekdir "$M/data.bin/pages"
check "seekdir resumes listing anywhere (root)" "$FSPROBE" seekdir "$M"

# Extended attributes.
eq "xattr offset" "$(getfattr --only-values -n user.mmapfs.offset "$M/data.bin/chunks/3")" $((3 * CH))
eq "xattr length of the short chunk" "$(getfattr --only-values -n user.mmapfs.length "$M/data.bin/chunks/5")" 1000
eq "xattr source" "$(getfattr --only-values -n user.mmapfs.source "$M/data.bin/pages/2")" "$T/data.bin"
eq "listxattr" "$(getfattr -d -m - "$M/data.bin/pages/2" | grep -c '^user.mmapfs')" 3
check "setxattr is refused" "$FSPROBE" errno EPERM setxattr "$M/data.bin/pages/2" user.mmapfs.offset
check "setxattr of another name is refused" "$FSPROBE" errno EPERM setxattr "$M/data.bin/pages/2" user.other
check "removexattr is refused" "$FSPROBE" errno EPERM removexattr "$M/data.bin/pages/2" user.mmapfs.length
check "unknown xattr is ENODATA" "$FSPROBE" errno ENODATA getxattr "$M/data.bin/pages/2" user.nope

# A directory source is mirrored.
eq "directory source: files and sub-directories" "$(ls "$M/dir" | tr '\n' ' ')" "a emptydir link_in sub "
eq "an empty sub-directory is an empty directory" "$(ls -A "$M/dir/emptydir" | wc -l)" 0
eq "sub-directory kept" "$(stat -c %s "$M/dir/sub/b/pages/17")" $((70000 - 17 * PAGE))
check "file in a directory source reads back" cmp -s "$M/dir/a/chunks/0" "$T/dir/a"
check "link inside the source is served" cmp -s "$M/dir/link_in/chunks/0" "$T/dir/a"
check "link pointing outside is not followed" "$FSPROBE" errno ENOENT stat "$M/dir/link_out"
check "FIFO inside a directory is left out" "$FSPROBE" errno ENOENT stat "$M/dir/fifo"
