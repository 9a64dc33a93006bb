#!/bin/sh
# make install and nft.  Before it, Debian's stock nft refuses tproxy2
# rules.  After it, the admin's nft (PREFIX/sbin, ahead of /usr/sbin in
# root's PATH) is the patched one: it loads, lists and round-trips tproxy2
# rules (text and JSON) and names the TPROXY 2.0 ct status bits, and its
# nft(8) has the statement; it needs no library of its own, and the
# system's nft, libnftables and libnftnl are untouched: /usr/sbin/nft
# still loads and lists ordinary rules, refuses a ruleset with tproxy2 with
# a message, and (shown here, written in the README) lists a ruleset
# holding tproxy2 rules without them.  make uninstall removes nft and
# nft.8.  As in 09-install, the xtables directory and dpkg's database are
# tmpfs copies bound over the real ones in a mount namespace of this test.
# tpt-nft-only
[ -n "${TPT_MNTNS:-}" ] || exec env TPT_MNTNS=1 unshare -m --propagation private sh "$0" "$@"
. ../lib.sh
unset XTABLES_LIBDIR
xt=$(pkg-config --variable=xtlibdir xtables 2>/dev/null || echo /usr/lib/x86_64-linux-gnu/xtables)
for d in "$xt" /var/lib/dpkg; do
	mkdir -p "$T/copy$d"
	cp -a "$d/." "$T/copy$d/" && mount --bind "$T/copy$d" "$d" || fail "a copy of $d"
done
stock=/usr/sbin/nft
[ -x $stock ] || fail "no stock nft (install-deps.sh installs nftables)"
for ns in $R rs$sfx rj$sfx; do
	ip netns add "$ns" || fail "netns $ns"
done
EXTRA_NS="rs$sfx rj$sfx"
p=$T/prefix
# root's PATH, as a login shell sets it, with $p for /usr/local
PATH=$p/sbin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
syslibs() {	# the system's libnftables and libnftnl, with their checksums
	for f in /usr/lib/x86_64-linux-gnu/libnftables.so.1 /usr/lib/x86_64-linux-gnu/libnftnl.so.11; do
		sha256sum "$(readlink -f "$f")"
	done
	sha256sum $stock
}
syslibs >$T/libs-before

cat >$T/tp.nft <<'EOF'
table inet proxy {
	chain pre {
		type nat hook prerouting priority -130; policy accept;
		tcp dport 80 tproxy2 to :3128
		tcp dport { 80, 443 } tproxy2 to :tcp dport map { 80 : 3128, 443 : 3129 }
		udp dport 53 tproxy2 ip to 192.0.2.1:5353
		tcp dport 21 tproxy2 ip6 to [2001:db8:1::1]:2121
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		ct status tproxied accept
	}
}
EOF
cat >$T/plain.nft <<'EOF'
table inet plain {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 22 accept
		ct state established,related accept
	}
}
EOF

log "before make install: nft is the stock one and refuses tproxy2"
[ "$(command -v nft)" = $stock ] || fail "nft is $(command -v nft) before make install"
if ip netns exec "$R" nft -f $T/tp.nft 2>$T/err; then
	fail "the stock nft took a tproxy2 rule: this test shows nothing"
fi
cat $T/err
grep -q "syntax error" $T/err || fail "the stock nft says no clear error for tproxy2"

log "make install"
make -s -C "$TPT_TOP" install PREFIX="$p" >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; fail "make install"; }
cat "$T/install.log"
grep -q "INSTALL $p/sbin/nft" "$T/install.log" || fail "make install did not list $p/sbin/nft"
grep -q "INSTALL $p/share/man/man8/nft.8" "$T/install.log" || fail "make install did not list nft.8"
[ "$(command -v nft)" = "$p/sbin/nft" ] || fail "root's nft is $(command -v nft), not the installed one"
nft --version
ldd "$p/sbin/nft" | tee $T/ldd
! grep -q "libnftables\|libnftnl" $T/ldd || fail "the installed nft uses a shared libnftables or libnftnl"
syslibs >$T/libs-after
cmp $T/libs-before $T/libs-after || fail "make install changed the system's nft or its libraries"
dpkg -V nftables libnftables1 libnftnl11 >$T/verify 2>&1
[ ! -s $T/verify ] || { cat $T/verify; fail "dpkg -V: the system's nftables files changed"; }
echo "the system's nft, libnftables and libnftnl are untouched"

