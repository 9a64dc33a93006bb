#!/bin/sh
# tpt-nft-only: also run in the kernel without legacy iptables
# The IPv6 twin of 13-sockref-errors: every documented errno of IPV6_TPROXY
# on AF_INET6 sockets with IPv6 sockrefs, each followed by a check that
# nothing changed.  (The dual-stack cases, EAFNOSUPPORT among them, are in
# 16-sockref-mapped.)
. ../lib.sh
ip netns add "$R"
in_r ip link set lo up
in_r ip addr add 203.0.113.1/32 dev lo
D=2001:db8:ff::1
in_r ip addr add $D/128 dev lo
F=2001:db8:1::9
run() { in_r $BIN/tpt-sockref "$@" >$T/out 2>&1; rc=$?; cat $T/out; [ $rc = 0 ] || fail "$(grep FAIL $T/out)"; }

log "EINVAL: lengths (struct in_tproxy is too short for IPV6_TPROXY), ops, versions"
run tcp6 bind "[$D]:0" rawset 1:4 =EINVAL rawset 1:12 =EINVAL rawset 1:23 =EINVAL \
	rawget 3:12 =EINVAL rawget 3:23 =EINVAL rawset 99:24 =EINVAL rawget 99:24 =EINVAL \
	rawget 0:32 rawget 0:24 \
	version 03000000 =EINVAL version 02010000 =EINVAL version 01000000 =EINVAL \
	version 02000000 version 02000007 expect-proc 0
expect_in $T/out "optlen=24" "getsockopt does not set optlen to 24"
expect_not_in $T/out "optlen=32" "getsockopt left optlen at 32"

log "EFAULT: bad pointers change nothing"
run tcp6 bind "[$D]:0" faultset =EFAULT faultget =EFAULT expect-proc 0 \
	assign "[$F]:7" flags CONNECT faultset =EFAULT faultget =EFAULT expect-query "[$F]:7" \
	expect-flags CONNECT expect-proc 1

log "IPV6_TPROXY on an AF_INET socket never reaches TPROXY 2.0"
# the IPv4 socket code answers: setsockopt ENOPROTOOPT, getsockopt EOPNOTSUPP
run tcp bind 127.0.0.1:0 assign "[$F]:0" =ENOPROTOOPT \
	level ipv6 flags CONNECT =ENOPROTOOPT version 02000000 =ENOPROTOOPT query =EOPNOTSUPP \
	level auto query =ENOENT expect-proc 0 \
	udp bind 127.0.0.1:0 assign "[$F]:0" =ENOPROTOOPT level auto query =ENOENT expect-proc 0

log "EOPNOTSUPP: not a TCP or UDP socket"
run raw6 assign "[$F]:0" =EOPNOTSUPP query =EOPNOTSUPP expect-proc 0

log "ENOENT without a sockref"
run tcp6 bind "[$D]:0" query =ENOENT getflags =ENOENT unassign =ENOENT \
	flags CONNECT =ENOENT alloc =ENOENT connectop "[2001:db8::5]:5" =ENOENT expect-proc 0

log "EINVAL: unbound and connected sockets"
run tcp6 assign "[$F]:0" =EINVAL expect-proc 0 \
	udp6 bind "[$D]:0" connect "[$D]:9" assign "[$F]:0" =EINVAL expect-proc 0

log "EEXIST"
run tcp6 bind "[$D]:0" assign "[$F]:1000" assign "[2001:db8:1::10]:2000" =EEXIST \
	expect-query "[$F]:1000" expect-proc 1

log "EADDRINUSE and SO_REUSEADDR"
run tcp6 bind "[$D]:0" assign "[$F]:1000" \
	tcp6 bind "[$D]:0" assign "[$F]:1000" =EADDRINUSE query =ENOENT expect-proc 1 \
	assign "[$F]:1001" expect-proc 2 \
	tcp6 reuse bind "[$D]:0" assign "[$F]:1000" expect-query "[$F]:1000" expect-proc 3 \
	tcp6 bind "[$D]:0" assign "[$F]:0" tcp6 bind "[$D]:0" assign "[$F]:0" expect-proc 5

