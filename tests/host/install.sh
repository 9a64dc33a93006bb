#!/bin/sh
# make install DESTDIR=... puts every file where it belongs; every man page
# renders without a warning.
set -u
top=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

make -s -C "$top" install DESTDIR="$tmp/root" PREFIX=/usr/local >"$tmp/log" 2>&1 ||
	{ cat "$tmp/log"; fail "make install"; }
xt=$(pkg-config --variable=xtlibdir xtables 2>/dev/null || echo /usr/lib/x86_64-linux-gnu/xtables)
for f in usr/local/include/linux/netfilter_ipv4/ip_tproxy.h \
	 usr/local/include/linux/netfilter_ipv4/ipt_TPROXY.h \
	 usr/local/include/linux/netfilter_ipv4/ipt_tproxy.h \
	 ${xt#/}/libipt_TPROXY.so ${xt#/}/libipt_tproxy.so \
	 usr/local/lib/xtables-tproxy2/libipt_TPROXY.so \
	 usr/local/lib/xtables-tproxy2/libipt_tproxy.so \
	 usr/local/sbin/tproxy-relay usr/local/sbin/tproxy-conntrack \
	 usr/local/share/man/man7/ip_tproxy.7 \
	 usr/local/share/man/man8/tproxy-relay.8 \
	 usr/local/share/man/man8/tproxy-conntrack.8 \
	 usr/local/share/man/man8/iptables-tproxy2.8; do
	[ -s "$tmp/root/$f" ] || fail "make install did not install /$f"
	echo "installed /$f"
done
for m in "$tmp"/root/usr/local/share/man/man*/*; do
	w=$(man -l --warnings=all "$m" 2>&1 >/dev/null)
	[ -z "$w" ] || fail "$(basename "$m"): $w"
	echo "renders cleanly: $(basename "$m")"
done
