#!/bin/sh
# Dual-stack AF_INET6 sockets and v4-mapped addresses (the policy of
# Documentation/networking/tproxy2.rst, "Dual-stack sockets and mapped
# addresses"): IP_TPROXY with a.b.c.d and IPV6_TPROXY with ::ffff:a.b.c.d
# make IPv4 sockrefs that work for IPv4 traffic (the server sees the
# client's IPv4 address; a LISTEN sockref redirects an IPv4 connection);
# QUERY gives the address in the option's form; the EAFNOSUPPORT cases
# (IPV6_V6ONLY, a native or a v4-mapped bound address of the wrong family, a
# CONNECT peer or a QUERY of the other family); the other ops through either
# option; the family of a mark-only sockref.  Every refusal changes nothing.
. ../lib.sh
. ../lib6.sh
setup_topology
D=2001:db8:ff::1
in_r ip addr add 203.0.113.1/32 dev lo
in_r ip addr add $D/128 dev lo
M=::ffff:$CLIENT_IP
run() {
	name=$1
	shift
	in_r $BIN/tpt-sockref "$@" >$T/$name 2>&1
	rc=$?
	cat $T/$name
	[ $rc = 0 ] || fail "$name: $(grep FAIL $T/$name)"
}
bg $S $T/srv $BIN/tpt-server $SERVER_IP:80
wait_listen $S 80

log "IP_TPROXY on a dual-stack socket bound to ::: an IPv4 sockref, IPv4 traffic from the client's address"
run ip4 tcp6 bind "[::]:0" assign $CLIENT_IP:0 expect-proc 1 proc level ip expect-query $CLIENT_IP:0 \
	level ipv6 expect-query "[$M]:0" level auto flags CONNECT \
	connect "[::ffff:$SERVER_IP]:80" send mapped-ip recv getname
expect_in $T/ip4 "proc: tcp 0.0.0.0:[0-9]* $CLIENT_IP:0 0.0.0.0:0 0x00000000$" \
	"the IPv4 sockref of a dual-stack socket has no IPv4 /proc/net/tproxy line"
expect_in $T/ip4 "recv=SERVER peer=$CLIENT_IP:[0-9]* .*said=mapped-ip" \
	"the server did not see the client's IPv4 address (IP_TPROXY on AF_INET6)"

log "IPV6_TPROXY with ::ffff:a.b.c.d: the same"
run ip6m tcp6 bind "[::]:0" assign "[$M]:0" expect-query "[$M]:0" level ip expect-query $CLIENT_IP:0 \
	expect-proc 1 proc level auto flags CONNECT connect "[::ffff:$SERVER_IP]:80" send mapped-ipv6 recv
expect_in $T/ip6m "proc: tcp 0.0.0.0:[0-9]* $CLIENT_IP:0 0.0.0.0:0 0x00000000$" \
	"a v4-mapped ASSIGN did not make an IPv4 sockref"
expect_in $T/ip6m "recv=SERVER peer=$CLIENT_IP:[0-9]* .*said=mapped-ipv6" \
	"the server did not see the client's IPv4 address (IPV6_TPROXY, v4-mapped)"
in_r cat /proc/net/nf_conntrack >$T/ct
grep "^ipv4 .* src=$ROUTER_SIP dst=$SERVER_IP .*dport=80 .*src=$SERVER_IP dst=$CLIENT_IP " $T/ct >$T/ctp ||
	{ cat $T/ct; fail "no SNATed IPv4 conntrack for the dual-stack socket's connection"; }
expect_in $T/ctp "\[TPROXY\]" "the translated connection lacks the tproxy bit"

log "a socket bound to a v4-mapped address, both options"
run bound tcp6 bind "[::ffff:$ROUTER_SIP]:0" assign "[$M]:0" flags "CONNECT|ONCE" \
	connect "[::ffff:$SERVER_IP]:80" send bound-mapped recv \
	tcp6 bind "[::ffff:$ROUTER_SIP]:0" assign $CLIENT_IP:0 level ip flags CONNECT level auto \
	connect "[::ffff:$SERVER_IP]:80" send bound-mapped-ip recv
