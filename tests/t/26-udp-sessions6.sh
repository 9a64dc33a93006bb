#!/bin/sh
# The IPv6 twin of 26-udp-sessions: UDP over IPv6 through tproxy-relay, with
# each kind of receiver: one an ip6tables tproxy rule feeds (port 53) and
# one tied to the foreign IPv6 address with ITP_LISTEN | ITP_UNIDIR (port
# 5300, no rule).  The receiver gets a flow's first datagram with its
# original addresses (IPV6_ORIGADDRS), a session socket takes the flow over
# (IPV6_TPROXY, ITP_ESTABLISHED; many share the server's [ip]:port as their
# foreign address), and a socket with the client's address talks to the
# server.
#  1. A DNS-like exchange: the server sees the client; the client gets the
#     answer from [server-ip]:53.
#  2. 200 flows at once, 50 request/answer pairs each: none lost, none at
#     another flow's socket, none at a receiver once its session exists.
#  3. After the relay exits: no sockref, no tproxied conntrack.
# With UDP_ZONE set (test 33-udp-sessions-zone6), the client's datagrams
# get their conntracks in that zone (-j CT --zone): the handoff and the
# releases find them there.
. ../lib.sh
. ../lib6.sh
setup_topology
RELAY=$TPT_TOP/build/bin/tproxy-relay
ip6t $R -t tproxy -A PREROUTING -p udp --dport 53 -j TPROXY --on-port 5353 || fail "rule"
if [ -n "${UDP_ZONE:-}" ]; then
	ip6t $R -t raw -A PREROUTING -i c0 -p udp -j CT --zone $UDP_ZONE || fail "zone rule"
fi
bg $S $T/srv53 $BIN/tpt-udp server "[$SERVER_IP6]:53"
bg $S $T/srv5300 $BIN/tpt-udp server "[$SERVER_IP6]:5300"
# sessions must outlive both runs, however slow the machine (60 s default)
bg $R $T/relay $RELAY -v -t 600 -u 5353 -F "[$SERVER_IP6]:5300"
relay=$!
wait_listen $S 53 udp
wait_listen $S 5300 udp
wait_listen $R 5353 udp
for _ in $(seq 50); do grep -q "receiving udp for" $T/relay && break; sleep 0.1; done

for port in 53 5300; do
	log "DNS-like exchange, port $port"
	in_c $BIN/tpt-udp send 3000 "[$SERVER_IP6]:$port" "query-$port" >$T/dns$port
	cat $T/dns$port
	grep -q "^answer" $T/dns$port || cat $T/relay
	expect_in $T/dns$port "^answer=query-$port peer=\[$CLIENT_IP6\]:3000 from=\[$SERVER_IP6\]:$port$" \
		"port $port: the answer, the server's view of the client, or its source"
	expect_in $T/relay "udp \[$CLIENT_IP6\]:3000 -> \[$SERVER_IP6\]:$port, from the client's address" \
		"port $port: the receiver did not get the original addresses"
done
in_r cat /proc/net/tproxy >$T/proc
cat $T/proc
expect_in $T/proc "^udp6 \[[0-9a-f:]*\]:[0-9]* \[$SERVER_IP6\]:53 \[$CLIENT_IP6\]:3000 0x00000004$" \
	"the session socket's sockref (ESTABLISHED)"
expect_in $T/proc "^udp6 \[[0-9a-f:]*\]:[0-9]* \[$CLIENT_IP6\]:3000 \[::\]:0 0x00000001$" \
	"the server side's sockref (CONNECT)"

# where a datagram was dropped, if one was: socket buffers, conntrack
udp_drops() {
	for ns in $C $R $S; do
		echo "$ns: $(ip netns exec $ns awk '$1 ~ /^Udp6.*Errors$/ { printf "%s=%s ", $1, $2 }' \
			/proc/net/snmp6)"
	done
	# summed over the CPUs
	in_r conntrack -S | tr -s ' \t' '\n' | awk -F= '
		/^(drop|insert_failed|invalid|clash_resolve)=/ { n[$1] += $2 }
		END { printf "conntrack: drop=%d insert_failed=%d invalid=%d clash_resolve=%d\n",
			n["drop"], n["insert_failed"], n["invalid"], n["clash_resolve"] }'
}

for port in 53 5300; do
	log "200 flows x 50 pairs, port $port"
	in_c $BIN/tpt-udp client "[$SERVER_IP6]:$port" 200 50 >$T/flows$port 2>$T/err$port
	rc=$?
	cat $T/flows$port
	head -n 20 $T/err$port
	udp_drops
	[ $rc = 0 ] || fail "port $port: flows lost or misdelivered"
	expect_in $T/flows$port "ok=10000 lost=0 wrong=0 badsrc=0 badpeer=0" "port $port: the summary"
done
n=$(in_r $BIN/tproxy-conntrack -6 -c)
echo "tproxied IPv6 conntracks while the sessions live: $n"
[ "$n" -ge 800 ] || fail "expected at least 800 tproxied IPv6 conntracks, got $n"

kill -TERM $relay
wait $relay
rc=$?
tail -n 3 $T/relay
[ $rc = 0 ] || fail "the relay exited with $rc"
expect_in $T/relay "402 udp sessions, 0 datagrams reached a receiver after their session existed" \
	"sessions, or datagrams at a receiver after their session existed"
sleep 2.5	# the grace time of released sockrefs' conntracks
in_r cat /proc/net/tproxy >$T/proc
[ ! -s $T/proc ] || { cat $T/proc; fail "sockrefs left"; }
in_r $BIN/tproxy-conntrack >$T/after
[ ! -s $T/after ] || { head -n 20 $T/after; fail "tproxied conntracks left"; }
