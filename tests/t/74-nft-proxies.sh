#!/bin/sh
# The proxies' sequences with nft interception (74-nft-proxies6.sh: IPv6):
# a tproxy2 rule in an inet table sends the client's connection to the
# proxy, which connects to the server from the client's address as Squid
# (ASSIGN the client's address, port 0, CONNECT, non-blocking connect),
# HAProxy (VERSION, the client's address and port, CONNECT|ONCE) and the
# small proxies (CONNECT|ONCE) do; the server sees the client, and no
# sockref is left once the proxy is done.  nft alone.
# tpt-nft-only
. ../lib.sh
. ../lib-nft.sh
setup_topology
use_family "${TPT_FAMILY:-4}"

nft_r -f - <<RULES || fail "loading the ruleset"
table inet tp {
	chain pre {
		type nat hook prerouting priority dstnat - 30; policy accept;
		tcp dport 80 tproxy2 to :3128
		tcp dport 85 tproxy2 ip to $ROUTER_SIP:3185
		tcp dport 86 tproxy2 ip6 to [$ROUTER_SIP6]:3186
	}
}
RULES

log "an inet rule with an address acts on its family only"
if [ $FAM = ip ]; then mine=85 other=86; else mine=86 other=85; fi
bg $S $T/srv$mine $BIN/tpt-server "$(ep $SIP $mine)"
bg $S $T/srv$other $BIN/tpt-server "$(ep $SIP $other)"
bg $R $T/pmine $BIN/tpt-proxy "$(ep $RS 31$mine)"
wait_listen $S $mine
wait_listen $S $other
wait_listen $R 31$mine
in_c $BIN/tpt-client "$(ep $SIP $mine)" mine >$T/rmine || fail "no answer on port $mine"
in_c $BIN/tpt-client "$(ep $SIP $other)" other >$T/rother || fail "no answer on port $other"
cat $T/pmine $T/rmine $T/rother
expect_in $T/pmine "local=$P_RS:31$mine orig=$P_SIP:$mine" "the rule of this family did not intercept"
expect_in $T/rother "SERVER peer=$P_CIP:.*said=other" "the rule of the other family intercepted"
bg $S $T/srv $BIN/tpt-server "$(ep $SIP 80)"
wait_listen $S 80

for style in squid haproxy small; do
	for bindaddr in $RS $ANY; do
		log "$style, outgoing socket bound to $bindaddr"
		bg $R $T/proxy $BIN/tpt-proxy -n 1 -s $style -B "$(ep $bindaddr 0)" "$(ep $ANY 3128)"
		proxy=$!
		wait_listen $R 3128
		in_c $BIN/tpt-client "$(ep $SIP 80)" $style-hello >$T/reply ||
			{ cat $T/proxy; fail "$style: no answer (bind $bindaddr)"; }
		cat $T/proxy $T/reply
		cport=$(sed -n "s/^client=$P_CIP:\([0-9]*\) .*/\1/p" $T/proxy)
		[ -n "$cport" ] || fail "$style: the proxy saw no client"
		expect_in $T/proxy "orig=$P_SIP:80" "$style: the original destination"
		if [ $style = haproxy ]; then
			expect_in $T/reply "SERVER peer=$P_CIP:$cport .*said=$style-hello" \
				"$style: the server did not see the client's address and port"
		else
			expect_in $T/reply "SERVER peer=$P_CIP:[0-9]* .*said=$style-hello" \
				"$style: the server did not see the client's address"
		fi
		wait $proxy
		in_r cat /proc/net/tproxy >$T/proc
		[ ! -s $T/proc ] || { cat $T/proc; fail "$style: sockrefs left after the proxy exited"; }
	done
done
