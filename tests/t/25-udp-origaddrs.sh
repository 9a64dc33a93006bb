#!/bin/sh
# IP_RECVORIGADDRS: its argument checks, and the IP_ORIGADDRS message at
# both kinds of UDP receiver: one a TPROXY rule feeds, and one tied to a
# foreign address with ITP_LISTEN | ITP_UNIDIR and no rule at all.  Each
# datagram of a flow without a session reaches the receiver with the
# addresses the client sent it to.  Outgoing UDP from a foreign address:
# the server sees the client, and its answer reaches the proxy's socket.
. ../lib.sh
setup_topology
in_r ip addr add 203.0.113.1/32 dev lo

log "argument checks"
in_r $BIN/tpt-udp errnos >$T/errnos
rc=$?
cat $T/errnos
[ $rc = 0 ] || fail "IP_RECVORIGADDRS argument checks"

log "a receiver a TPROXY rule feeds"
ipt $R -t tproxy -A PREROUTING -p udp --dport 53 -j TPROXY --on-port 5353 || fail "rule"
bg $R $T/recv $BIN/tpt-udp recv 0.0.0.0:5353
wait_listen $R 5353 udp
in_c $BIN/tpt-udp send 4001 $SERVER_IP:53 first >/dev/null
in_c $BIN/tpt-udp send 4001 $SERVER_IP:53 second >/dev/null
in_r $BIN/tproxy-conntrack >$T/ct
expect_in $T/ct "original $CLIENT_IP:4001 -> $SERVER_IP:53 translated .* \[TPROXY\]" \
	"the rule's conntrack is not marked"
in_c $BIN/tpt-udp send 4002 $SERVER_IP:53 quit >/dev/null
wait
PIDS=""
cat $T/recv
expect_in $T/recv "got=first from=$CLIENT_IP:4001 orig_src=$CLIENT_IP:4001 orig_dst=$SERVER_IP:53$" \
	"first datagram: wrong original addresses"
expect_in $T/recv "got=second from=$CLIENT_IP:4001 orig_src=$CLIENT_IP:4001 orig_dst=$SERVER_IP:53$" \
	"second datagram of the flow"
expect_in $T/recv "got=quit from=$CLIENT_IP:4002 orig_src=$CLIENT_IP:4002 orig_dst=$SERVER_IP:53$" \
	"another flow"
# the receiver is gone: so are the flows mapped to it
sleep 0.5
in_r $BIN/tproxy-conntrack >$T/ct
expect_not_in $T/ct "$SERVER_IP:53" "flows mapped to a receiver outlived it"
ipt $R -t tproxy -F PREROUTING

log "a receiver on a foreign address, LISTEN|UNIDIR, no rule"
bg $R $T/frecv $BIN/tpt-udp recv 203.0.113.1:0 $SERVER_IP:5000
for _ in $(seq 50); do grep -q ready $T/frecv && break; sleep 0.1; done
in_r cat /proc/net/tproxy >$T/proc
expect_in $T/proc "^udp 203.0.113.1:[0-9]* $SERVER_IP:5000 0.0.0.0:0 0x00080002$" "/proc/net/tproxy line"
in_c $BIN/tpt-udp send 4003 $SERVER_IP:5000 one >/dev/null
in_c $BIN/tpt-udp send 4003 $SERVER_IP:5000 two >/dev/null
in_c $BIN/tpt-udp send 4003 $SERVER_IP:5001 not-this >/dev/null
in_c $BIN/tpt-udp send 4003 $SERVER_IP:5000 quit >/dev/null
wait
PIDS=""
cat $T/frecv
expect_in $T/frecv "got=one from=$CLIENT_IP:4003 orig_src=$CLIENT_IP:4003 orig_dst=$SERVER_IP:5000$" \
	"first datagram at the foreign receiver"
expect_in $T/frecv "got=two from=$CLIENT_IP:4003 orig_src=$CLIENT_IP:4003 orig_dst=$SERVER_IP:5000$" \
	"second datagram at the foreign receiver"
expect_not_in $T/frecv "not-this" "a datagram for another port reached the receiver"
expect_in $T/frecv "got=quit" "the last datagram"
# UNIDIR: the mapping served single datagrams; none steers the flow now
in_r $BIN/tproxy-conntrack >$T/ct2
expect_not_in $T/ct2 "original $CLIENT_IP:4003 -> $SERVER_IP:5000" \
	"a receiver's UNIDIR mapping outlived its datagram"

log "outgoing UDP from the client's address"
bg $S $T/srv $BIN/tpt-udp server $SERVER_IP:53
wait_listen $S 53 udp
in_r $BIN/tpt-sockref udp bind 0.0.0.0:0 assign $CLIENT_IP:4444 flags CONNECT \
	connect $SERVER_IP:53 send via-connect recvdgram >$T/out || { cat $T/out; fail "CONNECT"; }
cat $T/out
expect_in $T/out " peer=$CLIENT_IP:4444$" "the server did not see the client's address"
