#!/bin/sh
# The tproxy table redirects a forwarded TCP connection to a local proxy,
# which finds the original destination with SO_ORIGINAL_DST; other ports
# pass untouched.
. ../lib.sh
setup_topology

ipt $R -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 ||
	fail "adding the TPROXY rule"
bg $S $T/srv80 $BIN/tpt-server $SERVER_IP:80
bg $S $T/srv22 $BIN/tpt-server $SERVER_IP:22
bg $R $T/proxy $BIN/tpt-proxy 0.0.0.0:3128
wait_listen $S 80
wait_listen $S 22
wait_listen $R 3128

in_c $BIN/tpt-client $SERVER_IP:80 hello-80 >$T/reply80 || fail "no answer on port 80"
cat $T/reply80 $T/proxy
expect_in $T/reply80 "said=hello-80" "the server's answer did not reach the client"
expect_in $T/proxy "client=$CLIENT_IP:[0-9]* local=$ROUTER_CIP:3128 orig=$SERVER_IP:80" \
	"proxy: wrong client, redirect address or SO_ORIGINAL_DST"
expect_in $T/reply80 "peer=$ROUTER_SIP:" "the server was not reached through the proxy"

in_c $BIN/tpt-client $SERVER_IP:22 hello-22 >$T/reply22 || fail "no answer on port 22"
cat $T/reply22
expect_in $T/reply22 "peer=$CLIENT_IP:.*said=hello-22" "port 22 was not passed straight to the server"
[ "$(grep -c client= $T/proxy)" = 1 ] || fail "the proxy saw port 22 traffic"

pkts=$(ipt $R -t tproxy -L PREROUTING -n -v -x | awk '/TPROXY/ { print $1 }')
[ "$pkts" = 1 ] || fail "the rule counted $pkts packets, not the 1 first packet"
echo "rule counters: $pkts"
