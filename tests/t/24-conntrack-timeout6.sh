#!/bin/sh
# The IPv6 twin of 24-conntrack-timeout.  Conntrack timeouts while the
# socket lives: a sockref pins the conntracks
# it owns, so an idle proxied flow survives the established timeout; after
# the socket closes they go.
. ../lib.sh
setup_topology
in_r ip addr add 2001:db8:ff::1/128 dev lo nodad
in_r sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=2
bg $S $T/echo $BIN/tpt-sockref tcp6 reuse bind "[$SERVER_IP6]:9000" listen accept \
	recvline send first recvline send second recvline send third close
wait_listen $S 9000

bg $R $T/out $BIN/tpt-sockref tcp6 bind "[2001:db8:ff::1]:0" assign "[$CLIENT_IP6]:0" flags CONNECT \
	connect "[$SERVER_IP6]:9000" send one recvline sleep 4500 send two recvline \
	print idle-again sleep 3000 send three recvline print done
client=$!
sleep 3.5
# idle for longer than the established timeout: still there
n=$(in_r $BIN/tproxy-conntrack -6 -c -s)
in_r $BIN/tproxy-conntrack -6 -s
[ "$n" = 1 ] || fail "the idle flow's conntrack expired ($n owned)"
wait $client || { cat $T/out; fail "idle flow broke"; }
cat $T/out $T/echo
expect_in $T/out "recv=second" "no answer after the flow was idle longer than the timeout"
expect_in $T/out "recv=third" "no answer after the second idle time"
expect_in $T/echo "accepted peer=\[$CLIENT_IP6\]:" "the server did not see the foreign address"
[ "$(grep -c accepted $T/echo)" = 1 ] || fail "the flow was not one connection"
sleep 2
n=$(in_r $BIN/tproxy-conntrack -6 -c -s)
[ "$n" = 0 ] || fail "$n owned conntracks left after the socket closed"
