#!/bin/sh
# The IPv6 twin of 15-sockref-cleanup: sockrefs go with their sockets: when
# the proxy exits, whatever state its IPv6 (and dual-stack) sockets were in,
# /proc/net/tproxy is empty.  (kmemleak is checked for the whole boot after
# the last test.)
. ../lib.sh
setup_topology
D=2001:db8:ff::1
F=2001:db8:1::9
in_r ip addr add $D/128 dev lo
ip6t $R -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 || fail "rule"
bg $S $T/srv $BIN/tpt-server "[$SERVER_IP6]:80"
bg $R $T/proxy $BIN/tpt-proxy -s squid -B "[$ROUTER_SIP6]:0" "[::]:3128"
wait_listen $S 80
wait_listen $R 3128
for i in $(seq 20); do
	in_c $BIN/tpt-client "[$SERVER_IP6]:80" c$i >/dev/null || fail "connection $i"
done
[ "$(grep -c "peer=\[$CLIENT_IP6\]" $T/srv)" = 20 ] || fail "the server did not see the client 20 times"

# a process that exits with sockrefs in every state, of both families on
# AF_INET6 sockets
in_r $BIN/tpt-sockref tcp6 bind "[$D]:0" assign "[$F]:0" \
	tcp6 bind "[$D]:0" assign "[$F]:1" listen flags LISTEN \
	tcp6 bind "[$D]:0" assign "[$F]:0" flags CONNECT connect "[$SERVER_IP6]:80" send x \
	udp6 bind "[$D]:0" assign "[$F]:53" connectop "[2001:db8::5]:5" flags ESTABLISHED \
	udp6 bind "[::]:0" assign "[::]:0" \
	tcp6 bind "[::]:0" assign "[::ffff:192.0.2.9]:0" \
	udp6 bind "[::]:0" assign 192.0.2.9:53 flags LISTEN expect-proc 7 >$T/many ||
	{ cat $T/many; fail "setup"; }
kill $PIDS
wait
PIDS=""
sleep 0.2
in_r cat /proc/net/tproxy >$T/proc
[ ! -s $T/proc ] || { cat $T/proc; fail "sockrefs left after the processes exited"; }
