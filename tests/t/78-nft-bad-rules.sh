#!/bin/sh
# Wrong tproxy2 rules are refused with a message, and the ruleset does not
# change: no transport protocol match, a protocol other than TCP and UDP,
# an address of the other family, an inet address without its family, a
# port out of range, ranges and prefixes (as constants, from a define and
# in anonymous maps, whose data they would make intervals), a statement
# after tproxy2 (it is terminal), an address the kernel would drop (IPv4
# multicast, 255.255.255.255, IPv6 multicast, v4-mapped IPv6; as a
# constant, from a define and in an anonymous map, with the caret under
# it), tproxy2 in a filter chain (the kernel refuses), in
# nat chains at the input and postrouting hooks, and a jump into a chain
# holding tproxy2 from a chain where it is not valid (both ways round).
# Whole files with one bad rule change nothing either.  Good rules are
# taken afterwards (0.0.0.0 and :: among them: the kernel takes them; and
# a named map holding a multicast address: its elements may change, the
# kernel drops such a packet).
# nft alone.
# tpt-nft-only
. ../lib.sh
ip netns add "$R" || fail "netns"

nft_in $R -f - <<'EOF' || fail "the base ruleset"
table ip t4 {
	chain pre {
		type nat hook prerouting priority -130; policy accept;
		tcp dport 80 tproxy2 to :3128
	}

	chain sub {
		tcp dport 99 tproxy2 to :3199
	}

	chain plain {
		tcp dport 98 accept
	}

	chain post {
		type nat hook postrouting priority srcnat; policy accept;
	}

	chain innat {
		type nat hook input priority 100; policy accept;
	}

	chain filt {
		type filter hook prerouting priority filter; policy accept;
		jump plain
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
	}
}
table ip6 t6 {
	chain pre {
		type nat hook prerouting priority -130; policy accept;
	}
}
table inet ti {
	chain pre {
		type nat hook prerouting priority -130; policy accept;
	}
}
EOF
nft_in $R list ruleset >$T/before || fail "list"

# bad MSG ARGS...: nft ARGS fails, saying MSG (a grep -i pattern); nothing changes
bad() {
	msg=$1
	shift
	if nft_in $R "$@" 2>$T/err; then
		fail "accepted: nft $*"
	fi
	echo "refused: nft $*"
	sed 's/^/    /' $T/err
	grep -qi -- "$msg" $T/err || fail "no clear message for: nft $* (got: $(cat $T/err))"
	nft_in $R list ruleset >$T/after
	cmp -s $T/before $T/after || { diff $T/before $T/after; fail "the ruleset changed: nft $*"; }
}

# caret ADDR: the last error's caret line marks ADDR in the line above it
caret() {
	tail -n 2 $T/err | awk -v a="$1" 'NR == 1 { l = $0 } NR == 2 { c = $0 }
		END {
			i = index(l, a); e = ""
			for (k = 1; k < i; k++) e = e " "
			for (k = 1; k <= length(a); k++) e = e "^"
			exit !(i > 0 && c == e)
		}' || fail "the caret is not under $1: $(tail -n 2 $T/err)"
}

set -f
log "refused by nft itself"
bad "requires transport protocol match" add rule ip t4 pre tproxy2 to :3128
bad "requires transport protocol match" add rule ip t4 pre ip saddr 192.0.2.2 tproxy2 to 192.0.2.1
bad "TCP and UDP only, not icmp" add rule ip t4 pre meta l4proto icmp tproxy2 to :3128
bad "TCP and UDP only, not sctp" add rule ip t4 pre sctp dport 80 tproxy2 to :3128
bad "tproxy2 ip6 is not valid in an ip table" add rule ip t4 pre tcp dport 80 tproxy2 ip6 to [fd00::1]:3128
bad "tproxy2 ip is not valid in an ip6 table" add rule ip6 t6 pre tcp dport 80 tproxy2 ip to 192.0.2.1
bad "fd00::1" add rule ip t4 pre tcp dport 80 tproxy2 to [fd00::1]:3128
bad "192.0.2.1" add rule ip6 t6 pre tcp dport 80 tproxy2 to 192.0.2.1
bad "fd00::1" add rule inet ti pre tcp dport 80 tproxy2 ip to [fd00::1]:3128
bad "192.0.2.1" add rule inet ti pre tcp dport 80 tproxy2 ip6 to 192.0.2.1
bad "conflicting protocols" add rule inet ti pre ip saddr 192.0.2.2 tcp dport 80 tproxy2 ip6 to [fd00::1]
bad "must be specified with address for inet tables" add rule inet ti pre tcp dport 80 tproxy2 to 192.0.2.1
bad "must be specified with address for inet tables" add rule inet ti pre tcp dport 80 tproxy2 to 192.0.2.1:3128
bad "exceeds valid range\|out of range\|too large" add rule ip t4 pre tcp dport 80 tproxy2 to :70000
bad "exceeds valid range\|out of range\|too large" add rule ip t4 pre tcp dport 80 tproxy2 to 192.0.2.1:65536
bad "Port ranges are not supported" add rule ip t4 pre tcp dport 80 tproxy2 to :3128-3130
bad "Address ranges are not supported" add rule ip t4 pre tcp dport 80 tproxy2 to 192.0.2.1-192.0.2.3
bad "syntax error" add rule ip t4 pre tcp dport 80 tproxy2 to
bad "syntax error" add rule ip t4 pre tcp dport 80 tproxy2 :3128
bad "syntax error" add rule ip t4 pre tcp dport 80 tproxy2 ip4 to :3128
bad "Statement after terminal statement has no effect" add rule ip t4 pre tcp dport 80 tproxy2 to :3128 counter
bad "Statement after terminal statement has no effect" add rule ip t4 pre tcp dport 80 tproxy2 to :3128 tproxy2 to :3129

