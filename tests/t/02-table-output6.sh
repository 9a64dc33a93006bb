#!/bin/sh
# Locally generated IPv6 connections are intercepted in the ip6tables
# tproxy table's OUTPUT chain and redirected to ::1.  (02's IPv6 twin.)
. ../lib.sh
setup_topology
RC6="\[$ROUTER_CIP6\]" RS6="\[$ROUTER_SIP6\]" S6="\[$SERVER_IP6\]"

# Only the test client's connections (from the client-side address) are
# intercepted; the proxy's own connection to the server leaves from the
# server-side address and is not.
ip6t $R -t tproxy -A OUTPUT -p tcp -s $ROUTER_CIP6 -d $SERVER_IP6 --dport 80 \
	-j TPROXY --on-port 3128 || fail "adding the OUTPUT rule"
bg $S $T/srv $BIN/tpt-server "[$SERVER_IP6]:80"
bg $R $T/proxy $BIN/tpt-proxy "[::1]:3128"
wait_listen $S 80
wait_listen $R 3128

in_r $BIN/tpt-client "[$SERVER_IP6]:80" local-hello "[$ROUTER_CIP6]" >$T/reply ||
	fail "no answer for the local connection"
cat $T/reply $T/proxy
expect_in $T/proxy "client=$RC6:[0-9]* local=\[::1\]:3128 orig=$S6:80" \
	"local connection not redirected to [::1]:3128 with its original destination"
expect_in $T/reply "peer=$RS6:.*said=local-hello" "answer not relayed by the proxy"

# A local connection from another address is not intercepted.
in_r $BIN/tpt-client "[$SERVER_IP6]:80" direct "[$ROUTER_SIP6]" >$T/reply2 || fail "no direct answer"
[ "$(grep -c client= $T/proxy)" = 1 ] || fail "a connection the rule does not match was intercepted"
