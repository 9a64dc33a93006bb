#!/bin/sh
# The IPv6 twin of 29-udp-older-conntrack: an IPv6 UDP flow whose conntrack
# is older than the sockref that applies to it: the router's conntrack runs
# (an ip6tables filter rule), but no NAT hook is registered yet when the
# AF_INET6 socket sends its first datagram.  Then ASSIGN (a foreign IPv6
# address, IPV6_TPROXY) + FLAGS(CONNECT) and 20,000 more datagrams on the
# same flow.  The sockref takes the flow over: the old conntrack goes with
# the one datagram that found it (its sendto() sees EPERM, as for any
# netfilter drop), every later one leaves from the foreign address, and
# kernel memory does not grow per datagram.
. ../lib.sh
. ../lib6.sh
setup_topology
ip6t $R -A OUTPUT -p udp -m conntrack --ctstate NEW,ESTABLISHED || fail "rule"
n=20000

kmalloc_objs() {
	awk '/^kmalloc-/ { s += $2 } END { print s }' /proc/slabinfo
}

bg $S $T/srv $BIN/tpt-sockref udp6 rcvbuf 16777216 bind "[$SERVER_IP6]:5300" print ready recvcount 3000
for _ in $(seq 50); do grep -q ready $T/srv && break; sleep 0.1; done
bg $R $T/snd $BIN/tpt-sockref udp6 bind "[$ROUTER_SIP6]:5555" sendto "[$SERVER_IP6]:5300" 1 sleep 300 \
	assign "[$CLIENT_IP6]:0" flags CONNECT print assigned sleep 500 sendto "[$SERVER_IP6]:5300" $n \
	print sent sleep 4000
for _ in $(seq 50); do grep -q assigned $T/snd && break; sleep 0.1; done
expect_in $T/snd assigned "ASSIGN + FLAGS"
before=$(kmalloc_objs)
for _ in $(seq 100); do grep -q sent $T/snd && break; sleep 0.1; done
expect_in $T/snd sent "the datagrams were not sent"
sleep 0.5
after=$(kmalloc_objs)
in_r cat /proc/net/nf_conntrack >$T/ct
in_r cat /proc/net/tproxy >$T/sr
in_r $BIN/tproxy-conntrack >$T/tct
wait
cat $T/snd $T/srv $T/ct $T/tct $T/sr
echo "kmalloc objects: $before before, $after after the $n datagrams"
[ $((after - before)) -lt $((n / 4)) ] ||
	fail "kernel memory grew by $((after - before)) objects over $n datagrams"
# the one datagram that found the old conntrack was dropped with it
expect_in $T/snd "sendto: $((n - 1)) sent, 1 dropped" "not exactly the first datagram was dropped"
grep -q "from $ROUTER_SIP6 count=1$" $T/srv ||
	fail "datagrams left from the proxy's own address after the sockref applied"
got=$(sed -n "s/^from $CLIENT_IP6 count=//p" $T/srv)
[ "${got:-0}" -ge $((n - 10)) ] ||
	fail "only ${got:-0} of $n datagrams left from the foreign address"
[ "$(grep -c "^ipv6 .*dport=5300 " $T/ct)" = 1 ] || fail "the flow has not one conntrack"
expect_in $T/ct "dst=$(full6 $CLIENT_IP6) .*\[TPROXY\]" "the flow's new conntrack is not translated"
expect_in $T/tct "translated \[$CLIENT_IP6\]:.*\[SOCKREF\]" "the flow's new conntrack is not the sockref's"
