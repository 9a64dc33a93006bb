#!/bin/sh
# mkpatch.sh TARBALL KSRC TOP DIST
# DIST/tproxy2-<kver>.patch: the whole of tproxy2 as one -p1 diff against the
# pristine source; DIST/quilt/: the same as a quilt series of topic patches.
# Built from the repo (patches/ and our files), not from the build tree.
set -eu
tarball=$1 ksrc=$2 top=$3 dist=$4
kver=$(basename "$ksrc" | sed 's/^linux-source-//')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$top"

touched=$(sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' patches/*.patch | sort -u)
new=$(find net include Documentation -type f | sort)
top_dir=$(tar -tf "$tarball" | head -n 1 | cut -d/ -f1)

mkdir -p "$tmp/a" "$tmp/b"
# shellcheck disable=SC2086
tar -xf "$tarball" -C "$tmp/a" --strip-components=1 \
	$(for f in $touched; do echo "$top_dir/$f"; done)
cp -r "$tmp/a/." "$tmp/b/"
for p in patches/*.patch; do
	patch -p1 -s -d "$tmp/b" <"$p"
done

rm -rf "$dist"
mkdir -p "$dist/quilt"
for f in $new; do
	mkdir -p "$tmp/b/$(dirname "$f")"
	cp "$f" "$tmp/b/$f"
done
(cd "$tmp" && diff -ruN a b) >"$dist/tproxy2-$kver.patch" || true

# The quilt series: patches/ as they are, then the new files by topic.
: >"$dist/quilt/series"
for p in patches/*.patch; do
	cp "$p" "$dist/quilt/"
	basename "$p" >>"$dist/quilt/series"
done
n=$(ls patches/*.patch | wc -l)
for topic in include net Documentation; do
	files=$(echo "$new" | grep "^$topic/" || true)
	[ -n "$files" ] || continue
	n=$((n + 1))
	name=$(printf '%04d-tproxy2-add-%s.patch' "$n" "$(echo "$topic" | tr 'A-Z' 'a-z')")
	{
		printf 'From: tproxy2 developers\nSubject: [PATCH] tproxy2: add the new files under %s/\n\n---\n' "$topic"
		for f in $files; do
			(cd "$tmp" && diff -uN "a/$f" "b/$f") || true
		done
	} >"$dist/quilt/$name"
	echo "$name" >>"$dist/quilt/series"
done
echo "  DIST    $dist/tproxy2-$kver.patch ($(grep -c '^+++ ' "$dist/tproxy2-$kver.patch") files)"
echo "  DIST    $dist/quilt/series ($(wc -l <"$dist/quilt/series") patches)"
