#!/bin/sh
# The IPv6 twin of 10-sockref-squid: the proxy takes the intercepted IPv6
# client (ip6tables -t tproxy), binds its outgoing AF_INET6 socket (to its
# own address, then to ::), ASSIGNs the client's IPv6 address with port 0
# through IPV6_TPROXY, sets ITP_CONNECT and connects without blocking: the
# server sees the client's IPv6 address, and data flows both ways.
. ../lib.sh
. ../lib6.sh
setup_topology

ip6t $R -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 || fail "rule"
bg $S $T/srv $BIN/tpt-server "[$SERVER_IP6]:80"
wait_listen $S 80

for bindaddr in $ROUTER_SIP6 ::; do
	log "outgoing socket bound to [$bindaddr]"
	bg $R $T/proxy-$bindaddr $BIN/tpt-proxy -n 1 -s squid -B "[$bindaddr]:0" "[::]:3128"
	proxy=$!
	wait_listen $R 3128
	in_c $BIN/tpt-client "[$SERVER_IP6]:80" squid-$bindaddr >$T/reply ||
		fail "no answer (bind $bindaddr)"
	# the server-side conntrack is translated and marked; read at once:
	# it goes a second after the proxy's socket
	in_r cat /proc/net/nf_conntrack >$T/ct
	grep "^ipv6 .* src=$(full6 $ROUTER_SIP6) dst=$(full6 $SERVER_IP6) .*dport=80 .*src=$(full6 $SERVER_IP6) dst=$(full6 $CLIENT_IP6) " \
		$T/ct >$T/ctp || { cat $T/ct; fail "no SNATed conntrack for the proxy's connection (bind $bindaddr)"; }
	expect_in $T/ctp "\[TPROXY\]" "the translated connection lacks the tproxy bit"
	cat $T/proxy-$bindaddr $T/reply
	expect_in $T/reply "SERVER peer=\[$CLIENT_IP6\]:[0-9]* .*said=squid-$bindaddr" \
		"the server did not see the client's address (bind $bindaddr)"
	expect_in $T/proxy-$bindaddr "client=\[$CLIENT_IP6\]:[0-9]* .*orig=\[$SERVER_IP6\]:80" \
		"IP6T_SO_ORIGINAL_DST"
	wait $proxy || fail "the proxy failed (bind $bindaddr)"
	in_r cat /proc/net/tproxy >$T/proc
	[ ! -s $T/proc ] || { cat $T/proc; fail "sockrefs left after the proxy exited"; }
done
