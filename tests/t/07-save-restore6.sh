#!/bin/sh
# ip6tables-legacy-save | ip6tables-legacy-restore gives back identical
# rules, for TPROXY 2.0 and mainline TPROXY alike.  (07's IPv6 twin.)
. ../lib.sh
ip netns add "$R"
EXTRA_NS=rs$sfx
ip netns add "$EXTRA_NS"

ip6t $R -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 || fail r1
ip6t $R -t tproxy -A PREROUTING -p udp --dport 53 -j TPROXY --on-port 0 --on-ip 2001:db8:1::1 || fail r2
ip6t $R -t tproxy -A PREROUTING -s 2001:db8:1::/64 -p tcp -j TPROXY --on-port 8080 --on-ip 2001:db8:2::1 || fail r3
ip6t $R -t tproxy -A OUTPUT -p tcp -d 2001:db8:2::2 --dport 21 -j TPROXY --on-port 2121 || fail r4
ip6t $R -t mangle -A PREROUTING -p tcp --dport 81 -j TPROXY --on-port 3129 --tproxy-mark 0x1/0xff || fail r5
ip6t $R -t mangle -A PREROUTING -p tcp --dport 82 -j TPROXY --on-port 3130 --on-ip 2001:db8:1::1 \
	--tproxy-mark 0x2/0xff || fail r6

# per table: ip6tables-save lists tables in the order they came to be
strip() {
	for tbl in tproxy mangle; do
		sed -n "/^\*$tbl\$/,/^COMMIT/p" "$1" | sed 's/\[[0-9]*:[0-9]*\]//'
	done
}
in_r ip6tables-legacy-save >$T/save1 || fail "save"
cat $T/save1
grep -q -- "-A OUTPUT -d 2001:db8:2::2/128 -p tcp -m tcp --dport 21 -j TPROXY --on-port 2121$" $T/save1 ||
	fail "OUTPUT rule not saved as given"
grep -q -- "-A PREROUTING -p udp -m udp --dport 53 -j TPROXY --on-port 0 --on-ip 2001:db8:1::1$" $T/save1 ||
	fail "--on-ip rule not saved as given"

# back into the same namespace after a flush, and into a fresh one
ip6t $R -t tproxy -F
ip6t $R -t mangle -F
in_r ip6tables-legacy-restore <$T/save1 || fail "restore"
in_r ip6tables-legacy-save >$T/save2
strip $T/save1 >$T/a
grep -q -- "--tproxy-mark 0x1/0xff" $T/a && grep -q -- "--on-ip 2001:db8:1::1 --tproxy-mark 0x2/0xff" $T/a &&
	grep -q -- "--on-port 2121" $T/a || fail "the saved rules are not all there"
strip $T/save2 >$T/b
diff -u $T/a $T/b || fail "rules differ after save/restore"

ip netns exec "$EXTRA_NS" ip6tables-legacy-restore <$T/save1 || fail "restore into a fresh namespace"
ip netns exec "$EXTRA_NS" ip6tables-legacy-save >$T/save3
strip $T/save3 >$T/c
diff -u $T/a $T/c || fail "rules differ after restore into a fresh namespace"
