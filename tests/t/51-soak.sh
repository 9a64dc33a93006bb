#!/bin/sh
# Soak (small, as part of make check): 1000 concurrent proxied TCP
# connections through tproxy-relay, each with checked data both ways: none
# lost or corrupted, all from the client's address; afterwards no sockref
# and no tproxied conntrack remains.
. ../lib.sh
n=${TPT_SOAK_CONNECTIONS:-1000}
ulimit -n $((n * 3 + 1024))
sysctl -qw net.netfilter.nf_conntrack_max=$((n * 4 + 65536))
# four sockets a connection, each with data queued: TCP's memory (pages)
[ "$n" -le 1000 ] || sysctl -qw net.ipv4.tcp_mem="$((n * 12)) $((n * 16)) $((n * 24))"
setup_topology
short_closing_timeouts $R
# all connections come at once: room for them in the listen queues (the
# test kernel has no SYN cookies)
for ns in $R $S; do
	ip netns exec $ns sysctl -qw net.core.somaxconn=$((n + 1024))
	ip netns exec $ns sysctl -qw net.ipv4.tcp_max_syn_backlog=$((n + 1024))
done
ipt $R -t tproxy -A PREROUTING -p tcp --dport 7777 -j TPROXY --on-port 3128 || fail "rule"
bg $S $T/srv $BIN/tpt-soak server $SERVER_IP:7777 $CLIENT_IP
srv=$!
bg $R $T/relay $TPT_TOP/build/bin/tproxy-relay -p 3128
relay=$!
wait_listen $S 7777
wait_listen $R 3128
# a debug kernel moves some tens of connections a second: time to match n
in_c $BIN/tpt-soak client $SERVER_IP:7777 $n 16384 $((n / 10 + 120)) >$T/cli 2>&1
rc=$?
cat $T/cli
kill -TERM $srv
wait $srv
cat $T/srv
[ $rc = 0 ] || fail "$(cat $T/cli)"
expect_in $T/srv "server: $n connections, 0 from elsewhere" "the server did not see $n connections from the client"
kill -TERM $relay
wait $relay || fail "the relay did not exit cleanly"
cat $T/relay
sleep 2
in_r cat /proc/net/tproxy >$T/proc
[ ! -s $T/proc ] || fail "sockrefs left"
left=$(in_r $TPT_TOP/build/bin/tproxy-conntrack -c)
[ "$left" = 0 ] || fail "$left tproxied conntracks left"
