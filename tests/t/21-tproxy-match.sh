#!/bin/sh
# -m tproxy in filter INPUT and FORWARD counts exactly the tproxied
# connections, -m tproxy ! --tproxied the others; --sockref those a sockref
# owns; iptables-save gives the rules back.
. ../lib.sh
setup_topology

ipt $R -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 || fail "rule 80"
ipt $R -t tproxy -A PREROUTING -p tcp --dport 8080 -j TPROXY --on-port 80 --on-ip $SERVER_IP || fail "rule 8080"
for chain in INPUT FORWARD; do
	ipt $R -A $chain -m conntrack --ctstate NEW -m tproxy || fail "tproxy match in $chain"
	ipt $R -A $chain -m conntrack --ctstate NEW -m tproxy ! --tproxied || fail "! --tproxied in $chain"
done
ipt $R -A INPUT -m conntrack --ctstate ESTABLISHED -m tproxy --sockref || fail "--sockref"
ipt $R -A OUTPUT -m tproxy ! --sockref || fail "! --sockref"

bg $S $T/srv80 $BIN/tpt-server $SERVER_IP:80
bg $S $T/srv22 $BIN/tpt-server $SERVER_IP:22
bg $R $T/proxy $BIN/tpt-proxy -s squid -B $ROUTER_SIP:0 0.0.0.0:3128
wait_listen $S 80
wait_listen $S 22
wait_listen $R 3128
for i in 1 2 3; do in_c $BIN/tpt-client $SERVER_IP:80 p$i >/dev/null || fail "proxied $i"; done
for i in 1 2; do in_c $BIN/tpt-client $SERVER_IP:8080 f$i >$T/f$i || fail "forwarded $i"; done
for i in 1 2 3 4; do in_c $BIN/tpt-client $SERVER_IP:22 d$i >/dev/null || fail "direct $i"; done
expect_in $T/f1 "peer=$CLIENT_IP:.*local=$SERVER_IP:80 said=f1" "8080 was not redirected to the server's port 80"

ipt $R -L -n -v -x >$T/counters
cat $T/counters
count() { # CHAIN PATTERN
	ipt $R -L "$1" -n -v -x | grep -- "$2" | awk '{ print $1 }'
}
[ "$(count INPUT 'ctstate NEW tproxy *$')" = 3 ] || fail "INPUT -m tproxy did not count the 3 proxied connections"
[ "$(count INPUT 'ctstate NEW tproxy ! tproxied')" = 0 ] || fail "INPUT ! --tproxied counted"
[ "$(count FORWARD 'ctstate NEW tproxy *$')" = 2 ] || fail "FORWARD -m tproxy did not count the 2 redirected connections"
[ "$(count FORWARD 'ctstate NEW tproxy ! tproxied')" = 4 ] || fail "FORWARD ! --tproxied did not count the 4 others"
sockref=$(count INPUT 'tproxy sockref')
[ "${sockref:-0}" -gt 0 ] || fail "--sockref counted none of the server's answers"
echo "sockref-owned answer packets: $sockref"

in_r iptables-legacy-save -t filter >$T/save
cat $T/save
expect_in $T/save "-A INPUT -m conntrack --ctstate NEW -m tproxy$" "save: -m tproxy"
expect_in $T/save "-A FORWARD -m conntrack --ctstate NEW -m tproxy ! --tproxied$" "save: ! --tproxied"
expect_in $T/save "-m tproxy --sockref$" "save: --sockref"
expect_in $T/save "-A OUTPUT -m tproxy ! --sockref$" "save: ! --sockref"
ipt $R -F
in_r iptables-legacy-restore --noflush <$T/save || fail "restore"
in_r iptables-legacy-save -t filter >$T/save2
grep "^-A" $T/save >$T/a; grep "^-A" $T/save2 >$T/b
diff -u $T/a $T/b || fail "rules differ after restore"
