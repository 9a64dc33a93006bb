#!/bin/sh
# tproxy2 rules and the TPROXY 2.0 ct status names through nft's own
# formats: in ip, ip6 and inet tables, every form of the statement (port
# only, port 0, address only, address and port, with and without a family,
# maps for the port and the address, a named map, a chain jumped to from a
# nat chain, the output hook) and the status names in filter chains.
# nft list ruleset prints the ruleset exactly as it was given; that
# listing loads again into a fresh namespace and lists the same; the JSON
# listing (nft -j list ruleset) loads with nft -j -f into another and lists
# the same, in JSON and in text.  The kernel's rules are the same too
# (nft --debug=netlink).  nft alone.
# tpt-nft-only
. ../lib.sh
EXTRA_NS="rt2$sfx rj$sfx"
for ns in $R $EXTRA_NS; do
	ip netns add "$ns" || fail "netns $ns"
done

cat >$T/rules <<'EOF'
table ip t4 {
	map ports {
		type inet_service : inet_service
		elements = { 80 : 3128, 443 : 3129 }
	}

	chain pre {
		type nat hook prerouting priority -130; policy accept;
		tcp dport 80 tproxy2 to :3128
		tcp dport 21 tproxy2 to 192.0.2.1:2121
		udp dport 53 tproxy2 to 192.0.2.1
		tcp dport 8080 tproxy2 to :0
		tcp dport { 80, 443 } tproxy2 to :tcp dport map { 80 : 3128, 443 : 3129 }
		meta l4proto tcp tproxy2 to :tcp dport map @ports
		tcp dport 8081 tproxy2 to ip daddr map { 198.51.100.2 : 192.0.2.1 }
		ip saddr 192.0.2.0/24 udp dport 5353 counter packets 0 bytes 0 tproxy2 to 192.0.2.1:5353
		jump sub
	}

	chain sub {
		tcp dport 99 tproxy2 to :3199
	}

	chain out {
		type nat hook output priority -130; policy accept;
		ip daddr 198.51.100.2 tcp dport 21 tproxy2 to 127.0.0.1:2121
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		ct status tproxied accept
		ct status sockref,no-nat-helper counter packets 0 bytes 0
		ct status dnat,tproxied / dnat,tproxied accept
	}
}
table ip6 t6 {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		tcp dport 80 tproxy2 to [fd00::1]:3128
		tcp dport 81 tproxy2 to [2001:db8:1::1]
		udp dport 53 tproxy2 to :5353
	}

	chain input {
		type filter hook input priority filter; policy accept;
		ct status tproxied,no-nat-helper accept
	}
}
table inet ti {
	chain pre {
		type nat hook prerouting priority -130; policy accept;
		tcp dport 80 tproxy2 to :3128
		meta l4proto udp tproxy2 to :0
		tcp dport 81 tproxy2 ip to 192.0.2.1:3181
		tcp dport 82 tproxy2 ip6 to [2001:db8:1::1]:3182
		meta nfproto ipv4 tcp dport 83 tproxy2 ip to :3183
	}

	chain out {
		type nat hook output priority -130; policy accept;
		udp dport 53 tproxy2 ip6 to [::1]:5353
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		ct status tproxied accept
	}
}
EOF

log "nft -f: the ruleset, nft list ruleset: the same"
nft_in $R -f $T/rules || fail "the ruleset was refused"
nft_in $R list ruleset >$T/list1 || fail "nft list ruleset"
cat $T/list1
diff -u $T/rules $T/list1 || fail "nft list ruleset differs from what was given"
echo "listed exactly as given: $(grep -c tproxy2 $T/list1) tproxy2 rules"

log "the listing into a fresh namespace, listed again"
nft_in rt2$sfx -f $T/list1 || fail "the listing does not load again"
nft_in rt2$sfx list ruleset >$T/list2
diff -u $T/list1 $T/list2 || fail "the listing loaded again lists differently"

log "the kernel's rules: the same expressions in both"
nft_in $R --debug=netlink list ruleset >$T/nl1 2>&1
nft_in rt2$sfx --debug=netlink list ruleset >$T/nl2 2>&1
grep -q "tproxy2" $T/nl1 || { cat $T/nl1; fail "no tproxy2 expression in nft --debug=netlink"; }
grep "tproxy2" $T/nl1 | sort | uniq -c
# a hash set lists its elements in any order
sort $T/nl1 >$T/nl1s
sort $T/nl2 >$T/nl2s
diff -u $T/nl1s $T/nl2s || fail "the kernel holds other expressions after the round trip"

log "JSON: nft -j list ruleset, nft -j -f into a fresh namespace"
nft_in $R -j list ruleset >$T/j1 || fail "nft -j list ruleset"
grep -o '"tproxy2": {[^}]*}' $T/j1 | sort | uniq -c
[ "$(grep -o '"tproxy2":' $T/j1 | wc -l)" = "$(grep -c tproxy2 $T/rules)" ] ||
	fail "nft -j list ruleset does not show every tproxy2 rule"
grep -q '"tproxied"' $T/j1 && grep -q '"no-nat-helper"' $T/j1 && grep -q '"sockref"' $T/j1 ||
	fail "nft -j list ruleset does not name the status bits"
nft_in rj$sfx -j -f $T/j1 || fail "the JSON listing does not load"
nft_in rj$sfx -j list ruleset >$T/j2
# the same but for the handles (nft -j -f makes the sets first)
nohandles() { sed 's/"handle": [0-9]*, //g; s/, "handle": [0-9]*//g' "$1"; }
nohandles $T/j1 >$T/j1n
nohandles $T/j2 >$T/j2n
cmp $T/j1n $T/j2n || { cat $T/j1n; echo; cat $T/j2n; fail "the JSON round trip differs"; }
nft_in rj$sfx list ruleset >$T/list3
diff -u $T/rules $T/list3 || fail "the JSON round trip lists differently as text"
echo "JSON round trip: the same JSON and the same text"

log "a family named in an ip or ip6 table: taken, listed without it (as tproxy)"
cat >$T/named <<'EOF'
table ip n4 {
	chain pre {
		type nat hook prerouting priority -130; policy accept;
		tcp dport 21 tproxy2 ip to 192.0.2.1:2121
		tcp dport 22 tproxy2 ip to :2222
	}
}
table ip6 n6 {
	chain pre {
		type nat hook prerouting priority -130; policy accept;
		tcp dport 80 tproxy2 ip6 to [fd00::1]:3128
	}
}
EOF
sed 's/tproxy2 ip6* to/tproxy2 to/' $T/named >$T/named-listed
nft_in rt2$sfx flush ruleset
nft_in rt2$sfx -f $T/named || fail "a family named in an ip or ip6 table was refused"
nft_in rt2$sfx list ruleset >$T/list4
diff -u $T/named-listed $T/list4 || fail "not listed as expected"
nft_in rt2$sfx -f $T/list4 || fail "the listing does not load again"
echo "listed without the family, loads again"
