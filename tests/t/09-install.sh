#!/bin/sh
# make install on the system itself.  Before it, the system's
# libxt_TPROXY.so answers for -j TPROXY and a tproxy table rule fails;
# after it, with no XTABLES_LIBDIR, tproxy table rules of both families
# (iptables and ip6tables) work, mainline's
# mangle rules (IPv4 and IPv6) are taken and saved exactly as the system's
# extension did, and iptables-legacy-save/-restore round-trip them all.
# The system's file is diverted with dpkg-divert; make uninstall puts it
# back and tproxy table rules fail again.  The xtables directory and dpkg's
# database are tmpfs copies bound over the real ones in a mount namespace
# of this test only.
[ -n "${TPT_MNTNS:-}" ] || exec env TPT_MNTNS=1 unshare -m --propagation private sh "$0" "$@"
. ../lib.sh
unset XTABLES_LIBDIR
xt=$(pkg-config --variable=xtlibdir xtables 2>/dev/null || echo /usr/lib/x86_64-linux-gnu/xtables)
lib=$xt/libxt_TPROXY.so
[ -f "$lib" ] || fail "the system has no $lib"
command -v dpkg-divert >/dev/null || fail "no dpkg-divert"

for d in "$xt" /var/lib/dpkg; do
	mkdir -p "$T/copy$d"
	cp -a "$d/." "$T/copy$d/" && mount --bind "$T/copy$d" "$d" || fail "a copy of $d"
done
cp "$lib" "$T/system.so"

ip netns add "$R" || fail "netns"
v4() { ip netns exec "$R" iptables-legacy "$@"; }
v6() { ip netns exec "$R" ip6tables-legacy "$@"; }
rules() {	# the -A lines of table $1 of family $2 (4 or 6)
	if [ "$2" = 4 ]; then
		ip netns exec "$R" iptables-legacy-save -t "$1"
	else
		ip netns exec "$R" ip6tables-legacy-save -t "$1"
	fi | grep -- '^-A'
}
tproxy_rule="PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128"
tproxy_rule6="PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 --on-ip 2001:db8::1"
mangle4="PREROUTING -p tcp --dport 81 -j TPROXY --on-port 3129 --on-ip 192.0.2.1 --tproxy-mark 0x1/0x1"
mangle6="PREROUTING -p tcp --dport 81 -j TPROXY --on-port 3129 --on-ip 2001:db8::1 --tproxy-mark 0x1/0x1"

log "before make install: the system's extension"
# shellcheck disable=SC2086
if v4 -t tproxy -A $tproxy_rule 2>"$T/err"; then
	fail "a tproxy table rule worked with the system's extension: this test shows nothing"
fi
cat "$T/err"
# shellcheck disable=SC2086
if v6 -t tproxy -A $tproxy_rule6 2>"$T/err"; then
	fail "an ip6tables tproxy table rule worked with the system's extension"
fi
cat "$T/err"
# shellcheck disable=SC2086
v4 -t mangle -A $mangle4 || fail "mangle rule, system's extension"
# shellcheck disable=SC2086
v6 -t mangle -A $mangle6 || fail "IPv6 mangle rule, system's extension"
rules mangle 4 >"$T/sys4"
rules mangle 6 >"$T/sys6"
cat "$T/sys4" "$T/sys6"
v4 -t mangle -F && v6 -t mangle -F || fail "flush"

log "make install"
make -s -C "$TPT_TOP" install PREFIX="$T/prefix" >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; fail "make install"; }
cat "$T/install.log"
grep -q "INSTALL $lib" "$T/install.log" || fail "make install did not list $lib"
dpkg-divert --list "$lib" | tee "$T/div"
grep -q "diversion of $lib to $lib.distrib by tproxy2" "$T/div" ||
	fail "the system's $lib is not diverted"
cmp "$lib.distrib" "$T/system.so" || fail "$lib.distrib is not the system's file"
cmp "$lib" "$TPT_TOP/build/xtables-sys/libxt_TPROXY.so" || fail "$lib is not ours"

log "after make install, no XTABLES_LIBDIR"
# shellcheck disable=SC2086
v4 -t tproxy -A $tproxy_rule || fail "a tproxy table rule after make install"
v4 -t tproxy -A PREROUTING -p udp --dport 53 -j TPROXY --on-port 5353 --on-ip 192.0.2.1 ||
	fail "a tproxy table rule with --on-ip"
v4 -A FORWARD -m tproxy --tproxied -j ACCEPT || fail "the tproxy match"
# shellcheck disable=SC2086
v6 -t tproxy -A $tproxy_rule6 || fail "an ip6tables tproxy table rule after make install"
v6 -t tproxy -A OUTPUT -p udp --dport 53 -j TPROXY --on-port 5353 ||
	fail "an ip6tables tproxy table rule without --on-ip"
