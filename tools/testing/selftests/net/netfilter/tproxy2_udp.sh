#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TPROXY 2.0 for UDP (see tproxy2_lib.sh for the topology):
#
# 1. IP_RECVORIGADDRS's errnos;
# 2. the tproxy table redirects the client's datagrams to port 53 to a
#    receiver on the router, whose IP_ORIGADDRS messages give each
#    datagram's addresses before NAT; a datagram to another port is not
#    redirected;
# 3. a UDP socket tied to the client's address and port (ASSIGN, FLAGS
#    ITP_CONNECT) talks to the server, which sees the client's address.

source tproxy2_lib.sh

if result=$(in_router "$sock" errnos udp); then
	echo "PASS: IP_RECVORIGADDRS errnos"
else
	echo "FAIL: IP_RECVORIGADDRS errnos"
	ret=1
fi
echo "$result"

tproxy_rule PREROUTING -p udp --dport 53 -j TPROXY --on-port 5353
ip netns exec "$nsrouter" "$sock" udprecv 0.0.0.0:5353 3 >"$tmp/recv" 2>&1 &
receiver=$!
wait_line "$tmp/recv" "^ready$"
in_client "$sock" udpsend 0.0.0.0:4001 "$server_ip:53" first
in_client "$sock" udpsend 0.0.0.0:4001 "$server_ip:53" second
in_client "$sock" udpsend 0.0.0.0:4001 "$server_ip:54" not-redirected
in_client "$sock" udpsend 0.0.0.0:4002 "$server_ip:53" other-flow
wait "$receiver"
check "the receiver got all three datagrams" "$?" "^0$"
recv=$(cat "$tmp/recv")
check "first datagram: IP_ORIGADDRS" "$recv" \
	"^got=first from=$client_ip:4001 orig_src=$client_ip:4001 orig_dst=$server_ip:53$"
check "second datagram of the flow: IP_ORIGADDRS" "$recv" \
	"^got=second from=$client_ip:4001 orig_src=$client_ip:4001 orig_dst=$server_ip:53$"
check "another flow: IP_ORIGADDRS" "$recv" \
	"^got=other-flow from=$client_ip:4002 orig_src=$client_ip:4002 orig_dst=$server_ip:53$"
check_not "port 54 was not redirected" "$recv" "not-redirected"
in_router iptables-legacy -t tproxy -F PREROUTING

ip netns exec "$nsserver" "$sock" udpecho "$server_ip:53" &
wait_listen "$nsserver" 53 -u
result=$(in_router "$sock" udpconnect "$client_ip:4444" "$server_ip:53" from-client)
check "the server saw the client's address, its answer reached the proxy" "$result" \
	"^peer=$client_ip:4444 said=from-client$"

exit $ret
