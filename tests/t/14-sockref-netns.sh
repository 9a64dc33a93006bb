#!/bin/sh
# A sockref in one namespace never affects traffic or /proc/net/tproxy of
# another.
. ../lib.sh
EXTRA_NS=ot$sfx
for ns in $R $EXTRA_NS; do
	ip netns add $ns
	ip -n $ns link set lo up
	ip -n $ns addr add 203.0.113.1/32 dev lo
	ip -n $ns addr add 192.0.2.2/32 dev lo
done
# in both: something that answers on the "foreign" address
bg $R $T/srvR $BIN/tpt-server 192.0.2.2:7000
bg $EXTRA_NS $T/srvO $BIN/tpt-server 192.0.2.2:7000
wait_listen $R 7000
wait_listen $EXTRA_NS 7000

# a LISTEN sockref for 192.0.2.2:7000 in $R only; it takes local
# connections too (OUTPUT)
bg $R $T/lst $BIN/tpt-sockref tcp bind 203.0.113.1:0 assign 192.0.2.2:7000 listen flags LISTEN \
	print ready accept recvline send via-sockref close
for _ in $(seq 50); do grep -q ready $T/lst && break; sleep 0.1; done

ip netns exec $EXTRA_NS cat /proc/net/tproxy >$T/procO
in_r cat /proc/net/tproxy >$T/procR
cat $T/procR $T/procO
[ "$(wc -l <$T/procR)" = 1 ] || fail "the sockref is not listed in its own namespace"
[ ! -s $T/procO ] || fail "the sockref is listed in another namespace"

ip netns exec $EXTRA_NS $BIN/tpt-client 192.0.2.2:7000 other >$T/other || fail "no answer in the other namespace"
in_r $BIN/tpt-client 192.0.2.2:7000 own >$T/own || fail "no answer in the sockref's namespace"
cat $T/other $T/own
expect_in $T/other "SERVER .*said=other" "traffic in another namespace was redirected"
expect_in $T/own "via-sockref" "traffic in the sockref's namespace was not redirected"
