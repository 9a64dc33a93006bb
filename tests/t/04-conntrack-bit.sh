#!/bin/sh
# The intercepted connection's conntrack carries the tproxy status bit; a
# connection the table did not touch does not.
. ../lib.sh
setup_topology

ipt $R -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 || fail "rule"
bg $S $T/srv80 $BIN/tpt-server $SERVER_IP:80
bg $S $T/srv22 $BIN/tpt-server $SERVER_IP:22
bg $R $T/proxy $BIN/tpt-proxy 0.0.0.0:3128
wait_listen $S 80
wait_listen $S 22
wait_listen $R 3128

in_c $BIN/tpt-client $SERVER_IP:80 x >/dev/null || fail "no answer on port 80"
in_c $BIN/tpt-client $SERVER_IP:22 y >/dev/null || fail "no answer on port 22"
in_r cat /proc/net/nf_conntrack >$T/ct
cat $T/ct
grep "src=$CLIENT_IP dst=$SERVER_IP .* dport=80 .*dport=" $T/ct >$T/ct80 ||
	fail "no conntrack for the intercepted connection"
expect_in $T/ct80 "src=$ROUTER_CIP dst=$CLIENT_IP sport=3128" "the conntrack's reply tuple is not the proxy's"
expect_in $T/ct80 "\[TPROXY\]" "the intercepted connection lacks the tproxy bit"
grep "dport=22 " $T/ct >$T/ct22 || fail "no conntrack for port 22"
expect_not_in $T/ct22 "\[TPROXY\]" "an untouched connection has the tproxy bit"
# the proxy's own connection to the server is not tproxied either
grep "src=$ROUTER_SIP dst=$SERVER_IP" $T/ct >$T/ctp || fail "no conntrack for the proxy's connection"
expect_not_in $T/ctp "\[TPROXY\]" "the proxy's own connection has the tproxy bit"
