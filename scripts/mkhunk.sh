#!/bin/sh
# mkhunk.sh OLD NEW PATH
# Print the git-style diff section that turns file OLD into file NEW, as
# patches/ carries it for a file of ours at PATH (a/PATH, b/PATH, no
# timestamps, no index line: git apply and patch -p1 both take it).  To
# change in a later patch a file of ours that an earlier patch adds: write
# the file's version as of the earlier patch, then
#	sh scripts/mkhunk.sh OLD PATH PATH >>patches/LATER.patch
# with the repo's PATH (its final version) as NEW; see patches/series.
set -eu
[ $# = 3 ] || { echo "usage: mkhunk.sh OLD NEW PATH" >&2; exit 2; }
old=$1 new=$2 path=${3#./}
[ -f "$old" ] || { echo "mkhunk: no file $old" >&2; exit 2; }
[ -f "$new" ] || { echo "mkhunk: no file $new" >&2; exit 2; }
if cmp -s "$old" "$new"; then
	echo "mkhunk: $old and $new are the same" >&2
	exit 1
fi
echo "diff --git a/$path b/$path"
# diff exits 1 when the files differ, which they do
diff -u --label "a/$path" --label "b/$path" "$old" "$new" || [ $? = 1 ]
