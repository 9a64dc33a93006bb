#!/bin/sh
# With the snmp_trap helper on port 162 (IPv4 only: the SNMP NAT helper,
# nf_nat_snmp_basic, has no IPv6 half, so this test has no 6 twin), a trap
# that the proxy sends from a CONNECT sockref (the client's address) reaches
# the server byte for byte; in the same namespace the same trap from a plain
# socket, SNATed to another address, is still rewritten by the helper.
#
# The helper rewrites, in a trap of the ORIGINAL direction, every IpAddress
# value equal to the conntrack's original source (the router's own address,
# the socket's) into the reply tuple's destination (the client's address
# for the sockref, the SNAT address for the control).  6.12's decoder
# (net/ipv4/netfilter/nf_nat_snmp_basic.asn1) knows SNMPv1 and v2c messages
# but not the v1 Trap-PDU ([4], "obsolete"): it fails to parse one, and the
# helper drops it.  So the traps here are SNMPv2c Trap-PDUs ([7]) whose
# snmpTrapAddress.0 (RFC 3584's stand-in for v1's agent-addr) is the
# router's address; a v1 trap through a sockref must get through unchanged
# too.  6.12 assigns no helper by itself: a CT rule attaches snmp_trap.
# Before patch 2's help() asked nf_ct_nat_helper_wanted(), the tproxied v2c
# trap arrived with its snmpTrapAddress turned into the client's address and
# the v1 trap was dropped (its sendto() saw EPERM).  Both conntracks must
# have the helper, and only the sockref's the tproxy bit.
. ../lib.sh
setup_topology
NAT_IP=198.51.100.3

ipt $R -t raw -A OUTPUT -p udp --dport 162 -j CT --helper snmp_trap || fail "helper rule"
ipt $R -t nat -A POSTROUTING -p udp --sport 1163 -o s0 -j SNAT --to-source $NAT_IP ||
	fail "snat"

# tlv TAG HEX: a BER element (every length here is below 128)
tlv() { printf '%s%02x%s' "$1" $((${#2} / 2)) "$2"; }
iphex() (
	IFS=.
	# shellcheck disable=SC2086
	set -- $1
	printf '%02x%02x%02x%02x' "$1" "$2" "$3" "$4"
)
# varbinds: sysUpTime.0 = 100, snmpTrapOID.0 = coldStart,
# snmpTrapAddress.0 = IpAddress ADDR
varbinds() {
	tlv 30 "$(tlv 30 "$(tlv 06 2b06010201010300)$(tlv 43 64)")$(tlv 30 \
		"$(tlv 06 2b060106030101040100)$(tlv 06 2b0601060301010501)")$(tlv 30 \
		"$(tlv 06 2b0601060312010300)$(tlv 40 "$(iphex "$1")")")"
}
# v2c_trap ADDR: SNMPv2c, community "public", SNMPv2-Trap-PDU
v2c_trap() {
	tlv 30 "$(tlv 02 01)$(tlv 04 7075626c6963)$(tlv a7 \
		"$(tlv 02 2a)$(tlv 02 00)$(tlv 02 00)$(varbinds "$1")")"
}
# v1_trap ADDR: SNMPv1 Trap-PDU, agent-addr ADDR: enterprise, agent-addr,
# generic-trap coldStart, specific-trap 0, time-stamp 100, no varbinds
v1_trap() {
	tlv 30 "$(tlv 02 00)$(tlv 04 7075626c6963)$(tlv a4 \
		"$(tlv 06 2b06010401)$(tlv 40 "$(iphex "$1")")$(tlv 02 00)$(tlv 02 00)$(tlv 43 64)$(tlv 30 '')")"
}
v1=$(v1_trap $ROUTER_SIP)
trap2=$(v2c_trap $ROUTER_SIP)
rewritten=$(v2c_trap $NAT_IP)
log "v2c trap: $trap2"
log "v1 trap: $v1"

bg $S $T/srv $BIN/tpt-sockref udp bind $SERVER_IP:162 print ready recvhex recvhex recvhex
wait_listen $S 162 udp

# the proxy's server-side sockets: the client's address through a CONNECT
# sockref, as a UDP proxy's (tests/t/25-udp-origaddrs.sh).  The first stays
# open until the conntracks are read: a sockref's conntrack goes with it.
bg $R $T/tp $BIN/tpt-sockref udp bind $ROUTER_SIP:1162 assign $CLIENT_IP:1162 flags CONNECT \
	connect $SERVER_IP:162 sendhex $SERVER_IP:162 "$trap2" print sent waitfile $T/go
for _ in $(seq 200); do
	grep -q '^sent$' $T/tp && break
	grep -q FAIL $T/tp && break
	sleep 0.05
done
grep -q '^sent$' $T/tp || { cat $T/tp; fail "the tproxied v2c trap was not sent"; }
sleep 0.2
in_r $BIN/tpt-sockref udp bind $ROUTER_SIP:1164 assign $CLIENT_IP:1164 flags CONNECT \
	connect $SERVER_IP:162 sendhex $SERVER_IP:162 "$v1" >$T/tp1
sleep 0.2
# the control: a plain socket, SNATed
in_r $BIN/tpt-sockref udp bind $ROUTER_SIP:1163 sendhex $SERVER_IP:162 "$trap2" >$T/nat ||
	{ cat $T/nat; fail "the SNATed trap was not sent"; }
sleep 0.5
in_r cat /proc/net/nf_conntrack >$T/ct
in_r conntrack -L -p udp >$T/ctl 2>&1
touch $T/go
sed 's/^/v1 sender: /' $T/tp1
cat $T/srv $T/ct $T/ctl

grep "from=$CLIENT_IP:1162\$" $T/srv >$T/got ||
	fail "the tproxied v2c trap did not arrive from the client's address"
expect_in $T/got "^recvhex=$trap2 " "the tproxied v2c trap was modified"
# a v1 trap the helper cannot parse is dropped: its sendto() sees EPERM
grep "from=$CLIENT_IP:1164\$" $T/srv >$T/got1 ||
	fail "the tproxied v1 trap did not arrive from the client's address"
expect_in $T/got1 "^recvhex=$v1 " "the tproxied v1 trap was modified"
grep "from=$NAT_IP:1163\$" $T/srv >$T/gotn || fail "the SNATed trap did not arrive"
expect_in $T/gotn "^recvhex=$rewritten " "the helper did not rewrite the SNATed trap"

# both conntracks have the helper; only the sockref's has the tproxy bit
grep "src=$ROUTER_SIP dst=$SERVER_IP sport=1162 dport=162 .*dst=$CLIENT_IP " $T/ct >$T/cttp ||
	fail "no conntrack for the tproxied v2c trap"
expect_in $T/cttp "\[TPROXY\]" "the tproxied trap's conntrack lacks the tproxy bit"
grep "sport=1163 dport=162 .*dst=$NAT_IP " $T/ct >$T/ctnat || fail "no conntrack for the SNATed trap"
expect_not_in $T/ctnat "\[TPROXY\]" "the SNATed trap's conntrack has the tproxy bit"
grep "sport=1162 dport=162 " $T/ctl >$T/ctltp || fail "conntrack -L: no tproxied trap"
expect_in $T/ctltp "helper=snmp_trap" "the helper was not attached to the tproxied trap's conntrack"
grep "sport=1163 dport=162 " $T/ctl >$T/ctlnat || fail "conntrack -L: no SNATed trap"
expect_in $T/ctlnat "helper=snmp_trap" "the helper was not attached to the SNATed trap's conntrack"
