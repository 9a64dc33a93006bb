#!/bin/sh
# nft only: with the FTP helper assigned by nft (a ct helper object) on
# port 21, a control connection that a tproxy2 rule intercepts carries its
# PORT command to the server byte for byte, while a masqueraded one in the
# same namespace is still rewritten by the helper.  "ct status tproxied"
# matches the intercepted connection in an input filter chain and the
# proxy's outgoing one in a postrouting filter chain, and nothing else.
# tpt-nft-only
. ../lib.sh
. ../lib-nft.sh
setup_topology
in_c ip addr add 192.0.2.3/24 dev eth0

nft_r -f - <<RULES || fail "loading the ruleset"
table ip t {
	ct helper ftp-21 {
		type "ftp" protocol tcp
	}
	chain helpers {
		type filter hook prerouting priority filter; policy accept;
		tcp dport 21 ct helper set "ftp-21"
	}
	chain helpers-out {
		type filter hook output priority filter; policy accept;
		tcp dport 21 ct helper set "ftp-21"
	}
	chain tp {
		type nat hook prerouting priority dstnat - 30; policy accept;
		ip saddr $CLIENT_IP tcp dport 21 tproxy2 to :2121
	}
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 192.0.2.3 oifname "s0" snat to $ROUTER_SIP
	}
	chain in {
		type filter hook input priority filter; policy accept;
		tcp dport 2121 ct status tproxied counter accept
		tcp dport 2121 counter drop
	}
	chain out-seen {
		type filter hook postrouting priority srcnat + 10; policy accept;
		tcp dport 21 ct status tproxied counter
		tcp dport 21 ct status != tproxied counter
	}
}
RULES
bg $S $T/srv $BIN/tpt-sockref tcp reuse bind $SERVER_IP:21 listen rcvtimeo 60000 \
	accept recvline recvline send ok close use 0 accept recvline recvline send ok close
bg $R $T/proxy $BIN/tpt-proxy -s squid -B $ROUTER_SIP:0 0.0.0.0:2121
wait_listen $S 21
wait_listen $R 2121
cr=$(printf '\r')

in_c $BIN/tpt-sockref tcp connect $SERVER_IP:21 send "USER tp$cr" sleep 300 \
	send "PORT 198,51,100,1,4,1$cr" recv >$T/tp || { cat $T/tp; fail "tproxied: no answer"; }
in_c $BIN/tpt-sockref tcp bind 192.0.2.3:0 connect $SERVER_IP:21 send "USER nat$cr" sleep 300 \
	send "PORT 192,0,2,3,4,1$cr" recv >$T/nat || { cat $T/nat; fail "NATed: no answer"; }
sleep 0.3
cat $T/srv
sed -n '/recv=USER nat/,$p' $T/srv >$T/srv-nat
grep accepted $T/srv | head -n 1 | grep -q "peer=$CLIENT_IP:" || fail "the tproxied connection did not come from the client"
expect_in $T/srv "recv=PORT 198,51,100,1,4,1$cr\$" "the tproxied PORT command was modified"
expect_in $T/srv-nat "recv=PORT 198,51,100,1," "the helper did not rewrite the NATed PORT command"
expect_not_in $T/srv-nat "recv=PORT 192,0,2,3" "the helper did not rewrite the NATed PORT command"

nft_r list table ip t >$T/rules
cat $T/rules
# packets: SYN, ACK, two data segments, ... : at least 3 each way counted
in_ok=$(sed -n "s/.*tcp dport 2121 ct status tproxied counter packets \([0-9]*\) .*/\1/p" $T/rules)
[ "${in_ok:-0}" -ge 3 ] || fail "ct status tproxied did not match the intercepted connection in input ($in_ok)"
[ "$(sed -n 's/.*tcp dport 2121 counter packets \([0-9]*\) .*drop/\1/p' $T/rules)" = 0 ] ||
	fail "a packet of the intercepted connection was not tproxied in input"
out_tp=$(sed -n 's/.*tcp dport 21 ct status tproxied counter packets \([0-9]*\) .*/\1/p' $T/rules)
out_other=$(sed -n 's/.*tcp dport 21 ct status != tproxied counter packets \([0-9]*\) .*/\1/p' $T/rules)
[ "${out_tp:-0}" -ge 3 ] || fail "ct status tproxied did not match the proxy's outgoing connection ($out_tp)"
[ "${out_other:-0}" -ge 3 ] || fail "the masqueraded connection was not seen as not tproxied ($out_other)"
echo "input: tproxied $in_ok; postrouting: tproxied $out_tp, other $out_other"
