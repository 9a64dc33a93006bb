#!/bin/sh
# The nft tproxy2 statement in an ip table (70-nft-intercept6.sh: ip6):
# prerouting interception to the incoming interface's address, to a given
# address with the original port (no port, and :0), a port chosen by a
# map; output interception to loopback; other ports pass; the conntrack is
# tproxied; the rule's counter sees the first packet only.  nft alone.
# tpt-nft-only
. ../lib.sh
. ../lib-nft.sh
setup_topology
use_family "${TPT_FAMILY:-4}"
# an address in a rule: bare without a port, [v6]:port with one
A_RS=$RS

nft_r -f - <<RULES || fail "loading the ruleset"
table $FAM tp {
	chain pre {
		type nat hook prerouting priority dstnat - 30; policy accept;
		tcp dport 80 counter tproxy2 to :3128
		tcp dport 8080 tproxy2 to $A_RS
		tcp dport 8081 tproxy2 to :0
		tcp dport { 81, 82 } tproxy2 to :tcp dport map { 81 : 3181, 82 : 3182 }
	}
	chain out {
		type nat hook output priority -130; policy accept;
		$FAM saddr $RC $FAM daddr $SIP tcp dport 90 tproxy2 to :3190
	}
}
RULES
nft_r list table $FAM tp

for p in 80 22 8080 8081 81 82 90; do
	bg $S $T/srv$p $BIN/tpt-server "$(ep $SIP $p)"
done
bg $R $T/p3128 $BIN/tpt-proxy "$(ep $ANY 3128)"
bg $R $T/p8080 $BIN/tpt-proxy "$(ep $RS 8080)"
bg $R $T/p8081 $BIN/tpt-proxy "$(ep $RC 8081)"
bg $R $T/p3181 $BIN/tpt-proxy "$(ep $ANY 3181)"
bg $R $T/p3182 $BIN/tpt-proxy "$(ep $ANY 3182)"
bg $R $T/p3190 $BIN/tpt-proxy "$(ep $LO 3190)"
for p in 80 22 8080 8081 81 82 90; do wait_listen $S $p; done
for p in 3128 8080 8081 3181 3182 3190; do wait_listen $R $p; done

log "prerouting, to the incoming interface's address"
in_c $BIN/tpt-client "$(ep $SIP 80)" hello-80 >$T/r80 || fail "no answer on port 80"
cat $T/r80 $T/p3128
expect_in $T/p3128 "client=$P_CIP:[0-9]* local=$P_RC:3128 orig=$P_SIP:80" \
	"port 80: wrong client, redirect address or original destination"
expect_in $T/r80 "peer=$P_RS:.*said=hello-80" "port 80: the server was not reached through the proxy"

log "other ports pass"
in_c $BIN/tpt-client "$(ep $SIP 22)" hello-22 >$T/r22 || fail "no answer on port 22"
expect_in $T/r22 "peer=$P_CIP:.*said=hello-22" "port 22 was not passed straight to the server"
[ "$(grep -c client= $T/p3128)" = 1 ] || fail "the proxy saw port 22 traffic"

log "to an address, no port: the original port"
in_c $BIN/tpt-client "$(ep $SIP 8080)" a >$T/r8080 || fail "no answer on port 8080"
expect_in $T/p8080 "local=$P_RS:8080 orig=$P_SIP:8080" "to ADDR did not keep the port"

log "to :0: the incoming interface's address, the original port"
in_c $BIN/tpt-client "$(ep $SIP 8081)" b >$T/r8081 || fail "no answer on port 8081"
expect_in $T/p8081 "local=$P_RC:8081 orig=$P_SIP:8081" "to :0 did not keep the port"

log "a map picks the port"
in_c $BIN/tpt-client "$(ep $SIP 81)" m1 >$T/r81 || fail "no answer on port 81"
in_c $BIN/tpt-client "$(ep $SIP 82)" m2 >$T/r82 || fail "no answer on port 82"
cat $T/p3181 $T/p3182
expect_in $T/p3181 "local=$P_RC:3181 orig=$P_SIP:81" "the map did not send port 81 to 3181"
expect_in $T/p3182 "local=$P_RC:3182 orig=$P_SIP:82" "the map did not send port 82 to 3182"
expect_not_in $T/p3181 "orig=$P_SIP:82" "port 82 went to port 81's proxy"

log "output, to loopback"
in_r $BIN/tpt-client "$(ep $SIP 90)" local-hello "$(ep $RC 0)" >$T/r90 || fail "no answer on port 90"
cat $T/r90 $T/p3190
expect_in $T/p3190 "client=$P_RC:[0-9]* local=$P_LO:3190 orig=$P_SIP:90" \
	"output: not redirected to loopback with its original destination"
expect_in $T/r90 "said=local-hello" "output: the answer was not relayed"

log "conntracks"
ct_lines "dport=80 " >$T/ct80 || fail "no conntrack for port 80"
cat $T/ct80
expect_in $T/ct80 "\[TPROXY\]" "the intercepted connection is not marked tproxied"
ct_lines "dport=22 " >$T/ct22 || fail "no conntrack for port 22"
expect_not_in $T/ct22 "\[TPROXY\]" "an untouched connection is marked tproxied"

nft_r list chain $FAM tp pre >$T/chain
cat $T/chain
expect_in $T/chain "tcp dport 80 counter packets 1 .*tproxy2 to :3128" \
	"the rule did not count the one first packet of its connection"