log "IPv6 and IPv4 sockrefs of alike addresses do not collide"
# c000:209:: begins with the bytes of 192.0.2.9, ::c000:209 ends with them
run tcp bind 127.0.0.1:0 assign 192.0.2.9:1000 \
	tcp6 bind "[$D]:0" assign "[c000:209::]:1000" \
	tcp6 bind "[$D]:0" assign "[::c000:209]:1000" \
	tcp6 bind "[$D]:0" assign "[::ffff:c000:209]:1000" =EAFNOSUPPORT expect-proc 3 \
	tcp6 bind "[$D]:0" assign "[c000:209::]:1000" =EADDRINUSE expect-proc 3

log "EINVAL: flag sets; nothing changes"
run tcp6 bind "[$D]:0" assign "[$F]:0" flags CONNECT \
	flags 0 =EINVAL flags "CONNECT|LISTEN" =EINVAL flags "LISTEN|ESTABLISHED" =EINVAL \
	flags "CONNECT|APPLIED" =EINVAL flags 0x100 =EINVAL flags ONCE =EINVAL \
	flags ESTABLISHED =EINVAL expect-flags CONNECT \
	connectop "[2001:db8:2::2]:53" flags "ESTABLISHED|UNIDIR" expect-flags "ESTABLISHED|UNIDIR" \
	connectop "[::]:0" =EINVAL expect-flags "ESTABLISHED|UNIDIR" \
	flags "LISTEN|ONCE|MARK" expect-flags "LISTEN|ONCE|MARK" expect-query "[$F]:0" proc
expect_in $T/out "proc: tcp6 \[$D\]:[0-9]* \[$F\]:0 \[2001:db8:2::2\]:53 0x00030002$" \
	"/proc/net/tproxy does not show the IPv6 sockref as it is"

log "ALLOC: only for a foreign address without a port; exhaustion"
in_r sysctl -qw net.ipv4.ip_local_port_range="40000 40001"
# (the local ports are outside the tiny range)
run tcp6 bind "[$D]:5001" assign "[::]:0" alloc =EINVAL \
	tcp6 bind "[$D]:5002" assign "[$F]:5" alloc =EINVAL expect-query "[$F]:5" \
	tcp6 bind "[$D]:5003" assign "[$F]:0" alloc \
	tcp6 bind "[$D]:5004" assign "[$F]:0" alloc \
	tcp6 bind "[$D]:5005" assign "[$F]:0" alloc =EADDRNOTAVAIL expect-query "[$F]:0" \
	use 2 query use 3 query
p1=$(sed -n "s/^query=\[$F\]:\(4000[01]\)$/\1/p" $T/out | sort -u | wc -l)
[ "$p1" = 2 ] || fail "ALLOC did not hand out the two ports of the range once each"

log "UNASSIGN, then a new ASSIGN"
in_r sysctl -qw net.ipv4.ip_local_port_range="32768 60999"
run tcp6 bind "[$D]:0" assign "[$F]:7" unassign query =ENOENT expect-proc 0 \
	assign "[$F]:8" expect-query "[$F]:8" expect-proc 1

log "EPERM without CAP_NET_ADMIN: nothing changes"
run tcp6 bind "[$D]:0" assign "[$F]:7" flags CONNECT dropcap \
	assign "[$F]:8" =EPERM unassign =EPERM flags LISTEN =EPERM alloc =EPERM \
	connectop "[2001:db8::5]:5" =EPERM expect-query "[$F]:7" expect-flags CONNECT expect-proc 1 \
	version 02000000 getversion \
	tcp6 bind "[$D]:0" assign "[$F]:9" =EPERM expect-proc 1

log "CAP_NET_ADMIN of a user namespace counts in its own network namespace"
unshare -Urn sh -c "ip link set lo up; $BIN/tpt-sockref tcp6 bind [::1]:0 assign [$F]:7 \
	flags CONNECT expect-proc 1 proc" >$T/userns 2>&1 || { cat $T/userns; fail "ASSIGN in a user namespace"; }
cat $T/userns
expect_in $T/userns "proc: tcp6 \[::1\]:[0-9]* \[$F\]:7 \[::\]:0 0x00000001$" "the user namespace's sockref"

log "UDP sockets take IPv6 sockrefs too"
in_r $BIN/tpt-sockref udp6 bind "[$D]:0" assign "[$F]:53" flags LISTEN expect-proc 1 proc >$T/out ||
	{ cat $T/out; fail "UDP sockref"; }
cat $T/out
expect_in $T/out "proc: udp6 \[$D\]:[0-9]* \[$F\]:53 \[::\]:0 0x00000002$" "the UDP sockref's line"
