#!/bin/sh
# tproxy2 beside what nftables already has: mainline's tproxy statement
# and socket expression (a mangle-priority filter chain), dnat, snat and
# redirect, in one namespace.  Every rule lists as given and
# the listing loads again, text and JSON: the tproxy and tproxy2
# expressions are not taken for each other.  nft describe names the
# TPROXY 2.0 status bits; nft -c checks a tproxy2 ruleset without loading
# it.  nft alone.
# tpt-nft-only
. ../lib.sh
EXTRA_NS="rs$sfx rj$sfx"
for ns in $R $EXTRA_NS; do
	ip netns add "$ns" || fail "netns $ns"
done

cat >$T/rules <<'EOF'
table inet mangle {
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		meta l4proto tcp socket transparent 1 meta mark set 0x00000001 accept
		tcp dport 81 tproxy ip to 127.0.0.1:3129 meta mark set 0x00000001 accept
		udp dport 53 tproxy ip6 to [::1]:5353 accept
		tcp dport 82 tproxy to :3182 accept
	}
}
table ip nat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		tcp dport 8080 dnat to 198.51.100.2:80
		tcp dport 8081 redirect to :3130
	}

	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "s0" snat to 198.51.100.1
	}
}
table ip tp2 {
	chain pre {
		type nat hook prerouting priority -130; policy accept;
		tcp dport 80 tproxy2 to :3128
		tcp dport 8082 tproxy2 to 192.0.2.1:3131
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		ct status tproxied counter packets 0 bytes 0 accept
		ct status dnat counter packets 0 bytes 0 accept
	}
}
table inet tp2 {
	chain pre {
		type nat hook prerouting priority -130; policy accept;
		tcp dport 83 tproxy2 ip6 to [2001:db8:1::1]:3183
	}
}
EOF

log "nft -c: checked, not loaded"
nft_in $R -c -f $T/rules || fail "nft -c refused the ruleset"
[ -z "$(nft_in $R list ruleset)" ] || fail "nft -c loaded something"

log "loaded, listed as given"
nft_in $R -f $T/rules || fail "the ruleset was refused"
nft_in $R list ruleset >$T/l1
cat $T/l1
diff -u $T/rules $T/l1 || fail "not listed as given"
nft_in $R --debug=netlink list ruleset 2>&1 | grep -E "tproxy|socket|redir|nat" | sort | uniq -c
[ "$(nft_in $R --debug=netlink list ruleset 2>&1 | grep -c '\[ tproxy2 ')" = 3 ] ||
	fail "not three tproxy2 expressions in the kernel"
[ "$(nft_in $R --debug=netlink list ruleset 2>&1 | grep -c '\[ tproxy ')" = 3 ] ||
	fail "not three tproxy expressions in the kernel"

log "round trips"
nft_in rs$sfx -f $T/l1 || fail "the listing does not load"
nft_in rs$sfx list ruleset | diff -u $T/l1 - || fail "the text round trip differs"
nft_in $R -j list ruleset >$T/j1
grep -c '"tproxy2"' $T/j1 >/dev/null || fail "no tproxy2 in JSON"
nft_in rj$sfx -j -f $T/j1 || fail "the JSON listing does not load"
nft_in rj$sfx list ruleset | diff -u $T/l1 - || fail "the JSON round trip differs"
echo "text and JSON round trips"

log "nft describe ct status"
nft_in $R describe ct status | tee $T/describe
for n in tproxied sockref no-nat-helper; do
	grep -q "^	$n	" $T/describe || grep -qw "$n" $T/describe || fail "nft describe does not name $n"
done
grep -w tproxied $T/describe | grep -q 0x00010000 || fail "tproxied is not bit 16"
grep -w sockref $T/describe | grep -q 0x00020000 || fail "sockref is not bit 17"
grep -w no-nat-helper $T/describe | grep -q 0x00040000 || fail "no-nat-helper is not bit 18"