log "the installed nft: load, list, round trip (text and JSON)"
ip netns exec "$R" nft -f $T/tp.nft || fail "the installed nft refused the tproxy2 ruleset"
ip netns exec "$R" nft list ruleset >$T/l1
cat $T/l1
diff -u $T/tp.nft $T/l1 || fail "the installed nft does not list the ruleset as given"
ip netns exec rs$sfx nft -f $T/l1 || fail "the listing does not load again"
ip netns exec rs$sfx nft list ruleset | diff -u $T/l1 - || fail "the text round trip differs"
ip netns exec "$R" nft -j list ruleset >$T/j1 || fail "nft -j list ruleset"
ip netns exec rj$sfx nft -j -f $T/j1 || fail "the JSON listing does not load"
ip netns exec rj$sfx nft list ruleset | diff -u $T/l1 - || fail "the JSON round trip differs"
echo "round trips: text and JSON"
MANPATH=$p/share/man man nft 2>/dev/null | col -b >$T/man
grep -q "TPROXY2 STATEMENT" $T/man || fail "the installed nft(8) has no TPROXY2 STATEMENT"
grep -q "tproxied" $T/man && grep -q "no-nat-helper" $T/man || fail "the installed nft(8) lacks the status names"
echo "nft(8): the tproxy2 statement and the status names"

log "the stock nft beside it: ordinary rules"
ip netns exec rs$sfx $stock flush ruleset
ip netns exec rs$sfx $stock -f $T/plain.nft || fail "the stock nft: an ordinary ruleset"
ip netns exec rs$sfx $stock list ruleset | diff -u $T/plain.nft - || fail "the stock nft lists an ordinary ruleset differently"
ip netns exec rs$sfx $stock -j list ruleset >/dev/null || fail "the stock nft: JSON"
echo "the stock nft loads and lists ordinary rules"
if ip netns exec rs$sfx $stock -f $T/tp.nft 2>$T/err; then
	fail "the stock nft took a tproxy2 ruleset"
fi
cat $T/err
grep -q "syntax error" $T/err || fail "the stock nft says no clear error for tproxy2"

log "the stock nft lists a ruleset that holds tproxy2 rules"
ip netns exec "$R" $stock list ruleset >$T/stock-list 2>$T/stock-err
rc=$?
echo "exit status $rc"
echo "stdout:"
cat $T/stock-list
echo "stderr:"
cat $T/stock-err
ip netns exec "$R" $stock -j list ruleset >$T/stock-j 2>&1
echo "JSON: $(cat $T/stock-j)"
# what the README says: exit 0, no word on stderr, the chains without their
# tproxy2 rules, the status bit as a number
[ $rc = 0 ] && [ ! -s $T/stock-err ] || fail "the stock nft lists it otherwise than the README says"
! grep -q tproxy2 $T/stock-list && ! grep -q "tcp dport" $T/stock-list ||
	fail "the stock nft shows the tproxy2 rules in some form: update the README"
grep -q "ct status 0x10000 accept" $T/stock-list || fail "the stock nft names IPS_TPROXY otherwise"
! grep -q tproxy2 $T/stock-j || fail "the stock nft -j shows tproxy2"
# and so a ruleset saved with the stock nft and loaded again has lost them
ip netns exec "$R" $stock flush ruleset
ip netns exec "$R" $stock -f $T/stock-list || fail "the stock nft's listing does not load"
ip netns exec "$R" nft list ruleset >$T/after-stock
! grep -q tproxy2 $T/after-stock || fail "the tproxy2 rules survived a stock save and load?"
echo "saved and loaded with the stock nft: the tproxy2 rules are gone"

log "make uninstall"
make -s -C "$TPT_TOP" uninstall PREFIX="$p" >"$T/uninstall.log" 2>&1 ||
	{ cat "$T/uninstall.log"; fail "make uninstall"; }
cat "$T/uninstall.log"
grep -q "REMOVE  $p/sbin/nft" "$T/uninstall.log" || fail "make uninstall did not list nft"
[ ! -e "$p/sbin/nft" ] && [ ! -e "$p/share/man/man8/nft.8" ] || fail "make uninstall left nft or nft.8"
left=$(find "$p" -type f 2>/dev/null)
[ -z "$left" ] || fail "make uninstall left $left"
hash -r 2>/dev/null
[ "$(command -v nft)" = $stock ] || fail "nft is $(command -v nft) after make uninstall"
ip netns exec rs$sfx nft list ruleset | diff -u $T/plain.nft - || fail "the stock nft after make uninstall"
echo "make uninstall: root's nft is the stock one again"
