#!/bin/sh
# tpt-timeout: 240
# A remote peer cannot make a sockref hold dead conntracks.  A TCP socket
# holds an ESTABLISHED sockref (the client's address and a port, the
# server's address with any port).  1,000 SYNs from the server to that
# foreign address, from 1,000 source ports, are each owned by the sockref
# and killed by the socket's reset; they are let go of within seconds (the
# pruner), not held and counted against nf_conntrack_max until the
# keeper's next period.  The control, in the same boot: the same SYNs to a
# port without a sockref.  With TPT_FAMILY=6 (38-pruner-dead-owned6.sh),
# the same over IPv6.
. ../lib.sh
setup_topology
N=1000
FPORT=40000
CPORT=40001
if [ "${TPT_FAMILY:-4}" = 6 ]; then
	xt=ip6t sock=tcp6 client="[$CLIENT_IP6]" server="[$SERVER_IP6]" local="[$ROUTER_SIP6]"
else
	xt=ipt sock=tcp client=$CLIENT_IP server=$SERVER_IP local=$ROUTER_SIP
fi
$xt $R -A FORWARD -m conntrack --ctstate NEW -j ACCEPT || fail "rule"
$xt $R -A INPUT -m conntrack --ctstate NEW -j ACCEPT || fail "rule"

# dead: conntracks counted in the router but not in its table
dead() {
	count=$(in_r cat /proc/sys/net/netfilter/nf_conntrack_count)
	listed=$(in_r cat /proc/net/nf_conntrack | wc -l)
	echo $((count - listed))
}
# flood PORT: N SYNs from the server to the client's address and PORT,
# from N source ports; the resets refuse them all
flood() {
	in_s $BIN/tpt-soak client $client:$1 $N 1 20 >$T/flood-$1 2>&1
	tail -n 1 $T/flood-$1
}

bg $R $T/sockref $BIN/tpt-sockref $sock bind $local:0 assign $client:$FPORT connectop $server:0 \
	flags ESTABLISHED expect-proc 1 sleep 120000
for _ in $(seq 100); do [ "$(in_r cat /proc/net/tproxy | wc -l)" = 1 ] && break; sleep 0.1; done
[ "$(in_r cat /proc/net/tproxy | wc -l)" = 1 ] || { cat $T/sockref; fail "no sockref"; }

log "control: $N SYNs to a port without a sockref"
flood $CPORT
sleep 4
ctl=$(dead)
echo "control: $ctl conntracks dead but counted"

log "$N SYNs to the sockref's foreign address"
pruned0=$(gc_stat pruned)
flood $FPORT
held=$(dead)
echo "right after the flood: $held dead but counted"
sleep 4
left=$(dead)
pruned=$(($(gc_stat pruned) - pruned0))
echo "after 4 s: $left dead but counted; the pruner let go of $pruned"
cat $T/stat
[ "$ctl" -le 10 ] || fail "the control left $ctl conntracks dead but counted"
[ "$pruned" -ge $((N * 9 / 10)) ] || fail "the sockref owned and let go of only $pruned of $N conntracks"
[ "$left" -le $((ctl + 10)) ] || fail "$left conntracks dead but counted 4 s after the flood"
# the sockref is still there, and still owns nothing dead
[ "$(in_r cat /proc/net/tproxy | wc -l)" = 1 ] || fail "the sockref went"
