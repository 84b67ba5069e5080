#!/bin/sh
# no-test-hooks.sh MMAPFS MMAPFS_TEST
#
# The daemon that gets installed holds no test hook: its binary must not
# contain the string MMAPFS_TEST (the prefix of every variable the hooks
# of src/fs/testhooks.h read).  The test daemon must contain it, which
# shows that the search finds such a string where there is one.
set -eu

plain=$1 hooked=$2

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

[ -f "$plain" ] || fail "no daemon at $plain"
[ -f "$hooked" ] || fail "no test daemon at $hooked"
grep -a -q MMAPFS_TEST "$hooked" ||
	fail "$hooked (the test daemon) lacks MMAPFS_TEST: the search is broken"
if grep -a -q MMAPFS_TEST "$plain"; then
	grep -a -o 'MMAPFS_TEST[A-Z_]*' "$plain" | sort -u >&2
	fail "$plain (the installed daemon) contains test hooks"
fi
echo "ok: $(basename "$plain") holds no MMAPFS_TEST string," \
	"$(basename "$hooked") does"
