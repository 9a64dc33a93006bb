#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared by the TPROXY 2.0 (CONFIG_NF_TPROXY2, CONFIG_IP_NF_TPROXY2, CONFIG_IP6_NF_TPROXY2)
# tests: the skip checks, the topology and the assertions.
#
#  +----------+                +----------+                 +----------+
#  | nsclient |.99          .1| nsrouter |.1            .99| nsserver |
#  |      eth0|---------------|veth0 veth1|-----------------|eth0      |
#  +----------+  10.0.1.0/24  +----------+   10.0.2.0/24   +----------+
#                dead:1::/64                 dead:2::/64
#
# The router forwards; the interception rules and the proxies are there:
# the tproxy table's, or with tproxy2_rules=nft (tproxy2_nft.sh) nftables'
# tproxy2 statement.
# The tests run their cases for IPv4, then (use_family 6) for IPv6.  A
# kernel without TPROXY 2.0 is a skip; one without its IPv6 half runs the
# IPv4 cases and then skips (tproxy2_exit).

source lib.sh

ret=0
# iptables (the tproxy tables) or nft (the tproxy2 statement)
tproxy2_rules=${tproxy2_rules:-iptables}
# the family in use (use_family), its tables command, addresses
fam=""
ipt=""
any=""
client_ip=""
router_sip=""
server_ip=""
client_ip4=10.0.1.99
router_cip4=10.0.1.1
router_sip4=10.0.2.1
server_ip4=10.0.2.99
client_ip6=dead:1::99
router_cip6=dead:1::1
router_sip6=dead:2::1
server_ip6=dead:2::99
sock=./tproxy2_sock
# set by setup_ns
nsclient=""
nsrouter=""
nsserver=""
# why the IPv6 cases cannot run, if they cannot
skip6=""

cleanup()
{
	local ns

	for ns in "$nsclient" "$nsrouter" "$nsserver"; do
		[ -n "$ns" ] && ip netns pids "$ns" | xargs -r kill 2>/dev/null
	done
	cleanup_all_ns
	rm -rf "$tmp"
}

# skip WHY: the remaining cases cannot run; a failure so far stays one
skip()
{
	echo "SKIP: $*"
	[ "$ret" -ne 0 ] && exit "$ret"
	exit "$ksft_skip"
}

# In the foreground.  Background programs are started with ip netns exec
# itself: $! is then the program, and no subshell reports its SIGTERM.
in_client() { ip netns exec "$nsclient" "$@"; }
in_router() { ip netns exec "$nsrouter" "$@"; }
in_server() { ip netns exec "$nsserver" "$@"; }

# check WHAT GOT REGEX: a line of GOT must match the extended REGEX
check()
{
	if grep -Eq -- "$3" <<< "$2"; then
		echo "PASS: $1"
	else
		echo "FAIL: $1: got \"$2\", expected /$3/"
		ret=1
	fi
}

# check_not WHAT GOT REGEX: no line of GOT may match REGEX
check_not()
{
	if grep -Eq -- "$3" <<< "$2"; then
		echo "FAIL: $1: got \"$2\""
		ret=1
	else
		echo "PASS: $1"
	fi
}

listener_ready()
{
	ss -N "$1" -ln "$3" "-$fam" -o "sport = :$2" | grep -q "$2"
}

# wait_listen NS PORT -t|-u
wait_listen()
{
	slowwait "$WAIT_TIMEOUT" listener_ready "$@" ||
		{ echo "FAIL: nothing listens on port $2 in $1"; exit "$ksft_fail"; }
}

# wait_line FILE REGEX: until a background program printed it
wait_line()
{
	slowwait "$WAIT_TIMEOUT" grep -Eq -- "$2" "$1" ||
		{ echo "FAIL: no \"$2\" in $1:"; cat "$1"; exit "$ksft_fail"; }
}

# tproxy_rule RULE...: append RULE to the router's tproxy table of $fam
tproxy_rule()
{
	in_router "$ipt" -t tproxy -A "$@" ||
		skip "$ipt cannot add \"$*\"" \
		     "(no TPROXY 2.0 extension, lib${ipt%tables-legacy}t_TPROXY)"
}

# ep ADDR PORT: the endpoint as tproxy2_sock takes and prints it,
# [ADDR]:PORT for IPv6
ep()
{
	case "$1" in
	*:*) echo "[$1]:$2" ;;
	*) echo "$1:$2" ;;
	esac
}

# ep_re ADDR PORT: ep's output as an extended regex (PORT may be one)
ep_re()
{
	local addr

	addr=$(sed 's/[].[]/\\&/g' <<< "$1")
	case "$1" in
	*:*) echo "\\[$addr\\]:$2" ;;
	*) echo "$addr:$2" ;;
	esac
}

# use_family 4|6: the addresses and the commands of the cases that follow;
# false (and a SKIP line) if the kernel cannot run them
use_family()
{
	fam=$1
	if [ "$fam" = 6 ]; then
		if [ -n "$skip6" ]; then
			echo "SKIP: IPv6 cases: $skip6"
			return 1
		fi
		ipt=ip6tables-legacy
		any="::"
		client_ip=$client_ip6
		router_sip=$router_sip6
		server_ip=$server_ip6
	else
		ipt=iptables-legacy
		any=0.0.0.0
		client_ip=$client_ip4
		router_sip=$router_sip4
		server_ip=$server_ip4
	fi
	echo "IPv$fam:"
}

