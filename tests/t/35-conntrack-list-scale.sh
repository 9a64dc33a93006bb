#!/bin/sh
# tpt-timeout: 480
# tproxy-conntrack lists the owned conntracks with their sockrefs reading
# /proc/net/tproxy once, not once a conntrack: 3,000 UDP flows through the
# relay (6,000 sockrefs, as many owned conntracks) are listed within
# seconds: 1.3 s, where the one that read the file again for each owned
# conntrack had listed 4,773 of 10,782 lines after 200 s.
. ../lib.sh
setup_topology
RELAY=$TPT_TOP/build/bin/tproxy-relay
CT=$TPT_TOP/build/bin/tproxy-conntrack
N=3000
ipt $R -t tproxy -A PREROUTING -p udp --dport 53 -j TPROXY --on-port 5353 || fail "rule"
bg $S $T/srv $BIN/tpt-udp server $SERVER_IP:53
ulimit -n 65536 || fail "ulimit -n 65536"
bg $R $T/relay $RELAY -t 600 -u 5353 -s $((N + 100))
relay=$!
wait_listen $S 53 udp
wait_listen $R 5353 udp
# the receiver drops what overflows its buffer: the flows that got no
# session send again (the others' datagrams go to their sessions)
for _ in $(seq 20); do
	in_c $BIN/tpt-udp sendn 10000 $N $SERVER_IP:53 >$T/sent || fail "sendn: $(cat $T/sent)"
	sleep 3
	refs=$(in_r cat /proc/net/tproxy | wc -l)
	log "$refs sockrefs"
	[ "$refs" -ge $((2 * N)) ] && break
	[ "$refs" = "${last:-}" ] && break
	last=$refs
done
log "$refs sockrefs"
# (a few flows may get no session when their first datagrams were
# dropped: 37 of 3,000 in one run; the listing is what is tested here)
[ "$refs" -ge $((2 * N * 9 / 10)) ] || { grep -v " -> .*from the client.s address" $T/relay; fail "only $refs sockrefs for $N flows"; }
t0=$(date +%s%N)
in_r timeout 120 $CT -s >$T/list || fail "tproxy-conntrack -s failed or took 120 s"
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
owned=$(grep -c "\[SOCKREF\]" $T/list)
lines=$(grep -c "^  sockref: " $T/list)
log "tproxy-conntrack -s: $owned owned conntracks, $lines sockref lines, in $ms ms"
[ "$owned" -ge $((refs / 2)) ] || fail "only $owned owned conntracks listed for $refs sockrefs"
[ "$lines" -ge $((refs / 2)) ] || fail "only $lines sockrefs listed for $refs sockrefs"
# the server sides' are the relay's CONNECT sockrefs with the client's address
expect_in $T/list "^  sockref: udp [0-9.]*:[0-9]* $CLIENT_IP:[0-9]* 0.0.0.0:0 " "no CONNECT sockref listed"
[ "$ms" -lt 15000 ] || fail "tproxy-conntrack -s took $ms ms for $owned conntracks and $refs sockrefs"
kill -TERM $relay
wait $relay || fail "the relay's exit status"
