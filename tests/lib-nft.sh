# The nft tests' helpers (POSIX sh), after ../lib.sh: one family's
# addresses as the test programs and nft write them, so that a test of
# tests/t/ runs for IPv4 or IPv6 alike.

# nft_r ARGS: the patched nft ($NFT, tests/lib.sh) in the router namespace
nft_r() { ip netns exec "$R" "$NFT" "$@"; }

# use_family 4|6: FAM (ip, ip6), TCP (tpt-sockref's socket type), the
# addresses CIP RC RS SIP, LO (loopback) and ANY (the wildcard), each also
# as a grep pattern (P_CIP ...)
use_family() {
	if [ "$1" = 4 ]; then
		FAM=ip CIP=$CLIENT_IP RC=$ROUTER_CIP RS=$ROUTER_SIP SIP=$SERVER_IP
		LO=127.0.0.1 ANY=0.0.0.0 CT_FAM=ipv4 TCP=tcp
	else
		FAM=ip6 CIP=$CLIENT_IP6 RC=$ROUTER_CIP6 RS=$ROUTER_SIP6 SIP=$SERVER_IP6
		LO=::1 ANY=:: CT_FAM=ipv6 TCP=tcp6
	fi
	for v in CIP RC RS SIP LO ANY; do
		eval "a=\$$v"
		if [ "$1" = 4 ]; then
			eval "P_$v=\$a"
		else
			eval "P_$v=\"\\\\[\$a\\\\]\""
		fi
	done
}

# ep ADDR PORT: the endpoint as the test programs and nft take it
ep() {
	case $1 in
	*:*) echo "[$1]:$2" ;;
	*) echo "$1:$2" ;;
	esac
}

# ct_lines PATTERN: the router's conntracks of the family (as
# /proc/net/nf_conntrack has them, status bits included) that match PATTERN
ct_lines() {
	in_r cat /proc/net/nf_conntrack | grep "^$CT_FAM " | grep -- "$1"
}
