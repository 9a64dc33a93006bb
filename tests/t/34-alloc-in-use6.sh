#!/bin/sh
# The IPv6 twin of 34-alloc-in-use: TPROXY_ALLOC of an IPv6 sockref decides
# "in use" without walking the conntrack table: a port is taken when a
# sockref has it on that foreign address, or, for a sockref that recorded
# its peer (TPROXY_CONNECT), when a conntrack connects it with that peer.
# With the local port range cut to two ports, one held by the client's own
# IPv6 connection to the server and the other by a first ALLOC, a second
# ALLOC finds nothing; without the peer recorded, ALLOC sees only the
# sockrefs.
. ../lib.sh
setup_topology
D=2001:db8:ff::1
in_r ip addr add $D/128 dev lo
in_r sysctl -qw net.ipv4.ip_local_port_range="40000 40001"
# (the proxy's sockets bind ports of their own, outside that range)
ip6t $R -A FORWARD -m conntrack --ctstate NEW -j ACCEPT || fail "rule"

bg $S $T/srv $BIN/tpt-server "[$SERVER_IP6]:21"
wait_listen $S 21
log "the client's own connection from [$CLIENT_IP6]:40000 to the server"
bg $C $T/cli $BIN/tpt-sockref tcp6 bind "[$CLIENT_IP6]:40000" connect "[$SERVER_IP6]:21" print connected \
	sleep 20000
for _ in $(seq 100); do grep -q connected $T/cli && break; sleep 0.1; done
expect_in $T/cli connected "the client did not connect"
in_r grep -q "^ipv6 .*sport=40000 dport=21 " /proc/net/nf_conntrack || fail "no conntrack for the client"

log "ALLOC with the peer recorded: only 40001 is free, once"
in_r $BIN/tpt-sockref tcp6 bind "[$D]:5001" assign "[$CLIENT_IP6]:0" connectop "[$SERVER_IP6]:21" alloc \
	expect-query "[$CLIENT_IP6]:40001" \
	tcp6 bind "[$D]:5002" assign "[$CLIENT_IP6]:0" connectop "[$SERVER_IP6]:21" alloc =EADDRNOTAVAIL \
	expect-query "[$CLIENT_IP6]:0" expect-proc 2 >$T/out || { cat $T/out; fail "ALLOC with a peer"; }
cat $T/out

log "ALLOC without a peer: the sockrefs only"
in_r $BIN/tpt-sockref tcp6 bind "[$D]:5003" assign "[$CLIENT_IP6]:0" alloc query \
	tcp6 bind "[$D]:5004" assign "[$CLIENT_IP6]:0" alloc query \
	tcp6 bind "[$D]:5005" assign "[$CLIENT_IP6]:0" alloc =EADDRNOTAVAIL >$T/out2 ||
	{ cat $T/out2; fail "ALLOC without a peer"; }
cat $T/out2
n=$(sed -n "s/^query=\[$CLIENT_IP6\]:\(4000[01]\)$/\1/p" $T/out2 | sort -u | wc -l)
[ "$n" = 2 ] || fail "ALLOC without a peer did not hand out both ports once each"

log "an IPv4 connection of the same port does not take it from an IPv6 sockref"
bg $S $T/srv4 $BIN/tpt-server $SERVER_IP:21
for _ in $(seq 100); do in_s ss -H -ltn "sport = :21" | grep -q "$SERVER_IP:21" && break; sleep 0.05; done
bg $C $T/cli4 $BIN/tpt-sockref tcp bind $CLIENT_IP:40001 connect $SERVER_IP:21 print connected sleep 20000
for _ in $(seq 100); do grep -q connected $T/cli4 && break; sleep 0.1; done
expect_in $T/cli4 connected "the IPv4 client did not connect"
in_r $BIN/tpt-sockref tcp6 bind "[$D]:5006" assign "[$CLIENT_IP6]:0" connectop "[$SERVER_IP6]:21" alloc \
	expect-query "[$CLIENT_IP6]:40001" >$T/out3 || { cat $T/out3; fail "ALLOC beside an IPv4 connection"; }
cat $T/out3
