#!/bin/sh
# The kernel files we add are checkpatch --strict clean: no ERROR, no WARNING.
set -u
top=$1
cp=$top/build/linux-source-6.12/scripts/checkpatch.pl
cd "$top" || exit 1
files=$(find net include -name '*.[ch]' | sort)
out=$(perl "$cp" --strict --no-tree --terse --show-types -f $files 2>&1)
echo "$out"
n=$(echo "$out" | grep -c ': \(ERROR\|WARNING\):')
[ "$n" = 0 ] || { echo "FAIL: checkpatch: $n errors or warnings"; exit 1; }
