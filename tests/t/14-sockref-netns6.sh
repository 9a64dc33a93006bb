#!/bin/sh
# The IPv6 twin of 14-sockref-netns: an IPv6 sockref in one namespace never
# affects traffic or /proc/net/tproxy of another.
. ../lib.sh
EXTRA_NS=ot$sfx
F=2001:db8:1::2
for ns in $R $EXTRA_NS; do
	ip netns add $ns
	ip -n $ns link set lo up
	ip -n $ns addr add 2001:db8:ff::1/128 dev lo
	ip -n $ns addr add $F/128 dev lo
done
# in both: something that answers on the "foreign" address
bg $R $T/srvR $BIN/tpt-server "[$F]:7000"
bg $EXTRA_NS $T/srvO $BIN/tpt-server "[$F]:7000"
wait_listen $R 7000
wait_listen $EXTRA_NS 7000

# a LISTEN sockref for [F]:7000 in $R only; it takes local connections
# too (OUTPUT)
bg $R $T/lst $BIN/tpt-sockref tcp6 bind "[2001:db8:ff::1]:0" assign "[$F]:7000" listen flags LISTEN \
	print ready accept recvline send via-sockref close
for _ in $(seq 50); do grep -q ready $T/lst && break; sleep 0.1; done

ip netns exec $EXTRA_NS cat /proc/net/tproxy >$T/procO
in_r cat /proc/net/tproxy >$T/procR
cat $T/procR $T/procO
[ "$(wc -l <$T/procR)" = 1 ] || fail "the sockref is not listed in its own namespace"
expect_in $T/procR "^tcp6 \[2001:db8:ff::1\]:[0-9]* \[$F\]:7000 " "the sockref's line"
[ ! -s $T/procO ] || fail "the sockref is listed in another namespace"

ip netns exec $EXTRA_NS $BIN/tpt-client "[$F]:7000" other >$T/other || fail "no answer in the other namespace"
in_r $BIN/tpt-client "[$F]:7000" own >$T/own || fail "no answer in the sockref's namespace"
cat $T/other $T/own $T/lst
expect_in $T/other "SERVER .*said=other" "traffic in another namespace was redirected"
expect_in $T/own "via-sockref" "traffic in the sockref's namespace was not redirected"
expect_in $T/lst "accepted peer=\[$F\]:[0-9]* local=\[2001:db8:ff::1\]:[0-9]* orig=\[$F\]:7000" \
	"the redirected connection or its IP6T_SO_ORIGINAL_DST"
