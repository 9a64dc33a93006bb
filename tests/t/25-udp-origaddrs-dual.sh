#!/bin/sh
# One dual-stack AF_INET6 UDP receiver ([::], not IPV6_V6ONLY) with
# IPV6_RECVORIGADDRS, fed by a tproxy rule of each family: an IPv4 datagram
# reaches it v4-mapped with an IP_ORIGADDRS message (struct in_origaddrs),
# an IPv6 one with IPV6_ORIGADDRS (struct in6_origaddrs), each with its own
# original addresses and only its own message.  Then AF_INET6 receivers
# tied to a foreign IPv4 address: through IPV6_TPROXY with a v4-mapped
# address and through IP_TPROXY, both IPv4 sockrefs; their datagrams carry
# IP_ORIGADDRS.
. ../lib.sh
. ../lib6.sh
setup_topology
in_r ip addr add 203.0.113.1/32 dev lo

log "one AF_INET6 receiver, a rule of each family"
ipt $R -t tproxy -A PREROUTING -p udp --dport 53 -j TPROXY --on-port 5353 || fail "rule"
ip6t $R -t tproxy -A PREROUTING -p udp --dport 53 -j TPROXY --on-port 5353 || fail "ip6 rule"
bg $R $T/recv $BIN/tpt-udp recv "[::]:5353"
wait_listen $R 5353 udp
in_c $BIN/tpt-udp send 4001 $SERVER_IP:53 four >/dev/null
in_c $BIN/tpt-udp send 4001 "[$SERVER_IP6]:53" six >/dev/null
in_c $BIN/tpt-udp send 4002 $SERVER_IP:53 four-again >/dev/null
in_c $BIN/tpt-udp send 4002 "[$SERVER_IP6]:53" six-again >/dev/null
in_r $BIN/tproxy-conntrack >$T/ct
cat $T/ct
expect_in $T/ct "original $CLIENT_IP:4001 -> $SERVER_IP:53 translated .* \[TPROXY\]" \
	"the IPv4 rule's conntrack"
expect_in $T/ct "original \[$CLIENT_IP6\]:4001 -> \[$SERVER_IP6\]:53 translated .* \[TPROXY\]" \
	"the IPv6 rule's conntrack"
in_c $BIN/tpt-udp send 4003 "[$SERVER_IP6]:53" quit >/dev/null
wait
PIDS=""
cat $T/recv
expect_in $T/recv "got=four from=\[::ffff:$CLIENT_IP\]:4001 orig_src=$CLIENT_IP:4001 orig_dst=$SERVER_IP:53 cmsg=IP_ORIGADDRS$" \
	"an IPv4 datagram: IP_ORIGADDRS with its original addresses"
expect_in $T/recv "got=six from=\[$CLIENT_IP6\]:4001 orig_src=\[$CLIENT_IP6\]:4001 orig_dst=\[$SERVER_IP6\]:53 cmsg=IPV6_ORIGADDRS$" \
	"an IPv6 datagram: IPV6_ORIGADDRS with its original addresses"
expect_in $T/recv "got=four-again from=\[::ffff:$CLIENT_IP\]:4002 orig_src=$CLIENT_IP:4002 orig_dst=$SERVER_IP:53 cmsg=IP_ORIGADDRS$" \
	"another IPv4 flow"
expect_in $T/recv "got=six-again from=\[$CLIENT_IP6\]:4002 orig_src=\[$CLIENT_IP6\]:4002 orig_dst=\[$SERVER_IP6\]:53 cmsg=IPV6_ORIGADDRS$" \
	"another IPv6 flow"
expect_in $T/recv "got=quit" "the last datagram"
expect_not_in $T/recv "without one" "a datagram without exactly one message"
sleep 0.5
in_r $BIN/tproxy-conntrack >$T/ct
expect_not_in $T/ct ":53 " "flows mapped to the receiver outlived it"
ipt $R -t tproxy -F PREROUTING
ip6t $R -t tproxy -F PREROUTING

port=5000
for how in "[::ffff:$SERVER_IP]" "$SERVER_IP"; do
	log "an AF_INET6 receiver tied to ${how}:$port, LISTEN|UNIDIR"
	bg $R $T/frecv$port $BIN/tpt-udp recv "[::ffff:203.0.113.1]:0" "$how:$port"
	for _ in $(seq 50); do grep -q ready $T/frecv$port && break; sleep 0.1; done
	in_r cat /proc/net/tproxy >$T/proc
	cat $T/proc
	expect_in $T/proc "^udp [0-9.]*:[0-9]* $SERVER_IP:$port 0.0.0.0:0 0x00080002$" \
		"$how: not an IPv4 sockref"
	in_c $BIN/tpt-udp send 4004 $SERVER_IP:$port one >/dev/null
	in_c $BIN/tpt-udp send 4004 $SERVER_IP:$port quit >/dev/null
	wait
	PIDS=""
	cat $T/frecv$port
	expect_in $T/frecv$port "got=one from=\[::ffff:$CLIENT_IP\]:4004 orig_src=$CLIENT_IP:4004 orig_dst=$SERVER_IP:$port cmsg=IP_ORIGADDRS$" \
		"$how: the datagram at the receiver"
	expect_in $T/frecv$port "got=quit" "$how: the last datagram"
	port=$((port + 1))
done