v6 -A FORWARD -m tproxy ! --tproxied -j ACCEPT || fail "the tproxy match in ip6tables"
# shellcheck disable=SC2086
v4 -t mangle -A $mangle4 || fail "mangle rule after make install"
# shellcheck disable=SC2086
v6 -t mangle -A $mangle6 || fail "IPv6 mangle rule after make install"
# documented: the extension cannot see the table, a mangle rule needs its mark
if v4 -t mangle -A PREROUTING -p tcp --dport 82 -j TPROXY --on-port 3130 2>"$T/err"; then
	fail "a mangle TPROXY rule without --tproxy-mark was taken: the man page says it is refused"
fi
dmesg | grep -q "TPROXY target: only valid in tproxy table, not mangle" ||
	fail "no clear kernel message for a tproxy table rule in mangle"
rules tproxy 4 | tee "$T/tp"
grep -qx -- "-A PREROUTING -p tcp -m tcp --dport 80 -j TPROXY --on-port 3128" "$T/tp" ||
	fail "the tproxy rule is not saved as given"
grep -qx -- "-A PREROUTING -p udp -m udp --dport 53 -j TPROXY --on-port 5353 --on-ip 192.0.2.1" "$T/tp" ||
	fail "the tproxy rule with --on-ip is not saved as given"
rules tproxy 6 | tee "$T/tp6"
grep -qx -- "-A PREROUTING -p tcp -m tcp --dport 80 -j TPROXY --on-port 3128 --on-ip 2001:db8::1" "$T/tp6" ||
	fail "the ip6tables tproxy rule is not saved as given"
grep -qx -- "-A OUTPUT -p udp -m udp --dport 53 -j TPROXY --on-port 5353" "$T/tp6" ||
	fail "the ip6tables tproxy rule without --on-ip is not saved as given"
rules mangle 4 >"$T/our4"
rules mangle 6 >"$T/our6"
cmp "$T/sys4" "$T/our4" || fail "the IPv4 mangle rule is saved differently: $(cat "$T/our4")"
cmp "$T/sys6" "$T/our6" || fail "the IPv6 mangle rule is saved differently: $(cat "$T/our6")"
echo "mangle rules saved as the system's extension saves them"

ip netns exec "$R" iptables-legacy-save >"$T/all4" || fail "save"
ip netns exec "$R" ip6tables-legacy-save >"$T/all6" || fail "save -6"
for t in tproxy mangle filter; do v4 -t "$t" -F; v6 -t "$t" -F; done
ip netns exec "$R" iptables-legacy-restore <"$T/all4" || fail "restore"
ip netns exec "$R" ip6tables-legacy-restore <"$T/all6" || fail "restore -6"
ip netns exec "$R" iptables-legacy-save | grep -- '^-A' >"$T/again4"
ip netns exec "$R" ip6tables-legacy-save | grep -- '^-A' >"$T/again6"
grep -- '^-A' "$T/all4" | cmp - "$T/again4" || fail "iptables save/restore round trip"
grep -- '^-A' "$T/all6" | cmp - "$T/again6" || fail "ip6tables save/restore round trip"
echo "save/restore round trip: $(cat "$T/again4" "$T/again6" | wc -l) rules"
for t in tproxy mangle filter; do v4 -t "$t" -F; v6 -t "$t" -F; done

log "make uninstall"
make -s -C "$TPT_TOP" uninstall PREFIX="$T/prefix" >"$T/uninstall.log" 2>&1 ||
	{ cat "$T/uninstall.log"; fail "make uninstall"; }
cat "$T/uninstall.log"
cmp "$lib" "$T/system.so" || fail "make uninstall did not put the system's $lib back"
[ ! -e "$lib.distrib" ] || fail "$lib.distrib is still there"
dpkg-divert --list "$lib" | grep . && fail "the diversion is still there"
for f in libipt_TPROXY.so libipt_tproxy.so libip6t_TPROXY.so libip6t_tproxy.so; do
	[ ! -e "$xt/$f" ] || fail "make uninstall left $xt/$f"
done
left=$(find "$T/prefix" -type f 2>/dev/null)
[ -z "$left" ] || fail "make uninstall left $left"
# shellcheck disable=SC2086
if v4 -t tproxy -A $tproxy_rule 2>/dev/null; then
	fail "a tproxy table rule still works after make uninstall"
fi
# shellcheck disable=SC2086
if v6 -t tproxy -A $tproxy_rule6 2>/dev/null; then
	fail "an ip6tables tproxy table rule still works after make uninstall"
fi
# shellcheck disable=SC2086
v6 -t mangle -A $mangle6 || fail "IPv6 mangle rule after make uninstall"
echo "make uninstall: the system's extension is back"
