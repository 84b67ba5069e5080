# t_options.sh - every bad command line gets one clear line on stderr and
# a non-zero exit, and mounts nothing; --help and --version work.
. "$(dirname "$0")/lib.sh"

gen "$T/data.bin" 10000
mkdir -p "$T/other"
: >"$T/other/data.bin"
mkfifo "$T/fifo"
mkdir -p "$T/mnt" "$T/srcdir"
: >"$T/notdir"

bad "no arguments" "missing" 
bad "a mount point alone" "missing" "$T/mnt"
bad "missing source" "No such file" "$T/nothere" "$T/mnt"
bad "FIFO source" "FIFO" "$T/fifo" "$T/mnt"
bad "character device source" "device" /dev/null "$T/mnt"
bad "bad cache mode" "cache mode" -o cache=sometimes "$T/data.bin" "$T/mnt"
bad "duplicate names" "both be named" "$T/data.bin" "$T/other/data.bin" "$T/mnt"
bad "chunk size not a multiple of the page size" "chunk_size" -o chunk_size=1000 "$T/data.bin" "$T/mnt"
bad "chunk size zero" "chunk_size" -o chunk_size=0 "$T/data.bin" "$T/mnt"
bad "chunk size with a bad suffix" "chunk_size" -o chunk_size=4X "$T/data.bin" "$T/mnt"
bad "chunk size negative" "chunk_size" -o chunk_size=-4096 "$T/data.bin" "$T/mnt"
bad "chunk size overflowing" "chunk_size" -o chunk_size=99999999999999999G "$T/data.bin" "$T/mnt"
bad "bad flush policy" "flush" -o flush=sometimes "$T/data.bin" "$T/mnt"
bad "flush bytes=0" "flush" -o flush=bytes=0 "$T/data.bin" "$T/mnt"
bad "ro and cow together" "exclude" -o ro,cow "$T/data.bin" "$T/mnt"
bad "mount point missing" "mountpoint" "$T/data.bin" "$T/nomnt"
bad "mount point not a directory" "not a directory" "$T/data.bin" "$T/notdir"
bad "unknown option" "unknown option" -o frobnicate "$T/data.bin" "$T/mnt"
bad "-o without an argument" "missing argument" "$T/data.bin" "$T/mnt" -o

# An unreadable source is checked as a non-root user in
# tests/hardening/t_sources.sh.

# A mount point that is a mount point already is mounted over (t_mount.sh).

out=$("$MMAPFS" --help 2>&1)
check "--help exits 0" "$MMAPFS" --help
check "--help describes chunk_size" sh -c "printf '%s' \"\$1\" | grep -q chunk_size" _ "$out"
out=$("$MMAPFS" --version 2>&1)
check "--version names mmapfs and its version" sh -c "printf '%s' \"\$1\" | grep -q 'mmapfs 0.2.0'" _ "$out"
# Piped, our line still comes before libfuse's (stdout is flushed first).
eq "--version: our line first" "$("$MMAPFS" --version 2>/dev/null | head -n 1 | cut -d' ' -f1)" mmapfs

# Good option spellings mount.
for o in chunk_size=4K chunk_size=64k chunk_size=2M chunk_size=1G flush=never flush=always flush=bytes=4096 flush=writes=3 flush=interval=50 ro cow; do
	mount_fs "$T/mnt" -o "$o" "$T/data.bin" || continue
	check "option $o mounts and serves" cmp -s "$T/mnt/data.bin/pages/0" <(head -c "$PAGE" "$T/data.bin")
	umount_fs "$T/mnt" "$PID"
done
mount_fs "$T/mnt" -o chunk_size=8K "$T/data.bin" || exit 1
eq "chunk_size=8K: chunk count" "$(ls "$T/mnt/data.bin/chunks" | wc -l)" 2
umount_fs "$T/mnt" "$PID"
