#!/bin/sh
# tpt-nft-only: also run in the kernel without legacy iptables
# The IPv6 twin of 12-sockref-zorp, through IPV6_TPROXY: foreign bind fails,
# bind a dummy local address, ASSIGN the foreign [ip]:port, listen,
# FLAGS(LISTEN): a connection from the server to that foreign address (an
# active-FTP data channel) is accepted by the proxy.  getsockname emulation
# with QUERY/ALLOC; outgoing with QUERY, CONNECT, FLAGS(CONNECT); mark-only
# ASSIGN(::, 0).
. ../lib.sh
. ../lib6.sh
setup_topology
DUMMY=2001:db8:ff::1
in_r ip addr add $DUMMY/128 dev lo

log "listener on a foreign address, port chosen by ALLOC"
bg $R $T/lst $BIN/tpt-sockref tcp6 bind "[$CLIENT_IP6]:20" =EADDRNOTAVAIL bind "[$DUMMY]:0" \
	assign "[$CLIENT_IP6]:0" expect-query "[$CLIENT_IP6]:0" alloc query listen flags LISTEN \
	print ready accept recvline send from-zorp close
for _ in $(seq 50); do grep -q ready $T/lst && break; sleep 0.1; done
port=$(sed -n "s/^query=\[$CLIENT_IP6\]:\([0-9]*\)$/\1/p" $T/lst | tail -n 1)
cat $T/lst
[ -n "$port" ] && [ "$port" != 0 ] || fail "ALLOC gave no port"
in_r cat /proc/net/tproxy >$T/proc
cat $T/proc
expect_in $T/proc "^tcp6 \[$DUMMY\]:[0-9]* \[$CLIENT_IP6\]:$port \[::\]:0 0x00000002$" "/proc/net/tproxy line"
in_s $BIN/tpt-client "[$CLIENT_IP6]:$port" data-channel >$T/data || fail "the data connection got no answer"
wait
PIDS=""
cat $T/lst $T/data
expect_in $T/lst "accepted peer=\[$SERVER_IP6\]:[0-9]* local=\[$DUMMY\]:[0-9]* orig=\[$CLIENT_IP6\]:$port" \
	"the proxy did not accept the connection to the foreign address"
expect_in $T/lst "recv=data-channel" "data from the server"
expect_in $T/data "from-zorp" "data to the server"

log "outgoing from a foreign address"
bg $S $T/srv $BIN/tpt-server "[$SERVER_IP6]:21"
wait_listen $S 21
in_r $BIN/tpt-sockref tcp6 bind "[$CLIENT_IP6]:0" =EADDRNOTAVAIL bind "[$DUMMY]:0" \
	assign "[$CLIENT_IP6]:0" expect-query "[$CLIENT_IP6]:0" connectop "[$SERVER_IP6]:21" \
	flags CONNECT expect-proc 1 proc connect "[$SERVER_IP6]:21" send zorp-out recv >$T/out ||
	{ cat $T/out; fail "outgoing"; }
cat $T/out
expect_in $T/out "proc: tcp6 \[$DUMMY\]:[0-9]* \[$CLIENT_IP6\]:0 \[$SERVER_IP6\]:21 0x00000001$" \
	"/proc/net/tproxy line of the CONNECT sockref"
expect_in $T/out "recv=SERVER peer=\[$CLIENT_IP6\]:[0-9]* .*said=zorp-out" \
	"the server did not see the foreign address"

log "mark-only"
in_r $BIN/tpt-sockref tcp6 bind "[$DUMMY]:0" assign "[::]:0" query flags CONNECT \
	connect "[$SERVER_IP6]:21" send mark-only recv >$T/mark || { cat $T/mark; fail "mark-only"; }
cat $T/mark
lport=$(sed -n "s/^query=\[$DUMMY\]:\([0-9]*\)$/\1/p" $T/mark)
[ -n "$lport" ] && [ "$lport" != 0 ] || fail "QUERY of a mark-only sockref did not give the local address"
expect_in $T/mark "recv=SERVER peer=\[$DUMMY\]:$lport " "mark-only translated the address"
in_r grep "^ipv6 .*sport=$lport dport=21 " /proc/net/nf_conntrack >$T/ct || fail "no conntrack for mark-only"
cat $T/ct
expect_in $T/ct "\[TPROXY\]" "the mark-only connection is not marked"
in_r cat /proc/net/tproxy >$T/proc
[ ! -s $T/proc ] || { cat $T/proc; fail "sockrefs left"; }
