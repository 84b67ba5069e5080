#!/bin/sh
# Style suite: every C source and header must match .clang-format.
# Usage: check-format.sh SOURCE_ROOT
set -eu
root=${1:-$(dirname "$0")/..}
cd "$root"
command -v clang-format >/dev/null 2>&1 || { echo "clang-format not installed: skipped"; exit 77; }
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src include tests -name '*.[ch]')
[ -n "$files" ] || { echo "no sources found"; exit 1; }
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files
echo "format: $(echo "$files" | wc -l) files clean"
