# t_systemd.sh - the systemd lines of man/mmapfs.1, as far as they can be
# tried without systemd as PID 1: systemd-fstab-generator turns an fstab
# line with x-systemd.automount into a .mount and an .automount unit;
# systemd-analyze verify accepts those and a hand-written .mount and
# .automount pair; and the command systemd runs to start a .mount unit
# (mount WHAT WHERE -t TYPE -o OPTIONS) mounts, over a tmpfs standing in
# for the autofs mount point an .automount unit leaves at WHERE.
. "$(dirname "$0")/lib.sh"

GEN=""
for g in /lib/systemd/system-generators/systemd-fstab-generator \
	/usr/lib/systemd/system-generators/systemd-fstab-generator; do
	[ -x "$g" ] && GEN=$g && break
done
[ -n "$GEN" ] || skip "needs systemd-fstab-generator (systemd)"
command -v systemd-analyze >/dev/null 2>&1 || skip "needs systemd-analyze"
command -v systemd-escape >/dev/null 2>&1 || skip "needs systemd-escape"
[ "$(ps -p 1 -o comm=)" = systemd ] ||
	echo "note: systemd is not PID 1 here: units are generated and verified, not started"

chmod 755 "$T"
gen "$T/data.bin" $((3 * PAGE))
M="$T/mnt"
mkdir -p "$M" "$T/gen" "$T/early" "$T/late" "$T/units"
unit=$(systemd-escape -p "$M")

# unit_value FILE KEY: the value of KEY= in a unit file
unit_value() {
	sed -n "s/^$2=//p" "$1"
}

# The fstab line, with the daemon's full path as the type (in the man
# page: fuse.mmapfs, with mmapfs installed on the default path).
printf '%s %s fuse.%s ro,chunk_size=8K,x-systemd.automount,x-systemd.idle-timeout=10min,nofail 0 0\n' \
	"$T/data.bin" "$M" "$MMAPFS" >"$T/fstab"
SYSTEMD_FSTAB="$T/fstab" SYSTEMD_PROC_CMDLINE="" "$GEN" "$T/gen" "$T/early" "$T/late" 2>"$T/gen.err"
eq "systemd-fstab-generator: exit 0 ($(cat "$T/gen.err"))" "$?" 0
check "generator: an .automount unit" test -f "$T/gen/$unit.automount"
check "generator: a .mount unit" test -f "$T/gen/$unit.mount"
eq "generator: the automount's Where" "$(unit_value "$T/gen/$unit.automount" Where)" "$M"
eq "generator: the automount's idle timeout" "$(unit_value "$T/gen/$unit.automount" TimeoutIdleSec)" 10min
check "systemd-analyze verify of the generated units" systemd-analyze verify --man=no "$T/gen/$unit.mount" "$T/gen/$unit.automount"

# The hand-written pair of the man page.
cat >"$T/units/$unit.mount" <<UNIT
[Unit]
Description=data.bin as chunks and pages (mmapfs)

[Mount]
What=$T/data.bin
Where=$M
Type=fuse.$MMAPFS
Options=ro,chunk_size=8K

[Install]
WantedBy=multi-user.target
UNIT
cat >"$T/units/$unit.automount" <<UNIT
[Unit]
Description=data.bin as chunks and pages, mounted on first use

[Automount]
Where=$M
TimeoutIdleSec=10min

[Install]
WantedBy=multi-user.target
UNIT
check "systemd-analyze verify of the .mount and .automount units" systemd-analyze verify --man=no "$T/units/$unit.mount" "$T/units/$unit.automount"

# Start the generated .mount unit as systemd does, over a stand-in for
# the automount point.
what=$(unit_value "$T/gen/$unit.mount" What)
type=$(unit_value "$T/gen/$unit.mount" Type)
opts=$(unit_value "$T/gen/$unit.mount" Options)
if mount -t tmpfs mmapfs-autofs-stand-in "$M"; then
	MOUNTS="$MOUNTS $M $M"
	out=$(mount "$what" "$M" -t "$type" -o "$opts" 2>&1)
	eq "mount WHAT WHERE -t TYPE -o OPTIONS (x-systemd.*, nofail): exit 0 ($out)" "$?" 0
	eq "the unit's mount is mmapfs" "$(findmnt -n -o FSTYPE --mountpoint "$M" | tail -n 1)" fuse.mmapfs
	eq "the unit's options reached the daemon (chunk_size=8K)" "$(ls "$M/data.bin/chunks" 2>/dev/null | wc -l)" 2
	unmount_dir "$M"
	umount "$M" || fail "umount of the tmpfs"
else
	echo "SKIP (case): cannot mount a tmpfs here"
fi
