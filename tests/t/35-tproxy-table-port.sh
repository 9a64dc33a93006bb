#!/bin/sh
# --on-port of a tproxy table rule (TPROXY 2.0's revision), of both
# families: decimal, leading zeros and all (010 is 10, as iptables reads
# a mangle rule's), 0 to 65535 or a service name, and nothing else (0x50,
# 70000, +80, " 80" are refused, not taken modulo 65536 or in another base).
# The mangle table's (mainline's) reading is tests/host/xt-tproxy-port.sh.
. ../lib.sh
setup_topology
for cmd in iptables ip6tables; do
	for p in "010 10" "0080 80" "00 0" "65535 65535" "http 80"; do
		set -- $p
		in_r $cmd-legacy -t tproxy -F PREROUTING
		in_r $cmd-legacy -t tproxy -A PREROUTING -p tcp -j TPROXY --on-port "$1" ||
			fail "$cmd --on-port $1 refused"
		in_r $cmd-legacy-save -t tproxy >$T/save
		expect_in $T/save "^-A PREROUTING -p tcp -j TPROXY --on-port $2\$" "$cmd --on-port $1 is not $2"
		log "$cmd --on-port $1: $2"
	done
	for p in 0x50 70000 65536 +80 " 80" -1 80x ""; do
		in_r $cmd-legacy -t tproxy -A PREROUTING -p tcp -j TPROXY --on-port "$p" 2>$T/err &&
			fail "$cmd --on-port '$p' taken: $(in_r $cmd-legacy-save -t tproxy | grep TPROXY)"
		expect_in $T/err "on-port" "$cmd --on-port '$p': no clear message"
		log "$cmd --on-port '$p': $(head -n 1 $T/err)"
	done
done
