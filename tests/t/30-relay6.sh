#!/bin/sh
# tproxy-relay over IPv6: connections intercepted by ip6tables' tproxy
# table, a UDP exchange through a TPROXY rule and one to a foreign address
# with no rule (ITP_LISTEN | ITP_UNIDIR) reach the server from the client's
# IPv6 address and port (IPV6_TPROXY; IP6T_SO_ORIGINAL_DST; IPV6_ORIGADDRS);
# the sockrefs are IPv6 ones; SIGTERM ends it cleanly with no sockref left;
# --listen :: without CAP_NET_ADMIN says which capability is missing.
. ../lib.sh
setup_topology
RELAY=$TPT_TOP/build/bin/tproxy-relay
ip6t $R -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 || fail "rule"
ip6t $R -t tproxy -A PREROUTING -p udp --dport 53 -j TPROXY --on-port 3128 || fail "udp rule"
bg $S $T/srv $BIN/tpt-server "[$SERVER_IP6]:80"
bg $S $T/usrv $BIN/tpt-udp server "[$SERVER_IP6]:53"
bg $S $T/fsrv $BIN/tpt-udp server "[$SERVER_IP6]:5300"
# IPv6 only, asked for: no IPV6_TPROXY would be an error, not a fallback
bg $R $T/relay $RELAY -v -l :: -p 3128 -u 3128 -F "[$SERVER_IP6]:5300"
relay=$!
wait_listen $S 80
wait_listen $S 53 udp
wait_listen $S 5300 udp
wait_listen $R 3128
wait_listen $R 3128 udp
for _ in $(seq 50); do grep -q "receiving udp for" $T/relay && break; sleep 0.1; done
expect_in $T/relay "listening on \[::\]:3128" "the relay's IPv6 listener"
expect_not_in $T/relay "listening on 0.0.0.0" "an IPv4 listener without being asked"
for i in 1 2 3 4 5; do
	in_c $BIN/tpt-client "[$SERVER_IP6]:80" relay-$i >$T/r$i || { cat $T/relay; fail "no answer ($i)"; }
	expect_in $T/r$i "peer=\[$CLIENT_IP6\]:.*said=relay-$i" "connection $i: the server did not see the client"
done
expect_in $T/relay "\[$CLIENT_IP6\]:[0-9]* -> \[$SERVER_IP6\]:80, from the client's address" \
	"the relay's log of an IPv6 connection"
in_c $BIN/tpt-udp send 5301 "[$SERVER_IP6]:53" udp-query >$T/u || { cat $T/u $T/relay; fail "no UDP answer"; }
expect_in $T/u "^answer=udp-query peer=\[$CLIENT_IP6\]:5301 from=\[$SERVER_IP6\]:53$" "the UDP exchange"
in_c $BIN/tpt-udp send 5302 "[$SERVER_IP6]:5300" foreign-query >$T/f || { cat $T/f $T/relay; fail "no UDP answer (foreign)"; }
expect_in $T/f "^answer=foreign-query peer=\[$CLIENT_IP6\]:5302 from=\[$SERVER_IP6\]:5300$" \
	"the UDP exchange with the foreign receiver"
# the sessions hold IPv6 sockrefs until they expire: the client's side on
# the original destination, the server's side on the client's address
in_r cat /proc/net/tproxy >$T/proc
cat $T/proc
expect_in $T/proc "^udp6 \[[0-9a-f:]*\]:[0-9]* \[$SERVER_IP6\]:53 \[$CLIENT_IP6\]:5301 " \
	"the client's side of the UDP session"
expect_in $T/proc "^udp6 \[[0-9a-f:]*\]:[0-9]* \[$CLIENT_IP6\]:5301 " "the server's side of the UDP session"
expect_in $T/proc "^udp6 \[::\]:[0-9]* \[$SERVER_IP6\]:5300 " "the foreign receiver"
expect_not_in $T/proc "^tcp \|^udp " "an IPv4 sockref"
kill -TERM $relay
wait $relay
rc=$?
cat $T/relay
[ $rc = 0 ] || fail "the relay exited with $rc on SIGTERM"
expect_in $T/relay "exiting: 5 connections relayed, 0 open; 2 udp sessions" "the relay's summary"
in_r cat /proc/net/tproxy >$T/proc
[ ! -s $T/proc ] || { cat $T/proc; fail "sockrefs left after SIGTERM"; }

in_r unshare -U $RELAY -l :: -p 3129 >$T/noperm 2>&1 && fail "the relay ran without CAP_NET_ADMIN"
cat $T/noperm
expect_in $T/noperm "IPV6_TPROXY needs CAP_NET_ADMIN" "no clear message without CAP_NET_ADMIN"
