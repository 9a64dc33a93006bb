#!/bin/sh
# make patch: the single diff applies with patch -p1 to a freshly unpacked
# pristine tree and gives exactly the assembled tree; so does the quilt series.
set -u
top=$1
tarball=${TARBALL:-/usr/src/linux-source-6.12.tar.xz}
ksrc=$top/build/linux-source-6.12
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

sh "$top/scripts/mkpatch.sh" "$tarball" "$ksrc" "$top" "$tmp/dist" || fail "mkpatch"
p=$tmp/dist/tproxy2-6.12.patch
[ -s "$p" ] || fail "empty patch"

mkdir "$tmp/fresh"
tar -xf "$tarball" -C "$tmp/fresh" --strip-components=1 || fail "unpack"
patch -p1 --dry-run -s -d "$tmp/fresh" <"$p" || fail "the patch does not apply (dry run)"
patch -p1 -s -d "$tmp/fresh" <"$p" || fail "the patch does not apply"
find "$tmp/fresh" -name '*.orig' -o -name '*.rej' | grep . && fail "fuzz or rejects"

files=$(sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$p")
for f in $files; do
	cmp "$tmp/fresh/$f" "$ksrc/$f" || fail "$f differs from the assembled tree"
done
echo "single patch: $(echo "$files" | wc -w) files, identical to the assembled tree"

# the quilt series, in order, on the pristine files
mkdir "$tmp/q"
top_dir=$(tar -tf "$tarball" | head -n 1 | cut -d/ -f1)
for f in $files; do
	tar -xf "$tarball" -C "$tmp/q" --strip-components=1 "$top_dir/$f" 2>/dev/null
done
while read -r s; do
	patch -p1 -s -d "$tmp/q" <"$tmp/dist/quilt/$s" || fail "quilt patch $s does not apply"
done <"$tmp/dist/quilt/series"
for f in $files; do
	cmp "$tmp/q/$f" "$ksrc/$f" || fail "quilt series: $f differs"
done
echo "quilt series: $(wc -l <"$tmp/dist/quilt/series") patches, identical result"