# tproxy2_exit: a failure, else a skip if the IPv6 cases were skipped
tproxy2_exit()
{
	[ "$ret" -ne 0 ] && exit "$ret"
	[ -n "$skip6" ] && exit "$ksft_skip"
	exit 0
}

if [ "$tproxy2_rules" = nft ]; then
	checktool "nft --version" "run test without nft"
else
	checktool "iptables-legacy --version" "run test without iptables-legacy"
fi
checktool "ss -V" "run test without ss"
[ -x "$sock" ] || skip "$sock is not built"

tmp=$(mktemp -d)
trap cleanup EXIT
setup_ns nsclient nsrouter nsserver || skip "cannot create network namespaces"

if ! ip link add veth0 netns "$nsrouter" type veth \
	peer name eth0 netns "$nsclient" >/dev/null 2>&1; then
	skip "No virtual ethernet pair device support in kernel"
fi
ip link add veth1 netns "$nsrouter" type veth peer name eth0 netns "$nsserver"
ip -net "$nsrouter" addr add "$router_cip4/24" dev veth0
ip -net "$nsrouter" addr add "$router_sip4/24" dev veth1
ip -net "$nsclient" addr add "$client_ip4/24" dev eth0
ip -net "$nsserver" addr add "$server_ip4/24" dev eth0
ip -net "$nsrouter" link set veth0 up
ip -net "$nsrouter" link set veth1 up
ip -net "$nsclient" link set eth0 up
ip -net "$nsserver" link set eth0 up
ip -net "$nsclient" route add default via "$router_cip4"
ip -net "$nsserver" route add default via "$router_sip4"
in_router sysctl -q net.ipv4.ip_forward=1

# The kernel's two halves: the table (iptables loads its module) or the
# nft expression, and the socket option.  An nft that does not know the
# statement is a skip; a kernel that refuses the rule is one without the
# expression (a skip) or a failure, if nft_tproxy2 is there.
if [ "$tproxy2_rules" = nft ]; then
	if ! in_router nft -f - >"$tmp/probe" 2>&1 <<-EOF
		table inet tproxy2_probe {
			chain c {
				type nat hook prerouting priority dstnat - 30;
				tcp dport 1 tproxy2 to :1
			}
		}
	EOF
	then
		cat "$tmp/probe"
		grep -q "syntax error" "$tmp/probe" &&
			skip "nft does not know tproxy2 (nftables with TPROXY 2.0's patches)"
		grep -qsw nft_tproxy2 /proc/modules /lib/modules/"$(uname -r)"/modules.builtin \
			/lib/modules/"$(uname -r)"/modules.dep ||
			skip "no tproxy2 expression in the kernel (CONFIG_NFT_TPROXY2)"
		echo "FAIL: the kernel refused a tproxy2 rule"
		exit "$ksft_fail"
	fi
	in_router nft delete table inet tproxy2_probe
else
	in_router iptables-legacy -t tproxy -n -L >/dev/null 2>&1 ||
		skip "no tproxy table (CONFIG_IP_NF_TPROXY2)"
fi
in_router "$sock" probe
rc=$?
[ "$rc" -ne "$ksft_skip" ] || skip "no IP_TPROXY socket option (CONFIG_NF_TPROXY2)"
[ "$rc" -eq 0 ] || { echo "FAIL: getsockopt(IP_TPROXY, TPROXY_VERSION)"; exit "$ksft_fail"; }

# IPv6: the addresses, the ip6tables tproxy table, IPV6_TPROXY
setup_ipv6()
{
	local rc

	ip -net "$nsclient" addr add "$client_ip6/64" dev eth0 nodad 2>/dev/null ||
		{ skip6="no IPv6 (CONFIG_IPV6)"; return; }
	ip -net "$nsrouter" addr add "$router_cip6/64" dev veth0 nodad
	ip -net "$nsrouter" addr add "$router_sip6/64" dev veth1 nodad
	ip -net "$nsserver" addr add "$server_ip6/64" dev eth0 nodad
	ip -net "$nsclient" route add default via "$router_cip6"
	ip -net "$nsserver" route add default via "$router_sip6"
	in_router sysctl -q net.ipv6.conf.all.forwarding=1
	if [ "$tproxy2_rules" = nft ]; then
		:
	elif ! ip6tables-legacy --version >/dev/null 2>&1; then
		skip6="run test without ip6tables-legacy"
		return
	elif ! in_router ip6tables-legacy -t tproxy -n -L >/dev/null 2>&1; then
		skip6="no ip6tables tproxy table (CONFIG_IP6_NF_TPROXY2)"
		return
	fi
	in_router "$sock" probe6
	rc=$?
	if [ "$rc" -eq "$ksft_skip" ]; then
		skip6="no IPV6_TPROXY socket option (CONFIG_NF_TPROXY2 with CONFIG_IPV6)"
	elif [ "$rc" -ne 0 ]; then
		echo "FAIL: getsockopt(IPV6_TPROXY, TPROXY_VERSION)"
		exit "$ksft_fail"
	fi
}
setup_ipv6
