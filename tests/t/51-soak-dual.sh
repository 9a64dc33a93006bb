#!/bin/sh
# Soak with both families at once (small, as part of make check): 500 IPv4
# and 500 IPv6 concurrent proxied TCP connections through one tproxy-relay
# (iptables' and ip6tables' tproxy tables, IP_TPROXY and IPV6_TPROXY
# sockrefs), each with checked data both ways: none lost or corrupted, all
# from the client's address of their family, at one dual-stack server;
# afterwards no sockref and no tproxied conntrack of either family remains.
. ../lib.sh
n=$((${TPT_SOAK_CONNECTIONS:-1000} / 2))
ulimit -n $((n * 6 + 1024))
sysctl -qw net.netfilter.nf_conntrack_max=$((n * 8 + 65536))
# four sockets a connection, each with data queued: TCP's memory (pages)
[ "$n" -le 500 ] || sysctl -qw net.ipv4.tcp_mem="$((n * 24)) $((n * 32)) $((n * 48))"
setup_topology
short_closing_timeouts $R
for ns in $R $S; do
	ip netns exec $ns sysctl -qw net.core.somaxconn=$((2 * n + 1024))
	ip netns exec $ns sysctl -qw net.ipv4.tcp_max_syn_backlog=$((2 * n + 1024))
done
ipt $R -t tproxy -A PREROUTING -p tcp --dport 7777 -j TPROXY --on-port 3128 || fail "rule"
ip6t $R -t tproxy -A PREROUTING -p tcp --dport 7777 -j TPROXY --on-port 3128 || fail "rule (IPv6)"
bg $S $T/srv $BIN/tpt-soak server "[::]:7777" $CLIENT_IP,$CLIENT_IP6
srv=$!
bg $R $T/relay $TPT_TOP/build/bin/tproxy-relay -p 3128
relay=$!
wait_listen $S 7777
wait_listen $R 3128
# a debug kernel moves some tens of connections a second: time to match n
in_c $BIN/tpt-soak client $SERVER_IP:7777 $n 16384 $((n / 5 + 120)) >$T/cli4 2>&1 &
c4=$!
in_c $BIN/tpt-soak client "[$SERVER_IP6]:7777" $n 16384 $((n / 5 + 120)) >$T/cli6 2>&1
rc6=$?
wait $c4
rc4=$?
cat $T/cli4 $T/cli6
kill -TERM $srv
wait $srv
cat $T/srv
[ $rc4 = 0 ] || fail "IPv4: $(cat $T/cli4)"
[ $rc6 = 0 ] || fail "IPv6: $(cat $T/cli6)"
expect_in $T/srv "server: $((2 * n)) connections, 0 from elsewhere, $n over IPv4, $n over IPv6" \
	"the server did not see $n connections from each of the client's addresses"
kill -TERM $relay
wait $relay || fail "the relay did not exit cleanly"
cat $T/relay
sleep 2
in_r cat /proc/net/tproxy >$T/proc
[ ! -s $T/proc ] || fail "sockrefs left"
left=$(in_r $TPT_TOP/build/bin/tproxy-conntrack -c)
[ "$left" = 0 ] || fail "$left tproxied conntracks left"
