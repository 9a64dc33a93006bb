#!/bin/sh
# The IPv6 twin of 20-ftp-helper-bypass, with EPRT and EPSV, the FTP
# helper's IPv6 commands.  With the helper on port 21:
# - tproxied (the tproxy table to a Squid-style proxy that connects from
#   the client's address): the client's EPRT reaches the server byte for
#   byte, and the server's EPSV answer sets up no NAT for the data channel:
#   it goes to the server;
# - nat REDIRECT to a local server: the helper's NAT half acts: the data
#   channel to the port of the EPSV answer goes where the control went, to
#   the router;
# - masqueraded: the helper rewrites the EPRT command.
. ../lib.sh
. ../lib6.sh
setup_topology
NAT_C=2001:db8:1::3
MASQ_C=2001:db8:1::4
in_c ip addr add $NAT_C/64 dev eth0 nodad
in_c ip addr add $MASQ_C/64 dev eth0 nodad

ip6t $R -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp || fail "helper rule"
ip6t $R -t raw -A OUTPUT -p tcp --dport 21 -j CT --helper ftp || fail "helper rule (OUTPUT)"
ip6t $R -t tproxy -A PREROUTING -s $CLIENT_IP6 -p tcp --dport 21 -j TPROXY --on-port 2121 || fail "rule"
ip6t $R -t nat -A PREROUTING -s $NAT_C -p tcp --dport 21 -j REDIRECT --to-ports 2100 || fail "redirect"
ip6t $R -t nat -A POSTROUTING -s $MASQ_C -o s0 -j MASQUERADE || fail "masquerade"
cr=$(printf '\r')
# The servers log every line; the helper only reads a line that comes
# after an earlier line of the same direction, so USER and 220 go first.
bg $S $T/srv $BIN/tpt-sockref tcp6 reuse bind "[$SERVER_IP6]:21" listen rcvtimeo 60000 \
	accept recvline recvline send "220 ok$cr" sleep 300 \
	send "229 Entering Extended Passive Mode (|||5022|)$cr" recv close \
	use 0 accept recvline recvline send "200 ok$cr" close
bg $R $T/local $BIN/tpt-sockref tcp6 reuse bind "[::]:2100" listen rcvtimeo 60000 \
	accept recvline send "220 ok$cr" sleep 300 \
	send "229 Entering Extended Passive Mode (|||5023|)$cr" recv close
# the data channels' listeners: on the server, and on the router
for port in 5022 5023; do
	bg $S $T/sdata$port $BIN/tpt-server "[::]:$port"
	bg $R $T/rdata$port $BIN/tpt-server "[::]:$port"
done
bg $R $T/proxy $BIN/tpt-proxy -s squid -B "[$ROUTER_SIP6]:0" "[::]:2121"
for p in 21 5022 5023; do wait_listen $S $p; done
for p in 2100 2121 5022 5023; do wait_listen $R $p; done

log "tproxied: EPRT unchanged, no NAT for the EPSV data channel"
# the EPRT names the address the proxy's outgoing connection has before
# translation, which a helper would rewrite to the client's
# (the client has three addresses: each socket binds the one it needs)
in_c $BIN/tpt-sockref tcp6 bind "[$CLIENT_IP6]:0" connect "[$SERVER_IP6]:21" send "USER tp$cr" \
	sleep 300 send "EPRT |2|$ROUTER_SIP6|1025|$cr" recvline recvline \
	tcp6 bind "[$CLIENT_IP6]:0" connect "[$SERVER_IP6]:5022" send tp-data recv use 0 close >$T/tp ||
	{ cat $T/tp $T/srv; fail "tproxied: no answer"; }
cat $T/tp
expect_in $T/tp "recv=229 Entering Extended Passive Mode (|||5022|)" "the EPSV answer was changed"
expect_in $T/tp "recv=SERVER peer=\[$CLIENT_IP6\]:[0-9]* local=\[$SERVER_IP6\]:5022 said=tp-data" \
	"the data channel of a tproxied control connection did not go to the server"

log "nat REDIRECT: the helper NATs the EPSV data channel to the router"
in_c $BIN/tpt-sockref tcp6 bind "[$NAT_C]:0" connect "[$SERVER_IP6]:21" send "USER nat$cr" \
	recvline recvline \
	tcp6 bind "[$NAT_C]:0" connect "[$SERVER_IP6]:5023" send nat-data recv use 0 close >$T/nat ||
	{ cat $T/nat $T/local; fail "REDIRECTed: no answer"; }
cat $T/nat $T/local
expect_in $T/local "accepted peer=\[$NAT_C\]:" "the REDIRECTed control connection did not reach the router"
expect_in $T/nat "recv=SERVER peer=\[$NAT_C\]:[0-9]* local=\[$ROUTER_CIP6\]:5023 said=nat-data" \
	"the helper did not NAT the data channel of a REDIRECTed control connection"

log "masqueraded: the helper rewrites EPRT"
in_c $BIN/tpt-sockref tcp6 bind "[$MASQ_C]:0" connect "[$SERVER_IP6]:21" send "USER masq$cr" sleep 300 \
	send "EPRT |2|$MASQ_C|1025|$cr" recv >$T/masq || { cat $T/masq; fail "masqueraded: no answer"; }
sleep 0.3
cat $T/srv
sed -n '/recv=USER tp/,/recv=USER masq/p' $T/srv >$T/srv-tp
sed -n '/recv=USER masq/,$p' $T/srv >$T/srv-masq
grep accepted $T/srv | head -n 1 | grep -q "peer=\[$CLIENT_IP6\]:" ||
	fail "the tproxied connection did not come from the client"
expect_in $T/srv-tp "recv=EPRT |2|$ROUTER_SIP6|1025|$cr\$" "the tproxied EPRT command was modified"
# (the helper writes the address in full, %pI6)
expect_in $T/srv-masq "recv=EPRT |2|$(full6 $ROUTER_SIP6)|[0-9]*|$cr\$" \
	"the helper did not rewrite the masqueraded EPRT command"
expect_not_in $T/srv-masq "recv=EPRT |2|$MASQ_C|" "the helper did not rewrite the masqueraded EPRT command"
