#!/bin/sh
# tpt-nft-only: also run in the kernel without legacy iptables
# A sockref of one family never touches the other family's traffic, not
# even where the addresses have the same bytes: the IPv4 address a.b.c.d
# and the IPv6 address [xxyy:zzww::] are the same union nf_inet_addr with
# the rest zero.  A LISTEN sockref redirects nothing of the other family; a
# CONNECT sockref translates nothing of the other family from a local
# address and port of the same bytes; on a dual-stack socket, a sockref of
# one family leaves its own connection of the other family alone.
. ../lib.sh
setup_topology
D=2001:db8:ff::1
# the bytes of 192.0.2.1 ($ROUTER_CIP) and 192.0.2.2 ($CLIENT_IP)
ALIKE_R=c000:201::
ALIKE_C=c000:202::
in_r ip addr add $D/128 dev lo
in_r ip addr add $ALIKE_R/128 dev lo
bg $S $T/srv $BIN/tpt-server "[::]:80"
bg $C $T/cli7000 $BIN/tpt-server $CLIENT_IP:7000
wait_listen $S 80
wait_listen $C 7000

log "an IPv6 LISTEN sockref on [$ALIKE_C]:7000 leaves IPv4 connections to $CLIENT_IP:7000 alone"
bg $R $T/lst6 $BIN/tpt-sockref tcp6 bind "[$D]:0" assign "[$ALIKE_C]:7000" listen flags LISTEN \
	print ready accept recvline send wrong-listener
for _ in $(seq 50); do grep -q ready $T/lst6 && break; sleep 0.1; done
in_s $BIN/tpt-client $CLIENT_IP:7000 to-client4 >$T/c4 || fail "no answer from the client"
cat $T/c4
expect_in $T/c4 "SERVER peer=$SERVER_IP:[0-9]* local=$CLIENT_IP:7000 said=to-client4" \
	"an IPv4 connection was redirected by an IPv6 sockref"

log "an IPv4 LISTEN sockref on 192.0.2.9:7001 leaves IPv6 connections to [c000:209::]:7001 alone"
bg $R $T/lst4 $BIN/tpt-sockref tcp bind $ROUTER_SIP:0 assign 192.0.2.9:7001 listen flags LISTEN \
	print ready accept recvline send wrong-listener
for _ in $(seq 50); do grep -q ready $T/lst4 && break; sleep 0.1; done
# unroutable: the connection fails, unless a sockref takes it
in_s $BIN/tpt-sockref tcp6 connect "[c000:209::]:7001" send x recv >$T/c6 2>&1
cat $T/c6
expect_not_in $T/c6 "wrong-listener" "an IPv6 connection was redirected by an IPv4 sockref"
expect_in $T/c6 "FAIL: connect" "the unroutable IPv6 connection did not fail"
in_r cat /proc/net/tproxy >$T/proc
cat $T/proc
[ "$(wc -l <$T/proc)" = 2 ] || fail "the LISTEN sockrefs are not both there"
kill $PIDS 2>/dev/null
wait 2>/dev/null
PIDS=""
bg $S $T/srv $BIN/tpt-server "[::]:80"
wait_listen $S 80

log "CONNECT sockrefs: none translates the other family's connection from a local end of the same bytes"
in_r $BIN/tpt-sockref tcp6 bind "[$ALIKE_R]:45678" assign "[$CLIENT_IP6]:0" flags CONNECT \
	tcp bind $ROUTER_CIP:45678 connect $SERVER_IP:80 send from-v4 recv \
	tcp bind $ROUTER_CIP:45679 assign $CLIENT_IP:0 flags CONNECT \
	tcp6 bind "[$ALIKE_R]:45679" connect "[$SERVER_IP6]:80" send from-v6 recv expect-proc 2 >$T/cn ||
	{ cat $T/cn; fail "CONNECT beside the other family"; }
cat $T/cn
expect_in $T/cn "recv=SERVER peer=\[::ffff:$ROUTER_CIP\]:45678 .*said=from-v4" \
	"an IPv6 CONNECT sockref translated an IPv4 connection"
expect_in $T/cn "recv=SERVER peer=\[$ALIKE_R\]:45679 .*said=from-v6" \
	"an IPv4 CONNECT sockref translated an IPv6 connection"
in_r cat /proc/net/nf_conntrack >$T/ct
expect_not_in $T/ct "sport=4567[89] .*\[TPROXY\]" "a connection of the other family is marked"

log "a dual-stack socket's sockref leaves its connection of the other family alone"
in_r $BIN/tpt-sockref tcp6 bind "[::]:0" assign "[$CLIENT_IP6]:0" flags CONNECT \
	connect "[::ffff:$SERVER_IP]:80" send v6ref-v4conn recv \
	tcp6 bind "[::]:0" assign "[::ffff:$CLIENT_IP]:0" flags CONNECT \
	connect "[$SERVER_IP6]:80" send v4ref-v6conn recv >$T/ds || { cat $T/ds; fail "dual-stack"; }
cat $T/ds
expect_in $T/ds "recv=SERVER peer=\[::ffff:$ROUTER_SIP\]:[0-9]* .*said=v6ref-v4conn" \
	"an IPv6 sockref translated its socket's IPv4 connection"
expect_in $T/ds "recv=SERVER peer=\[$ROUTER_SIP6\]:[0-9]* .*said=v4ref-v6conn" \
	"an IPv4 sockref translated its socket's IPv6 connection"
in_r cat /proc/net/tproxy >$T/proc
[ ! -s $T/proc ] || { cat $T/proc; fail "sockrefs left"; }
