#!/bin/sh
# Runs in a boot of its own in UML's time-travel mode (time-travel=inf-cpu):
# kernel time jumps ahead while every task sleeps, so days pass in seconds.
# The IPv6 twin of 60-idle-for-months: a connection through the ip6tables
# tproxy table and the relay (the redirected client side, and the server
# side sent from the client's address by an IPv6 CONNECT sockref) stays idle
# for TPT_TT_DAYS days of kernel time (12 in make check: more than twice
# conntrack's established timeout of 5 days, twelve times the one-day pin
# that the keeper moves on; 130 for a run past INT_MAX / 2 jiffies at this
# kernel's HZ=100, the old fixed pin).
# Afterwards both of its conntracks are the ones made at the start, and
# the connection passes data both ways; with nf_conntrack_tcp_loose off,
# a lost conntrack would not be made again from mid-stream packets.
. ../lib.sh
setup_topology
in_r sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0
ip6t $R -t tproxy -A PREROUTING -p tcp --dport 9000 -j TPROXY --on-port 3128 || fail "rule"
days=${TPT_TT_DAYS:-12}
idle_ms=$((days * 86400 * 1000))

bg $S $T/srv $BIN/tpt-sockref tcp6 reuse bind "[$SERVER_IP6]:9000" listen accept rcvtimeo 0 \
	recvline send first recvline send second
wait_listen $S 9000
bg $R $T/relay $BIN/tproxy-relay -p 3128
wait_listen $R 3128
start=$(cut -d. -f1 /proc/uptime)
bg $C $T/cli $BIN/tpt-sockref tcp6 rcvtimeo 0 connect "[$SERVER_IP6]:9000" send one recvline print idle \
	sleep $idle_ms send two recvline print done
client=$!
for _ in $(seq 100); do grep -q idle $T/cli && break; sleep 0.1; done
expect_in $T/cli "recv=first" "no answer before the idle time"
# the keeper pins the redirected side once it sees its socket (30 s)
sleep 60
in_r $BIN/tproxy-conntrack >$T/ct-before
in_r conntrack -L -f ipv6 -o id 2>/dev/null | sed -n "s/.* id=\([0-9]*\).*/\1/p" | sort >$T/id-before
cat $T/ct-before $T/id-before
[ "$(wc -l <$T/id-before)" -ge 2 ] || fail "conntrack -L shows no ids"
[ "$(grep -c "^tcp .*\[PINNED\]" $T/ct-before)" = 2 ] || fail "not two pinned conntracks at the start"

# wake up shortly before the client does
sleep $((days * 86400 - 660))
now=$(cut -d. -f1 /proc/uptime)
echo "kernel time passed: $(((now - start) / 86400)) days"
[ $((now - start)) -ge $((days * 86400 - 700)) ] || fail "time did not travel ($((now - start)) s)"
in_r $BIN/tproxy-conntrack >$T/ct-after
in_r conntrack -L -f ipv6 -o id 2>/dev/null | sed -n "s/.* id=\([0-9]*\).*/\1/p" | sort >$T/id-after
cat $T/ct-after $T/id-after
cmp -s $T/ct-before $T/ct-after || fail "the tproxied conntracks changed over $days idle days"
cmp -s $T/id-before $T/id-after || fail "the conntracks are not the ones made $days days ago"
wait $client || { cat $T/cli; fail "the connection broke after $days idle days: $(grep FAIL $T/cli)"; }
cat $T/cli $T/srv
expect_in $T/cli "recv=second" "no answer after $days idle days"
[ "$(grep -c accepted $T/srv)" = 1 ] || fail "not one connection at the server"
expect_in $T/srv "accepted peer=\[$CLIENT_IP6\]:" "the server did not see the client's address"
