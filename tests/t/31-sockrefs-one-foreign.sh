#!/bin/sh
# A hundred thousand sockrefs on one foreign address, as Squid and HAProxy
# make them for one busy client: ASSIGN(client, 0) + FLAGS(CONNECT).  They
# come and go oldest first, beside proxied connections from that client;
# /proc/net/tproxy, read by an unprivileged user meanwhile, lists each of
# them exactly once; closing them all, oldest first, leaves nothing.
# 100,000 sockets made, read and closed: on two loaded CPUs more than the
# default 240 s
# tpt-timeout: 600
. ../lib.sh
setup_topology
N=${TPT_MANY_SOCKREFS:-100000}
# a file each: more than the system's default limit in a small VM
[ "$(cat /proc/sys/fs/file-max)" -ge $((N * 2)) ] || sysctl -qw fs.file-max=$((N * 2))

ipt $R -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 || fail "rule"
bg $S $T/srv $BIN/tpt-server $SERVER_IP:80
bg $R $T/proxy $BIN/tpt-proxy -s squid -B $ROUTER_SIP:0 0.0.0.0:3128
wait_listen $S 80
wait_listen $R 3128

log "$N sockrefs on $CLIENT_IP:0, then $((N / 5)) replaced oldest first"
bg $R $T/many $BIN/tpt-sockref many $N $CLIENT_IP:0 CONNECT churn $((N / 5)) print ready \
	waitfile $T/go closemany print closed
for _ in $(seq 1200); do grep -q "^ready" $T/many && break; sleep 0.1; done
expect_in $T/many "^ready" "the sockrefs were not made"

log "/proc/net/tproxy read as uid 65534 while connections are made"
(for i in $(seq 20); do in_c $BIN/tpt-client $SERVER_IP:80 busy-$i || echo "FAILED $i"; done) \
	>$T/replies 2>&1 &
conns=$!
for r in 1 2; do
	in_r setpriv --reuid=65534 --regid=65534 --clear-groups cat /proc/net/tproxy >$T/proc$r ||
		fail "an unprivileged user cannot read /proc/net/tproxy"
done
wait $conns
n=$(grep -c "^SERVER peer=$CLIENT_IP:[0-9]* .*said=busy-" $T/replies)
[ "$n" = 20 ] || { cat $T/replies; fail "$n of 20 proxied connections got through"; }
for r in 1 2; do
	mine=$(grep -c "^udp 127\.[0-9.]*:[0-9]* $CLIENT_IP:0 0.0.0.0:0 0x00000001$" $T/proc$r)
	other=$(grep -vc "^udp 127\." $T/proc$r)
	dup=$(sort $T/proc$r | uniq -d | wc -l)
	bad=$(grep -vc "^\(tcp\|udp\) [0-9.]*:[0-9]* [0-9.]*:[0-9]* [0-9.]*:[0-9]* 0x[0-9a-f]\{8\}$" $T/proc$r)
	echo "read $r: $mine of the $N, $other of the proxy's, $dup twice, $bad malformed"
	[ "$mine" = "$N" ] && [ "$dup" = 0 ] && [ "$bad" = 0 ] ||
		fail "/proc/net/tproxy read $r: $mine of $N sockrefs, $dup lines twice, $bad malformed"
done
touch $T/go
for _ in $(seq 600); do grep -q "^closed" $T/many && break; sleep 0.1; done
expect_in $T/many "^closed" "closing them did not end"
sleep 0.5
in_r cat /proc/net/tproxy >$T/after
[ ! -s $T/after ] || { head $T/after; fail "$(wc -l <$T/after) sockrefs left"; }
