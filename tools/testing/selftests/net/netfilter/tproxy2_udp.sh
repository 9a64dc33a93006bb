#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TPROXY 2.0 for UDP (see tproxy2_lib.sh for the topology), for IPv4 with
# iptables, IP_TPROXY and IP_RECVORIGADDRS, then for IPv6 with ip6tables,
# IPV6_TPROXY and IPV6_RECVORIGADDRS:
#
# 1. the option's errnos;
# 2. the tproxy table redirects the client's datagrams to port 53 to a
#    receiver on the router, whose IP_ORIGADDRS (IPV6_ORIGADDRS) messages
#    give each datagram's addresses before NAT; a datagram to another port
#    is not redirected;
# 3. a UDP socket tied to the client's address and port (ASSIGN, FLAGS
#    ITP_CONNECT) talks to the server, which sees the client's address.

source tproxy2_lib.sh

udp_cases()
{
	local result recv receiver client1 client2 orig_dst
	local opt=IP_RECVORIGADDRS tag=orig

	[ "$fam" = 6 ] && opt=IPV6_RECVORIGADDRS tag=orig6
	client1=$(ep_re "$client_ip" 4001)
	client2=$(ep_re "$client_ip" 4002)
	orig_dst=$(ep_re "$server_ip" 53)

	if result=$(in_router "$sock" errnos "udp${fam#4}"); then
		echo "PASS: $opt errnos"
	else
		echo "FAIL: $opt errnos"
		ret=1
	fi
	echo "$result"

	tproxy_rule PREROUTING -p udp --dport 53 -j TPROXY --on-port 5353
	ip netns exec "$nsrouter" "$sock" udprecv "$(ep "$any" 5353)" 3 >"$tmp/recv$fam" 2>&1 &
	receiver=$!
	wait_line "$tmp/recv$fam" "^ready$"
	in_client "$sock" udpsend "$(ep "$any" 4001)" "$(ep "$server_ip" 53)" first
	in_client "$sock" udpsend "$(ep "$any" 4001)" "$(ep "$server_ip" 53)" second
	in_client "$sock" udpsend "$(ep "$any" 4001)" "$(ep "$server_ip" 54)" not-redirected
	in_client "$sock" udpsend "$(ep "$any" 4002)" "$(ep "$server_ip" 53)" other-flow
	wait "$receiver"
	check "the receiver got all three datagrams" "$?" "^0$"
	recv=$(cat "$tmp/recv$fam")
	check "first datagram: ${opt/RECV/}" "$recv" \
		"^got=first from=$client1 ${tag}_src=$client1 ${tag}_dst=$orig_dst$"
	check "second datagram of the flow: ${opt/RECV/}" "$recv" \
		"^got=second from=$client1 ${tag}_src=$client1 ${tag}_dst=$orig_dst$"
	check "another flow: ${opt/RECV/}" "$recv" \
		"^got=other-flow from=$client2 ${tag}_src=$client2 ${tag}_dst=$orig_dst$"
	check_not "port 54 was not redirected" "$recv" "not-redirected"
	in_router "$ipt" -t tproxy -F PREROUTING

	ip netns exec "$nsserver" "$sock" udpecho "$(ep "$server_ip" 53)" &
	wait_listen "$nsserver" 53 -u
	result=$(in_router "$sock" udpconnect "$(ep "$client_ip" 4444)" \
		 "$(ep "$server_ip" 53)" "from-client-v$fam")
	check "the server saw the client's address, its answer reached the proxy" "$result" \
		"^peer=$(ep_re "$client_ip" 4444) said=from-client-v$fam$"
}

use_family 4 && udp_cases
use_family 6 && udp_cases

tproxy2_exit
