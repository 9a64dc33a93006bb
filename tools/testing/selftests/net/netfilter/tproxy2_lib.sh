#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared by the TPROXY 2.0 (CONFIG_IP_NF_TPROXY2) tests: the skip checks,
# the topology and the assertions.
#
#  +----------+                +----------+                 +----------+
#  | nsclient |.99          .1| nsrouter |.1            .99| nsserver |
#  |      eth0|---------------|veth0 veth1|-----------------|eth0      |
#  +----------+  10.0.1.0/24  +----------+   10.0.2.0/24   +----------+
#
# The router forwards; the tproxy table's rules and the proxies are there.

source lib.sh

ret=0
client_ip=10.0.1.99
router_cip=10.0.1.1
router_sip=10.0.2.1
server_ip=10.0.2.99
sock=./tproxy2_sock
# set by setup_ns
nsclient=""
nsrouter=""
nsserver=""

cleanup()
{
	local ns

	for ns in "$nsclient" "$nsrouter" "$nsserver"; do
		[ -n "$ns" ] && ip netns pids "$ns" | xargs -r kill 2>/dev/null
	done
	cleanup_all_ns
	rm -rf "$tmp"
}

skip()
{
	echo "SKIP: $*"
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
	ss -N "$1" -ln "$3" -o "sport = :$2" | grep -q "$2"
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

# tproxy_rule RULE...: append RULE to the router's tproxy table
tproxy_rule()
{
	in_router iptables-legacy -t tproxy -A "$@" ||
		skip "iptables-legacy cannot add \"$*\" (no TPROXY 2.0 extension, libipt_TPROXY)"
}

checktool "iptables-legacy --version" "run test without iptables-legacy"
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
ip -net "$nsrouter" addr add "$router_cip/24" dev veth0
ip -net "$nsrouter" addr add "$router_sip/24" dev veth1
ip -net "$nsclient" addr add "$client_ip/24" dev eth0
ip -net "$nsserver" addr add "$server_ip/24" dev eth0
ip -net "$nsrouter" link set veth0 up
ip -net "$nsrouter" link set veth1 up
ip -net "$nsclient" link set eth0 up
ip -net "$nsserver" link set eth0 up
ip -net "$nsclient" route add default via "$router_cip"
ip -net "$nsserver" route add default via "$router_sip"
in_router sysctl -q net.ipv4.ip_forward=1

# The kernel's two halves: the table (iptables loads its module) and the
# socket option
in_router iptables-legacy -t tproxy -n -L >/dev/null 2>&1 ||
	skip "no tproxy table (CONFIG_IP_NF_TPROXY2)"
in_router "$sock" probe
rc=$?
[ "$rc" -ne "$ksft_skip" ] || skip "no IP_TPROXY socket option (CONFIG_IP_NF_TPROXY2)"
[ "$rc" -eq 0 ] || { echo "FAIL: getsockopt(IP_TPROXY, TPROXY_VERSION)"; exit "$ksft_fail"; }
