#!/bin/sh
# tproxy-relay: intercepted connections, and a UDP exchange, reach the
# server from the client's address; SIGTERM ends it cleanly with no sockref
# left; without CAP_NET_ADMIN it says which capability is missing.
. ../lib.sh
setup_topology
RELAY=$TPT_TOP/build/bin/tproxy-relay
ipt $R -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 || fail "rule"
ipt $R -t tproxy -A PREROUTING -p udp --dport 53 -j TPROXY --on-port 3128 || fail "udp rule"
bg $S $T/srv $BIN/tpt-server $SERVER_IP:80
bg $S $T/usrv $BIN/tpt-udp server $SERVER_IP:53
bg $R $T/relay $RELAY -v -p 3128 -u 3128
relay=$!
wait_listen $S 80
wait_listen $S 53 udp
wait_listen $R 3128
wait_listen $R 3128 udp
for i in 1 2 3 4 5; do
	in_c $BIN/tpt-client $SERVER_IP:80 relay-$i >$T/r$i || fail "no answer ($i)"
	expect_in $T/r$i "peer=$CLIENT_IP:.*said=relay-$i" "connection $i: the server did not see the client"
done
in_c $BIN/tpt-udp send 5300 $SERVER_IP:53 udp-query >$T/u || { cat $T/u $T/relay; fail "no UDP answer"; }
expect_in $T/u "^answer=udp-query peer=$CLIENT_IP:5300 from=$SERVER_IP:53$" "the UDP exchange"
in_r cat /proc/net/tproxy >$T/proc
kill -TERM $relay
wait $relay
rc=$?
cat $T/relay
[ $rc = 0 ] || fail "the relay exited with $rc on SIGTERM"
expect_in $T/relay "exiting: 5 connections relayed, 0 open; 1 udp sessions" "the relay's summary"
in_r cat /proc/net/tproxy >$T/proc
[ ! -s $T/proc ] || { cat $T/proc; fail "sockrefs left after SIGTERM"; }

in_r unshare -U $RELAY -p 3129 >$T/noperm 2>&1 && fail "the relay ran without CAP_NET_ADMIN"
cat $T/noperm
expect_in $T/noperm "needs CAP_NET_ADMIN" "no clear message without CAP_NET_ADMIN"
$RELAY --help | grep -q -- "--port" || fail "--help"
