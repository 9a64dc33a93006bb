#!/bin/sh
# mkpatch.sh TARBALL TOP DIST
# DIST/series/: patches/series as a git format-patch series on the pristine
# source (a cover letter, then one mail a patch, each patch with the files
# patches/series says it adds); DIST/tproxy2-<kver>.patch: all of it as one
# -p1 diff.  Both are made from the repo (patches/ and our files), not from
# the build tree; neither has timestamps in its diff headers.
set -eu
tarball=$1 top=$2 dist=$3
kver=$(basename "$tarball" | sed 's/^linux-source-//; s/\.tar\..*//')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
die() { echo "mkpatch: $*" >&2; exit 1; }
cd "$top"

# patches/series, one line a patch: "NAME PATTERN..."
sed -e 's/#.*//' patches/series | awk '
	/^[^ \t]/ { if (line != "") print line; line = $0; next }
	NF { line = line " " $0 }
	END { if (line != "") print line }' | tr -s ' \t' '  ' >"$tmp/series"
[ -s "$tmp/series" ] || die "patches/series is empty"

# Every patch of patches/ is in the series, every file we add is claimed
# by exactly one patch, every pattern finds a file.
for p in patches/*.patch; do
	grep -q "^$(basename "$p")\( \|$\)" "$tmp/series" || die "$p is not in patches/series"
done
: >"$tmp/claimed"
while read -r name pats; do
	[ -f "patches/$name" ] || die "patches/series: no patches/$name"
	for pat in $pats; do
		# shellcheck disable=SC2086
		set -- $pat
		[ -e "$1" ] || die "patches/series: $name: $pat finds no file"
		for f in "$@"; do
			echo "$f $name" >>"$tmp/claimed"
		done
	done
done <"$tmp/series"
find net include Documentation tools/testing -type f 2>/dev/null | sort >"$tmp/ours"
cut -d' ' -f1 "$tmp/claimed" | sort >"$tmp/claimed.files"
dup=$(uniq -d "$tmp/claimed.files")
[ -z "$dup" ] || die "added by more than one patch: $dup"
missing=$(comm -23 "$tmp/ours" "$tmp/claimed.files")
[ -z "$missing" ] || die "added by no patch of patches/series: $missing"

# The pristine files the series changes, in a scratch repository.
git=$tmp/git
mkdir -p "$git"
touched=$(sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' patches/*.patch | sort -u)
top_dir=$(tar -tf "$tarball" | head -n 1 | cut -d/ -f1)
# shellcheck disable=SC2046
tar -xf "$tarball" -C "$git" --strip-components=1 \
	$(for f in $touched; do echo "$top_dir/$f"; done)
# One author, one date (the repo's last commit): the same repo state gives
# the same series.
date=$(git log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
author=$(sed -n '1s/^From: //p' "patches/$(head -n 1 "$tmp/series" | cut -d' ' -f1)")
export GIT_AUTHOR_DATE="$date" GIT_COMMITTER_DATE="$date"
export GIT_AUTHOR_NAME="${author% <*}" GIT_COMMITTER_NAME="${author% <*}"
mail=${author#*<}
export GIT_AUTHOR_EMAIL="${mail%>}" GIT_COMMITTER_EMAIL="${mail%>}"
g() { git -C "$git" -c core.autocrlf=false -c commit.gpgsign=false "$@"; }
g init -q
g add -A
g commit -q -m "Linux $kver (pristine)"
base=$(g rev-parse HEAD)

while read -r name pats; do
	p=patches/$name
	g apply "$top/$p" || die "$name does not apply to the tree of the patches before it"
	for pat in $pats; do
		for f in $pat; do
			mkdir -p "$git/$(dirname "$f")"
			cp "$f" "$git/$f"
		done
	done
	# the message: the Subject without its tag, then the body up to "---"
	{
		sed -n 's/^Subject: \(\[PATCH[^]]*\] \)\{0,1\}//p' "$p" | head -n 1
		echo
		sed -n '/^$/,/^---$/p' "$p" | sed '1d;$d'
	} >"$tmp/msg"
	g add -A
	g commit -q -F "$tmp/msg"
done <"$tmp/series"

rm -rf "$dist"
mkdir -p "$dist/series"
g format-patch -q --zero-commit --no-signature --numbered --cover-letter \
	-o "$dist/series" "$base"..HEAD
# The cover letter's subject and blurb are patches/cover-letter's.
cover=$(ls "$dist"/series/0000-*.patch)
subject=$(head -n 1 patches/cover-letter)
sed -n '3,$p' patches/cover-letter >"$tmp/blurb"
awk -v subject="$subject" -v blurb="$tmp/blurb" '
	/\*\*\* SUBJECT HERE \*\*\*/ { sub(/\*\*\* SUBJECT HERE \*\*\*/, subject) }
	/^\*\*\* BLURB HERE \*\*\*$/ {
		while ((getline l < blurb) > 0) print l
		next
	}
	{ print }' "$cover" >"$tmp/cover"
cp "$tmp/cover" "$cover"
g diff "$base" HEAD >"$dist/tproxy2-$kver.patch"
echo "  DIST    $dist/tproxy2-$kver.patch ($(grep -c '^+++ ' "$dist/tproxy2-$kver.patch") files)"
echo "  DIST    $dist/series/ ($(($(ls "$dist"/series | wc -l) - 1)) patches and a cover letter)"
