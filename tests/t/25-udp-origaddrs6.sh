#!/bin/sh
# The IPv6 twin of 25-udp-origaddrs: IPV6_RECVORIGADDRS, its argument
# checks, and the IPV6_ORIGADDRS message at both kinds of UDP receiver: one
# an ip6tables tproxy rule feeds, and one tied to a foreign IPv6 address
# with ITP_LISTEN | ITP_UNIDIR through IPV6_TPROXY and no rule at all.  Each
# datagram of a flow without a session reaches the receiver with the
# addresses the client sent it to.  Outgoing UDP from a foreign IPv6
# address: the server sees the client, and its answer reaches the proxy.
# Then queued IPv6 datagrams hold no conntrack while they wait (their
# addresses ride in an skb extension): after a conntrack -F none is left
# counted, and the messages still come, when they are read, read after a
# peek, or not at all (dropped unread with their socket).
. ../lib.sh
. ../lib6.sh
setup_topology
FOREIGN6=2001:db8:ff::1
in_r ip addr add $FOREIGN6/128 dev lo

log "argument checks"
in_r $BIN/tpt-udp errnos6 >$T/errnos
rc=$?
cat $T/errnos
[ $rc = 0 ] || fail "IPV6_RECVORIGADDRS argument checks"

log "a receiver an ip6tables tproxy rule feeds"
ip6t $R -t tproxy -A PREROUTING -p udp --dport 53 -j TPROXY --on-port 5353 || fail "rule"
bg $R $T/recv $BIN/tpt-udp recv "[::]:5353"
wait_listen $R 5353 udp
in_c $BIN/tpt-udp send 4001 "[$SERVER_IP6]:53" first >/dev/null
in_c $BIN/tpt-udp send 4001 "[$SERVER_IP6]:53" second >/dev/null
in_r $BIN/tproxy-conntrack >$T/ct
expect_in $T/ct "original \[$CLIENT_IP6\]:4001 -> \[$SERVER_IP6\]:53 translated .* \[TPROXY\]" \
	"the rule's conntrack is not marked"
in_c $BIN/tpt-udp send 4002 "[$SERVER_IP6]:53" quit >/dev/null
wait
PIDS=""
cat $T/recv
expect_in $T/recv "got=first from=\[$CLIENT_IP6\]:4001 orig_src=\[$CLIENT_IP6\]:4001 orig_dst=\[$SERVER_IP6\]:53 cmsg=IPV6_ORIGADDRS$" \
	"first datagram: wrong original addresses"
expect_in $T/recv "got=second from=\[$CLIENT_IP6\]:4001 orig_src=\[$CLIENT_IP6\]:4001 orig_dst=\[$SERVER_IP6\]:53 cmsg=IPV6_ORIGADDRS$" \
	"second datagram of the flow"
expect_in $T/recv "got=quit from=\[$CLIENT_IP6\]:4002 orig_src=\[$CLIENT_IP6\]:4002 orig_dst=\[$SERVER_IP6\]:53 cmsg=IPV6_ORIGADDRS$" \
	"another flow"
# the receiver is gone: so are the flows mapped to it
sleep 0.5
in_r $BIN/tproxy-conntrack >$T/ct
expect_not_in $T/ct "\[$SERVER_IP6\]:53" "flows mapped to a receiver outlived it"
ip6t $R -t tproxy -F PREROUTING

log "a receiver on a foreign IPv6 address, LISTEN|UNIDIR, no rule"
bg $R $T/frecv $BIN/tpt-udp recv "[$FOREIGN6]:0" "[$SERVER_IP6]:5000"
for _ in $(seq 50); do grep -q ready $T/frecv && break; sleep 0.1; done
in_r cat /proc/net/tproxy >$T/proc
expect_in $T/proc "^udp6 \[$FOREIGN6\]:[0-9]* \[$SERVER_IP6\]:5000 \[::\]:0 0x00080002$" \
	"/proc/net/tproxy line"
