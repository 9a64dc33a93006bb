#!/bin/sh
# One tproxy-relay on a dual-stack router, with its defaults (IPv4 and IPv6
# listeners and receivers): IPv4 and IPv6 connections at once, each family
# through its own tproxy table, reach the server from the client's address
# of their family; UDP in both families at once; while the UDP sessions
# live, /proc/net/tproxy and tproxy-conntrack show sockrefs and conntracks of
# both families; SIGTERM leaves none.
. ../lib.sh
setup_topology
RELAY=$TPT_TOP/build/bin/tproxy-relay
for t in ipt ip6t; do
	$t $R -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 || fail "$t rule"
	$t $R -t tproxy -A PREROUTING -p udp --dport 53 -j TPROXY --on-port 3128 || fail "$t udp rule"
done
# one server socket per family: each sees the client of its own family
bg $S $T/srv4 $BIN/tpt-server $SERVER_IP:80
bg $S $T/srv6 $BIN/tpt-server "[$SERVER_IP6]:80"
bg $S $T/usrv4 $BIN/tpt-udp server $SERVER_IP:53
bg $S $T/usrv6 $BIN/tpt-udp server "[$SERVER_IP6]:53"
bg $R $T/relay $RELAY -v -p 3128 -u 3128
relay=$!
wait_listen $S 80
wait_listen $S 53 udp
wait_listen $R 3128
wait_listen $R 3128 udp
for _ in $(seq 50); do grep -q "receiving IPv6 udp" $T/relay && break; sleep 0.1; done
expect_in $T/relay "listening on 0.0.0.0:3128" "the relay's IPv4 listener"
expect_in $T/relay "listening on \[::\]:3128" "the relay's IPv6 listener"
expect_in $T/relay "receiving IPv4 udp on port 3128" "the relay's IPv4 receiver"
expect_in $T/relay "receiving IPv6 udp on port 3128" "the relay's IPv6 receiver"

# 10 connections of each family, all started at once
pids=""
for i in $(seq 10); do
	in_c $BIN/tpt-client $SERVER_IP:80 v4-$i >$T/r4-$i 2>&1 &
	pids="$pids $!"
	in_c $BIN/tpt-client "[$SERVER_IP6]:80" v6-$i >$T/r6-$i 2>&1 &
	pids="$pids $!"
done
bad=0
for p in $pids; do
	wait $p || bad=$((bad + 1))
done
[ $bad = 0 ] || { cat $T/relay; fail "$bad of 20 clients got no answer"; }
for i in $(seq 10); do
	expect_in $T/r4-$i "peer=$CLIENT_IP:.*said=v4-$i" "IPv4 connection $i: the server did not see the client"
	expect_in $T/r6-$i "peer=\[$CLIENT_IP6\]:.*said=v6-$i" "IPv6 connection $i: the server did not see the client"
done

# UDP in both families at once, from the same client port
in_c $BIN/tpt-udp send 5300 $SERVER_IP:53 query-4 >$T/u4 &
u4=$!
in_c $BIN/tpt-udp send 5300 "[$SERVER_IP6]:53" query-6 >$T/u6 &
u6=$!
wait $u4 || { cat $T/u4 $T/relay; fail "no IPv4 UDP answer"; }
wait $u6 || { cat $T/u6 $T/relay; fail "no IPv6 UDP answer"; }
expect_in $T/u4 "^answer=query-4 peer=$CLIENT_IP:5300 from=$SERVER_IP:53$" "the IPv4 UDP exchange"
expect_in $T/u6 "^answer=query-6 peer=\[$CLIENT_IP6\]:5300 from=\[$SERVER_IP6\]:53$" "the IPv6 UDP exchange"
in_r cat /proc/net/tproxy >$T/proc
cat $T/proc
expect_in $T/proc "^udp [0-9.]*:[0-9]* $CLIENT_IP:5300 " "the IPv4 session's sockref on the client's address"
expect_in $T/proc "^udp6 \[[0-9a-f:]*\]:[0-9]* \[$CLIENT_IP6\]:5300 " "the IPv6 session's sockref on the client's address"
# tproxy-conntrack lists the sessions' translated conntracks of both
# families, each with its sockref
in_r $BIN/tproxy-conntrack -s >$T/ct
cat $T/ct
expect_in $T/ct "^udp original $ROUTER_SIP:[0-9]* -> $SERVER_IP:53 translated $CLIENT_IP:5300 -> $SERVER_IP:53 \[TPROXY\] \[SOCKREF\]" \
	"tproxy-conntrack: the IPv4 session's conntrack"
expect_in $T/ct "^udp original \[$ROUTER_SIP6\]:[0-9]* -> \[$SERVER_IP6\]:53 translated \[$CLIENT_IP6\]:5300 -> \[$SERVER_IP6\]:53 \[TPROXY\] \[SOCKREF\]" \
	"tproxy-conntrack: the IPv6 session's conntrack"
expect_in $T/ct "^  sockref: udp $ROUTER_SIP:[0-9]* $CLIENT_IP:5300 " "tproxy-conntrack: the IPv4 sockref"
expect_in $T/ct "^  sockref: udp6 \[[0-9a-f:]*\]:[0-9]* \[$CLIENT_IP6\]:5300 " "tproxy-conntrack: the IPv6 sockref"
n4=$(in_r $BIN/tproxy-conntrack -s -c -4)
n6=$(in_r $BIN/tproxy-conntrack -s -c -6)
n=$(in_r $BIN/tproxy-conntrack -s -c)
[ "$n4" -ge 1 ] && [ "$n6" -ge 1 ] && [ "$n" = $((n4 + n6)) ] ||
	fail "tproxy-conntrack -c: $n4 IPv4 + $n6 IPv6 != $n"

kill -TERM $relay
wait $relay
rc=$?
cat $T/relay
[ $rc = 0 ] || fail "the relay exited with $rc on SIGTERM"
expect_in $T/relay "exiting: 20 connections relayed, 0 open; 2 udp sessions" "the relay's summary"
in_r cat /proc/net/tproxy >$T/proc
[ ! -s $T/proc ] || { cat $T/proc; fail "sockrefs left after SIGTERM"; }
