#!/bin/sh
# With the SIP helper on port 5060, a datagram the tproxy table redirects
# reaches the proxy byte for byte; in the same namespace a datagram that
# nat REDIRECT sends to the same proxy is still rewritten by the helper
# (its request URI names the original destination, which NAT changed).
. ../lib.sh
setup_topology
in_c ip addr add 192.0.2.3/24 dev eth0

# with TPT_RULES=nft (72-nft-sip-helper-bypass.sh): nft's ct helper, tproxy2
# and redirect instead
if [ "${TPT_RULES:-}" = nft ]; then
	. ../lib-nft.sh
	nft_r -f - <<RULES || fail "ruleset"
table ip t {
	ct helper sip-5060 {
		type "sip" protocol udp
	}
	chain helpers {
		type filter hook prerouting priority mangle; policy accept;
		udp dport 5060 ct helper set "sip-5060"
	}
	chain tp {
		type nat hook prerouting priority dstnat - 30; policy accept;
		ip saddr $CLIENT_IP udp dport 5060 tproxy2 to :5070
	}
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		ip saddr 192.0.2.3 udp dport 5060 redirect to :5070
	}
}
RULES
else
ipt $R -t raw -A PREROUTING -p udp --dport 5060 -j CT --helper sip || fail "helper rule"
ipt $R -t tproxy -A PREROUTING -s $CLIENT_IP -p udp --dport 5060 -j TPROXY --on-port 5070 ||
	fail "rule"
ipt $R -t nat -A PREROUTING -s 192.0.2.3 -p udp --dport 5060 -j REDIRECT --to-ports 5070 ||
	fail "redirect"
fi
bg $R $T/recv $BIN/tpt-udp recv 0.0.0.0:5070
wait_listen $R 5070 udp

cr=$(printf '\r')
# sip SRC-IP CALL-ID: an OPTIONS request from SRC-IP:5060 to the server
sip() {
	printf 'OPTIONS sip:bob@%s:5060 SIP/2.0\r\n' $SERVER_IP
	printf 'Via: SIP/2.0/UDP %s:5060\r\n' $1
	printf 'From: <sip:alice@%s>;tag=1\r\nTo: <sip:bob@%s>\r\n' $1 $SERVER_IP
	printf 'Call-ID: %s@tproxy2\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n' $2
}
# no answer comes (the receiver only prints what it got): no exit status
in_c $BIN/tpt-udp send 5060 $SERVER_IP:5060 "$(sip $CLIENT_IP tp)" >/dev/null
in_c $BIN/tpt-udp send 192.0.2.3:5060 $SERVER_IP:5060 "$(sip 192.0.2.3 nat)" >/dev/null
in_c $BIN/tpt-udp send 5061 $SERVER_IP:5060 quit >/dev/null
sleep 0.3
cat $T/recv
sed -n '/got=OPTIONS/,/Call-ID: tp@/p' $T/recv >$T/tp
sed -n '/Call-ID: tp@/,/Call-ID: nat@/p' $T/recv | sed 1d >$T/nat
grep -q "from=$CLIENT_IP:5060" $T/recv || fail "the tproxied request did not come from the client"
expect_in $T/tp "^got=OPTIONS sip:bob@$SERVER_IP:5060 SIP/2.0$cr\$" \
	"the tproxied request line was modified"
expect_in $T/nat "^got=OPTIONS sip:bob@" "the NATed request did not arrive"
expect_not_in $T/nat "^got=OPTIONS sip:bob@$SERVER_IP:5060 " \
	"the helper did not rewrite the NATed request line"
