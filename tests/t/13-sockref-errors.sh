#!/bin/sh
# tpt-nft-only: also run in the kernel without legacy iptables
# Every documented errno, each followed by a check that nothing changed.
. ../lib.sh
ip netns add "$R"
in_r ip link set lo up
in_r ip addr add 203.0.113.1/32 dev lo
run() { in_r $BIN/tpt-sockref "$@" >$T/out 2>&1; rc=$?; cat $T/out; [ $rc = 0 ] || fail "$(grep FAIL $T/out)"; }

log "EINVAL: lengths, ops, versions"
run tcp bind 203.0.113.1:0 rawset 1:4 =EINVAL rawset 1:11 =EINVAL rawget 3:8 =EINVAL \
	rawset 99:12 =EINVAL rawget 99:12 =EINVAL rawget 0:16 rawget 0:12 \
	version 03000000 =EINVAL version 02010000 =EINVAL version 01000000 =EINVAL \
	version 02000000 version 02000007 expect-proc 0
expect_in $T/out "optlen=12" "getsockopt does not set optlen"

log "ENOENT without a sockref"
run tcp bind 203.0.113.1:0 query =ENOENT getflags =ENOENT unassign =ENOENT \
	flags CONNECT =ENOENT alloc =ENOENT connectop 1.2.3.4:5 =ENOENT expect-proc 0

log "EINVAL: unbound and connected sockets"
run tcp assign 192.0.2.9:0 =EINVAL expect-proc 0 \
	udp bind 203.0.113.1:0 connect 203.0.113.1:9 assign 192.0.2.9:0 =EINVAL expect-proc 0

log "EEXIST"
run tcp bind 203.0.113.1:0 assign 192.0.2.9:1000 assign 192.0.2.10:2000 =EEXIST \
	expect-query 192.0.2.9:1000 expect-proc 1

log "EADDRINUSE and SO_REUSEADDR"
run tcp bind 203.0.113.1:0 assign 192.0.2.9:1000 \
	tcp bind 203.0.113.1:0 assign 192.0.2.9:1000 =EADDRINUSE query =ENOENT expect-proc 1 \
	assign 192.0.2.9:1001 expect-proc 2 \
	tcp reuse bind 203.0.113.1:0 assign 192.0.2.9:1000 expect-query 192.0.2.9:1000 expect-proc 3 \
	tcp bind 203.0.113.1:0 assign 192.0.2.9:0 tcp bind 203.0.113.1:0 assign 192.0.2.9:0 expect-proc 5

log "EINVAL: flag sets; nothing changes"
run tcp bind 203.0.113.1:0 assign 192.0.2.9:0 flags CONNECT \
	flags 0 =EINVAL flags "CONNECT|LISTEN" =EINVAL flags "LISTEN|ESTABLISHED" =EINVAL \
	flags "CONNECT|APPLIED" =EINVAL flags 0x100 =EINVAL flags ONCE =EINVAL \
	flags ESTABLISHED =EINVAL expect-flags CONNECT \
	connectop 198.51.100.2:53 flags "ESTABLISHED|UNIDIR" expect-flags "ESTABLISHED|UNIDIR" \
	connectop 0.0.0.0:0 =EINVAL expect-flags "ESTABLISHED|UNIDIR" \
	flags "LISTEN|ONCE|MARK" expect-flags "LISTEN|ONCE|MARK" expect-query 192.0.2.9:0

log "ALLOC: only for a foreign address without a port; exhaustion"
in_r sysctl -qw net.ipv4.ip_local_port_range="40000 40001"
# (the local ports are outside the tiny range)
run tcp bind 203.0.113.1:5001 assign 0.0.0.0:0 alloc =EINVAL \
	tcp bind 203.0.113.1:5002 assign 192.0.2.9:5 alloc =EINVAL expect-query 192.0.2.9:5 \
	tcp bind 203.0.113.1:5003 assign 192.0.2.9:0 alloc \
	tcp bind 203.0.113.1:5004 assign 192.0.2.9:0 alloc \
	tcp bind 203.0.113.1:5005 assign 192.0.2.9:0 alloc =EADDRNOTAVAIL expect-query 192.0.2.9:0 \
	use 2 query use 3 query
p1=$(sed -n 's/^query=192.0.2.9:\(4000[01]\)$/\1/p' $T/out | sort -u | wc -l)
[ "$p1" = 2 ] || fail "ALLOC did not hand out the two ports of the range once each"

log "UNASSIGN, then a new ASSIGN"
in_r sysctl -qw net.ipv4.ip_local_port_range="32768 60999"
run tcp bind 203.0.113.1:0 assign 192.0.2.9:7 unassign query =ENOENT expect-proc 0 \
	assign 192.0.2.9:8 expect-query 192.0.2.9:8 expect-proc 1

log "EPERM without CAP_NET_ADMIN: nothing changes"
run tcp bind 203.0.113.1:0 assign 192.0.2.9:7 flags CONNECT dropcap \
	assign 192.0.2.9:8 =EPERM unassign =EPERM flags LISTEN =EPERM alloc =EPERM \
	connectop 1.2.3.4:5 =EPERM expect-query 192.0.2.9:7 expect-flags CONNECT expect-proc 1 \
	version 02000000 getversion \
	tcp bind 203.0.113.1:0 assign 192.0.2.9:9 =EPERM expect-proc 1

log "CAP_NET_ADMIN of a user namespace counts in its own network namespace"
unshare -Urn sh -c "ip link set lo up; $BIN/tpt-sockref tcp bind 127.0.0.1:0 assign 192.0.2.9:7 \
	flags CONNECT expect-proc 1" >$T/userns 2>&1 || { cat $T/userns; fail "ASSIGN in a user namespace"; }
cat $T/userns

log "UDP sockets take sockrefs too"
in_r $BIN/tpt-sockref udp bind 203.0.113.1:0 assign 192.0.2.9:53 flags LISTEN expect-proc 1 >$T/out ||
	{ cat $T/out; fail "UDP sockref"; }
