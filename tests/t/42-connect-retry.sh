#!/bin/sh
# A proxy's connect() from a foreign address fails (the server refuses it)
# and the proxy tries again on the same socket, bound to port 0 before its
# ASSIGN: the socket keeps its port, and the retry reaches the server from
# the client's address, in both families.  Before ASSIGN kept the port,
# the failed connect() gave it back, the retry took another one that no
# sockref named, and the connection left from the router's own address.
. ../lib.sh
setup_topology
# (a non-blocking connect() that failed leaves the socket SS_CONNECTING:
# the next connect() only reports ECONNABORTED and resets it, as mainline
# does for any socket; the one after connects.  The server logs the peer
# of each connection it accepts: that is what is checked.)
bg $S $T/srv4 $BIN/tpt-server $SERVER_IP:80
bg $S $T/srv6 $BIN/tpt-server "[$SERVER_IP6]:80"
wait_listen $S 80
in_r $BIN/tpt-sockref tcp bind 0.0.0.0:0 assign $CLIENT_IP:0 flags CONNECT getname \
	connect $SERVER_IP:81 =ECONNREFUSED getname connect $SERVER_IP:80 =ECONNABORTED \
	connect $SERVER_IP:80 getname >$T/v4 2>&1 || { cat $T/v4; fail "IPv4 steps"; }
in_r $BIN/tpt-sockref tcp6 bind "[::]:0" assign "[$CLIENT_IP6]:0" flags CONNECT getname \
	connect "[$SERVER_IP6]:81" =ECONNREFUSED getname connect "[$SERVER_IP6]:80" =ECONNABORTED \
	connect "[$SERVER_IP6]:80" getname >$T/v6 2>&1 || { cat $T/v6; fail "IPv6 steps"; }
sleep 0.5
cat $T/v4 $T/v6 $T/srv4 $T/srv6
for f in v4 v6; do
	ports=$(sed -n 's/^local=.*:\([0-9]*\)$/\1/p' $T/$f | sort -u)
	[ "$(echo "$ports" | wc -l)" = 1 ] || fail "$f: the socket's port changed across the failed connect()"
	eval port_$f=$ports
done
expect_in $T/srv4 "^peer=$CLIENT_IP:$port_v4 " "IPv4: the retry did not come from the client's address and the socket's port"
expect_in $T/srv6 "^peer=\[$CLIENT_IP6\]:$port_v6 " "IPv6: the retry did not come from the client's address and the socket's port"
