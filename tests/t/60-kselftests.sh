#!/bin/sh
# The kselftests that ship with the patch (tools/testing/selftests/net/
# netfilter/tproxy2_*.sh), run as kselftest runs them: from a copy of their
# directory, beside the assembled tree's lib.sh files and the helper.  Each
# must exit 0: a skip (4) is a failure here, this kernel has TPROXY 2.0.
. ../lib.sh
ksft=$TPT_TOP/build/linux-source-6.12/tools/testing/selftests/net
ours=$TPT_TOP/tools/testing/selftests/net/netfilter
dir=$T/net/netfilter
mkdir -p "$dir" || fail "scratch directory"
cp "$ksft/lib.sh" "$T/net/" || fail "$ksft/lib.sh (is the tree assembled?)"
cp "$ksft/netfilter/lib.sh" "$dir/" || fail "$ksft/netfilter/lib.sh"
cp "$ours"/tproxy2_*.sh "$BIN/tproxy2_sock" "$dir/" || fail "our kselftests and $BIN/tproxy2_sock"
# tproxy2_nft.sh runs the nft it finds first: the patched one
mkdir -p "$T/path" && ln -s "$NFT" "$T/path/nft" || fail "the patched nft ($NFT)"
PATH=$T/path:$PATH
cd "$dir" || fail "cd $dir"
failed=""
for t in tproxy2_*.sh; do
	[ "$t" = tproxy2_lib.sh ] && continue
	log "$t"
	timeout 100 ./"$t"
	rc=$?
	log "$t: exit $rc"
	[ $rc = 0 ] || failed="$failed $t:$rc"
done
cd / || exit 1
[ -z "$failed" ] || fail "kselftests that did not pass (exit 4 is a skip):$failed"
