#!/bin/sh
# make patch: the single diff applies with patch -p1 to a freshly unpacked
# pristine tree and gives exactly the assembled tree; so does dist/series/,
# mail by mail, without fuzz.  No diff header has a timestamp, and no patch
# of the series includes a header or builds an object that only a later
# patch adds: in the tree as each patch leaves it, the files the series
# has changed or added so far (a later patch may change a file of ours that
# an earlier one adds: see scripts/mkpatch.sh).  (That every prefix builds
# is make patch-check's.)
set -u
top=$1
tarball=${TARBALL:-/usr/src/linux-source-6.12.tar.xz}
ksrc=${KSRC:-$top/build/linux-source-6.12}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

sh "$top/scripts/mkpatch.sh" "$tarball" "$top" "$tmp/dist" || fail "mkpatch"
p=$tmp/dist/tproxy2-6.12.patch
[ -s "$p" ] || fail "empty patch"
if grep -n '^\(+++\|---\) [ab]/[^[:space:]]*[[:space:]]' "$p" "$tmp"/dist/series/*.patch; then
	fail "a diff header has a timestamp"
fi

mkdir "$tmp/fresh"
tar -xf "$tarball" -C "$tmp/fresh" --strip-components=1 || fail "unpack"
patch -p1 --dry-run -s -F0 -d "$tmp/fresh" <"$p" || fail "the patch does not apply (dry run)"
patch -p1 -s -F0 -d "$tmp/fresh" <"$p" || fail "the patch does not apply"
find "$tmp/fresh" -name '*.orig' -o -name '*.rej' | grep . && fail "fuzz or rejects"

files=$(sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$p")
for f in $files; do
	cmp "$tmp/fresh/$f" "$ksrc/$f" || fail "$f differs from the assembled tree"
done
echo "single patch: $(echo "$files" | wc -w) files, identical to the assembled tree"

# The series, in order, on the pristine files.  What a mail adds is
# there for it and the mails after it, not before.
mkdir "$tmp/s"
top_dir=$(tar -tf "$tarball" | head -n 1 | cut -d/ -f1)
# in one pass over the tarball; the files the series adds are not in it
# shellcheck disable=SC2046
tar -xf "$tarball" -C "$tmp/s" --strip-components=1 \
	$(for f in $files; do echo "$top_dir/$f"; done) 2>/dev/null
added() {	# the files mail $1 adds
	awk '/^--- \/dev\/null/ { new = 1; next }
	     /^\+\+\+ b\// { if (new) print substr($2, 3); new = 0 }' "$1"
}
: >"$tmp/added"
for m in "$tmp"/dist/series/*.patch; do
	added "$m" >>"$tmp/added.all"
done
# what the files at $tmp/s/ of the list on stdin include ("FILE HEADER")
includes() {
	while read -r f; do
		[ ! -f "$tmp/s/$f" ] || awk -v f="$f" '
		/^[ \t]*#[ \t]*include[ \t]*[<"]/ {
			h = $0; sub(/^[^<"]*[<"]/, "", h); sub(/[>"].*/, "", h); print f, h
		}' "$tmp/s/$f"
	done
}
# the objects their kbuild files build ("FILE OBJECT")
objects() {
	while read -r f; do
		case ${f##*/} in Makefile* | Kbuild*) ;; *) continue ;; esac
		[ ! -f "$tmp/s/$f" ] || awk -v f="$f" '
		/^[^#]*(obj-|-y|-objs).*[:+]= / || more {
			line = $0; more = line ~ /\\$/
			sub(/^[^=]*= */, "", line); sub(/\\$/, "", line)
			n = split(line, o, " "); for (i = 1; i <= n; i++) print f, o[i]
			next
		}
		{ more = 0 }' "$tmp/s/$f"
	done
}
: >"$tmp/changed"
n=0
for m in "$tmp"/dist/series/*.patch; do
	case $(basename "$m") in 0000-*) continue ;; esac
	n=$((n + 1))
	name=$(basename "$m")
	patch -p1 -s -F0 --no-backup-if-mismatch -d "$tmp/s" <"$m" || fail "$name does not apply"
	added "$m" >>"$tmp/added"
	sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$m" >>"$tmp/changed"
	sort -u -o "$tmp/changed" "$tmp/changed"
	# in the tree as the mail leaves it, the headers that the files the
	# series changed so far include, the objects they build: here by now,
	# or never added by the series (then the pristine tree has them)
	includes <"$tmp/changed" |
	while read -r f h; do
		for c in "include/$h" "include/uapi/$h" "$(dirname "$f")/$h"; do
			if grep -qx "$c" "$tmp/added.all"; then
				grep -qx "$c" "$tmp/added" || { echo "$name: $f includes $h, added later"; exit 1; }
			fi
		done
	done || fail "a patch includes a header that a later patch adds"
	objects <"$tmp/changed" |
	while read -r f o; do
		c=$(dirname "$f")/${o%.o}.c
		if grep -qx "$c" "$tmp/added.all"; then
			grep -qx "$c" "$tmp/added" || { echo "$name: $f builds $o, whose source is added later"; exit 1; }
		fi
	done || fail "a patch builds an object whose source a later patch adds"
	echo "series: $name applies; what it includes and builds is there"
done
[ "$n" -gt 1 ] || fail "dist/series/ has $n patches"
for f in $files; do
	cmp "$tmp/s/$f" "$ksrc/$f" || fail "series: $f differs from the assembled tree"
done
echo "series: $n patches, the same tree as the single diff"
