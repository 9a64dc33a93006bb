#!/bin/sh
# With the FTP helper on port 21, a tproxied control connection carrying a
# PORT command reaches the server byte for byte; in the same namespace a
# plain NATed (masqueraded) connection is still rewritten by the helper.
. ../lib.sh
setup_topology
in_c ip addr add 192.0.2.3/24 dev eth0

ipt $R -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp || fail "helper rule"
ipt $R -t raw -A OUTPUT -p tcp --dport 21 -j CT --helper ftp || fail "helper rule (OUTPUT)"
ipt $R -t tproxy -A PREROUTING -s $CLIENT_IP -p tcp --dport 21 -j TPROXY --on-port 2121 || fail "rule"
ipt $R -t nat -A POSTROUTING -s 192.0.2.3 -o s0 -j MASQUERADE || fail "masquerade"
# The server logs every line; the helper only reads a command that comes
# after an earlier line of the same direction, so USER goes first.
bg $S $T/srv $BIN/tpt-sockref tcp reuse bind $SERVER_IP:21 listen rcvtimeo 60000 \
	accept recvline recvline send ok close use 0 accept recvline recvline send ok close
bg $R $T/proxy $BIN/tpt-proxy -s squid -B $ROUTER_SIP:0 0.0.0.0:2121
wait_listen $S 21
wait_listen $R 2121
cr=$(printf '\r')

# through the proxy: the client's PORT names the address the proxy's
# outgoing connection has before translation, which a helper would rewrite
in_c $BIN/tpt-sockref tcp connect $SERVER_IP:21 send "USER tp$cr" sleep 300 \
	send "PORT 198,51,100,1,4,1$cr" recv >$T/tp || { cat $T/tp; fail "tproxied: no answer"; }
# not tproxied: masqueraded, and the helper rewrites the PORT command
in_c $BIN/tpt-sockref tcp bind 192.0.2.3:0 connect $SERVER_IP:21 send "USER nat$cr" sleep 300 \
	send "PORT 192,0,2,3,4,1$cr" recv >$T/nat || { cat $T/nat; fail "NATed: no answer"; }
sleep 0.3
cat $T/srv
sed -n '/recv=USER tp/,/recv=USER nat/p' $T/srv >$T/srv-tp
sed -n '/recv=USER nat/,$p' $T/srv >$T/srv-nat
grep accepted $T/srv | head -n 1 | grep -q "peer=$CLIENT_IP:" || fail "the tproxied connection did not come from the client"
expect_in $T/srv "recv=PORT 198,51,100,1,4,1$cr\$" "the tproxied PORT command was modified"
expect_in $T/srv-nat "recv=PORT 198,51,100,1," "the helper did not rewrite the NATed PORT command"
expect_not_in $T/srv-nat "recv=PORT 192,0,2,3" "the helper did not rewrite the NATed PORT command"
