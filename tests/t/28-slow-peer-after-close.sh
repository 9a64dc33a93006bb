#!/bin/sh
# Nothing is lost after close(): a proxy writes 2 MiB and closes its socket
# at once; the peer, with a small receive buffer, starts reading 3 s or 10 s
# later.  Every byte arrives, in order, ended by a FIN.  Both paths: the
# tproxy table redirecting to an accepted socket (the proxy answers the
# client), and a CONNECT sockref (the proxy pushes to the server from the
# client's address).  The controls, in the same boot: nat REDIRECT and
# nat SNAT.
. ../lib.sh
setup_topology
size=2097152

# the client side: tproxy table on 9000/9002, REDIRECT on 9001/9003; with
# TPT_RULES=nft (73-nft-slow-peer*.sh) nft's tproxy2 and redirect instead
if [ "${TPT_RULES:-}" = nft ]; then
	. ../lib-nft.sh
	nft_r -f - <<RULES || fail "ruleset"
table ip t {
	chain tp {
		type nat hook prerouting priority dstnat - 30; policy accept;
		tcp dport 9000 tproxy2 to :3128
		tcp dport 9002 tproxy2 to :3130
	}
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		tcp dport 9001 redirect to :3129
		tcp dport 9003 redirect to :3131
	}
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		ip daddr $SERVER_IP tcp dport { 9101, 9103 } snat to $CLIENT_IP
	}
}
RULES
else
ipt $R -t tproxy -A PREROUTING -p tcp --dport 9000 -j TPROXY --on-port 3128 || fail "rule"
ipt $R -t tproxy -A PREROUTING -p tcp --dport 9002 -j TPROXY --on-port 3130 || fail "rule"
ipt $R -t nat -A PREROUTING -p tcp --dport 9001 -j REDIRECT --to-ports 3129 || fail "rule"
ipt $R -t nat -A PREROUTING -p tcp --dport 9003 -j REDIRECT --to-ports 3131 || fail "rule"
# the server side: SNAT to the client's address on 9101/9103
ipt $R -t nat -A POSTROUTING -p tcp -d $SERVER_IP --dport 9101 -j SNAT --to-source $CLIENT_IP ||
	fail "rule"
ipt $R -t nat -A POSTROUTING -p tcp -d $SERVER_IP --dport 9103 -j SNAT --to-source $CLIENT_IP ||
	fail "rule"
fi

# proxies that answer and close at once: all of it fits the send buffer
# (the listeners wait up to a minute, not a new socket's 5 s: under TCG the
# clients come late)
for port in 3128 3129 3130 3131; do
	bg $R $T/proxy$port $BIN/tpt-sockref tcp reuse bind 0.0.0.0:$port listen rcvtimeo 60000 accept \
		sndbuf 8388608 sendbulk $size print closing close
	wait_listen $R $port
done
# slow servers
for port in 9100 9101 9102 9103; do
	case $port in 910[01]) delay=3000 ;; *) delay=10000 ;; esac
	bg $S $T/server$port $BIN/tpt-sockref tcp rcvbuf 4096 reuse bind $SERVER_IP:$port listen \
		rcvtimeo 60000 \
		accept sleep $delay recvbulk $size
	wait_listen $S $port
done

# slow clients
for port in 9000 9001 9002 9003; do
	case $port in 900[01]) delay=3000 ;; *) delay=10000 ;; esac
	bg $C $T/client$port $BIN/tpt-sockref tcp rcvbuf 4096 connect $SERVER_IP:$port \
		sleep $delay recvbulk $size
done
# proxies that push to the server and close at once
for port in 9100 9101 9102 9103; do
	case $port in 9100 | 9102) op="assign $CLIENT_IP:0 flags CONNECT" ;; *) op="" ;; esac
	bg $R $T/push$port $BIN/tpt-sockref tcp bind $ROUTER_SIP:0 $op sndbuf 8388608 \
		connect $SERVER_IP:$port sendbulk $size print closing close
done

sleep 2
in_r cat /proc/net/nf_conntrack >$T/ct-after-close
in_r $BIN/tproxy-conntrack >$T/tct-after-close
wait
for f in client9000 client9001 client9002 client9003 server9100 server9101 server9102 server9103; do
	echo "--- $f: $(tail -n 1 $T/$f)"
done
for port in 9001 9003; do
	expect_in $T/client$port "recvbulk=$size" "the REDIRECT control on port $port lost data"
done
for port in 9101 9103; do
	expect_in $T/server$port "recvbulk=$size" "the SNAT control on port $port lost data"
done
expect_in $T/client9000 "recvbulk=$size" "tproxy table, reader after 3 s: data lost after close"
expect_in $T/client9002 "recvbulk=$size" "tproxy table, reader after 10 s: data lost after close"
expect_in $T/server9100 "recvbulk=$size" "CONNECT sockref, reader after 3 s: data lost after close"
expect_in $T/server9102 "recvbulk=$size" "CONNECT sockref, reader after 10 s: data lost after close"
expect_in $T/server9100 "accepted peer=$CLIENT_IP:" "the server did not see the client's address"
expect_in $T/server9102 "accepted peer=$CLIENT_IP:" "the server did not see the client's address"
# Once the proxies' sockets were released, their mappings lived on under
# conntrack's own TCP timeouts, as the controls' did: no longer pinned,
# not cut short.  (With data unacknowledged, conntrack gives 300 s.)
cat $T/ct-after-close $T/tct-after-close
timeout_of() {
	set -- $(grep "dport=$1 " $T/ct-after-close | head -n 1)
	echo "${5:-0}"
}
state_of() {
	set -- $(grep "dport=$1 " $T/ct-after-close | head -n 1)
	echo "${6:-none}"
}
for pair in 9000:9001 9002:9003 9100:9101 9102:9103; do
	port=${pair%:*} control=${pair#*:}
	grep "dport=$port " $T/ct-after-close | grep -q "\[TPROXY\]" ||
		fail "no tproxied conntrack for port $port 2 s after the proxy's close"
	t=$(timeout_of $port) c=$(timeout_of $control)
	echo "port $port: $t s left; the NAT control's: $c s"
	[ "$c" -gt 60 ] || fail "the NAT control on port $control has $c s left"
	# either may have seen the last ACK of its data already (ESTABLISHED
	# then gives 5 days): the shorter of the two counts
	min=$c
	[ "$min" -gt 300 ] && min=300
	# under load a client may be done reading by then: its connection
	# closed both ways, TIME_WAIT's 120 s, as a control's would be
	if [ "$(state_of $port)" = TIME_WAIT ]; then
		echo "port $port: closed both ways already (TIME_WAIT)"
		continue
	fi
	[ "$t" -ge $((min - 10)) ] || fail "port $port: a released mapping has $t s left, the control $c s"
done
expect_not_in $T/tct-after-close "SOCKREF" "a conntrack is still owned after its socket's release"
expect_not_in $T/tct-after-close "PINNED" "a conntrack is still pinned after its socket's release"
in_r cat /proc/net/tproxy >$T/sr
[ ! -s $T/sr ] || fail "sockrefs left: $(cat $T/sr)"
