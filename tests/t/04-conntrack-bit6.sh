#!/bin/sh
# The intercepted IPv6 connection's conntrack carries the tproxy status
# bit; a connection the table did not touch does not.  (04's IPv6 twin.)
. ../lib.sh
setup_topology
# /proc/net/nf_conntrack prints IPv6 addresses in full (%pI6)
CX=2001:0db8:0001:0000:0000:0000:0000:0002	# CLIENT_IP6
RCX=2001:0db8:0001:0000:0000:0000:0000:0001	# ROUTER_CIP6
RSX=2001:0db8:0002:0000:0000:0000:0000:0001	# ROUTER_SIP6
SX=2001:0db8:0002:0000:0000:0000:0000:0002	# SERVER_IP6

ip6t $R -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 || fail "rule"
bg $S $T/srv80 $BIN/tpt-server "[$SERVER_IP6]:80"
bg $S $T/srv22 $BIN/tpt-server "[$SERVER_IP6]:22"
bg $R $T/proxy $BIN/tpt-proxy "[::]:3128"
wait_listen $S 80
wait_listen $S 22
wait_listen $R 3128

in_c $BIN/tpt-client "[$SERVER_IP6]:80" x >/dev/null || fail "no answer on port 80"
in_c $BIN/tpt-client "[$SERVER_IP6]:22" y >/dev/null || fail "no answer on port 22"
in_r cat /proc/net/nf_conntrack >$T/ct
cat $T/ct
grep "src=$CX dst=$SX .* dport=80 .*dport=" $T/ct >$T/ct80 ||
	fail "no conntrack for the intercepted connection"
expect_in $T/ct80 "src=$RCX dst=$CX sport=3128" "the conntrack's reply tuple is not the proxy's"
expect_in $T/ct80 "\[TPROXY\]" "the intercepted connection lacks the tproxy bit"
grep "^ipv6 .* dport=22 " $T/ct >$T/ct22 || fail "no conntrack for port 22"
expect_not_in $T/ct22 "\[TPROXY\]" "an untouched connection has the tproxy bit"
# the proxy's own connection to the server is not tproxied either
grep "src=$RSX dst=$SX" $T/ct >$T/ctp || fail "no conntrack for the proxy's connection"
expect_not_in $T/ctp "\[TPROXY\]" "the proxy's own connection has the tproxy bit"
