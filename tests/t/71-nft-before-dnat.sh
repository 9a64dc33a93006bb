#!/bin/sh
# nft nat chains of every priority beside tproxy2 (71-nft-before-dnat6.sh:
# IPv6).  A tproxy2 chain at dstnat - 30 runs before a DNAT chain at
# dstnat.  Sockrefs come before every nat chain, one at -199 (the lowest
# nft takes) included: a LISTEN sockref's connection reaches its socket
# though a DNAT rule at -199 matches it, a CONNECT sockref's connection
# leaves from the foreign address though an SNAT rule at -199 matches it.
# Mainline's tproxy statement and socket expression work in the same
# namespace.  nft alone.
# tpt-nft-only
. ../lib.sh
. ../lib-nft.sh
setup_topology
use_family "${TPT_FAMILY:-4}"
if [ "$FAM" = ip ]; then FOREIGN=203.0.113.1 P_FOREIGN=$FOREIGN; else FOREIGN=2001:db8:3::1 P_FOREIGN="\[$FOREIGN\]"; fi
in_r ip addr add "$FOREIGN" dev lo

nft_r -f - <<RULES || fail "loading the ruleset"
table $FAM tp {
	chain pre {
		type nat hook prerouting priority dstnat - 30; policy accept;
		tcp dport 80 tproxy2 to :3128
	}
}
table $FAM late {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		tcp dport 80 counter dnat to $(ep $SIP 9999)
	}
}
table $FAM early {
	chain pre {
		type nat hook prerouting priority -199; policy accept;
		$FAM daddr $CIP tcp dport 7000 counter dnat to $(ep $SIP 9999)
	}
	chain post {
		type nat hook postrouting priority -199; policy accept;
		$FAM daddr $SIP tcp dport 21 counter snat to $RS
	}
}
table $FAM mangle {
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		meta l4proto tcp socket transparent 1 meta mark set 1 accept
		tcp dport 81 tproxy to :3129 meta mark set 1 accept
	}
}
RULES
in_r ip -f "$( [ $FAM = ip ] && echo inet || echo inet6 )" rule add fwmark 1 lookup 100
in_r ip -f "$( [ $FAM = ip ] && echo inet || echo inet6 )" route add local default dev lo table 100

for p in 80 81 9999 21; do bg $S $T/srv$p $BIN/tpt-server "$(ep $SIP $p)"; done
bg $R $T/p3128 $BIN/tpt-proxy "$(ep $ANY 3128)"
bg $R $T/p3129 $BIN/tpt-proxy -T "$(ep $ANY 3129)"
for p in 80 81 9999 21; do wait_listen $S $p; done
for p in 3128 3129; do wait_listen $R $p; done

log "tproxy2 at dstnat - 30 before DNAT at dstnat"
in_c $BIN/tpt-client "$(ep $SIP 80)" first >$T/r80 || fail "no answer on port 80"
cat $T/r80 $T/p3128
expect_in $T/p3128 "local=$P_RC:3128 orig=$P_SIP:80" "the DNAT chain at dstnat took the connection"
expect_not_in $T/srv9999 "said=first" "the DNAT target saw the connection"

log "mainline tproxy and socket in the same namespace"
in_c $BIN/tpt-client "$(ep $SIP 81)" via-v4 >$T/r81 || fail "mainline tproxy: no answer"
cat $T/r81 $T/p3129
expect_in $T/p3129 "client=$P_CIP:[0-9]* local=$P_SIP:81 orig=$P_SIP:81" \
	"mainline tproxy did not deliver to the IP_TRANSPARENT listener"
expect_in $T/r81 "said=via-v4" "no relayed answer through mainline tproxy"
ct_lines "dport=81 " >$T/ct81 || fail "no conntrack for port 81"
expect_not_in $T/ct81 "\[TPROXY\]" "mainline tproxy set the tproxy2 bit"

log "a LISTEN sockref before a DNAT chain at -199"
bg $R $T/lst $BIN/tpt-sockref $TCP bind "$(ep $FOREIGN 0)" assign "$(ep $CIP 7000)" listen \
	flags LISTEN print ready accept recvline send from-sockref close
for _ in $(seq 50); do grep -q ready $T/lst && break; sleep 0.1; done
in_s $BIN/tpt-client "$(ep $CIP 7000)" data-channel >$T/data || { cat $T/lst; fail "the connection to the foreign address got no answer"; }
cat $T/lst $T/data
expect_in $T/lst "accepted peer=$P_SIP:[0-9]* local=$P_FOREIGN:[0-9]* orig=$P_CIP:7000" \
	"the LISTEN sockref's socket did not get the connection"
expect_in $T/data "from-sockref" "the server did not get the sockref's answer"

log "a CONNECT sockref before an SNAT chain at -199"
in_r $BIN/tpt-sockref $TCP bind "$(ep $FOREIGN 0)" assign "$(ep $CIP 0)" connectop "$(ep $SIP 21)" \
	flags CONNECT connect "$(ep $SIP 21)" send sockref-out recv >$T/out || { cat $T/out; fail "outgoing"; }
cat $T/out
expect_in $T/out "recv=SERVER peer=$P_CIP:[0-9]* .*said=sockref-out" \
	"the server did not see the foreign address (the SNAT chain at -199 ran first)"

nft_r list ruleset >$T/rules
cat $T/rules
expect_in $T/rules "tcp dport 7000 counter packets 0 " "the DNAT rule at -199 saw the sockref's connection"
expect_in $T/rules "tcp dport 21 counter packets 0 " "the SNAT rule at -199 saw the sockref's connection"
expect_in $T/rules "tcp dport 80 counter packets 0 " "the DNAT rule at dstnat saw the tproxy2 connection"
