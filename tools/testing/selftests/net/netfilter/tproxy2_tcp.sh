#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TPROXY 2.0 for TCP (see tproxy2_lib.sh for the topology), for IPv4 with
# iptables and IP_TPROXY, then for IPv6 with ip6tables and IPV6_TPROXY:
#
# 1. the tproxy table redirects the client's connection to port 80 to a
#    proxy on the router, which reads SO_ORIGINAL_DST (IP6T_SO_ORIGINAL_DST)
#    and connects there from the client's address (ASSIGN {client, 0},
#    FLAGS ITP_CONNECT): the server sees the client's address;
# 2. a connection to another port is forwarded untouched;
# 3. a listener tied to the client's address (ASSIGN, ALLOC, ITP_LISTEN)
#    accepts the connection the server opens to that address, as for an
#    active-FTP data channel;
# 4. the option's errnos, each leaving the socket as it was; for IPv6 also
#    those between the families (EAFNOSUPPORT, and the IPv4 socket code's
#    answers to IPV6_TPROXY).

source tproxy2_lib.sh

tcp_cases()
{
	local result pkts port flisten_re
	local client_re server_re opt=IP_TPROXY

	[ "$fam" = 6 ] && opt=IPV6_TPROXY
	client_re=$(ep_re "$client_ip" "[0-9]+")
	server_re=$(ep_re "$server_ip" "[0-9]+")

	tproxy_rule PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128
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
	pkts=$(in_router "$ipt" -t tproxy -n -v -x -L PREROUTING | awk '/TPROXY/ { print $1 }')
	check "the rule saw the first packet of one connection" "$pkts" "^1$"

	ip netns exec "$nsrouter" "$sock" flisten "$(ep "$router_sip" 0)" "$(ep "$client_ip" 0)" \
		>"$tmp/flisten$fam" 2>&1 &
	wait_line "$tmp/flisten$fam" "^listening "
	flisten_re="^listening $(ep_re "$client_ip" "([1-9][0-9]*)")$"
	port=$(sed -En "s/$flisten_re/\1/p" "$tmp/flisten$fam")
	check "ALLOC gave the listener a port on the client's address" \
		"$(cat "$tmp/flisten$fam")" "$flisten_re"
	result=$(in_server "$sock" client "$(ep "$client_ip" "$port")" "data-channel-v$fam")
	check "the foreign listener answered the server" "$result" \
		"^peer=$server_re said=data-channel-v$fam$"
	check "the foreign listener accepted the connection to the client's address" \
		"$(cat "$tmp/flisten$fam")" \
		"^accepted peer=$server_re orig=$(ep_re "$client_ip" "$port")$"

	if result=$(in_router "$sock" errnos "tcp${fam#4}"); then
		echo "PASS: $opt errnos"
	else
		echo "FAIL: $opt errnos"
		ret=1
	fi
	echo "$result"
}

use_family 4 && tcp_cases
use_family 6 && tcp_cases

tproxy2_exit
