#!/bin/sh
# mkpatch.sh TARBALL TOP DIST
# DIST/series/: patches/series as a git format-patch series on the pristine
# source (a cover letter, then one mail a patch, each patch with the files
# patches/series says it adds); DIST/tproxy2-<kver>.patch: all of it as one
# -p1 diff.  Both are made from the repo (patches/ and our files), not from
# the build tree; neither has timestamps in its diff headers.
#
# A patch of patches/ may also change a file of ours that an earlier patch
# adds: a git-style section of its diff (diff --git a/F b/F, --- a/F,
# +++ b/F, hunks; scripts/mkhunk.sh makes one) on that file.  The repo
# keeps the final version of every file of ours, so the version a patch
# adds is derived: from the last patch to the first, the sections on our
# files are applied in reverse to the final files.  Then the series is
# built forward: the adding patch adds the derived version, each later
# patch applies its sections, and the result must be the repo's files,
# byte for byte.  A section that does not apply (either way), or that is
# on a file of ours that no earlier patch adds, is an error.
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

# sections PATCH OURS DIR: DIR/pristine is PATCH without its sections on
# the files OURS lists (its message, its changes to pristine files),
# DIR/sec.N its Nth section on a file of ours; DIR/index has a line
# "P FILE" for each section on a pristine file, "N FILE" for each on a
# file of ours, and "C FILE" ("D FILE") if a section creates (deletes) its
# file.  Every section starts with a diff --git line; the hunks are
# counted, so that no line of a hunk is taken for a header.
sections() {
	mkdir -p "$3"
	: >"$3/index"
	awk -v ours="$2" -v dir="$3" '
	function die(m) { print FILENAME ":" FNR ": " m >"/dev/stderr"; bad = 1; exit 1 }
	BEGIN { while ((getline l <ours) > 0) own[l] = 1; out = dir "/pristine" }
	!body && !/^diff --git / { print >out; if ($0 == "---") body = 1; next }
	old > 0 || new > 0 {	# a line of a hunk
		if (/^-/) old--; else if (/^\+/) new--
		else if (/^( |$)/) { old--; new-- }
		else if (!/^\\/) die("a hunk ends early")
		print >out; next
	}
	/^diff --git / {
		body = 1; hunks = 0
		f = $4; sub(/^b\//, "", f)
		if (out != dir "/pristine") close(out)
		if (f in own) { n++; out = dir "/sec." n; print n, f >(dir "/index") }
		else { out = dir "/pristine"; print "P", f >(dir "/index") }
		print >out; next
	}
	/^@@ / {
		split($2, a, ","); old = (2 in a) ? a[2] : 1
		split($3, a, ","); new = (2 in a) ? a[2] : 1
		hunks++; print >out; next
	}
	/^(---|\+\+\+) / && hunks { die("a second file in the section of " f " (every section starts with diff --git)") }
	/^(---|\+\+\+) / && f == "" { die("a diff without a diff --git line") }
	/^--- \/dev\/null/ { print "C", f >(dir "/index") }
	/^\+\+\+ \/dev\/null/ { print "D", f >(dir "/index") }
	{ print >out }
	END { if (!bad && (old > 0 || new > 0)) die("the last hunk is cut short") }
	' "$1" || die "$1: cannot split it into sections"
}
cut -d' ' -f1 "$tmp/claimed" >"$tmp/ours.list"
sed 's/ .*//' "$tmp/series" >"$tmp/names"
i=0
while read -r name; do
	i=$((i + 1))
	sections "patches/$name" "$tmp/ours.list" "$tmp/split/$i"
done <"$tmp/names"

# A section on a file of ours is in a patch after the one that adds it,
# and changes it (the series adds and removes our files, not sections).
i=0
# shellcheck disable=SC2094
while read -r name; do
	i=$((i + 1))
	while read -r k f; do
		case $k in [CD]) grep -qxF "$f" "$tmp/ours.list" || continue ;; esac
		case $k in
		C) die "$name: a section creates $f, a file of ours (patches/series says which patch adds it)" ;;
		D) die "$name: a section deletes $f, a file of ours" ;;
		esac
	done <"$tmp/split/$i/index"
	grep '^[0-9]' "$tmp/split/$i/index" | while read -r k f; do
		adder=$(awk -v f="$f" '$1 == f { print $2 }' "$tmp/claimed")
		j=$(awk -v a="$adder" '$0 == a { print NR }' "$tmp/names")
		[ "$j" -lt "$i" ] || [ "$adder" != "$name" ] ||
			die "$name: section $k changes $f, which this same patch adds (a section may change only a file that an earlier patch adds)"
		[ "$j" -lt "$i" ] ||
			die "$name: section $k changes $f, which no earlier patch adds ($adder adds it)"
	done
done <"$tmp/names"

# The version of each file of ours as the patch that adds it adds it: the
# final one, with the sections of the patches on it undone, last first.
first=$tmp/first
mkdir -p "$first"
git -C "$first" init -q
while read -r f; do
	mkdir -p "$first/$(dirname "$f")"
	cp "$f" "$first/$f"
done <"$tmp/ours.list"
i=$(wc -l <"$tmp/names")
while [ "$i" -gt 0 ]; do
	name=$(sed -n "${i}p" "$tmp/names")
	grep '^[0-9]' "$tmp/split/$i/index" | sort -rn | while read -r k f; do
		git -C "$first" apply -R "$tmp/split/$i/sec.$k" ||
			die "$name: its section on $f does not apply in reverse to the version the patches after it leave (the final one, for the last patch that changes it)"
	done
	i=$((i - 1))
done

# The pristine files the series changes, in a scratch repository.
git=$tmp/git
mkdir -p "$git"
touched=$(cat "$tmp"/split/*/index | sed -n 's/^P //p' | sort -u)
top_dir=$(tar -tf "$tarball" | head -n 1 | cut -d/ -f1)
# (what it does not find, the check below names)
if [ -n "$touched" ]; then
	# shellcheck disable=SC2046
	tar -xf "$tarball" -C "$git" --strip-components=1 \
		$(for f in $touched; do echo "$top_dir/$f"; done) 2>/dev/null || true
fi
for f in $touched; do
	[ -f "$git/$f" ] || cat "$tmp"/split/*/index | grep -qxF "C $f" ||
		die "$(grep -l "^+++ b/$f\([[:space:]]\|\$\)" patches/*.patch | head -n 1) changes $f, which is neither in the pristine tree nor a file of ours"
done
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

i=0
while read -r name pats; do
	i=$((i + 1))
	p=patches/$name
	if grep -q '^P ' "$tmp/split/$i/index"; then
		g apply "$tmp/split/$i/pristine" ||
			die "$name does not apply to the tree of the patches before it"
	fi
	grep '^[0-9]' "$tmp/split/$i/index" | while read -r k f; do
		g apply "$tmp/split/$i/sec.$k" ||
			die "$name: its section on $f does not apply to the version the patches before it leave"
	done
	for pat in $pats; do
		for f in $pat; do
			mkdir -p "$git/$(dirname "$f")"
			cp "$first/$f" "$git/$f"
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

# Forward, the sections gave back the repo's files.
while read -r f; do
	cmp -s "$f" "$git/$f" ||
		die "$f: the series ends with a version other than the repo's (the sections on it do not add up)"
done <"$tmp/ours.list"

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
