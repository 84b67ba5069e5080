# t_nfs.sh - the mount exported over NFS by a real server: nfs-ganesha
# (FSAL_VFS, userspace: the kernel here has no nfsd) serves the mount on
# 127.0.0.1 only, NFSv4, from a private configuration, pid file and
# recovery directory under $T; the libnfs client reads a page, lists a
# directory, and writes a page that then shows in the backing file and
# through the local mount.  nfs-cp creates its target, which the mount
# refuses: it is checked to fail and create nothing.
#
# Installs nfs-ganesha, nfs-ganesha-vfs, libnfs-utils and libnfs-dev (for
# tests/fs/nfswrite.c, built here) when missing; skips when they cannot
# be installed or the server cannot start here.
. "$(dirname "$0")/lib.sh"

PKGS="nfs-ganesha nfs-ganesha-vfs libnfs-utils libnfs-dev"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	command -v apt-get >/dev/null 2>&1 || skip "needs$missing (no apt-get)"
	echo "installing$missing"
	{ apt-get update -q &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends $missing; } >"$T/apt.log" 2>&1 ||
		skip "cannot install$missing: $(tail -n 1 "$T/apt.log")"
fi
for tool in ganesha.nfsd nfs-ls nfs-cat nfs-cp pkg-config ss "${CC:-cc}"; do
	command -v "$tool" >/dev/null 2>&1 || skip "needs $tool"
done
[ -e /usr/lib/x86_64-linux-gnu/ganesha/libfsalvfs.so ] ||
	[ -n "$(find /usr/lib* -name libfsalvfs.so 2>/dev/null | head -n 1)" ] ||
	skip "needs ganesha's VFS FSAL (libfsalvfs.so)"

SRCDIR=$(dirname "$0")
NFSWRITE="$T/nfswrite"
# shellcheck disable=SC2046
"${CC:-cc}" -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE "$SRCDIR/nfswrite.c" \
	-o "$NFSWRITE" $(pkg-config --cflags --libs libnfs) ||
	skip "cannot build nfswrite.c against libnfs"

# The server: killed before the mounts are unmounted (it holds files of
# the mount open), also on failure.
GPID=""
stop_ganesha() {
	[ -n "$GPID" ] || return 0
	kill -TERM "$GPID" 2>/dev/null
	i=0
	while kill -0 "$GPID" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$GPID" 2>/dev/null
	wait "$GPID" 2>/dev/null
	GPID=""
}
trap 'rc=$?; stop_ganesha; (exit $rc); cleanup' EXIT

CH=16384
chmod 755 "$T"
gen "$T/data.bin" $((4 * CH + 100))
cp "$T/data.bin" "$T/orig.bin"
M="$T/mnt"
mount_fs "$M" -o chunk_size=16K "$T/data.bin" || exit 1

# A free port on 127.0.0.1.
port=""
for try in 1 2 3 4 5 6 7 8 9 10; do
	p=$((20000 + (RANDOM % 20000)))
	if ! ss -Htln "sport = :$p" | grep -q .; then
		port=$p
		break
	fi
done
[ -n "$port" ] || skip "no free TCP port found"

mkdir -p "$T/ganesha/recovery"
cat >"$T/ganesha/ganesha.conf" <<CONF
NFS_CORE_PARAM {
	Protocols = 4;
	Bind_addr = 127.0.0.1;
	NFS_Port = $port;
	Enable_NLM = false;
	Enable_RQUOTA = false;
}
NFSV4 {
	Graceless = true;
	RecoveryBackend = fs;
	RecoveryRoot = $T/ganesha/recovery;
}
EXPORT {
	Export_Id = 1;
	Path = $M;
	Pseudo = /mmapfs;
	Protocols = 4;
	Transports = TCP;
	SecType = sys;
	Squash = No_Root_Squash;
	Access_Type = None;
	CLIENT {
		Clients = 127.0.0.1;
		Access_Type = RW;
	}
	FSAL {
		Name = VFS;
	}
}
LOG {
	Default_Log_Level = EVENT;
}
CONF
ganesha.nfsd -F -f "$T/ganesha/ganesha.conf" -p "$T/ganesha/ganesha.pid" \
	-L "$T/ganesha/ganesha.log" -N NIV_EVENT >"$T/ganesha/stdout" 2>&1 &
