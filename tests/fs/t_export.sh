# t_export.sh - file handles survive an unmount and a remount of the same
# sources, as an NFS export needs: name_to_handle_at on pages/3, a chunk,
# a view directory, a file's directory and a mirrored directory; unmount;
# mount again; open_by_handle_at gives the same bytes and the same
# listing (the kernel then knows none of the inodes: it asks the daemon
# LOOKUP(id, ".") and, for directories, LOOKUP(id, "..")).  A handle
# whose object changed meaning (another chunk size) is ESTALE, never
# other bytes.  Also "." and ".." by name in every directory.
. "$(dirname "$0")/lib.sh"

[ -x "${FHANDLE:-}" ] || skip "FHANDLE not set"

CH=16384
gen "$T/data.bin" $((3 * CH + 100))
mkdir -p "$T/src/sub"
gen "$T/src/sub/deep.bin" $((2 * PAGE))
gen "$T/src/top.bin" 100
M="$T/mnt"
H="$T/handles"
mkdir -p "$H"

# range FILE OFF LEN: bytes of FILE
range() {
	tail -c +$(($2 + 1)) "$1" | head -c "$3"
}

mount_fs "$M" -o chunk_size=16K "$T/data.bin" "$T/src" || exit 1
check "handle of pages/3" "$FHANDLE" save "$M/data.bin/pages/3" "$H/page"
check "handle of chunks/1" "$FHANDLE" save "$M/data.bin/chunks/1" "$H/chunk"
check "handle of the last, short chunk" "$FHANDLE" save "$M/data.bin/chunks/3" "$H/last"
check "handle of pages/" "$FHANDLE" save "$M/data.bin/pages" "$H/pages"
check "handle of data.bin/" "$FHANDLE" save "$M/data.bin" "$H/file"
check "handle of a mirrored directory" "$FHANDLE" save "$M/src/sub" "$H/sub"
check "handle of an entry in it" "$FHANDLE" save "$M/src/sub/deep.bin/pages/1" "$H/deep"
check "handle of the root" "$FHANDLE" save "$M" "$H/root"
ls "$M/data.bin/pages" >"$T/pages.ls"
ino_file=$(stat -c %i "$M/data.bin")
ino_src=$(stat -c %i "$M/src")
ino_root=$(stat -c %i "$M")
# Within the same mount, too.
check "same mount: pages/3" cmp -s <("$FHANDLE" open "$M" "$H/page") <(range "$T/data.bin" $((3 * PAGE)) "$PAGE")
umount_fs "$M" "$PID"

mount_fs "$M" -o chunk_size=16K "$T/data.bin" "$T/src" || exit 1
check "remount: pages/3 gives the same bytes" cmp -s <("$FHANDLE" open "$M" "$H/page") <(range "$T/data.bin" $((3 * PAGE)) "$PAGE")
check "remount: chunks/1 gives the same bytes" cmp -s <("$FHANDLE" open "$M" "$H/chunk") <(range "$T/data.bin" "$CH" "$CH")
check "remount: the short last chunk" cmp -s <("$FHANDLE" open "$M" "$H/last") <(range "$T/data.bin" $((3 * CH)) 100)
check "remount: an entry in a mirrored directory" cmp -s <("$FHANDLE" open "$M" "$H/deep") <(range "$T/src/sub/deep.bin" "$PAGE" "$PAGE")
"$FHANDLE" open "$M" "$H/pages" >"$T/pages.h"
check "remount: pages/ lists the same entries" cmp -s <(grep -v '^\.\.:' "$T/pages.h" | sort) "$T/pages.ls"
eq "remount: pages/ has data.bin/ as its parent" "$(sed -n 's/^\.\.: //p' "$T/pages.h")" "$ino_file"
eq "remount: data.bin/ lists chunks and pages" "$("$FHANDLE" open "$M" "$H/file" | tr '\n' ' ')" "chunks pages ..: $ino_root "
eq "remount: a mirrored directory and its parent" "$("$FHANDLE" open "$M" "$H/sub" | tr '\n' ' ')" "deep.bin ..: $ino_src "
eq "remount: the root" "$("$FHANDLE" open "$M" "$H/root" | grep -c -e '^data.bin$' -e '^src$')" 2
umount_fs "$M" "$PID"

# Another layout: the same node ids name other bytes, so the handles that
# would see them are stale; the rest still open.
mount_fs "$M" -o chunk_size=8K "$T/data.bin" "$T/src" || exit 1
check "another chunk size: chunks/1 is ESTALE" "$FHANDLE" stale "$M" "$H/chunk"
check "another chunk size: pages/3 still opens" cmp -s <("$FHANDLE" open "$M" "$H/page") <(range "$T/data.bin" $((3 * PAGE)) "$PAGE")
umount_fs "$M" "$PID"
gen "$T/src/a.bin" 100 # a new first node in src/: node numbers shift
mount_fs "$M" -o chunk_size=16K "$T/data.bin" "$T/src" || exit 1
check "a file added in a source directory: the deep entry still opens or is ESTALE, never other bytes" \
	sh -c 'out=$("$1" open "$2" "$3" 2>/dev/null | od -An -tx1); [ -z "$out" ] || [ "$out" = "$(tail -c +$(($5 + 1)) "$4" | head -c "$5" | od -An -tx1)" ]' \
	_ "$FHANDLE" "$M" "$H/deep" "$T/src/sub/deep.bin" "$PAGE"
umount_fs "$M" "$PID"
rm "$T/src/a.bin"

# A handle of an entry past the end after the file shrank: ESTALE.
mount_fs "$M" -o chunk_size=16K "$T/data.bin" "$T/src" || exit 1
truncate -s $((2 * PAGE)) "$T/data.bin"
umount_fs "$M" "$PID"
mount_fs "$M" -o chunk_size=16K "$T/data.bin" "$T/src" || exit 1
check "an entry past the end of a shrunk file is ESTALE" "$FHANDLE" stale "$M" "$H/page"

# "." and ".." by name.
eq "pages/. is pages/" "$(stat -c %i "$M/data.bin/pages/.")" "$(stat -c %i "$M/data.bin/pages")"
eq "pages/.. is data.bin/" "$(stat -c %i "$M/data.bin/pages/..")" "$(stat -c %i "$M/data.bin")"
eq "src/sub/.. is src/" "$(stat -c %i "$M/src/sub/..")" "$(stat -c %i "$M/src")"
check "an entry is no directory: pages/0/. is ENOTDIR" "$FSPROBE" errno ENOTDIR stat "$M/data.bin/pages/0/."
umount_fs "$M" "$PID"
