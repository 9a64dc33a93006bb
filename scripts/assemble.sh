#!/bin/sh
# assemble.sh TARBALL SRCDIR REPO APPLIED
# Make SRCDIR the pristine kernel source plus the repo's files plus patches/,
# touching only files whose content changes, so kbuild rebuilds only those.
# APPLIED keeps a copy of the series that is applied to SRCDIR.
set -eu
tarball=$1 src=$2 repo=$3 applied=$4

if [ ! -d "$src" ]; then
	echo "  UNPACK  $tarball"
	rm -rf "$src.tmp" "$applied"
	mkdir -p "$src.tmp"
	tar -xf "$tarball" -C "$src.tmp" --strip-components=1
	mv "$src.tmp" "$src"
fi

# The series changed: take the old one out, put the new one in.
if ! diff -r "$applied" "$repo/patches" >/dev/null 2>&1; then
	if [ -d "$applied" ]; then
		for p in $(ls "$applied"/*.patch | sort -r); do
			echo "  UNPATCH $(basename "$p")"
			patch -p1 -R -s -d "$src" <"$p"
		done
	fi
	rm -rf "$applied"
	for p in $(ls "$repo"/patches/*.patch | sort); do
		echo "  PATCH   $(basename "$p")"
		patch -p1 -s -N -d "$src" <"$p"
	done
	cp -r "$repo/patches" "$applied"
fi

cd "$repo"
find net include Documentation -type f | while read -r f; do
	if ! cmp -s "$f" "$src/$f"; then
		echo "  COPY    $f"
		mkdir -p "$(dirname "$src/$f")"
		cp "$f" "$src/$f"
	fi
done
