#!/bin/sh
# The ip6tables tproxy table redirects a forwarded IPv6 TCP connection to a
# local proxy, which finds the original destination with
# IP6T_SO_ORIGINAL_DST; other ports pass untouched.  (01's IPv6 twin.)
. ../lib.sh
setup_topology
# grep patterns of the addresses as the test programs print them
C6="\[$CLIENT_IP6\]" RC6="\[$ROUTER_CIP6\]" RS6="\[$ROUTER_SIP6\]" S6="\[$SERVER_IP6\]"

ip6t $R -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 ||
	fail "adding the TPROXY rule"
bg $S $T/srv80 $BIN/tpt-server "[$SERVER_IP6]:80"
bg $S $T/srv22 $BIN/tpt-server "[$SERVER_IP6]:22"
bg $R $T/proxy $BIN/tpt-proxy "[::]:3128"
wait_listen $S 80
wait_listen $S 22
wait_listen $R 3128

in_c $BIN/tpt-client "[$SERVER_IP6]:80" hello-80 >$T/reply80 || fail "no answer on port 80"
cat $T/reply80 $T/proxy
expect_in $T/reply80 "said=hello-80" "the server's answer did not reach the client"
expect_in $T/proxy "client=$C6:[0-9]* local=$RC6:3128 orig=$S6:80" \
	"proxy: wrong client, redirect address or IP6T_SO_ORIGINAL_DST"
expect_in $T/reply80 "peer=$RS6:" "the server was not reached through the proxy"

in_c $BIN/tpt-client "[$SERVER_IP6]:22" hello-22 >$T/reply22 || fail "no answer on port 22"
cat $T/reply22
expect_in $T/reply22 "peer=$C6:.*said=hello-22" "port 22 was not passed straight to the server"
[ "$(grep -c client= $T/proxy)" = 1 ] || fail "the proxy saw port 22 traffic"

pkts=$(ip6t $R -t tproxy -L PREROUTING -n -v -x | awk '/TPROXY/ { print $1 }')
[ "$pkts" = 1 ] || fail "the rule counted $pkts packets, not the 1 first packet"
echo "rule counters: $pkts"
in_r grep "^ipv6 .* dport=80 " /proc/net/nf_conntrack >$T/ct || fail "no IPv6 conntrack for port 80"
cat $T/ct
expect_in $T/ct "\[TPROXY\]" "the redirected IPv6 connection is not marked tproxied"