GPID=$!
i=0
while ! ss -Htln "sport = :$port" | grep -q .; do
	if ! kill -0 "$GPID" 2>/dev/null || [ $i -ge 200 ]; then
		sed 's/^/    /' "$T/ganesha/ganesha.log" "$T/ganesha/stdout" 2>/dev/null | tail -n 30 >&2
		kill -0 "$GPID" 2>/dev/null || { GPID=""; skip "nfs-ganesha did not start here (log above)"; }
		fail "nfs-ganesha did not listen on 127.0.0.1:$port within 10 s"
		exit 1
	fi
	sleep 0.05
	i=$((i + 1))
done
check "nfs-ganesha listens on 127.0.0.1 only" sh -c "! ss -Htln 'sport = :$port' | grep -v -q '127.0.0.1'"

URL="nfs://127.0.0.1/mmapfs"
ARGS="?version=4&nfsport=$port"

# range FILE OFF LEN: bytes of FILE
range() {
	tail -c +$(($2 + 1)) "$1" | head -c "$3"
}

# Listing.
out=$(nfs-ls "$URL$ARGS" 2>&1)
check "nfs-ls of the export shows data.bin/ ($out)" sh -c "printf '%s\n' \"\$1\" | grep -q ' data.bin\$'" _ "$out"
eq "nfs-ls of data.bin/ shows chunks and pages" "$(nfs-ls "$URL/data.bin$ARGS" | awk '{ print $NF }' | sort | tr '\n' ' ')" "chunks pages "
eq "nfs-ls of pages/ lists every page" "$(nfs-ls "$URL/data.bin/pages$ARGS" | awk '{ print $NF }' | sort -n | tr '\n' ' ')" "$(ls "$M/data.bin/pages" | sort -n | tr '\n' ' ')"
eq "nfs-ls of chunks/: the last chunk's size" "$(nfs-ls "$URL/data.bin/chunks$ARGS" | awk '$NF == "4" { print $5 }')" 100

# Reading.
check "nfs-cat of pages/3" cmp -s <(nfs-cat "$URL/data.bin/pages/3$ARGS") <(range "$T/orig.bin" $((3 * PAGE)) "$PAGE")
check "nfs-cat of chunks/1" cmp -s <(nfs-cat "$URL/data.bin/chunks/1$ARGS") <(range "$T/orig.bin" "$CH" "$CH")
check "nfs-cat of the short last chunk" cmp -s <(nfs-cat "$URL/data.bin/chunks/4$ARGS") <(range "$T/orig.bin" $((4 * CH)) 100)

# Writing: a whole page, then 5 bytes inside another.
gen "$T/page.new" "$PAGE"
check "nfswrite of pages/2" "$NFSWRITE" "$URL/data.bin/pages/2$ARGS" 0 "$T/page.new"
check "the page is in the backing file" cmp -s <(range "$T/data.bin" $((2 * PAGE)) "$PAGE") "$T/page.new"
check "the page reads back through the local mount (chunks/0)" cmp -s <(range "$M/data.bin/chunks/0" $((2 * PAGE)) "$PAGE") "$T/page.new"
check "the page reads back through NFS" cmp -s <(nfs-cat "$URL/data.bin/pages/2$ARGS") "$T/page.new"
printf 'PATCH' >"$T/patch"
check "nfswrite of 5 bytes inside chunks/1" "$NFSWRITE" "$URL/data.bin/chunks/1$ARGS" 100 "$T/patch"
eq "the 5 bytes are in the backing file" "$(range "$T/data.bin" $((CH + 100)) 5)" PATCH
check "the rest of the backing file is unchanged" cmp -s <(range "$T/data.bin" $((CH + 105)) $((3 * CH))) <(range "$T/orig.bin" $((CH + 105)) $((3 * CH)))

# nfs-cp creates its target: refused by the mount, nothing is created.
if nfs-cp "$T/patch" "$URL/data.bin/pages/new$ARGS" >"$T/nfscp.out" 2>&1; then
	fail "nfs-cp to a new name succeeded"
else
	ok "nfs-cp to a new name fails ($(head -c 120 "$T/nfscp.out"))"
fi
check "nothing was created" test ! -e "$M/data.bin/pages/new"
eq "the backing directory holds only what it held" "$(ls "$T" | grep -c -e '^new$' -e '^3$')" 0

stop_ganesha
umount_fs "$M" "$PID"