[ "$(grep -c "recv=SERVER peer=$CLIENT_IP:[0-9]* .*said=bound-mapped" $T/bound)" = 2 ] ||
	fail "sockets bound to a v4-mapped address: the server did not see the client's address"

log "a LISTEN sockref on a dual-stack socket takes an IPv4 connection"
bg $R $T/lst $BIN/tpt-sockref tcp6 bind "[::ffff:203.0.113.1]:0" assign "[$M]:7000" listen \
	flags LISTEN print ready accept recvline send via-mapped close
lst=$!
for _ in $(seq 50); do grep -q ready $T/lst && break; sleep 0.1; done
in_s $BIN/tpt-client $CLIENT_IP:7000 to-client >$T/lc || { cat $T/lst; fail "no answer through the LISTEN sockref"; }
wait $lst
cat $T/lst $T/lc
expect_in $T/lc "via-mapped" "the IPv4 connection did not reach the dual-stack LISTEN socket"
expect_in $T/lst "accepted peer=\[::ffff:$SERVER_IP\]:[0-9]* local=\[::ffff:203.0.113.1\]:[0-9]* orig=$CLIENT_IP:7000" \
	"the accepted IPv4 connection or its SO_ORIGINAL_DST"

log "EAFNOSUPPORT: an IPv4 sockref on a socket that cannot talk IPv4"
run v6only tcp6 v6only 1 bind "[::]:0" assign "[$M]:0" =EAFNOSUPPORT assign $CLIENT_IP:0 =EAFNOSUPPORT \
	query =ENOENT level ip query =ENOENT level auto expect-proc 0 \
	assign "[$CLIENT_IP6]:0" expect-query "[$CLIENT_IP6]:0" expect-proc 1 \
	tcp6 bind "[$D]:0" assign "[$M]:0" =EAFNOSUPPORT assign $CLIENT_IP:0 =EAFNOSUPPORT \
	query =ENOENT expect-proc 1 \
	udp6 v6only 1 bind "[::]:0" assign "[$M]:53" =EAFNOSUPPORT assign $CLIENT_IP:53 =EAFNOSUPPORT \
	expect-proc 1

log "EAFNOSUPPORT: an IPv6 sockref on a socket bound to a v4-mapped address"
run v6onmapped tcp6 bind "[::ffff:$ROUTER_SIP]:0" assign "[$CLIENT_IP6]:0" =EAFNOSUPPORT query =ENOENT \
	expect-proc 0 udp6 bind "[::ffff:$ROUTER_SIP]:0" assign "[$CLIENT_IP6]:53" =EAFNOSUPPORT expect-proc 0

log "EAFNOSUPPORT: a CONNECT peer of the other family; :: and 0.0.0.0 fit either"
run peer4 tcp6 bind "[::]:0" assign "[$M]:0" connectop "[$SERVER_IP6]:80" =EAFNOSUPPORT \
	connectop "[::ffff:$SERVER_IP]:80" proc connectop $SERVER_IP:81 proc \
	connectop "[::]:0" connectop 0.0.0.0:0 expect-proc 1
expect_in $T/peer4 "proc: tcp 0.0.0.0:[0-9]* $CLIENT_IP:0 $SERVER_IP:80 0x00000000$" \
	"CONNECT with a v4-mapped peer (IPV6_TPROXY)"
expect_in $T/peer4 "proc: tcp 0.0.0.0:[0-9]* $CLIENT_IP:0 $SERVER_IP:81 0x00000000$" \
	"CONNECT with an IPv4 peer (IP_TPROXY) on a dual-stack socket"
expect_not_in $T/peer4 "proc: .*$SERVER_IP6" "a refused CONNECT changed the peer"
run peer6 tcp6 bind "[::]:0" assign "[$CLIENT_IP6]:0" connectop "[::ffff:$SERVER_IP]:80" =EAFNOSUPPORT \
	connectop $SERVER_IP:80 =EAFNOSUPPORT connectop "[$SERVER_IP6]:80" proc \
	connectop 0.0.0.0:0 proc connectop "[$SERVER_IP6]:81" connectop "[::]:0" expect-proc 1
