#!/bin/sh
# tpt-nft-only: also run in the kernel without legacy iptables
# HAProxy's "usesrc client" with the client's own port: 1000 connect/close
# cycles from one proxy, always from the same foreign ip:port, all succeed
# (the original failed with "error applying NAT mapping" once a conntrack of
# a closed socket lingered).
. ../lib.sh
setup_topology
# the proxy closes first, as HAProxy does once the answer is relayed
bg $S $T/srv $BIN/tpt-server -w $SERVER_IP:80
wait_listen $S 80
n=${TPT_REUSE_CYCLES:-1000}
in_r $BIN/tpt-reuse $n $ROUTER_SIP:0 $CLIENT_IP:40000 $SERVER_IP:80 >$T/out 2>&1
rc=$?
cat $T/out
[ $rc = 0 ] || fail "$(cat $T/out)"
[ "$(grep -c "peer=$CLIENT_IP:40000 " $T/srv)" = "$n" ] ||
	fail "the server did not see $CLIENT_IP:40000 $n times"
