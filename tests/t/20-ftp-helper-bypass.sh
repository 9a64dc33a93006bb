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
bg $S $T/srv $BIN/tpt-server $SERVER_IP:21
bg $R $T/proxy $BIN/tpt-proxy -s squid -B $ROUTER_SIP:0 0.0.0.0:2121
wait_listen $S 21
wait_listen $R 2121
cr=$(printf '\r')

# through the proxy: the client's PORT names the address the proxy's
# outgoing connection has before translation, which a helper would rewrite
in_c $BIN/tpt-client $SERVER_IP:21 "PORT 198,51,100,1,4,1$cr" >$T/tp || fail "tproxied: no answer"
cat $T/tp
expect_in $T/tp "peer=$CLIENT_IP:.*said=PORT 198,51,100,1,4,1$cr\$" "the tproxied PORT command was modified"

# not tproxied: masqueraded, and the helper rewrites the PORT command
in_c $BIN/tpt-client $SERVER_IP:21 "PORT 192,0,2,3,4,1$cr" 192.0.2.3 >$T/nat || fail "NATed: no answer"
cat $T/nat
expect_in $T/nat "peer=$ROUTER_SIP:.*said=PORT 198,51,100,1," "the helper did not rewrite the NATed PORT command"

in_r $BIN/tproxy-conntrack >$T/ct
cat $T/ct
expect_in $T/ct "\[NO_HELPER\]" "tproxied conntracks do not show the helper bypass"