log "ranges and prefixes: the kernel would take their first address or port"
rp="tproxy2: address ranges and prefixes are not supported"
bad "$rp" add rule ip t4 pre tcp dport 80 tproxy2 ip to 192.0.2.0/24
caret 192.0.2.0/24
bad "$rp" add rule ip t4 pre tcp dport 80 tproxy2 to ip saddr map { 192.0.2.2 : 127.0.0.1, 192.0.2.3 : 192.0.2.0/24 }:3128
caret 192.0.2.0/24
bad "$rp" add rule ip t4 pre tcp dport 80 tproxy2 to ip saddr map { 192.0.2.2 : 224.0.0.0/8 }:3128
caret 224.0.0.0/8
bad "$rp" add rule ip t4 pre tcp dport 80 tproxy2 to ip saddr map { 192.0.2.2 : 192.0.2.1-192.0.2.9 }:3128
caret 192.0.2.1-192.0.2.9
bad "$rp" add rule ip6 t6 pre tcp dport 80 tproxy2 to ip6 saddr map { fd00::2 : ff00::/8 }:3128
caret ff00::/8
bad "$rp" add rule inet ti pre tcp dport 80 tproxy2 ip6 to ip6 saddr map { fd00::2 : ::ffff:0:0/96 }:3128
caret ::ffff:0:0/96
bad "tproxy2: port ranges are not supported" add rule ip t4 pre tcp dport 80 tproxy2 to :tcp dport map { 80 : 3128-3130 }
caret 3128-3130
cat >$T/file <<'EOF'
define proxy = 192.0.2.0/24
add rule ip t4 pre tcp dport 80 tproxy2 to $proxy
EOF
bad "$rp" -f $T/file
caret 192.0.2.0/24
cat >$T/file.json <<'EOF'
{"nftables": [{"add": {"rule": {"family": "ip", "table": "t4", "chain": "pre", "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 80}}, {"tproxy2": {"addr": {"prefix": {"addr": "224.0.0.0", "len": 8}}, "port": 3128}}]}}}]}
EOF
bad "$rp" -j -f $T/file.json

log "addresses the kernel would drop, refused by nft"
mc="a multicast address cannot be redirected to"
bc="the broadcast address cannot be redirected to"
v4m="an IPv4-mapped IPv6 address cannot be redirected to"
bad "$mc" add rule ip t4 pre tcp dport 80 tproxy2 to 224.0.0.1:3128
caret 224.0.0.1
bad "$mc" add rule ip t4 pre udp dport 53 tproxy2 ip to 239.255.255.250
bad "$bc" add rule ip t4 pre udp dport 53 tproxy2 to 255.255.255.255:5353
bad "$mc" add rule ip6 t6 pre tcp dport 80 tproxy2 to [ff02::1]:3128
bad "$v4m" add rule ip6 t6 pre tcp dport 80 tproxy2 ip6 to [::ffff:127.0.0.1]:3128
bad "$mc" add rule inet ti pre tcp dport 80 tproxy2 ip to 224.0.0.251:3128
bad "$bc" add rule inet ti pre udp dport 53 tproxy2 ip to 255.255.255.255
bad "$mc" add rule inet ti pre tcp dport 80 tproxy2 ip6 to [ff05::1:3]:3128
bad "$v4m" add rule inet ti pre tcp dport 80 tproxy2 ip6 to [::ffff:192.0.2.1]:3128
bad "$mc" add rule ip t4 pre tcp dport 80 tproxy2 to ip saddr map { 192.0.2.2 : 127.0.0.1, 192.0.2.3 : 224.0.0.5 }:3128
caret 224.0.0.5
bad "$bc" add rule ip t4 pre tcp dport 80 tproxy2 to ip saddr map { 192.0.2.0/24 : 255.255.255.255 }:3128
bad "$v4m" add rule inet ti pre tcp dport 80 tproxy2 ip6 to ip6 saddr map { fd00::2 : ::1, fd00::3 : ::ffff:127.0.0.1 }:3128
caret ::ffff:127.0.0.1
cat >$T/file.json <<'EOF'
{"nftables": [{"add": {"rule": {"family": "ip", "table": "t4", "chain": "pre", "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 80}}, {"tproxy2": {"addr": "224.0.0.1", "port": 3128}}]}}}]}
EOF
bad "$mc" -j -f $T/file.json
cat >$T/file <<'EOF'
define proxy = 224.0.0.1
add rule ip t4 pre tcp dport 80 tproxy2 to $proxy
EOF
bad "$mc" -f $T/file
caret 224.0.0.1

log "refused by the kernel"
bad "Operation not supported" add rule ip t4 filt tcp dport 80 tproxy2 to :3128
bad "Operation not supported" add rule ip t4 forward tcp dport 80 tproxy2 to :3128
bad "Operation not supported" add rule ip t4 post tcp dport 80 tproxy2 to :3128
bad "Operation not supported" add rule ip t4 innat tcp dport 80 tproxy2 to :3128
# a jump from a filter chain into a chain that holds tproxy2
bad "Operation not supported" add rule ip t4 filt jump sub
bad "Operation not supported" add rule ip t4 forward goto sub
# tproxy2 into a chain a filter chain jumps to
bad "Operation not supported" add rule ip t4 plain tcp dport 80 tproxy2 to :3128

log "a file with one bad rule: nothing of it is taken"
cat >$T/file <<'EOF'
add rule ip t4 pre tcp dport 81 tproxy2 to :3181
add rule ip t4 forward tcp dport 82 tproxy2 to :3182
add rule ip t4 pre tcp dport 83 tproxy2 to :3183
EOF
bad "Operation not supported" -f $T/file
cat >$T/file <<'EOF'
table ip t4 {
	chain pre {
		tcp dport 81 tproxy2 to :3181
		tproxy2 to :3182
	}
}
EOF
bad "requires transport protocol match" -f $T/file
cat >$T/file.json <<'EOF'
{"nftables": [{"add": {"rule": {"family": "ip", "table": "t4", "chain": "pre", "expr": [{"tproxy2": {"port": 3128}}]}}}]}
EOF
bad "requires transport protocol match" -j -f $T/file.json
cat >$T/file.json <<'EOF'
{"nftables": [{"add": {"rule": {"family": "ip", "table": "t4", "chain": "pre", "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 80}}, {"tproxy2": {"family": "ip7", "port": 3128}}]}}}]}
EOF
bad "Invalid family" -j -f $T/file.json

log "a good rule afterwards"
nft_in $R add rule ip t4 pre tcp dport 81 tproxy2 to :3181 || fail "a good rule after the bad ones"
nft_in $R add rule ip t4 plain tcp dport 81 accept || fail "an ordinary rule in the chain a filter chain jumps to"
nft_in $R list chain ip t4 pre | grep -q "tcp dport 81 tproxy2 to :3181" || fail "the good rule is not listed"
# unicast addresses next to the refused ones, and the unspecified ones
for r in "ip t4 pre tcp dport 82 tproxy2 to 223.255.255.255:3182" \
	 "ip t4 pre tcp dport 83 tproxy2 to 0.0.0.0:3183" \
	 "ip t4 pre tcp dport 84 tproxy2 to ip saddr map { 192.0.2.2 : 127.0.0.1 }:3184" \
	 "ip6 t6 pre tcp dport 82 tproxy2 to [fe80::1]:3182" \
	 "ip6 t6 pre tcp dport 83 tproxy2 to [::]:3183" \
	 "inet ti pre tcp dport 82 tproxy2 ip6 to [::1]:3182"; do
	nft_in $R add rule $r 2>$T/err || fail "refused: nft add rule $r ($(cat $T/err))"
done
# a named map's elements may change: a multicast address there is taken,
# the kernel drops such a packet
nft_in $R -f - <<'EOF' 2>$T/err || fail "refused: a named map holding 224.0.0.1 ($(cat $T/err))"
add map ip t4 proxies { type ipv4_addr : ipv4_addr; elements = { 192.0.2.2 : 224.0.0.1 }; }
add rule ip t4 pre tcp dport 85 tproxy2 to ip saddr map @proxies :3185
EOF
nft_in $R list chain ip t4 pre | grep -q "tcp dport 85 tproxy2 to ip saddr map @proxies" ||
	fail "the rule on the named map is not listed"
