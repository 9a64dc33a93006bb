#!/bin/sh
# Wrong TPROXY rules are refused with a message, and no table changes.
. ../lib.sh
ip netns add "$R"

snapshot() {
	ipt $R -t filter -S >"$1"
	ipt $R -t nat -S >>"$1"
	ipt $R -t tproxy -S >>"$1"
	ipt $R -t mangle -S >>"$1"
}
snapshot $T/before

# bad TABLE ARGS... ; expects a non-zero exit and MSG on stderr
bad() {
	msg=$1
	shift
	if ipt $R "$@" 2>$T/err; then
		fail "accepted: iptables $*"
	fi
	echo "refused: iptables $* -> $(cat $T/err)"
	grep -qi -- "$msg" $T/err || fail "no clear message for: iptables $* (got: $(cat $T/err))"
	snapshot $T/after
	cmp -s $T/before $T/after || { diff $T/before $T/after; fail "table changed by: $*"; }
}

bad "invalid argument" -t filter -A INPUT -p tcp -j TPROXY --on-port 3128
bad "invalid argument" -t nat -A PREROUTING -p tcp -j TPROXY --on-port 3128
bad "on-port.*must be specified" -t tproxy -A PREROUTING -p tcp -j TPROXY
bad "on-port" -t tproxy -A PREROUTING -p tcp -j TPROXY --on-port 70000
bad "on-port" -t tproxy -A PREROUTING -p tcp -j TPROXY --on-port -1
bad "not known\|not found\|invalid" -t tproxy -A PREROUTING -p tcp -j TPROXY --on-port 1 --on-ip 300.1.2.3
bad "unicast" -t tproxy -A PREROUTING -p tcp -j TPROXY --on-port 1 --on-ip 224.0.0.1
bad "is an IPv6 address" -t tproxy -A PREROUTING -p tcp -j TPROXY --on-port 1 --on-ip 2001:db8::1
bad "invalid argument" -t tproxy -A PREROUTING -j TPROXY --on-port 3128
bad "invalid argument" -t tproxy -A PREROUTING -p icmp -j TPROXY --on-port 3128
bad "no chain" -t tproxy -A POSTROUTING -p tcp -j TPROXY --on-port 3128
bad "no chain" -t tproxy -A FORWARD -p tcp -j TPROXY --on-port 3128
bad "only be specified once\|once" -t tproxy -A PREROUTING -p tcp -j TPROXY --on-port 1 --on-port 2

dmesg | tail -n 20 | grep -i tproxy
ipt $R -t tproxy -A PREROUTING -p tcp -j TPROXY --on-port 3128 || fail "a good rule after the bad ones"
