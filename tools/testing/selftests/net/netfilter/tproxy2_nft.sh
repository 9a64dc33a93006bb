#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TPROXY 2.0 with nftables (see tproxy2_lib.sh for the topology): the
# tproxy2 statement of an inet table's nat chain intercepts, for IPv4 and
# then IPv6:
#
# 1. the client's connection to port 80 goes to a proxy on the router,
#    which reads its original destination and connects there from the
#    client's address (ASSIGN {client, 0}, FLAGS ITP_CONNECT): the server
#    sees the client's address;
# 2. a connection to another port is forwarded untouched;
# 3. the connection's conntrack is tproxied: "ct status tproxied" counts
#    its packets in an input chain.
#
# Needs nft with the tproxy2 statement (nftables with TPROXY 2.0's
# patches) and CONFIG_NFT_TPROXY2; skips without them.  Needs no legacy
# iptables.

tproxy2_rules=nft
source tproxy2_lib.sh

in_router nft -f - <<EOF || { echo "FAIL: the tproxy2 ruleset"; exit "$ksft_fail"; }
table inet tproxy2_test {
	chain pre {
		type nat hook prerouting priority dstnat - 30; policy accept;
		tcp dport 80 counter tproxy2 to :3128
	}
	chain in {
		type filter hook input priority filter; policy accept;
		meta nfproto ipv4 tcp dport 3128 ct status tproxied counter
		meta nfproto ipv6 tcp dport 3128 ct status tproxied counter
	}
}
EOF

# counter CHAIN [PATTERN]: the packets counted by the rule of CHAIN that
# matches PATTERN
counter()
{
	in_router nft list chain inet tproxy2_test "$1" | grep -- "${2:-counter}" |
		sed -n 's/.*counter packets \([0-9]*\) .*/\1/p'
}

nft_cases()
{
	local result client_re n=1

	client_re=$(ep_re "$client_ip" "[0-9]+")
	ip netns exec "$nsserver" "$sock" server "$(ep "$server_ip" 80)" &
	ip netns exec "$nsserver" "$sock" server "$(ep "$server_ip" 22)" &
	ip netns exec "$nsrouter" "$sock" proxy "$(ep "$any" 3128)" >"$tmp/proxy$fam" 2>&1 &
	wait_listen "$nsserver" 80 -t
	wait_listen "$nsserver" 22 -t
	wait_listen "$nsrouter" 3128 -t

	result=$(in_client "$sock" client "$(ep "$server_ip" 80)" "hello-80-v$fam")
	check "the proxy got the connection and its original destination" \
		"$(cat "$tmp/proxy$fam")" "^client=$client_re orig=$(ep_re "$server_ip" 80)$"
	check "the server saw the client's address through the proxy" "$result" \
		"^peer=$client_re said=hello-80-v$fam$"

	result=$(in_client "$sock" client "$(ep "$server_ip" 22)" "hello-22-v$fam")
	check "port 22 reached the server untouched" "$result" \
		"^peer=$client_re said=hello-22-v$fam$"

	# one first packet a connection: one for IPv4, two after IPv6
	[ "$fam" = 6 ] && n=2
	check "the rule saw the first packet of each connection" "$(counter pre)" "^$n$"
	check_not "ct status tproxied matched the intercepted connection" \
		"$(counter in "ipv$fam ")" "^0$"

	ip netns pids "$nsserver" | xargs -r kill 2>/dev/null
	ip netns pids "$nsrouter" | xargs -r kill 2>/dev/null
	wait 2>/dev/null
}

use_family 4 && nft_cases
use_family 6 && nft_cases

tproxy2_exit
