#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TPROXY 2.0 for TCP (see tproxy2_lib.sh for the topology):
#
# 1. the tproxy table redirects the client's connection to port 80 to a
#    proxy on the router, which reads SO_ORIGINAL_DST and connects there
#    from the client's address (IP_TPROXY: ASSIGN {client, 0}, FLAGS
#    ITP_CONNECT): the server sees the client's address;
# 2. a connection to another port is forwarded untouched;
# 3. a listener tied to the client's address (ASSIGN, ALLOC, ITP_LISTEN)
#    accepts the connection the server opens to that address, as for an
#    active-FTP data channel;
# 4. IP_TPROXY's errnos, each leaving the socket as it was.

source tproxy2_lib.sh

tproxy_rule PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128
ip netns exec "$nsserver" "$sock" server "$server_ip:80" &
ip netns exec "$nsserver" "$sock" server "$server_ip:22" &
ip netns exec "$nsrouter" "$sock" proxy 0.0.0.0:3128 >"$tmp/proxy" 2>&1 &
wait_listen "$nsserver" 80 -t
wait_listen "$nsserver" 22 -t
wait_listen "$nsrouter" 3128 -t

result=$(in_client "$sock" client "$server_ip:80" hello-80)
check "the proxy got the connection and SO_ORIGINAL_DST" "$(cat "$tmp/proxy")" \
	"^client=$client_ip:[0-9]+ orig=$server_ip:80$"
check "the server saw the client's address through the proxy" "$result" \
	"^peer=$client_ip:[0-9]+ said=hello-80$"

result=$(in_client "$sock" client "$server_ip:22" hello-22)
check "port 22 reached the server untouched" "$result" "^peer=$client_ip:[0-9]+ said=hello-22$"
pkts=$(in_router iptables-legacy -t tproxy -n -v -x -L PREROUTING | awk '/TPROXY/ { print $1 }')
check "the rule saw the first packet of one connection" "$pkts" "^1$"

ip netns exec "$nsrouter" "$sock" flisten "$router_sip:0" "$client_ip:0" >"$tmp/flisten" 2>&1 &
wait_line "$tmp/flisten" "^listening "
port=$(sed -n "s/^listening $client_ip:\([0-9]*\)$/\1/p" "$tmp/flisten")
check "ALLOC gave the listener a port on the client's address" "$port" "^[1-9][0-9]*$"
result=$(in_server "$sock" client "$client_ip:$port" data-channel)
check "the foreign listener answered the server" "$result" \
	"^peer=$server_ip:[0-9]+ said=data-channel$"
check "the foreign listener accepted the connection to the client's address" \
	"$(cat "$tmp/flisten")" "^accepted peer=$server_ip:[0-9]+ orig=$client_ip:$port$"

if result=$(in_router "$sock" errnos tcp); then
	echo "PASS: IP_TPROXY errnos"
else
	echo "FAIL: IP_TPROXY errnos"
	ret=1
fi
echo "$result"

exit $ret
