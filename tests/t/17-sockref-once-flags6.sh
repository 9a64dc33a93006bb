#!/bin/sh
# The IPv6 twin of 17-sockref-once-flags: FLAGS with the mode an IPv6
# sockref already has changes nothing (its connection and conntrack stay,
# ONCE stays used up); ONCE is used up only by a mapping that is made: a
# first SYN that a filter rule drops after the mapping is retransmitted and
# still redirected, while another connection is not; a failed IPV6_TPROXY
# ASSIGN leaves no conntrack or NAT hooks behind in its namespace.
. ../lib.sh
setup_topology
D=2001:db8:ff::1
F=2001:db8:2::77
in_r ip addr add $D/128 dev lo

# 1. the same mode again
bg $S $T/srv $BIN/tpt-sockref tcp6 reuse bind "[$SERVER_IP6]:9000" listen accept \
	recvline send first recvline send second
wait_listen $S 9000
in_r $BIN/tpt-sockref tcp6 bind "[$D]:0" assign "[$CLIENT_IP6]:0" flags "CONNECT|ONCE" \
	connect "[$SERVER_IP6]:9000" send one recvline expect-flags "CONNECT|ONCE|APPLIED" \
	flags "CONNECT|ONCE" expect-flags "CONNECT|ONCE|APPLIED" print again \
	send two recvline >$T/same 2>&1 || { cat $T/same; fail "$(grep FAIL $T/same)"; }
cat $T/same $T/srv
expect_in $T/same "recv=second" "the connection broke when FLAGS gave its mode again"
[ "$(grep -c accepted $T/srv)" = 1 ] || fail "not one connection"
expect_in $T/srv "accepted peer=\[$CLIENT_IP6\]:" "the server did not see the foreign address"

# 2. ONCE: the first SYN is dropped after the mapping, the retransmission
# is redirected; a second connection is not
ip6t $R -A INPUT -p tcp --syn --dport 7000 -m statistic --mode nth --every 1000 --packet 0 \
	-j DROP || fail "rule"
bg $R $T/lst $BIN/tpt-sockref tcp6 reuse bind "[$D]:7000" assign "[$F]:80" listen \
	flags "LISTEN|ONCE" print ready accept recvline send hi sleep 3000
for _ in $(seq 50); do grep -q ready $T/lst && break; sleep 0.1; done
in_c $BIN/tpt-sockref tcp6 connect "[$F]:80" send hello recvline >$T/first 2>&1
cat $T/first
expect_in $T/first "recv=hi" "the retransmitted SYN was not redirected (ONCE used up by a dropped SYN)"
in_r ip6tables-legacy -L INPUT -v -n >$T/filter
grep -q "^ *1 .*DROP" $T/filter || { cat $T/filter; fail "the first SYN was not dropped"; }
in_c $BIN/tpt-sockref tcp6 connect "[$F]:80" >$T/second 2>&1
cat $T/second
grep -q FAIL $T/second || fail "a second connection was redirected to an ITP_ONCE sockref"
[ "$(grep -c accepted $T/lst)" = 1 ] || fail "the listener accepted $(grep -c accepted $T/lst)"

# 3. a failed ASSIGN sets nothing up in its namespace
X=x$sfx
EXTRA_NS=$X
ip netns add $X || fail "netns"
ip -n $X link set lo up
ip netns exec $X $BIN/tpt-sockref tcp6 assign "[$CLIENT_IP6]:0" =EINVAL udp6 bind "[::1]:0" \
	connect "[::1]:9" assign "[2001:db8::4]:0" =EINVAL \
	udp6 v6only 1 bind "[::]:0" assign "[::ffff:1.2.3.4]:0" =EAFNOSUPPORT >$T/bad 2>&1 ||
	{ cat $T/bad; fail "$(grep FAIL $T/bad)"; }
ip netns exec $X $BIN/tpt-sockref udp6 sendto "[::1]:9" 3 || fail "traffic in $X"
n=$(ip netns exec $X cat /proc/sys/net/netfilter/nf_conntrack_count)
[ "$n" = 0 ] || fail "conntrack runs in a namespace where only a failed ASSIGN was made ($n entries)"
