#!/bin/sh
# After the proxy exits, no conntrack with the tproxy bit remains: those its
# sockrefs owned, and those of the connections its sockets accepted.
# Checked with tproxy-conntrack (libnetfilter_conntrack), conntrack -L and
# /proc/net/nf_conntrack.
. ../lib.sh
setup_topology
in_r ip addr add 203.0.113.1/32 dev lo
ipt $R -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 || fail "rule"
bg $S $T/srv $BIN/tpt-server $SERVER_IP:80
bg $R $T/proxy $BIN/tpt-proxy -s haproxy -B $ROUTER_SIP:0 0.0.0.0:3128
proxy=$!
wait_listen $S 80
wait_listen $R 3128
for i in $(seq 10); do
	in_c $BIN/tpt-client $SERVER_IP:80 c$i >/dev/null || fail "connection $i"
done
# and a Zorp-style listener on a foreign address, used once
bg $R $T/lst $BIN/tpt-sockref tcp bind 203.0.113.1:0 assign $CLIENT_IP:7001 listen \
	flags LISTEN print ready accept recvline send data-ok close sleep 1000
for _ in $(seq 50); do grep -q ready $T/lst && break; sleep 0.1; done
in_s $BIN/tpt-client $CLIENT_IP:7001 data >$T/data || fail "data connection"

in_r $BIN/tproxy-conntrack >$T/during
cat $T/during
[ "$(grep -c '\[TPROXY\]' $T/during)" -ge 21 ] || fail "tproxy-conntrack does not list the tproxied connections"
expect_in $T/during "\[SOCKREF\]" "no sockref-owned connection listed"
expect_in $T/during "sockref: tcp $ROUTER_SIP:" "the owning sockref is not shown"

kill $proxy
wait $proxy 2>/dev/null
sleep 2.5	# the grace time for the closing handshakes
in_r $BIN/tproxy-conntrack >$T/after
in_r conntrack -L -o extended >$T/ctl 2>/dev/null
in_r cat /proc/net/nf_conntrack >$T/proc
cat $T/after
[ ! -s $T/after ] || fail "tproxy-conntrack still lists tproxied connections"
n=$(in_r $BIN/tproxy-conntrack -c)
[ "$n" = 0 ] || fail "tproxy-conntrack -c says $n"
expect_not_in $T/proc "\[TPROXY\]" "/proc/net/nf_conntrack still has tproxied connections"
# conntrack -L does not know the bit: none of the translated tuples is left
expect_not_in $T/ctl "dst=$CLIENT_IP sport=80" "conntrack -L still has a translated connection"
in_r cat /proc/net/tproxy >$T/sr
[ ! -s $T/sr ] || fail "sockrefs left"
