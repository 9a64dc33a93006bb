#!/bin/sh
# install.sh install|uninstall BUILD DESTDIR PREFIX XTLIBDIR
# make install and make uninstall, run from the top of the repo.  Every
# file installed (or removed) is listed.
#
# libxtables looks for libxt_TPROXY.so before libipt_TPROXY.so and
# libip6t_TPROXY.so, and the system's libxt_TPROXY.so knows only mainline's
# TPROXY.  Our extensions speak both, so the two of them, linked into one
# libxt_TPROXY.so (build/xtables-sys/), are installed under that name too,
# the system's libxt_TPROXY.so put aside the way Debian puts
# aside a packaged file: dpkg-divert, to libxt_TPROXY.so.distrib, where
# package upgrades then put theirs too.  Without dpkg the file is renamed
# to the same name.  make uninstall puts it back.  With a DESTDIR (a
# package being built) nothing is diverted: the package must divert the
# file itself.
#
# nft (make nft) is the patched nftables with the tproxy2 statement,
# linked statically with its libnftnl and libnftables: it goes to
# PREFIX/sbin, ahead of /usr/sbin in root's PATH, nft.8 beside it, and the
# system's nft, libnftables and libnftnl stay as they are.
set -eu
mode=$1 b=$2 destdir=$3 prefix=$4 xt=$5
lib=$xt/libxt_TPROXY.so
distrib=$lib.distrib
unitdir=$prefix/lib/systemd/system
unit=$unitdir/tproxy-relay.service

# SOURCE... DIR
files() {
	cat <<EOF
include/uapi/linux/netfilter/xt_tproxy2.h $prefix/include/linux/netfilter
include/uapi/linux/netfilter_ipv4/ip_tproxy.h $prefix/include/linux/netfilter_ipv4
include/uapi/linux/netfilter_ipv4/ipt_TPROXY.h $prefix/include/linux/netfilter_ipv4
include/uapi/linux/netfilter_ipv4/ipt_tproxy.h $prefix/include/linux/netfilter_ipv4
include/uapi/linux/netfilter_ipv6/ip6_tproxy.h $prefix/include/linux/netfilter_ipv6
include/uapi/linux/netfilter_ipv6/ip6t_TPROXY.h $prefix/include/linux/netfilter_ipv6
$b/xtables/libipt_TPROXY.so $xt
$b/xtables/libipt_tproxy.so $xt
$b/xtables/libip6t_TPROXY.so $xt
$b/xtables/libip6t_tproxy.so $xt
$b/bin/tproxy-relay $prefix/sbin
$b/bin/tproxy-conntrack $prefix/sbin
man/ip_tproxy.7 $prefix/share/man/man7
man/tproxy-relay.8 $prefix/share/man/man8
man/tproxy-conntrack.8 $prefix/share/man/man8
$b/man/iptables-tproxy2.8 $prefix/share/man/man8
$b/nft/sbin/nft $prefix/sbin
$b/nft/man/nft.8 $prefix/share/man/man8
EOF
}

mode_of() {
	case $1 in
	*.so | */sbin/*) echo 755 ;;
	*) echo 644 ;;
	esac
}

# Put the system's libxt_TPROXY.so aside, or back.
divert() {
	[ -z "$destdir" ] || return 0
	if command -v dpkg-divert >/dev/null 2>&1; then
		case $1 in
		add) dpkg-divert --package tproxy2 --divert "$distrib" --rename --add "$lib" ;;
		remove) dpkg-divert --package tproxy2 --divert "$distrib" --rename --remove "$lib" ;;
		esac
	else
		case $1 in
		add) [ ! -e "$lib" ] || [ -e "$distrib" ] || mv "$lib" "$distrib" ;;
		remove) [ ! -e "$distrib" ] || mv "$distrib" "$lib" ;;
		esac
	fi
}

case $mode in
install)
	files | while read -r src dir; do
		[ -f "$src" ] || { echo "install: $src is not built (make userspace)" >&2; exit 1; }
		install -d "$destdir$dir"
		install -m "$(mode_of "$dir/$(basename "$src")")" "$src" "$destdir$dir/"
		echo "  INSTALL $dir/$(basename "$src")"
	done
	divert add
	[ -f "$b/xtables-sys/libxt_TPROXY.so" ] ||
		{ echo "install: $b/xtables-sys/libxt_TPROXY.so is not built (make userspace)" >&2; exit 1; }
	install -m 755 "$b/xtables-sys/libxt_TPROXY.so" "$destdir$lib"
	echo "  INSTALL $lib (libipt_TPROXY.so and libip6t_TPROXY.so, for the name libxtables looks up first)"
	# the systemd unit, with the path of the relay
	install -d "$destdir$unitdir"
	sed "s|@SBINDIR@|$prefix/sbin|g" tools/tproxy-relay.service >"$destdir$unit"
	chmod 644 "$destdir$unit"
	echo "  INSTALL $unit"
	[ -z "$destdir" ] ||
		echo "  NOTE    a package of this must divert the system's $lib"
	;;
uninstall)
	files | while read -r src dir; do
		f=$destdir$dir/$(basename "$src")
		[ -e "$f" ] || continue
		rm -f "$f"
		echo "  REMOVE  $dir/$(basename "$src")"
	done
	# ours: the system's is aside, or it is the file we install
	if [ -e "$destdir$lib" ] && { [ -e "$destdir$distrib" ] ||
		cmp -s "$destdir$lib" "$b/xtables-sys/libxt_TPROXY.so"; }; then
		rm -f "$destdir$lib"
		echo "  REMOVE  $lib"
	fi
	if [ -e "$destdir$unit" ]; then
		rm -f "$destdir$unit"
		echo "  REMOVE  $unit"
	fi
	divert remove
	;;
*)
	echo "usage: install.sh install|uninstall BUILD DESTDIR PREFIX XTLIBDIR" >&2
	exit 2
	;;
esac
