#!/bin/sh
# make install DESTDIR=... puts every file where it belongs and lists it;
# every man page renders without a warning; make uninstall with the same
# DESTDIR leaves nothing behind.  (Installing on the system itself, with
# the system's libxt_TPROXY.so diverted, is tests/t/09-install.sh, inside
# the test kernel.)
set -u
top=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

make -s -C "$top" install DESTDIR="$tmp/root" PREFIX=/usr/local >"$tmp/log" 2>&1 ||
	{ cat "$tmp/log"; fail "make install"; }
xt=$(pkg-config --variable=xtlibdir xtables 2>/dev/null || echo /usr/lib/x86_64-linux-gnu/xtables)
for f in usr/local/include/linux/netfilter/xt_tproxy2.h \
	 usr/local/include/linux/netfilter_ipv4/ip_tproxy.h \
	 usr/local/include/linux/netfilter_ipv4/ipt_TPROXY.h \
	 usr/local/include/linux/netfilter_ipv4/ipt_tproxy.h \
	 usr/local/include/linux/netfilter_ipv6/ip6_tproxy.h \
	 usr/local/include/linux/netfilter_ipv6/ip6t_TPROXY.h \
	 ${xt#/}/libipt_TPROXY.so ${xt#/}/libipt_tproxy.so ${xt#/}/libxt_TPROXY.so \
	 ${xt#/}/libip6t_TPROXY.so ${xt#/}/libip6t_tproxy.so \
	 usr/local/sbin/tproxy-relay usr/local/sbin/tproxy-conntrack \
	 usr/local/share/man/man7/ip_tproxy.7 \
	 usr/local/share/man/man8/tproxy-relay.8 \
	 usr/local/share/man/man8/tproxy-conntrack.8 \
	 usr/local/share/man/man8/iptables-tproxy2.8 \
	 usr/local/lib/systemd/system/tproxy-relay.service \
	 usr/local/sbin/nft usr/local/share/man/man8/nft.8; do
	[ -s "$tmp/root/$f" ] || fail "make install did not install /$f"
	grep -q "INSTALL /$f" "$tmp/log" || fail "make install did not list /$f"
	echo "installed /$f"
done
for m in "$tmp"/root/usr/local/share/man/man*/*; do
	w=$(man -l --warnings=all "$m" 2>&1 >/dev/null)
	if [ "$(basename "$m")" = nft.8 ]; then
		# nftables' own tables overflow the line, as in Debian's nft.8:
		# the same warnings, numbers aside, and no other
		stock=$(man -l --warnings=all /usr/share/man/man8/nft.8.gz 2>&1 >/dev/null)
		[ "$(echo "$w" | tr -d 0-9)" = "$(echo "$stock" | tr -d 0-9)" ] && w=""
	fi
	[ -z "$w" ] || fail "$(basename "$m"): $w"
	# a shell's echo turns \f into a form feed: the page lost its fonts
	! grep -q "$(printf '\f')" "$m" || fail "$(basename "$m") has a form feed"
	echo "renders cleanly: $(basename "$m")"
done

# the systemd unit: the relay installed, as a user of its own with CAP_NET_ADMIN
unit=$tmp/root/usr/local/lib/systemd/system/tproxy-relay.service
for l in "ExecStart=/usr/local/sbin/tproxy-relay " "DynamicUser=yes" "User=tproxy-relay" \
	 "AmbientCapabilities=CAP_NET_ADMIN CAP_NET_BIND_SERVICE" \
	 "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE" "NoNewPrivileges=yes" \
	 "ProtectSystem=strict" "PrivateDevices=yes" "SystemCallFilter=@system-service"; do
	grep -q "^$l" "$unit" || fail "the unit has no $l"
done
if command -v systemd-analyze >/dev/null; then
	sed "s|/usr/local/sbin/tproxy-relay|$top/build/bin/tproxy-relay|" "$unit" >"$tmp/tproxy-relay.service"
	# (the man page is not installed on this system: its check is left out)
	w=$(systemd-analyze verify "$tmp/tproxy-relay.service" 2>&1 | grep -v "Command .man tproxy-relay(8). failed")
	[ -z "$w" ] || fail "systemd-analyze verify: $w"
	echo "systemd-analyze verify: clean"
fi

cmp "$tmp/root/${xt#/}/libxt_TPROXY.so" "$top/build/xtables-sys/libxt_TPROXY.so" ||
	fail "libxt_TPROXY.so is not our extension"
make -s -C "$top" uninstall DESTDIR="$tmp/root" PREFIX=/usr/local >"$tmp/log" 2>&1 ||
	{ cat "$tmp/log"; fail "make uninstall"; }
left=$(find "$tmp/root" -type f)
[ -z "$left" ] || fail "make uninstall left $left"
echo "make uninstall removed all $(grep -c REMOVE "$tmp/log") files"
