#!/bin/sh
# After the proxy exits, its conntracks are no longer held: neither those
# its sockrefs owned nor those of the connections its sockets accepted.
# They follow conntrack's own TCP timeouts from then on, as any NAT'd
# connection does: here the router's closing-state timeouts are 1 s, and
# the peers keep their (half-closed) ends open, so within 2.5 s none
# remains.  Checked with tproxy-conntrack (libnetfilter_conntrack),
# conntrack -L and /proc/net/nf_conntrack.
. ../lib.sh
setup_topology
short_closing_timeouts $R
in_r ip addr add 203.0.113.1/32 dev lo
ipt $R -t tproxy -A PREROUTING -p tcp --dport 9000 -j TPROXY --on-port 3128 || fail "rule"

# long-lived flows: the server and the client hold their ends open
bg $S $T/srv $BIN/tpt-sockref tcp reuse bind $SERVER_IP:9000 listen accept recvline send hello sleep 8000
wait_listen $S 9000
bg $R $T/relay $TPT_TOP/build/bin/tproxy-relay -p 3128
relay=$!
wait_listen $R 3128
bg $C $T/cli $BIN/tpt-sockref tcp connect $SERVER_IP:9000 send via-relay recvline sleep 8000
# a Zorp-style data channel on a foreign address, held open too
bg $R $T/lst $BIN/tpt-sockref tcp bind 203.0.113.1:0 assign $CLIENT_IP:7001 listen \
	flags LISTEN print ready accept recvline send data-ok sleep 8000
lst=$!
for _ in $(seq 50); do grep -q ready $T/lst && break; sleep 0.1; done
bg $S $T/data $BIN/tpt-sockref tcp connect $CLIENT_IP:7001 send data recvline sleep 8000
for _ in $(seq 50); do grep -q "recv=hello" $T/cli && grep -q "recv=data-ok" $T/data && break; sleep 0.1; done
expect_in $T/cli "recv=hello" "the relayed flow"
expect_in $T/data "recv=data-ok" "the data channel"

in_r $BIN/tproxy-conntrack >$T/during
in_r conntrack -L -o extended >$T/ctl-during 2>/dev/null
cat $T/during
expect_in $T/during "original $CLIENT_IP:[0-9]* -> $SERVER_IP:9000 translated .* -> $ROUTER_CIP:3128 \[TPROXY\]" \
	"the redirected connection is not listed"
expect_in $T/during "translated $CLIENT_IP:[0-9]* -> $SERVER_IP:9000 \[TPROXY\] \[SOCKREF\]" \
	"the relay's connection from the client's address is not listed as owned"
expect_in $T/during "\[NO_HELPER\]" "tproxied conntracks do not show the helper bypass"
expect_in $T/during "sockref: tcp .* $CLIENT_IP:0 0.0.0.0:0 0x00000001" "the owning sockref is not shown"
expect_in $T/during "original $SERVER_IP:[0-9]* -> $CLIENT_IP:7001 translated .* -> 203.0.113.1:" \
	"the data channel is not listed"
# the tuples the check after the release looks for are there now: the
# redirected connection's reply comes from port 3128
expect_in $T/ctl-during "sport=3128 " "conntrack -L does not show the redirected connection"
expect_in $T/ctl-during "src=203.0.113.1 " "conntrack -L does not show the data channel"

kill $relay $lst
wait $relay $lst 2>/dev/null
sleep 0.3
in_r $BIN/tproxy-conntrack >$T/released
cat $T/released
expect_not_in $T/released "SOCKREF" "a conntrack is still owned after its socket's release"
sleep 2.5	# the closing-state timeouts
in_r $BIN/tproxy-conntrack >$T/after
in_r conntrack -L -o extended >$T/ctl 2>/dev/null
in_r cat /proc/net/nf_conntrack >$T/proc
cat $T/after $T/proc
[ ! -s $T/after ] || fail "tproxy-conntrack still lists tproxied connections"
n=$(in_r $BIN/tproxy-conntrack -c)
[ "$n" = 0 ] || fail "tproxy-conntrack -c says $n"
expect_not_in $T/proc "\[TPROXY\]" "/proc/net/nf_conntrack still has tproxied connections"
# conntrack -L does not name the bit: none of the translated tuples is left
expect_not_in $T/ctl "sport=3128 " "conntrack -L still has the redirected connection"
expect_not_in $T/ctl "src=203.0.113.1 " "conntrack -L still has the data channel"
in_r cat /proc/net/tproxy >$T/sr
[ ! -s $T/sr ] || fail "sockrefs left"
