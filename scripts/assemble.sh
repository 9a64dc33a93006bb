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

# pristine PATCH OURS: PATCH without its sections on the files OURS lists.
# A patch may change a file of ours that an earlier patch adds (see
# scripts/mkpatch.sh); the repo has the final version of our files, so
# here such sections are left out.
pristine() {
	awk -v ours="$2" '
	BEGIN { while ((getline l <ours) > 0) own[l] = 1 }
	!body && !/^diff --git / { print; if ($0 == "---") body = 1; next }
	/^diff --git / { body = 1; f = $4; sub(/^b\//, "", f); skip = (f in own) }
	!skip' "$1"
}

# The series changed: patch pristine copies of the files it touches (and
# those the old series touched) in a scratch tree, and copy over only what
# differs, so that unchanged files keep their times.
if ! diff -r "$applied" "$repo/patches" >/dev/null 2>&1; then
	scratch=$(mktemp -d)
	# our files: the repo's, and those of the last run (for the old series)
	(cd "$repo" && find net include Documentation tools/testing -type f 2>/dev/null) |
		cat - "$src/.tproxy2-files" 2>/dev/null | sort -u >"$scratch.ours"
	for p in "$repo"/patches/*.patch "$applied"/*.patch; do
		[ ! -f "$p" ] || pristine "$p" "$scratch.ours"
	done | sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' | sort -u >"$scratch.files"
	files=$(cat "$scratch.files")
	top_dir=$(tar -tf "$tarball" | head -n 1 | cut -d/ -f1)
	# shellcheck disable=SC2046
	tar -xf "$tarball" -C "$scratch" --strip-components=1 \
		$(for f in $files; do echo "$top_dir/$f"; done) 2>/dev/null
	for p in $(ls "$repo"/patches/*.patch | sort); do
		echo "  PATCH   $(basename "$p")"
		pristine "$p" "$scratch.ours" >"$scratch.patch"
		! grep -q '^diff --git ' "$scratch.patch" ||
			patch -p1 -s -N -d "$scratch" <"$scratch.patch"
	done
	rm -f "$scratch.ours" "$scratch.files" "$scratch.patch"
	for f in $files; do
		if [ -f "$scratch/$f" ] && ! cmp -s "$scratch/$f" "$src/$f"; then
			cp "$scratch/$f" "$src/$f"
		fi
	done
	rm -rf "$scratch" "$applied"
	cp -r "$repo/patches" "$applied"
fi

cd "$repo"
# Files of ours that the repo no longer has (a file split in two) leave
# the tree too: $src/.tproxy2-files lists what was copied last time.
find net include Documentation tools/testing -type f 2>/dev/null | sort >"$src/.tproxy2-files.new"
if [ -f "$src/.tproxy2-files" ]; then
	comm -23 "$src/.tproxy2-files" "$src/.tproxy2-files.new" | while read -r f; do
		echo "  REMOVE  $f"
		rm -f "$src/$f"
	done
fi
mv "$src/.tproxy2-files.new" "$src/.tproxy2-files"
find net include Documentation tools/testing -type f 2>/dev/null | while read -r f; do
	if ! cmp -s "$f" "$src/$f"; then
		echo "  COPY    $f"
		mkdir -p "$(dirname "$src/$f")"
		cp "$f" "$src/$f"
	fi
done
