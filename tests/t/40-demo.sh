#!/bin/sh
# The demo (make demo): a client, a router running tproxy-relay, a server.
# Prints what a person wants to see, and checks it.
. ../lib.sh
setup_topology
short_closing_timeouts $R
RELAY=$TPT_TOP/build/bin/tproxy-relay
ok=1
has_prefix() { case "$1" in "$2"*) return 0 ;; esac; return 1; }
check() { # WHAT CONDITION...
	what=$1
	shift
	if "$@"; then echo "   ok: $what"; else echo "   NOT OK: $what"; ok=0; fi
}

echo "== tproxy2 demo: client $CLIENT_IP -> router $ROUTER_CIP/$ROUTER_SIP (tproxy-relay) -> server $SERVER_IP"
echo "router# nft add table inet proxy"
echo "router# nft add chain inet proxy pre '{ type nat hook prerouting priority dstnat - 30; }'"
echo "router# nft add rule inet proxy pre tcp dport 80 tproxy2 to :3128"
echo "         (with legacy iptables: iptables-legacy -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128)"
in_r "$NFT" add table inet proxy &&
	in_r "$NFT" add chain inet proxy pre "{ type nat hook prerouting priority dstnat - 30; }" &&
	in_r "$NFT" add rule inet proxy pre tcp dport 80 tproxy2 to :3128 || fail "rule"
echo "router# tproxy-relay -p 3128"
bg $S $T/srv $BIN/tpt-sockref tcp reuse bind $SERVER_IP:80 listen accept recvline send "200 OK from $SERVER_IP" sleep 3000
wait_listen $S 80
bg $R $T/relay $RELAY -v -p 3128
relay=$!
wait_listen $R 3128

echo "client# connect to $SERVER_IP:80, send: GET /demo"
bg $C $T/cli $BIN/tpt-sockref tcp connect $SERVER_IP:80 send "GET /demo" recvline sleep 3000
for _ in $(seq 50); do grep -q "recv=" $T/cli && break; sleep 0.1; done
peer=$(sed -n 's/^accepted peer=\([^ ]*\) .*/\1/p' $T/srv)
echo "server: accepted a connection from $peer"
echo "server: received: $(sed -n 's/^recv=//p' $T/srv)"
echo "client: received: $(sed -n 's/^recv=//p' $T/cli)"
echo "router: /proc/net/tproxy while the connection is open:"
in_r cat /proc/net/tproxy >$T/proc
sed 's/^/   /' $T/proc
echo "router: tproxied conntracks (tproxy-conntrack):"
in_r $TPT_TOP/build/bin/tproxy-conntrack >$T/ct
sed 's/^/   /' $T/ct

kill $relay
wait $relay
sleep 2
in_r cat /proc/net/tproxy >$T/proc2
n_ct=$(in_r $TPT_TOP/build/bin/tproxy-conntrack -c)

echo "== checks"
check "the server saw the client's address ($CLIENT_IP), not the router's" \
	has_prefix "$peer" "$CLIENT_IP:"
check "the request reached the server" grep -q "recv=GET /demo" $T/srv
check "the answer reached the client" grep -q "recv=200 OK from $SERVER_IP" $T/cli
check "one sockref while the connection was open" [ "$(wc -l <$T/proc)" = 1 ]
check "the relayed connections are tproxied conntracks" grep -q "\[TPROXY\] \[SOCKREF\]" $T/ct
check "after the relay exited: no sockref, no tproxied conntrack" [ ! -s $T/proc2 -a "$n_ct" = 0 ]
if [ $ok = 1 ]; then
	echo "== summary: all checks hold"
else
	fail "demo checks failed"
fi
