#!/bin/sh
# The ip6tables tproxy table sees a new connection before the nat table's
# DNAT rules (-130 among the NAT core's lookups, the nat table at -100),
# and a connection it redirected is left alone by them; one it does not
# match still goes through the nat table.  The same holds in OUTPUT.
. ../lib.sh
setup_topology
RC6="\[$ROUTER_CIP6\]" S6="\[$SERVER_IP6\]"

# DNAT would send port 80 to the server's port 81, and port 82 too
ip6t $R -t nat -A PREROUTING -p tcp --dport 80 -j DNAT --to-destination "[$SERVER_IP6]:81" ||
	fail "nat rule 80"
ip6t $R -t nat -A PREROUTING -p tcp --dport 82 -j DNAT --to-destination "[$SERVER_IP6]:81" ||
	fail "nat rule 82"
ip6t $R -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 || fail "tproxy rule"
bg $S $T/srv80 $BIN/tpt-server "[$SERVER_IP6]:80"
bg $S $T/srv81 $BIN/tpt-server "[$SERVER_IP6]:81"
bg $R $T/proxy $BIN/tpt-proxy "[::]:3128"
wait_listen $S 80
wait_listen $S 81
wait_listen $R 3128

in_c $BIN/tpt-client "[$SERVER_IP6]:80" first >$T/r80 || fail "no answer on port 80"
in_c $BIN/tpt-client "[$SERVER_IP6]:82" natted >$T/r82 || fail "no answer on port 82"
cat $T/proxy $T/r80 $T/r82
expect_in $T/proxy "local=$RC6:3128 orig=$S6:80" "the tproxy table did not see the connection first"
expect_in $T/r80 "local=$S6:80 said=first" "the nat table's DNAT changed a redirected connection"
expect_in $T/r82 "local=$S6:81 said=natted" "the nat table no longer works beside the tproxy table"
[ "$(grep -c client= $T/proxy)" = 1 ] || fail "the proxy saw the nat table's connection"
pkts=$(ip6t $R -t nat -L PREROUTING -n -v -x | awk '/dpt:80/ { print $1 }')
[ "$pkts" = 0 ] || fail "the nat rule for port 80 saw $pkts packets of the redirected connection"