in_c $BIN/tpt-udp send 4003 "[$SERVER_IP6]:5000" one >/dev/null
in_c $BIN/tpt-udp send 4003 "[$SERVER_IP6]:5000" two >/dev/null
in_c $BIN/tpt-udp send 4003 "[$SERVER_IP6]:5001" not-this >/dev/null
in_c $BIN/tpt-udp send 4003 "[$SERVER_IP6]:5000" quit >/dev/null
wait
PIDS=""
cat $T/frecv
expect_in $T/frecv "got=one from=\[$CLIENT_IP6\]:4003 orig_src=\[$CLIENT_IP6\]:4003 orig_dst=\[$SERVER_IP6\]:5000 cmsg=IPV6_ORIGADDRS$" \
	"first datagram at the foreign receiver"
expect_in $T/frecv "got=two from=\[$CLIENT_IP6\]:4003 orig_src=\[$CLIENT_IP6\]:4003 orig_dst=\[$SERVER_IP6\]:5000 cmsg=IPV6_ORIGADDRS$" \
	"second datagram at the foreign receiver"
expect_not_in $T/frecv "not-this" "a datagram for another port reached the receiver"
expect_in $T/frecv "got=quit" "the last datagram"
# UNIDIR: the mapping served single datagrams; none steers the flow now
in_r $BIN/tproxy-conntrack >$T/ct2
expect_not_in $T/ct2 "original \[$CLIENT_IP6\]:4003 -> \[$SERVER_IP6\]:5000" \
	"a receiver's UNIDIR mapping outlived its datagram"

log "outgoing UDP from the client's IPv6 address"
bg $S $T/srv $BIN/tpt-udp server "[$SERVER_IP6]:53"
wait_listen $S 53 udp
in_r $BIN/tpt-sockref udp6 bind "[::]:0" assign "[$CLIENT_IP6]:4444" flags CONNECT \
	connect "[$SERVER_IP6]:53" send via-connect recvdgram >$T/out || { cat $T/out; fail "CONNECT"; }
cat $T/out
expect_in $T/out " peer=\[$CLIENT_IP6\]:4444$" "the server did not see the client's address"

log "queued IPv6 datagrams hold no conntrack"
# conntrack on the router's own IPv6 traffic; no translation: the message
# has the datagrams' own addresses, taken from their conntracks as they
# were queued
ip6t $R -A INPUT -p udp -m conntrack --ctstate NEW,ESTABLISHED || fail "conntrack rule"
ct_count() { in_r cat /proc/sys/net/netfilter/nf_conntrack_count; }
n=5
port=4200
for mode in read peek close; do
	rm -f $T/go
	in_r conntrack -F >/dev/null 2>&1
	base=$(ct_count)
	bg $R $T/hold-$mode $BIN/tpt-udp hold "[$ROUTER_CIP6]:7000" $n $mode $T/go
	hold=$!
	for _ in $(seq 100); do grep -q ready $T/hold-$mode && break; sleep 0.1; done
	in_c $BIN/tpt-udp sendn $port $n "[$ROUTER_CIP6]:7000" >/dev/null || fail "$mode: sendn"
	for _ in $(seq 100); do [ "$(ct_count)" -ge $((base + n)) ] && break; sleep 0.1; done
	sleep 0.2
	# out of the table: nothing holds them any more
	in_r conntrack -F >/dev/null 2>&1
	sleep 0.2
	held=$(ct_count)
	touch $T/go
	wait $hold
	rc=$?
	sleep 0.5	# a UDP socket is freed after a grace period
	left=$(ct_count)
	cat $T/hold-$mode
	echo "$mode: conntracks $base before, $held held by $n queued datagrams, $left after"
	[ $rc = 0 ] || fail "$mode: the receiver failed"
	[ "$held" -le "$base" ] ||
		fail "$mode: $n queued datagrams held $((held - base)) conntracks"
	[ "$left" -le "$base" ] ||
		fail "$mode: $((left - base)) conntracks left after the datagrams went"
	if [ $mode != close ]; then
		for p in $(seq $port $((port + n - 1))); do
			expect_in $T/hold-$mode "got=dgram-$p from=\[$CLIENT_IP6\]:$p orig_src=\[$CLIENT_IP6\]:$p orig_dst=\[$ROUTER_CIP6\]:7000 cmsg=IPV6_ORIGADDRS$" \
				"$mode: datagram $p"
		done
	fi
	port=$((port + n))
done
