#!/bin/sh
# Squid-style: the proxy takes the intercepted client, binds its outgoing
# socket (to its own address, then to 0.0.0.0), ASSIGNs the client's IP
# with port 0, sets ITP_CONNECT and connects without blocking: the server
# sees the client's IP, and data flows both ways.
. ../lib.sh
setup_topology

ipt $R -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 || fail "rule"
bg $S $T/srv $BIN/tpt-server $SERVER_IP:80
wait_listen $S 80

for bindaddr in $ROUTER_SIP 0.0.0.0; do
	log "outgoing socket bound to $bindaddr"
	bg $R $T/proxy-$bindaddr $BIN/tpt-proxy -n 1 -s squid -B $bindaddr:0 0.0.0.0:3128
	proxy=$!
	wait_listen $R 3128
	in_c $BIN/tpt-client $SERVER_IP:80 squid-$bindaddr >$T/reply || fail "no answer (bind $bindaddr)"
	# the server-side conntrack is translated and marked; read at once:
	# it goes a second after the proxy's socket
	in_r cat /proc/net/nf_conntrack >$T/ct
	grep "src=$ROUTER_SIP dst=$SERVER_IP .*dport=80 .*src=$SERVER_IP dst=$CLIENT_IP" $T/ct >$T/ctp ||
		{ cat $T/ct; fail "no SNATed conntrack for the proxy's connection (bind $bindaddr)"; }
	expect_in $T/ctp "\[TPROXY\]" "the translated connection lacks the tproxy bit"
	cat $T/proxy-$bindaddr $T/reply
	expect_in $T/reply "SERVER peer=$CLIENT_IP:[0-9]* .*said=squid-$bindaddr" \
		"the server did not see the client's address (bind $bindaddr)"
	expect_in $T/proxy-$bindaddr "orig=$SERVER_IP:80" "SO_ORIGINAL_DST"
	wait $proxy
	in_r cat /proc/net/tproxy >$T/proc
	[ ! -s $T/proc ] || { cat $T/proc; fail "sockrefs left after the proxy exited"; }
done
