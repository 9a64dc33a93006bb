#!/bin/sh
# Mainline TPROXY (mangle table, IP_TRANSPARENT listener) and TPROXY 2.0
# (tproxy table) work side by side in one namespace.
. ../lib.sh
setup_topology

ipt $R -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 || fail "tproxy2 rule"
ipt $R -t mangle -A PREROUTING -p tcp --dport 81 -j TPROXY --on-port 3129 --tproxy-mark 0x1/0x1 ||
	fail "mainline rule"
in_r ip rule add fwmark 0x1/0x1 lookup 100
in_r ip route add local 0.0.0.0/0 dev lo table 100

ipt $R -t mangle -S PREROUTING >$T/mangle
ipt $R -t tproxy -S PREROUTING >$T/tproxy
cat $T/mangle $T/tproxy
expect_in $T/mangle "-j TPROXY --on-port 3129 --on-ip 0.0.0.0 --tproxy-mark 0x1/0x1" "mainline rule not listed back"
expect_in $T/tproxy "-j TPROXY --on-port 3128$" "tproxy2 rule not listed back"
# -C and -D find each rule by the layout of its own revision
ipt $R -t mangle -C PREROUTING -p tcp --dport 81 -j TPROXY --on-port 3129 --tproxy-mark 0x1/0x1 ||
	fail "-C does not find the mainline rule"
ipt $R -t tproxy -C PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 ||
	fail "-C does not find the tproxy2 rule"
! ipt $R -t mangle -C PREROUTING -p tcp --dport 81 -j TPROXY --on-port 3130 --tproxy-mark 0x1/0x1 2>/dev/null ||
	fail "-C finds a mainline rule that is not there"
! ipt $R -t tproxy -C PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3130 2>/dev/null ||
	fail "-C finds a tproxy2 rule that is not there"
ipt $R -t mangle -A PREROUTING -p tcp --dport 82 -j TPROXY --on-port 3130 --tproxy-mark 0x1/0x1 &&
	ipt $R -t mangle -D PREROUTING -p tcp --dport 82 -j TPROXY --on-port 3130 --tproxy-mark 0x1/0x1 ||
	fail "-D of a mainline rule"
ipt $R -t tproxy -A PREROUTING -p tcp --dport 82 -j TPROXY --on-port 3130 &&
	ipt $R -t tproxy -D PREROUTING -p tcp --dport 82 -j TPROXY --on-port 3130 ||
	fail "-D of a tproxy2 rule"
ipt $R -t mangle -S PREROUTING >$T/mangle2
ipt $R -t tproxy -S PREROUTING >$T/tproxy2
expect_not_in $T/mangle2 "dport 82" "-D left the mainline rule"
expect_not_in $T/tproxy2 "dport 82" "-D left the tproxy2 rule"

bg $S $T/srv80 $BIN/tpt-server $SERVER_IP:80
bg $S $T/srv81 $BIN/tpt-server $SERVER_IP:81
bg $R $T/p2 $BIN/tpt-proxy 0.0.0.0:3128
bg $R $T/p4 $BIN/tpt-proxy -T 0.0.0.0:3129
for p in 80 81; do wait_listen $S $p; done
for p in 3128 3129; do wait_listen $R $p; done

in_c $BIN/tpt-client $SERVER_IP:81 via-v4 >$T/r81 || fail "mainline TPROXY: no answer"
in_c $BIN/tpt-client $SERVER_IP:80 via-v2 >$T/r80 || fail "tproxy2: no answer"
cat $T/p4 $T/p2 $T/r81 $T/r80
expect_in $T/p4 "client=$CLIENT_IP:[0-9]* local=$SERVER_IP:81 orig=$SERVER_IP:81" \
	"mainline TPROXY did not deliver to the IP_TRANSPARENT listener"
expect_in $T/p2 "local=$ROUTER_CIP:3128 orig=$SERVER_IP:80" "tproxy2 did not redirect"
expect_in $T/r81 "said=via-v4" "no relayed answer through mainline TPROXY"
expect_in $T/r80 "said=via-v2" "no relayed answer through tproxy2"
in_r grep "dport=81 " /proc/net/nf_conntrack >$T/ct81 || fail "no conntrack for port 81"
expect_not_in $T/ct81 "\[TPROXY\]" "mainline TPROXY set the tproxy2 bit"
