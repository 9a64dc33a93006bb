#!/bin/sh
# The files of the sockref core call only into files below them: the layers
# are the ones the opening comment of net/netfilter/nf_tproxy2_internal.h
# gives ("N  nf_tproxy2_FILE.c"), the calls are the objects' own symbols
# (what one object of the test kernel leaves undefined and another defines).
# A call into the same layer or one above fails, and so does a core file
# that the comment leaves out.
set -u
top=$1
obj=${OBJDIR:-$top/build/uml}/net/netfilter
hdr=$top/net/netfilter/nf_tproxy2_internal.h
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# "LAYER FILE" from the header's comment
sed -n 's|^ \*[[:space:]]*\([0-9]\)[[:space:]]*\(nf_tproxy2_[a-z0-9_]*\)\.c.*|\1 \2|p' "$hdr" >"$tmp/layers"
[ -s "$tmp/layers" ] || fail "no layers in $hdr"
for f in "$top"/net/netfilter/nf_tproxy2_*.c; do
	name=$(basename "$f" .c)
	grep -q " $name\$" "$tmp/layers" || fail "$name.c is in no layer of $hdr"
done

# "SYMBOL FILE" defined, "SYMBOL FILE" undefined
: >"$tmp/def"
: >"$tmp/undef"
while read -r layer name; do
	o=$obj/$name.o
	[ -f "$o" ] || fail "$o: not built (make first)"
	nm "$o" | awk -v f="$name" '$2 ~ /^[TDBR]$/ { print $3, f }' >>"$tmp/def"
	nm -u "$o" | awk -v f="$name" '{ print $2, f }' >>"$tmp/undef"
done <"$tmp/layers"

layer() { sed -n "s/^\([0-9]\) $1\$/\1/p" "$tmp/layers"; }
bad=0 calls=0
sort "$tmp/def" >"$tmp/def.s"
sort "$tmp/undef" | join - "$tmp/def.s" >"$tmp/calls"
while read -r sym caller callee; do
	calls=$((calls + 1))
	lc=$(layer "$caller") le=$(layer "$callee")
	if [ "$le" -ge "$lc" ]; then
		echo "$caller.c (layer $lc) uses $sym of $callee.c (layer $le)"
		bad=$((bad + 1))
	fi
done <"$tmp/calls"
[ "$calls" -gt 0 ] || fail "no symbol of one core file is used by another: is the build right?"
[ "$bad" = 0 ] || fail "$bad uses of a file in the same layer or above"
echo "layering: $calls uses between the core's files, each into a lower layer"
