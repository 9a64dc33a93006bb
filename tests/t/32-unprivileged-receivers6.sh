#!/bin/sh
# The IPv6 twin of 32-unprivileged-receivers: any user may close AF_INET6
# UDP receivers (IPV6_RECVORIGADDRS) in a loop, in a namespace of its own
# in which an IPv6 datagram was tproxied (a LISTEN sockref through
# IPV6_TPROXY).  What that costs the kernel is bounded, and does not grow
# with the conntrack table: with 100,000 conntracks in another namespace
# (IPv4 ones: the table is one for both families), a root `conntrack -F`
# in a third one takes no longer after the loop than before it.
. ../lib.sh
setup_topology
FLUSHNS=fl$$
EXTRA_NS=$FLUSHNS
N=${TPT_OTHER_CONNTRACKS:-100000}

log "$N conntracks in the router's namespace"
sysctl -qw net.netfilter.nf_conntrack_max=$((N + 50000))
# the fill may take longer than an unreplied UDP conntrack lives (30 s)
in_r sysctl -qw net.netfilter.nf_conntrack_udp_timeout=600
ipt $R -A FORWARD -m conntrack --ctstate NEW -j ACCEPT || fail "rule"
in_r ip route add 203.0.113.0/24 via $SERVER_IP
in_c $BIN/tpt-bench fill $N 203.0.113.0
sleep 1
have=$(in_r cat /proc/sys/net/netfilter/nf_conntrack_count)
echo "router: $have conntracks"
[ "$have" -ge $((N * 9 / 10)) ] || fail "only $have conntracks were made"

# the third namespace, with some conntracks to flush
ip netns add $FLUSHNS
ip -n $FLUSHNS link set lo up
ipt $FLUSHNS -A OUTPUT -m conntrack --ctstate NEW -j ACCEPT || fail "rule"
flush_ms() {
	ip netns exec $FLUSHNS $BIN/tpt-bench fill 200 127.0.0.0
	t0=$(date +%s%N)
	ip netns exec $FLUSHNS conntrack -F >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
before=0
for _ in 1 2 3; do
	ms=$(flush_ms)
	[ "$ms" -gt "$before" ] && before=$ms
done
echo "conntrack -F before: $before ms at most"

log "uid 65534 in its own user and network namespace: one tproxied IPv6 datagram, then a loop"
# 2001:db8:9::2 is local (on lo): the datagram to it leaves through OUTPUT,
# where the LISTEN sockref maps it to the receiver on [::1]:5353, which
# stays open (with its sockref) while AF_INET6 receivers come and go; the
# fifo (in a directory of the user's) tells when the datagram came
chmod 711 $T && mkdir $T/u && chown 65534:65534 $T/u || fail "the user's directory"
setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urn sh -c '
	bin=$1 d=$2
	ip link set lo up && ip addr add 2001:db8:9::2/128 dev lo nodad || exit 1
	mkfifo "$d/out" || exit 1
	"$bin/tpt-sockref" udp6 bind "[::1]:5353" origaddrs assign "[2001:db8:9::2]:9" flags LISTEN \
		udp6 bind "[::1]:0" sendto "[2001:db8:9::2]:9" 1 use 0 recvdgram \
		print received sleep 6000 >"$d/out" 2>&1 &
	exec 3<"$d/out"
	while read -r l <&3; do echo "$l"; [ "$l" = received ] && break; done
	"$bin/tpt-udp" origloop "[::1]:0" 3000
	cat <&3
	wait $!' sh "$BIN" $T/u >$T/user 2>&1
rc=$?
after=$(flush_ms)
cat $T/user
echo "conntrack -F after: $after ms"
[ $rc = 0 ] || fail "the unprivileged user's steps failed"
expect_in $T/user "^recv=dgram-0$" "the datagram was not redirected to the receiver"
loops=$(sed -n 's/^origloop=//p' $T/user)
[ "${loops:-0}" -ge 100 ] || fail "the loop closed only ${loops:-0} receivers"
[ "$after" -le $((before * 2 + 300)) ] ||
	fail "conntrack -F took $after ms after $loops receivers closed, $before ms before"
