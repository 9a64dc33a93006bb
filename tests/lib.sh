# Shared by the test scripts (POSIX sh), run inside the test kernel.
#
# Topology, as in the kernel's nft_tproxy_tcp.sh: three namespaces.
#
#   client 192.0.2.2 --- 192.0.2.1 router 198.51.100.1 --- 198.51.100.2 server
#
# The router forwards; the proxies under test run on it.

BIN=$TPT_TOP/build/bin
export XTABLES_LIBDIR="$TPT_TOP/build/xtables:/usr/lib/x86_64-linux-gnu/xtables"
CLIENT_IP=192.0.2.2
ROUTER_CIP=192.0.2.1
ROUTER_SIP=198.51.100.1
SERVER_IP=198.51.100.2
# IPv6 on the same links (documentation prefixes); DAD is off, so the
# addresses are usable at once
CLIENT_IP6=2001:db8:1::2
ROUTER_CIP6=2001:db8:1::1
ROUTER_SIP6=2001:db8:2::1
SERVER_IP6=2001:db8:2::2

sfx=$$
C=cl$sfx
R=rt$sfx
S=sv$sfx
T=$(mktemp -d)
PIDS=""

fail() {
	echo "FAIL: $*"
	exit 1
}

log() {
	echo "--- $*"
}

cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	for ns in $C $R $S $EXTRA_NS; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT

in_c() { ip netns exec "$C" "$@"; }
in_r() { ip netns exec "$R" "$@"; }
in_s() { ip netns exec "$S" "$@"; }
ipt() { ns=$1; shift; ip netns exec "$ns" iptables-legacy "$@"; }
ip6t() { ns=$1; shift; ip netns exec "$ns" ip6tables-legacy "$@"; }
# the patched nft (make nft: the tproxy2 statement); /usr/sbin/nft is the stock one
NFT=$TPT_TOP/build/nft/sbin/nft
nft_in() { ns=$1; shift; ip netns exec "$ns" "$NFT" "$@"; }

setup_topology() {
	for ns in $C $R $S; do
		ip netns add "$ns" || fail "netns add $ns"
		ip -n "$ns" link set lo up
	done
	ip -n "$C" link add eth0 type veth peer name c0 netns "$R"
	ip -n "$S" link add eth0 type veth peer name s0 netns "$R"
	ip -n "$C" addr add $CLIENT_IP/24 dev eth0
	ip -n "$R" addr add $ROUTER_CIP/24 dev c0
	ip -n "$R" addr add $ROUTER_SIP/24 dev s0
	ip -n "$S" addr add $SERVER_IP/24 dev eth0
	ip -n "$C" addr add $CLIENT_IP6/64 dev eth0 nodad
	ip -n "$R" addr add $ROUTER_CIP6/64 dev c0 nodad
	ip -n "$R" addr add $ROUTER_SIP6/64 dev s0 nodad
	ip -n "$S" addr add $SERVER_IP6/64 dev eth0 nodad
	for l in "$C eth0" "$R c0" "$R s0" "$S eth0"; do
		set -- $l
		ip netns exec "$1" sysctl -qw net.ipv6.conf.$2.accept_dad=0
		ip -n "$1" link set "$2" up
	done
	ip -n "$C" route add default via $ROUTER_CIP
	ip -n "$S" route add default via $ROUTER_SIP
	ip -n "$C" -6 route add default via $ROUTER_CIP6
	ip -n "$S" -6 route add default via $ROUTER_SIP6
	in_r sysctl -qw net.ipv4.ip_forward=1
	in_r sysctl -qw net.ipv6.conf.all.forwarding=1
}

# short_closing_timeouts NS: conntrack's closing-state TCP timeouts in NS
# become 1 s.  A tproxied connection's conntrack follows them once its
# socket is released, as any NAT'd one does: tests that check that nothing
# is left after the proxy exits need not wait minutes for TIME_WAIT.
short_closing_timeouts() {
	for st in close_wait fin_wait last_ack time_wait close; do
		ip netns exec "$1" sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_$st=1
	done
}

# bg NS LOGFILE CMD...: start CMD in NS in the background
bg() {
	ns=$1 out=$2
	shift 2
	ip netns exec "$ns" "$@" >"$out" 2>&1 &
	PIDS="$PIDS $!"
}

# wait_listen NS PORT [tcp|udp]: up to 30 s (a program starts slowly under
# TCG with the debugging options)
wait_listen() {
	flag=-ltn
	[ "${3:-tcp}" = udp ] && flag=-lun
	for _ in $(seq 600); do
		ip netns exec "$1" ss -H $flag "sport = :$2" | grep -q . && return 0
		sleep 0.05
	done
	fail "nothing listens on port $2 in $1"
}

# expect_in FILE PATTERN WHAT
expect_in() {
	grep -q -- "$2" "$1" || { echo "--- $1:"; cat "$1"; fail "$3"; }
}

# expect_not_in FILE PATTERN WHAT
expect_not_in() {
	! grep -q -- "$2" "$1" || { echo "--- $1:"; cat "$1"; fail "$3"; }
}

# gc_stat NAME: a counter of the router's /proc/net/stat/tproxy2 (a line of
# names, a line of hexadecimal values), in decimal
gc_stat() {
	in_r cat /proc/net/stat/tproxy2 >$T/stat || fail "no /proc/net/stat/tproxy2"
	col=$(head -n 1 $T/stat | tr ' ' '\n' | grep -n -x "$1" | cut -d: -f1)
	[ -n "$col" ] || fail "no $1 in /proc/net/stat/tproxy2"
	printf '%d\n' 0x$(sed -n 2p $T/stat | cut -d' ' -f$col)
}
