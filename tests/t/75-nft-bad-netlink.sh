#!/bin/sh
# The kernel refuses, with an errno and the ruleset unchanged, tproxy2
# rules that nft would not send (tpt-nftnl: raw netlink): an address of
# the other family, an unknown or out-of-range family, an inet address
# without a family, registers out of range or too small, an attribute of
# the wrong size; and those nft sends where the rule cannot be: a filter
# chain, the postrouting hook, a jump from a filter chain to a chain that
# holds tproxy2.  A good raw rule is taken and works.
# tpt-nft-only
. ../lib.sh
. ../lib-nft.sh
setup_topology
use_family 4

nft_r -f - <<RULES || fail "loading the ruleset"
table ip t {
	chain pre {
		type nat hook prerouting priority dstnat - 30; policy accept;
	}
	chain filt {
		type filter hook forward priority filter; policy accept;
	}
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
	}
	chain holder {
	}
}
table ip6 t6 {
	chain pre {
		type nat hook prerouting priority dstnat - 30; policy accept;
	}
}
table inet ti {
	chain pre {
		type nat hook prerouting priority dstnat - 30; policy accept;
	}
}
RULES
nft_r list ruleset >$T/before

# refused FAMILY TABLE CHAIN CASE ERRNO: ERRNO a grep pattern (22\|34)
refused() {
	in_r $BIN/tpt-nftnl "$1" "$2" "$3" "$4" >$T/out 2>&1
	cat $T/out
	grep -q "^errno=\($5\) " $T/out || fail "case $4 in $1 $2 $3: not refused with errno $5"
	nft_r list ruleset >$T/after
	cmp -s $T/before $T/after || { diff $T/before $T/after; fail "case $4 changed the ruleset"; }
}
EINVAL=22 ERANGE=34 EOPNOTSUPP=95
refused ip t pre fam-other $EINVAL
refused inet ti pre fam-bad $EINVAL
refused ip t pre fam-huge $ERANGE
refused inet ti pre inet-noaddr-fam $EINVAL
refused ip6 t6 pre reg-short $ERANGE
refused ip t pre reg-range $ERANGE
refused ip t pre port-range $ERANGE
refused ip t pre attr-short $ERANGE
refused ip t filt ok4 $EOPNOTSUPP
refused ip t post ok4 $EOPNOTSUPP

log "nft: a filter chain, the postrouting hook, a jump from a filter chain"
for r in "ip t filt tcp dport 80 tproxy2 to :3128" "ip t post tcp dport 80 tproxy2 to :3128"; do
	# shellcheck disable=SC2086
	! nft_r add rule $r 2>$T/err || fail "nft add rule $r was taken"
	cat $T/err
	[ -s $T/err ] || fail "no message for nft add rule $r"
done
nft_r add rule ip t holder tcp dport 80 tproxy2 to :3128 || fail "a rule in a chain no base chain reaches"
nft_r list ruleset >$T/before
! nft_r add rule ip t filt jump holder 2>$T/err || fail "a jump from a filter chain to tproxy2 was taken"
cat $T/err
nft_r list ruleset >$T/after
cmp -s $T/before $T/after || { diff $T/before $T/after; fail "the refused jump changed the ruleset"; }
nft_r add rule ip t pre jump holder || fail "a jump from the nat chain to tproxy2 was refused"

log "a good raw rule works"
nft_r flush chain ip t pre
in_r $BIN/tpt-nftnl ip t pre ok4 >$T/out 2>&1
cat $T/out
expect_in $T/out "^errno=0" "the good raw rule was refused"
nft_r list chain ip t pre >$T/chain
cat $T/chain
expect_in $T/chain "tproxy2 to 127.0.0.1:3128" "the raw rule is not listed as it was made"
bg $S $T/srv $BIN/tpt-server "$SERVER_IP:80"
bg $R $T/proxy $BIN/tpt-proxy 127.0.0.1:3128
wait_listen $S 80
wait_listen $R 3128
in_r sysctl -qw net.ipv4.conf.all.route_localnet=1
in_c $BIN/tpt-client "$SERVER_IP:80" raw >$T/reply || fail "no answer through the raw rule"
expect_in $T/proxy "local=127.0.0.1:3128 orig=$SERVER_IP:80" "the raw rule did not redirect"
