#!/bin/sh
# A LISTEN sockref on a socket bound to the wildcard (0.0.0.0, ::, and a
# dual-stack :: socket with an IPv4 sockref through ::ffff:a.b.c.d): a
# connection to the foreign address is redirected to the address of the
# interface it came in on, at the socket's port, and accepted there; the
# original destination is the foreign address.
. ../lib.sh
setup_topology
run_case() {
	name=$1 sock=$2 bindaddr=$3 foreign=$4 dst=$5 ctype=$6 local=$7 peer=$8 orig=$9
	bg $R $T/l$name $BIN/tpt-sockref $sock bind "$bindaddr:0" assign "$foreign:80" listen flags LISTEN \
		print ready accept recvline send "got-it-$name"
	for _ in $(seq 50); do grep -q ready $T/l$name && break; sleep 0.1; done
	in_c $BIN/tpt-sockref $ctype connect "$dst:80" send "hi-$name" recv >$T/c$name 2>&1
	cat $T/l$name $T/c$name
	expect_in $T/c$name "recv=got-it-$name" "$name: the connection did not reach the LISTEN socket"
	expect_in $T/l$name "accepted peer=$peer:[0-9]* local=$local:[0-9]* orig=$orig:80" \
		"$name: the accepted connection's addresses"
	expect_in $T/l$name "recv=hi-$name" "$name: data from the client"
}
log "AF_INET bound to 0.0.0.0, IPv4 sockref"
run_case 4 tcp 0.0.0.0 198.51.100.77 198.51.100.77 tcp $ROUTER_CIP $CLIENT_IP 198.51.100.77
log "AF_INET6 bound to ::, IPv6 sockref"
run_case 6 tcp6 "[::]" "[2001:db8:2::77]" "[2001:db8:2::77]" tcp6 "\[$ROUTER_CIP6\]" \
	"\[$CLIENT_IP6\]" "\[2001:db8:2::77\]"
log "dual-stack AF_INET6 bound to ::, IPv4 sockref through ::ffff:a.b.c.d"
run_case d tcp6 "[::]" "[::ffff:198.51.100.78]" 198.51.100.78 tcp "\[::ffff:$ROUTER_CIP\]" \
	"\[::ffff:$CLIENT_IP\]" 198.51.100.78
wait
in_r cat /proc/net/tproxy >$T/proc
[ ! -s $T/proc ] || { cat $T/proc; fail "sockrefs left"; }