expect_in $T/peer6 "proc: tcp6 \[::\]:[0-9]* \[$CLIENT_IP6\]:0 \[$SERVER_IP6\]:80 0x00000000$" \
	"CONNECT of an IPv6 sockref, or a refused one changed it"
[ "$(grep -c "proc: tcp6 \[::\]:[0-9]* \[$CLIENT_IP6\]:0 \[::\]:0 0x00000000$" $T/peer6)" = 2 ] ||
	fail "CONNECT 0.0.0.0 (IP_TPROXY) or :: of an IPv6 sockref did not clear its peer"

log "EAFNOSUPPORT: QUERY through IP_TPROXY of an IPv6 sockref"
run query6 tcp6 bind "[$D]:0" assign "[$CLIENT_IP6]:5" level ip query =EAFNOSUPPORT \
	level ipv6 expect-query "[$CLIENT_IP6]:5" expect-proc 1

log "VERSION, FLAGS, ALLOC, UNASSIGN through either option on either family"
run either tcp6 bind "[$D]:0" assign "[$CLIENT_IP6]:0" level ip version 02000000 getversion \
	flags "CONNECT|ONCE" expect-flags "CONNECT|ONCE" alloc level ipv6 expect-flags "CONNECT|ONCE" \
	query level ip unassign level ipv6 query =ENOENT expect-proc 0 \
	tcp6 bind "[::]:0" assign $CLIENT_IP:0 level ipv6 version 02000000 getversion flags LISTEN \
	level ip expect-flags LISTEN level ipv6 alloc level ip query level ipv6 unassign \
	level ip query =ENOENT expect-proc 0
p6=$(sed -n "s/^query=\[$CLIENT_IP6\]:\([0-9]*\)$/\1/p" $T/either)
p4=$(sed -n "s/^query=$CLIENT_IP:\([0-9]*\)$/\1/p" $T/either)
[ -n "$p6" ] && [ "$p6" != 0 ] || fail "ALLOC through IP_TPROXY on an IPv6 sockref gave no port"
[ -n "$p4" ] && [ "$p4" != 0 ] || fail "ALLOC through IPV6_TPROXY on an IPv4 sockref gave no port"

log "mark-only: the family of the bound address"
run mark tcp6 bind "[::]:0" assign "[::]:0" proc \
	tcp6 bind "[::ffff:$ROUTER_SIP]:0" assign "[::]:0" proc \
	tcp6 bind "[::]:0" assign 0.0.0.0:0 proc expect-proc 3
expect_in $T/mark "proc: tcp6 \[::\]:[0-9]* \[::\]:0 \[::\]:0 0x00000000$" \
	"mark-only on a socket bound to ::: not an IPv6 sockref"
expect_in $T/mark "proc: tcp $ROUTER_SIP:[0-9]* 0.0.0.0:0 0.0.0.0:0 0x00000000$" \
	"mark-only on a socket bound to a v4-mapped address: not an IPv4 sockref"
expect_in $T/mark "proc: tcp 0.0.0.0:[0-9]* 0.0.0.0:0 0.0.0.0:0 0x00000000$" \
	"mark-only through IP_TPROXY on a dual-stack socket: not an IPv4 sockref"

log "a v4-mapped sockref is the IPv4 one: EADDRINUSE across the families of sockets"
run inuse tcp bind 127.0.0.1:0 assign $CLIENT_IP:1234 \
	tcp6 bind "[::]:0" assign "[$M]:1234" =EADDRINUSE assign $CLIENT_IP:1234 =EADDRINUSE \
	expect-proc 1 assign "[$M]:1235" expect-proc 2 \
	tcp6 reuse bind "[::]:0" assign "[$M]:1234" expect-proc 3

in_r cat /proc/net/tproxy >$T/proc
[ ! -s $T/proc ] || { cat $T/proc; fail "sockrefs left"; }
