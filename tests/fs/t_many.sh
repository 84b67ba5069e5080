# t_many.sh - scale: 10,000 files in one source directory are served with
# a bounded number of descriptors; a 1 TiB sparse file mounts, lists page
# by page and stats its last page.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/many"
head -c $((10000 * 100)) /dev/urandom | (cd "$T/many" && split -b 100 -a 4 -d - f)
truncate -s 1T "$T/big"
printf 'tail' | dd of="$T/big" bs=1 seek=$((1024 * 1024 * 1024 * 1024 - 4)) conv=notrunc status=none
M="$T/mnt"
mount_fs "$M" "$T/many" "$T/big" || exit 1
pid=$PID

eq "10,000 files listed" "$(ls "$M/many" | wc -l)" 10000
check "every file reads back through its chunk" bash -c "cd '$M/many' && cat \$(ls | sed 's|\$|/chunks/0|') | cmp -s - <(cd '$T/many' && cat \$(ls))"
fds=$(ls /proc/"$pid"/fd | wc -l)
if [ "$fds" -le 300 ]; then
	ok "descriptors stay bounded after reading 10,000 files ($fds open)"
else
	fail "daemon holds $fds descriptors after reading 10,000 files"
fi
check "a file evicted earlier is served again" cmp -s "$M/many/f0000/pages/0" "$T/many/f0000"

P=$(getconf PAGESIZE)
last=$((1024 * 1024 * 1024 * 1024 / P - 1))
eq "1 TiB: last page exists" "$(stat -c %s "$M/big/pages/$last")" "$P"
check "1 TiB: page past the end does not" "$FSPROBE" errno ENOENT stat "$M/big/pages/$((last + 1))"
eq "1 TiB: the last bytes read back" "$(tail -c 4 "$M/big/pages/$last")" "tail"
eq "1 TiB: listing streams (first names come at once)" "$(timeout 60 find "$M/big/pages" -maxdepth 1 -type f | head -3 | wc -l)" 3
check "1 TiB: seekdir deep into a huge directory" "$FSPROBE" seekdir "$M/big/chunks"
echo "note: daemon resident memory: $(awk '/VmRSS/ { print $2, $3 }' /proc/"$pid"/status)"
umount_fs "$M" "$pid"
