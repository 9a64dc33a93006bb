#!/bin/sh
# ip6tables: --on-ip redirects to a chosen IPv6 address; --on-port 0 keeps
# the original port.  (03's IPv6 twin.)
. ../lib.sh
setup_topology
RC6="\[$ROUTER_CIP6\]" RS6="\[$ROUTER_SIP6\]" S6="\[$SERVER_IP6\]"

ip6t $R -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 --on-ip $ROUTER_SIP6 ||
	fail "rule with --on-ip"
ip6t $R -t tproxy -A PREROUTING -p tcp --dport 8080 -j TPROXY --on-port 0 --on-ip $ROUTER_SIP6 ||
	fail "rule with --on-port 0"
ip6t $R -t tproxy -A PREROUTING -p tcp --dport 8081 -j TPROXY --on-port 0 ||
	fail "rule with --on-port 0 and no address"
bg $S $T/srv80 $BIN/tpt-server "[$SERVER_IP6]:80"
bg $S $T/srv8080 $BIN/tpt-server "[$SERVER_IP6]:8080"
bg $S $T/srv8081 $BIN/tpt-server "[$SERVER_IP6]:8081"
bg $R $T/p3128 $BIN/tpt-proxy "[$ROUTER_SIP6]:3128"
bg $R $T/p8080 $BIN/tpt-proxy "[$ROUTER_SIP6]:8080"
bg $R $T/p8081 $BIN/tpt-proxy "[$ROUTER_CIP6]:8081"
for p in 80 8080 8081; do wait_listen $S $p; done
for p in 3128 8080 8081; do wait_listen $R $p; done

in_c $BIN/tpt-client "[$SERVER_IP6]:80" a >$T/r1 || fail "--on-ip: no answer"
expect_in $T/p3128 "local=$RS6:3128 orig=$S6:80" "--on-ip not honoured"
in_c $BIN/tpt-client "[$SERVER_IP6]:8080" b >$T/r2 || fail "--on-port 0: no answer"
expect_in $T/p8080 "local=$RS6:8080 orig=$S6:8080" "--on-port 0 did not keep the port"
in_c $BIN/tpt-client "[$SERVER_IP6]:8081" c >$T/r3 || fail "--on-port 0, default address: no answer"
expect_in $T/p8081 "local=$RC6:8081 orig=$S6:8081" "default address not the incoming interface's"
cat $T/p3128 $T/p8080 $T/p8081
