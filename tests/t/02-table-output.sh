#!/bin/sh
# Locally generated connections are intercepted in the tproxy table's OUTPUT
# chain and redirected to 127.0.0.1.
. ../lib.sh
setup_topology

# Only the test client's connections (from the client-side address) are
# intercepted; the proxy's own connection to the server leaves from the
# server-side address and is not.
ipt $R -t tproxy -A OUTPUT -p tcp -s $ROUTER_CIP -d $SERVER_IP --dport 80 \
	-j TPROXY --on-port 3128 || fail "adding the OUTPUT rule"
bg $S $T/srv $BIN/tpt-server $SERVER_IP:80
bg $R $T/proxy $BIN/tpt-proxy 127.0.0.1:3128
wait_listen $S 80
wait_listen $R 3128

in_r $BIN/tpt-client $SERVER_IP:80 local-hello $ROUTER_CIP >$T/reply ||
	fail "no answer for the local connection"
cat $T/reply $T/proxy
expect_in $T/proxy "client=$ROUTER_CIP:[0-9]* local=127.0.0.1:3128 orig=$SERVER_IP:80" \
	"local connection not redirected to 127.0.0.1:3128 with its original destination"
expect_in $T/reply "peer=$ROUTER_SIP:.*said=local-hello" "answer not relayed by the proxy"

# A local connection from another address is not intercepted.
in_r $BIN/tpt-client $SERVER_IP:80 direct $ROUTER_SIP >$T/reply2 || fail "no direct answer"
[ "$(grep -c client= $T/proxy)" = 1 ] || fail "a connection the rule does not match was intercepted"
