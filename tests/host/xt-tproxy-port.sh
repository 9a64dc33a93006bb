#!/bin/sh
# The libxt_TPROXY.so that make install puts in the system's place reads a
# mangle rule's --on-port (mainline's revision) exactly as iptables 1.8.9's
# own does: leading zeros decimal (010 is 10), 0x50 refused, and so on.
# Each port is given to iptables-legacy and ip6tables-legacy with the
# system's extension and with ours, in a network namespace of the host (its
# kernel's xt_TPROXY), and what iptables-save prints must be the same; then
# rules written with leading zeros go through a save/restore round trip
# with each extension loading what the other saved.  Needs root.
set -u
top=$1
tmp=$(mktemp -d)
NS=xtport$$
trap 'ip netns del $NS 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
SYS=$(pkg-config --variable=xtlibdir xtables 2>/dev/null || echo /usr/lib/x86_64-linux-gnu/xtables)
[ -f "$SYS/libxt_TPROXY.so" ] || SYS=/usr/lib/x86_64-linux-gnu/xtables
mkdir -p "$tmp/ours"
cc -O2 -Wall -Wextra -Wno-unused-parameter -I"$top/include/uapi" -fPIC -shared \
	-o "$tmp/ours/libxt_TPROXY.so" "$top/extensions/libipt_TPROXY.c" \
	"$top/extensions/libip6t_TPROXY.c" -lxtables || fail "the extension does not build"
ip netns add $NS || fail "ip netns add (needs root)"

# run LIBDIR CMD PORT: the rule with that port, or the error
run() {
	dir=$1 cmd=$2 port=$3
	ip netns exec $NS env XTABLES_LIBDIR="$dir" "$cmd-legacy" -t mangle -F
	if ip netns exec $NS env XTABLES_LIBDIR="$dir" "$cmd-legacy" -t mangle -A PREROUTING \
		-p tcp -j TPROXY --on-port "$port" --tproxy-mark 0x1/0x1 2>"$tmp/err"; then
		ip netns exec $NS env XTABLES_LIBDIR="$dir" "$cmd-legacy-save" -t mangle | grep -- "-j TPROXY"
	else
		# the program's name and version differ; the verdict must not
		echo "error"
	fi
}
ip netns exec $NS iptables-legacy -t mangle -A PREROUTING -p tcp -j TPROXY --on-port 1 \
	--tproxy-mark 1 || fail "no mainline TPROXY target in the host's kernel"
ip netns exec $NS iptables-legacy -t mangle -F
for cmd in iptables ip6tables; do
	for port in 010 0080 080 00 0 65535 0x50 070000 70000 65536 " 80" +80 -1 80x "" http \
		domain 1e2 008 099; do
		sys=$(run "$SYS" $cmd "$port")
		ours=$(run "$tmp/ours:$SYS" $cmd "$port")
		echo "$cmd --on-port '$port': system: $sys | ours: $ours"
		[ "$sys" = "$ours" ] || fail "$cmd --on-port '$port': the system's gives '$sys', ours '$ours'"
	done
done

# the round trip: written with leading zeros, restored by ours, saved,
# restored by the system's, saved: the same rules, the same ports
for cmd in iptables ip6tables; do
	cat >"$tmp/rules" <<R
*mangle
-A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 010 --tproxy-mark 0x1/0x1
-A PREROUTING -p tcp --dport 81 -j TPROXY --on-port 03128 --tproxy-mark 0x2/0x2
-A PREROUTING -p udp --dport 53 -j TPROXY --on-port 00053 --tproxy-mark 0x4/0x4
COMMIT
R
	ip netns exec $NS env XTABLES_LIBDIR="$SYS" $cmd-legacy-restore <"$tmp/rules" || fail "$cmd restore (system)"
	ip netns exec $NS env XTABLES_LIBDIR="$SYS" $cmd-legacy-save -t mangle | grep -- "-j TPROXY" >"$tmp/sys"
	ip netns exec $NS env XTABLES_LIBDIR="$tmp/ours:$SYS" $cmd-legacy-restore <"$tmp/rules" ||
		fail "$cmd restore (ours)"
	ip netns exec $NS env XTABLES_LIBDIR="$tmp/ours:$SYS" $cmd-legacy-save -t mangle >"$tmp/saved-ours"
	grep -- "-j TPROXY" "$tmp/saved-ours" >"$tmp/ours.txt"
	cat "$tmp/ours.txt"
	cmp "$tmp/sys" "$tmp/ours.txt" || { diff "$tmp/sys" "$tmp/ours.txt"; fail "$cmd: ours restored other ports"; }
	grep -q -- "--on-port 10 " "$tmp/ours.txt" && grep -q -- "--on-port 3128 " "$tmp/ours.txt" &&
		grep -q -- "--on-port 53 " "$tmp/ours.txt" || fail "$cmd: leading zeros not decimal"
	# what ours saved, back through the system's
	ip netns exec $NS env XTABLES_LIBDIR="$SYS" $cmd-legacy-restore <"$tmp/saved-ours" ||
		fail "$cmd: the system's cannot restore what ours saved"
	ip netns exec $NS env XTABLES_LIBDIR="$SYS" $cmd-legacy-save -t mangle | grep -- "-j TPROXY" >"$tmp/sys2"
	cmp "$tmp/sys" "$tmp/sys2" || fail "$cmd: the round trip changed the rules"
done
echo ok
