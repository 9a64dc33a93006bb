#!/bin/sh
# ip6tables: -m tproxy in filter INPUT and FORWARD counts exactly the
# tproxied IPv6 connections, -m tproxy ! --tproxied the others; --sockref
# those an IPv6 sockref owns; ip6tables-save gives the rules back.  (21's
# IPv6 twin.)
. ../lib.sh
setup_topology
C6="\[$CLIENT_IP6\]" S6="\[$SERVER_IP6\]"

ip6t $R -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 || fail "rule 80"
ip6t $R -t tproxy -A PREROUTING -p tcp --dport 8080 -j TPROXY --on-port 80 --on-ip $SERVER_IP6 ||
	fail "rule 8080"
for chain in INPUT FORWARD; do
	ip6t $R -A $chain -p tcp -m conntrack --ctstate NEW -m tproxy || fail "tproxy match in $chain"
	ip6t $R -A $chain -p tcp -m conntrack --ctstate NEW -m tproxy ! --tproxied ||
		fail "! --tproxied in $chain"
done
ip6t $R -A INPUT -m conntrack --ctstate ESTABLISHED -m tproxy --sockref || fail "--sockref"
ip6t $R -A OUTPUT -m tproxy ! --sockref || fail "! --sockref"

bg $S $T/srv80 $BIN/tpt-server "[$SERVER_IP6]:80"
bg $S $T/srv22 $BIN/tpt-server "[$SERVER_IP6]:22"
bg $R $T/proxy $BIN/tpt-proxy -s squid -B "[$ROUTER_SIP6]:0" "[::]:3128"
wait_listen $S 80
wait_listen $S 22
wait_listen $R 3128
for i in 1 2 3; do in_c $BIN/tpt-client "[$SERVER_IP6]:80" p$i >$T/p$i || fail "proxied $i"; done
for i in 1 2; do in_c $BIN/tpt-client "[$SERVER_IP6]:8080" f$i >$T/f$i || fail "forwarded $i"; done
for i in 1 2 3 4; do in_c $BIN/tpt-client "[$SERVER_IP6]:22" d$i >/dev/null || fail "direct $i"; done
expect_in $T/p1 "peer=$C6:.*said=p1" "the proxied connection did not reach the server from the client's address"
expect_in $T/f1 "peer=$C6:.*local=$S6:80 said=f1" "8080 was not redirected to the server's port 80"

ip6t $R -L -n -v -x >$T/counters
cat $T/counters
count() { # CHAIN PATTERN
	ip6t $R -L "$1" -n -v -x | grep -- "$2" | awk '{ print $1 }'
}
[ "$(count INPUT 'ctstate NEW tproxy *$')" = 3 ] || fail "INPUT -m tproxy did not count the 3 proxied connections"
[ "$(count INPUT 'ctstate NEW tproxy ! tproxied')" = 0 ] || fail "INPUT ! --tproxied counted"
[ "$(count FORWARD 'ctstate NEW tproxy *$')" = 2 ] || fail "FORWARD -m tproxy did not count the 2 redirected connections"
[ "$(count FORWARD 'ctstate NEW tproxy ! tproxied')" = 4 ] || fail "FORWARD ! --tproxied did not count the 4 others"
sockref=$(count INPUT 'tproxy sockref')
[ "${sockref:-0}" -gt 0 ] || fail "--sockref counted none of the server's answers"
echo "sockref-owned answer packets: $sockref"

in_r ip6tables-legacy-save -t filter >$T/save
cat $T/save
expect_in $T/save "-A INPUT -p tcp -m conntrack --ctstate NEW -m tproxy$" "save: -m tproxy"
expect_in $T/save "-A FORWARD -p tcp -m conntrack --ctstate NEW -m tproxy ! --tproxied$" "save: ! --tproxied"
expect_in $T/save "-m tproxy --sockref$" "save: --sockref"
expect_in $T/save "-A OUTPUT -m tproxy ! --sockref$" "save: ! --sockref"
ip6t $R -F
in_r ip6tables-legacy-restore --noflush <$T/save || fail "restore"
in_r ip6tables-legacy-save -t filter >$T/save2
grep "^-A" $T/save >$T/a; grep "^-A" $T/save2 >$T/b
diff -u $T/a $T/b || fail "rules differ after restore"
