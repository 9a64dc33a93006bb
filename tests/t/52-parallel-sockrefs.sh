#!/bin/sh
# Parallel connects, assigns and closes against one namespace's sockref
# tables: four HAProxy-style loops (each from its own foreign ip:port),
# 100 clients at once through the relay (table redirect + CONNECT sockrefs)
# and 50 UDP flows through relay sessions, all at the same time.  On an
# SMP kernel (make check-smp) they run on several CPUs.  Every cycle and
# every flow succeeds; afterwards no sockref and no tproxied conntrack.
. ../lib.sh
setup_topology
short_closing_timeouts $R
RELAY=$TPT_TOP/build/bin/tproxy-relay
n=${TPT_PARALLEL_CYCLES:-300}
ipt $R -t tproxy -A PREROUTING -p tcp --dport 8080 -j TPROXY --on-port 3128 || fail "rule"
ipt $R -t tproxy -A PREROUTING -p udp --dport 53 -j TPROXY --on-port 5353 || fail "rule"
bg $S $T/srv $BIN/tpt-server -w $SERVER_IP:80
bg $S $T/srv8080 $BIN/tpt-soak server $SERVER_IP:8080 $CLIENT_IP
bg $S $T/srv53 $BIN/tpt-udp server $SERVER_IP:53
bg $R $T/relay $RELAY -p 3128 -u 5353
relay=$!
wait_listen $S 80
wait_listen $S 8080
wait_listen $R 3128
wait_listen $R 5353 udp

pids=""
for i in 1 2 3 4; do
	in_r $BIN/tpt-reuse $n $ROUTER_SIP:0 $CLIENT_IP:4000$i $SERVER_IP:80 >$T/reuse$i 2>&1 &
	pids="$pids $!"
done
in_c $BIN/tpt-soak client $SERVER_IP:8080 100 16384 >$T/soak 2>&1 &
soak=$!
in_c $BIN/tpt-udp client $SERVER_IP:53 50 20 >$T/udp 2>&1 &
udp=$!
bad=0
for p in $pids; do
	wait $p || bad=1
done
wait $soak || bad=1
wait $udp || bad=1
cat $T/reuse1 $T/reuse2 $T/reuse3 $T/reuse4 $T/soak $T/udp
[ $bad = 0 ] || fail "a parallel loop failed"
for i in 1 2 3 4; do
	[ "$(grep -c "peer=$CLIENT_IP:4000$i " $T/srv)" = "$n" ] ||
		fail "the server did not see $CLIENT_IP:4000$i $n times"
done
kill -TERM $relay
wait $relay
sleep 2.5
in_r cat /proc/net/tproxy >$T/proc
[ ! -s $T/proc ] || { cat $T/proc; fail "sockrefs left"; }
n=$(in_r $BIN/tproxy-conntrack -c)
[ "$n" = 0 ] || fail "$n tproxied conntracks left"
