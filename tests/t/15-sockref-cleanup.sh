#!/bin/sh
# Sockrefs go with their sockets: when the proxy exits, whatever state its
# sockets were in, /proc/net/tproxy is empty.  (kmemleak is checked for the
# whole boot after the last test.)
. ../lib.sh
setup_topology
in_r ip addr add 203.0.113.1/32 dev lo
ipt $R -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 || fail "rule"
bg $S $T/srv $BIN/tpt-server $SERVER_IP:80
bg $R $T/proxy $BIN/tpt-proxy -s squid -B $ROUTER_SIP:0 0.0.0.0:3128
wait_listen $S 80
wait_listen $R 3128
for i in $(seq 20); do
	in_c $BIN/tpt-client $SERVER_IP:80 c$i >/dev/null || fail "connection $i"
done
[ "$(grep -c "peer=$CLIENT_IP" $T/srv)" = 20 ] || fail "the server did not see the client 20 times"

# a process that exits with sockrefs in every state
in_r $BIN/tpt-sockref tcp bind 203.0.113.1:0 assign 192.0.2.9:0 \
	tcp bind 203.0.113.1:0 assign 192.0.2.9:1 listen flags LISTEN \
	tcp bind 203.0.113.1:0 assign 192.0.2.9:0 flags CONNECT connect $SERVER_IP:80 send x \
	udp bind 203.0.113.1:0 assign 192.0.2.9:53 connectop 1.2.3.4:5 flags ESTABLISHED \
	udp bind 0.0.0.0:0 assign 0.0.0.0:0 expect-proc 5 >$T/many || { cat $T/many; fail "setup"; }
kill $PIDS
wait
PIDS=""
sleep 0.2
in_r cat /proc/net/tproxy >$T/proc
[ ! -s $T/proc ] || { cat $T/proc; fail "sockrefs left after the processes exited"; }
