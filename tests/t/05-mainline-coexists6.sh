#!/bin/sh
# Mainline TPROXY for IPv6 (ip6tables mangle table, IPV6_TRANSPARENT
# listener) and TPROXY 2.0's ip6tables tproxy table work side by side in
# one namespace.  (05's IPv6 twin.)
. ../lib.sh
setup_topology
C6="\[$CLIENT_IP6\]" RC6="\[$ROUTER_CIP6\]" S6="\[$SERVER_IP6\]"

ip6t $R -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 || fail "tproxy2 rule"
ip6t $R -t mangle -A PREROUTING -p tcp --dport 81 -j TPROXY --on-port 3129 --tproxy-mark 0x1/0x1 ||
	fail "mainline rule"
in_r ip -6 rule add fwmark 0x1/0x1 lookup 100
in_r ip -6 route add local ::/0 dev lo table 100

ip6t $R -t mangle -S PREROUTING >$T/mangle
ip6t $R -t tproxy -S PREROUTING >$T/tproxy
cat $T/mangle $T/tproxy
expect_in $T/mangle "-j TPROXY --on-port 3129 --on-ip :: --tproxy-mark 0x1/0x1" "mainline rule not listed back"
expect_in $T/tproxy "-j TPROXY --on-port 3128$" "tproxy2 rule not listed back"
# -C and -D find each rule of either revision
ip6t $R -t mangle -C PREROUTING -p tcp --dport 81 -j TPROXY --on-port 3129 --tproxy-mark 0x1/0x1 ||
	fail "-C does not find the mainline rule"
ip6t $R -t tproxy -C PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 ||
	fail "-C does not find the tproxy2 rule"
# (ip6tables-legacy 1.8.9 compares no target's data in -C and -D, MARK's
# neither: a rule with another --on-port would be found too)
ip6t $R -t mangle -A PREROUTING -p tcp --dport 82 -j TPROXY --on-port 3130 --tproxy-mark 0x1/0x1 &&
	ip6t $R -t mangle -D PREROUTING -p tcp --dport 82 -j TPROXY --on-port 3130 --tproxy-mark 0x1/0x1 ||
	fail "-D of a mainline rule"
ip6t $R -t tproxy -A PREROUTING -p tcp --dport 82 -j TPROXY --on-port 3130 &&
	ip6t $R -t tproxy -D PREROUTING -p tcp --dport 82 -j TPROXY --on-port 3130 ||
	fail "-D of a tproxy2 rule"
ip6t $R -t mangle -S PREROUTING >$T/mangle2
ip6t $R -t tproxy -S PREROUTING >$T/tproxy2
expect_not_in $T/mangle2 "dport 82" "-D left the mainline rule"
expect_not_in $T/tproxy2 "dport 82" "-D left the tproxy2 rule"

bg $S $T/srv80 $BIN/tpt-server "[$SERVER_IP6]:80"
bg $S $T/srv81 $BIN/tpt-server "[$SERVER_IP6]:81"
bg $R $T/p2 $BIN/tpt-proxy "[::]:3128"
bg $R $T/p4 $BIN/tpt-proxy -T "[::]:3129"
for p in 80 81; do wait_listen $S $p; done
for p in 3128 3129; do wait_listen $R $p; done

in_c $BIN/tpt-client "[$SERVER_IP6]:81" via-v1 >$T/r81 || fail "mainline TPROXY: no answer"
in_c $BIN/tpt-client "[$SERVER_IP6]:80" via-v2 >$T/r80 || fail "tproxy2: no answer"
cat $T/p4 $T/p2 $T/r81 $T/r80
expect_in $T/p4 "client=$C6:[0-9]* local=$S6:81 orig=$S6:81" \
	"mainline TPROXY did not deliver to the IPV6_TRANSPARENT listener"
expect_in $T/p2 "local=$RC6:3128 orig=$S6:80" "tproxy2 did not redirect"
expect_in $T/r81 "said=via-v1" "no relayed answer through mainline TPROXY"
expect_in $T/r80 "said=via-v2" "no relayed answer through tproxy2"
in_r grep "^ipv6 .* dport=81 " /proc/net/nf_conntrack >$T/ct81 || fail "no conntrack for port 81"
expect_not_in $T/ct81 "\[TPROXY\]" "mainline TPROXY set the tproxy2 bit"
in_r grep "^ipv6 .* dport=80 " /proc/net/nf_conntrack >$T/ct80 || fail "no conntrack for port 80"
expect_in $T/ct80 "\[TPROXY\]" "the tproxy table's connection has no tproxy2 bit"
