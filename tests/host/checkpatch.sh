#!/bin/sh
# The kernel files we add are checkpatch --strict clean, and so is every
# mail of the dist/ series (the changes to existing files, the messages):
# no ERROR, no WARNING, no CHECK.
set -u
top=$1
ksrc=${KSRC:-$top/build/linux-source-6.12}
tarball=${TARBALL:-/usr/src/linux-source-6.12.tar.xz}
cp=$ksrc/scripts/checkpatch.pl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$top" || exit 1
files=$(find net include tools/testing -name '*.[ch]' | sort)
# shellcheck disable=SC2086
out=$(perl "$cp" --strict --no-tree --terse --show-types -f $files 2>&1)
echo "$out"
n=$(echo "$out" | grep -c ': \(ERROR\|WARNING\|CHECK\):')

sh scripts/mkpatch.sh "$tarball" "$top" "$tmp/dist" >/dev/null || { echo "FAIL: mkpatch"; exit 1; }
for m in "$tmp"/dist/series/*.patch; do
	case $(basename "$m") in 0000-*) continue ;; esac
	out=$(cd "$ksrc" && perl scripts/checkpatch.pl --strict --terse --show-types "$m" 2>&1)
	k=$(echo "$out" | grep -c ': \(ERROR\|WARNING\|CHECK\):')
	echo "$(basename "$m"): $k"
	[ "$k" = 0 ] || echo "$out"
	n=$((n + k))
done
[ "$n" = 0 ] || { echo "FAIL: checkpatch: $n errors, warnings or checks"; exit 1; }
