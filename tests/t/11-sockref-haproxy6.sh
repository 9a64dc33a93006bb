#!/bin/sh
# The IPv6 twin of 11-sockref-haproxy: VERSION 0x02000000 through
# IPV6_TPROXY, then per connection bind([addr], 0), ASSIGN(client ip, client
# port), FLAGS(CONNECT|ONCE), connect: the server sees the client's IPv6
# address and port.  And ITP_ONCE on an IPv6 LISTEN sockref: only the first
# connection to the foreign address is redirected.
. ../lib.sh
. ../lib6.sh
setup_topology

in_r $BIN/tpt-sockref tcp6 version 02000000 version 03000000 =EINVAL getversion >$T/ver ||
	{ cat $T/ver; fail "VERSION"; }
expect_in $T/ver "version=0x02000000" "getsockopt VERSION"

ip6t $R -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 || fail "rule"
bg $S $T/srv $BIN/tpt-server "[$SERVER_IP6]:80"
bg $R $T/proxy $BIN/tpt-proxy -s haproxy -B "[$ROUTER_SIP6]:0" "[::]:3128"
wait_listen $S 80
wait_listen $R 3128
for i in 1 2 3; do
	in_c $BIN/tpt-client "[$SERVER_IP6]:80" haproxy-$i >$T/reply$i || fail "no answer ($i)"
	cport=$(sed -n "$i s/^client=\[$CLIENT_IP6\]:\([0-9]*\) .*/\1/p" $T/proxy)
	[ -n "$cport" ] || { cat $T/proxy; fail "proxy log"; }
	expect_in $T/reply$i "SERVER peer=\[$CLIENT_IP6\]:$cport .*said=haproxy-$i" \
		"connection $i: the server did not see the client's ip and port"
done
cat $T/proxy $T/reply1
expect_in $T/proxy "orig=\[$SERVER_IP6\]:80" "IP6T_SO_ORIGINAL_DST"
sleep 0.2
in_r cat /proc/net/tproxy >$T/proc
[ ! -s $T/proc ] || { cat $T/proc; fail "sockrefs left after the connections closed"; }

log "ITP_ONCE on an IPv6 LISTEN sockref"
in_r ip addr add 2001:db8:ff::1/128 dev lo
bg $C $T/client-listener $BIN/tpt-server "[$CLIENT_IP6]:7000"
wait_listen $C 7000
bg $R $T/once $BIN/tpt-sockref tcp6 bind "[2001:db8:ff::1]:0" assign "[$CLIENT_IP6]:7000" listen \
	flags "LISTEN|ONCE" expect-flags "LISTEN|ONCE" print ready accept recvline send proxied close \
	use 0 expect-flags "LISTEN|ONCE|APPLIED" sleep 3000
for _ in $(seq 50); do grep -q ready $T/once && break; sleep 0.1; done
in_s $BIN/tpt-client "[$CLIENT_IP6]:7000" first >$T/first || { cat $T/once; fail "first connection: no answer"; }
in_s $BIN/tpt-client "[$CLIENT_IP6]:7000" second >$T/second || fail "second connection: no answer"
cat $T/once $T/first $T/second
expect_in $T/once "accepted peer=\[$SERVER_IP6\]:[0-9]* local=\[2001:db8:ff::1\]:.* orig=\[$CLIENT_IP6\]:7000" \
	"the first connection was not redirected to the LISTEN socket"
expect_in $T/first "proxied" "the first connection did not reach the proxy"
expect_in $T/second "SERVER peer=\[$SERVER_IP6\]:.*said=second" "the second connection was redirected too"
sleep 0.5
expect_not_in $T/once FAIL "sockref flags"
