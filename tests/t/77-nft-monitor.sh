#!/bin/sh
# nft monitor shows tproxy2 rules as they are added, in text and in JSON,
# as nft list ruleset prints them; nft --echo too.  nft alone.
# tpt-nft-only
. ../lib.sh
ip netns add "$R" || fail "netns"

nft_in $R -f - <<'EOF' || fail "the tables"
table ip t4 {
	chain pre {
		type nat hook prerouting priority -130; policy accept;
	}
}
table inet ti {
	chain out {
		type nat hook output priority -130; policy accept;
	}
}
EOF

ip netns exec "$R" "$NFT" monitor rules >$T/mon 2>&1 &
mpid=$!
ip netns exec "$R" "$NFT" -j monitor rules >$T/monj 2>&1 &
jpid=$!
PIDS="$PIDS $mpid $jpid"
sleep 1

cat >$T/rules <<'EOF'
ip t4 pre tcp dport 80 tproxy2 to :3128
ip t4 pre tcp dport { 80, 443 } tproxy2 to :tcp dport map { 80 : 3128, 443 : 3129 }
ip t4 pre udp dport 53 tproxy2 to 192.0.2.1:5353
inet ti out tcp dport 21 tproxy2 ip to 127.0.0.1:2121
inet ti out udp dport 53 tproxy2 ip6 to [::1]:5353
inet ti out meta l4proto tcp tproxy2 to :0
EOF
while read -r r; do
	# shellcheck disable=SC2086
	nft_in $R add rule $r || fail "add rule $r"
done <$T/rules
nft_in $R --echo add rule ip t4 pre tcp dport 8080 tproxy2 to :3129 >$T/echo ||
	fail "nft --echo add rule"
cat $T/echo
grep -q "^add rule ip t4 pre tcp dport 8080 tproxy2 to :3129" $T/echo ||
	fail "nft --echo does not show the rule as given"

for _ in $(seq 50); do
	[ "$(grep -c tproxy2 $T/mon)" -ge 7 ] && [ "$(grep -c tproxy2 $T/monj)" -ge 7 ] && break
	sleep 0.1
done
kill $mpid $jpid 2>/dev/null
log "nft monitor"
cat $T/mon
while read -r r; do
	grep -qF "add rule $r" $T/mon || fail "nft monitor does not show: add rule $r"
done <$T/rules
log "nft -j monitor"
cat $T/monj
[ "$(grep -c '"tproxy2"' $T/monj)" -ge 7 ] || fail "nft -j monitor does not show every tproxy2 rule"
grep -q '"tproxy2": {"port": 3128}' $T/monj ||
	fail "nft -j monitor: not the port-only form"
grep -q '"tproxy2": {"family": "ip", "addr": "127.0.0.1", "port": 2121}' $T/monj ||
	fail "nft -j monitor: not the inet form with its family"
