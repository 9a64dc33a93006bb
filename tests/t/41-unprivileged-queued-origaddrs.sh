#!/bin/sh
# tpt-timeout: 240
# A user without privilege cannot make queued datagrams hold conntracks.
# uid 65534 opens a UDP receiver with IPV6_RECVORIGADDRS (IP_RECVORIGADDRS
# for the IPv4 control, in the same boot), which needs no capability, and
# lets 200 datagrams from 200 source ports queue unread.  Once their
# conntracks leave the table (conntrack -F), none is still counted in
# nf_conntrack_count; with nf_conntrack_max then below the 200, a new flow
# still gets its conntrack and through.  The datagrams, read at last, carry
# their original addresses.
. ../lib.sh
setup_topology
N=200
ipt $R -A INPUT -p udp -m conntrack --ctstate NEW,ESTABLISHED || fail "conntrack rule"
ip6t $R -A INPUT -p udp -m conntrack --ctstate NEW,ESTABLISHED || fail "conntrack rule"
max=$(cat /proc/sys/net/netfilter/nf_conntrack_max)
restore_max() { sysctl -qw net.netfilter.nf_conntrack_max=$max; }
# room for the datagrams in an unprivileged receiver's buffer (SO_RCVBUF)
rmem=$(cat /proc/sys/net/core/rmem_max)
sysctl -qw net.core.rmem_max=1048576
# the receiver's go file, where uid 65534 can see it
GO=$T/pub/go
mkdir -p $T/pub && chmod 755 $T $T/pub
ct_count() { in_r cat /proc/sys/net/netfilter/nf_conntrack_count; }
ct_listed() { in_r cat /proc/net/nf_conntrack | wc -l; }

# both ends are the router's; the new flow goes to a server on port $srv
srv=7100
for addr in "[::1]" 127.0.0.1; do
	srv=$((srv + 1))
	log "$addr: $N datagrams queued at an unprivileged receiver"
	rm -f $GO
	in_r conntrack -F >/dev/null 2>&1
	bg $R $T/srv-$srv $BIN/tpt-udp server $addr:$srv
	bg $R $T/hold setpriv --reuid=65534 --regid=65534 --clear-groups \
		$BIN/tpt-udp hold $addr:7000 $N read $GO
	hold=$!
	for _ in $(seq 100); do grep -q ready $T/hold && break; sleep 0.1; done
	grep -q ready $T/hold || { cat $T/hold; fail "$addr: the receiver did not start"; }
	wait_listen $R $srv udp
	in_r $BIN/tpt-udp sendn 10000 $N $addr:7000 >/dev/null || fail "$addr: sendn"
	for _ in $(seq 100); do [ "$(ct_count)" -ge $N ] && break; sleep 0.1; done
	made=$(ct_count)
	in_r conntrack -F >/dev/null 2>&1
	sleep 0.3
	count=$(ct_count) listed=$(ct_listed)
	echo "$addr: $made conntracks made; after conntrack -F $count counted, $listed listed"
	[ "$made" -ge $N ] || fail "$addr: only $made conntracks for $N datagrams"
	[ $((count - listed)) -le 5 ] ||
		fail "$addr: $((count - listed)) conntracks counted out of the table for $N queued datagrams"

	log "$addr: nf_conntrack_max below $N, a new flow still gets through"
	sysctl -qw net.netfilter.nf_conntrack_max=$((N / 2))
	in_r $BIN/tpt-udp send 9999 $addr:$srv ping >$T/ping 2>&1
	rc=$?
	restore_max
	cat $T/ping
	[ $rc = 0 ] && grep -q "answer=ping" $T/ping || fail "$addr: a new flow got no answer beside the queued datagrams"

	touch $GO
	wait $hold || { cat $T/hold; fail "$addr: the receiver did not read its $N datagrams"; }
	got=$(grep -c "^got=dgram-" $T/hold)
	origs=$(grep -c -F " orig_dst=$addr:7000" $T/hold)
	echo "$addr: $got datagrams read, $origs with their original destination"
	[ "$got" = $N ] && [ "$origs" = $N ] || { head -n 5 $T/hold; fail "$addr: $got datagrams, $origs messages"; }
done
sysctl -qw net.core.rmem_max=$rmem
