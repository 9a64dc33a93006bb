#!/bin/sh
# Wrong ip6tables TPROXY rules are refused with a message, and no table
# changes.  (06's IPv6 twin.)
. ../lib.sh
ip netns add "$R"

snapshot() {
	ip6t $R -t filter -S >"$1"
	ip6t $R -t nat -S >>"$1"
	ip6t $R -t tproxy -S >>"$1"
	ip6t $R -t mangle -S >>"$1"
}
snapshot $T/before

# bad TABLE ARGS... ; expects a non-zero exit and MSG on stderr
bad() {
	msg=$1
	shift
	if ip6t $R "$@" 2>$T/err; then
		fail "accepted: ip6tables $*"
	fi
	echo "refused: ip6tables $* -> $(cat $T/err)"
	grep -qi -- "$msg" $T/err || fail "no clear message for: ip6tables $* (got: $(cat $T/err))"
	snapshot $T/after
	cmp -s $T/before $T/after || { diff $T/before $T/after; fail "table changed by: $*"; }
}

bad "invalid argument" -t filter -A INPUT -p tcp -j TPROXY --on-port 3128
bad "invalid argument" -t nat -A PREROUTING -p tcp -j TPROXY --on-port 3128
bad "on-port.*must be specified" -t tproxy -A PREROUTING -p tcp -j TPROXY
bad "on-port" -t tproxy -A PREROUTING -p tcp -j TPROXY --on-port 70000
bad "on-port" -t tproxy -A PREROUTING -p tcp -j TPROXY --on-port -1
bad "not known\|not found\|invalid" -t tproxy -A PREROUTING -p tcp -j TPROXY --on-port 1 --on-ip 2001:db8::zz
bad "is an IPv4 address" -t tproxy -A PREROUTING -p tcp -j TPROXY --on-port 1 --on-ip 192.0.2.1
bad "unicast" -t tproxy -A PREROUTING -p tcp -j TPROXY --on-port 1 --on-ip ff02::1
bad "v4-mapped" -t tproxy -A PREROUTING -p tcp -j TPROXY --on-port 1 --on-ip ::ffff:192.0.2.1
bad "invalid argument" -t tproxy -A PREROUTING -j TPROXY --on-port 3128
bad "invalid argument" -t tproxy -A PREROUTING -p icmpv6 -j TPROXY --on-port 3128
bad "invalid argument" -t tproxy -A PREROUTING ! -p tcp -j TPROXY --on-port 3128
bad "no chain" -t tproxy -A POSTROUTING -p tcp -j TPROXY --on-port 3128
bad "no chain" -t tproxy -A FORWARD -p tcp -j TPROXY --on-port 3128
bad "only be specified once\|once" -t tproxy -A PREROUTING -p tcp -j TPROXY --on-port 1 --on-port 2

dmesg | tail -n 20 | grep -i tproxy >$T/dmesg
cat $T/dmesg
expect_in $T/dmesg "TPROXY needs -p tcp or -p udp" "no kernel message for a rule without -p tcp or udp"
ip6t $R -t tproxy -A PREROUTING -p tcp -j TPROXY --on-port 3128 || fail "a good rule after the bad ones"
ip6t $R -t tproxy -A PREROUTING -p udp -j TPROXY --on-port 53 --on-ip 2001:db8::1 ||
	fail "a good rule with --on-ip after the bad ones"
