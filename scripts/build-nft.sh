#!/bin/sh
# build-nft.sh TOP VENDOR OUT
# make nft: the patched libnftnl and nft, from the vendored tarballs in
# VENDOR (../shared/vendor: see its README) and the series in
# extensions/nft/, built under OUT (build/nft):
#
#   OUT/sbin/nft        nft 1.0.6 as Debian 12 ships it (Debian's own
#                       patches first), with the tproxy2 statement and the
#                       TPROXY 2.0 ct status names
#   OUT/man/nft.8       its man page
#
# nft links the patched libnftnl and libnftables statically: it needs no
# library of its own at run time, and the system's libnftnl and
# libnftables stay as they are (make install puts nft and nft.8 under
# PREFIX only).  Each part is rebuilt from a fresh tree when one of its
# inputs (tarball, patch, series, this script) changes, and only then.
set -eu
top=$1 vendor=$2 out=$3
jobs=${JOBS:-2}
# a2x runs "env python3": a python earlier in PATH (pyenv) lacks asciidoc
PATH=/usr/bin:/bin:$PATH
export PATH
# run from make install DESTDIR=...: the outer make's variables reach the
# inner makes through the environment (MAKEFLAGS); they must not
unset MAKEFLAGS MFLAGS MAKELEVEL DESTDIR PREFIX

nftnl_tar=$vendor/libnftnl-1.2.4.tar.xz
nft_tar=$vendor/nftables-1.0.6.tar.xz
deb_tar=$vendor/nftables_1.0.6-2+deb12u2.debian.tar.xz
for f in "$nftnl_tar" "$nft_tar" "$deb_tar"; do
	[ -f "$f" ] || { echo "build-nft: $f is missing (see $top/README.md)" >&2; exit 1; }
done
mkdir -p "$out"
# one build at a time (make install and make check may both ask for it)
exec 9>"$out.lock"
flock 9

# inputs NAME FILE...: the checksums of FILE... and of the series NAME
inputs() {
	name=$1
	shift
	sha256sum "$@" "$top/scripts/build-nft.sh" "$top/extensions/nft/$name/series"
	while read -r p; do
		case $p in "" | "#"*) continue ;; esac
		sha256sum "$top/extensions/nft/$name/$p"
	done <"$top/extensions/nft/$name/series"
}

# unpack NAME TARBALL: a fresh tree OUT/src/NAME with our series applied
# (after Debian's for nftables)
unpack() {
	rm -rf "$out/src/$1"
	mkdir -p "$out/src/$1"
	tar -xJf "$2" -C "$out/src/$1" --strip-components=1
	if [ "$1" = nftables ]; then
		mkdir -p "$out/src/debian"
		tar -xJf "$deb_tar" -C "$out/src/debian"
		while read -r p; do
			case $p in "" | "#"*) continue ;; esac
			patch -d "$out/src/$1" -p1 -s --no-backup-if-mismatch \
				<"$out/src/debian/debian/patches/$p"
		done <"$out/src/debian/debian/patches/series"
	fi
	while read -r p; do
		case $p in "" | "#"*) continue ;; esac
		echo "  PATCH   $1: $p"
		patch -d "$out/src/$1" -p1 -s --no-backup-if-mismatch \
			<"$top/extensions/nft/$1/$p"
	done <"$top/extensions/nft/$1/series"
	# the series changes Makefile.am (libnftnl) and needs a fresh configure
	(cd "$out/src/$1" && autoreconf -fi >/dev/null 2>&1)
}

# logged NAME CMD...: CMD with its output in OUT/NAME.log, shown if it fails
logged() {
	log=$out/$1.log
	shift
	if ! "$@" >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		echo "build-nft: failed, see $log" >&2
		exit 1
	fi
}

# libnftnl: a static library, for nft only; its unit test of tproxy2 runs
inputs libnftnl "$nftnl_tar" >"$out/libnftnl.inputs"
if ! cmp -s "$out/libnftnl.inputs" "$out/libnftnl.built" 2>/dev/null; then
	echo "  BUILD   libnftnl 1.2.4 (patched) in $out/src/libnftnl"
	unpack libnftnl "$nftnl_tar"
	logged libnftnl sh -c "cd '$out/src/libnftnl' &&
		./configure --prefix='$out/libnftnl' --disable-shared --enable-static &&
		make -j$jobs &&
		make -C tests nft-expr_tproxy2-test && ./tests/nft-expr_tproxy2-test &&
		rm -rf '$out/libnftnl' && make install"
	cp "$out/libnftnl.inputs" "$out/libnftnl.built"
	rm -f "$out/nftables.built"
fi

# nft: Debian's configure options (json, editline, xtables), statically
# linked with libnftables and libnftnl; only nft and nft.8 are built.
# sysconfdir is Debian's: nft's default include path is /etc.
{ inputs nftables "$nft_tar" "$deb_tar"; cat "$out/libnftnl.built"; } >"$out/nftables.inputs"
if ! cmp -s "$out/nftables.inputs" "$out/nftables.built" 2>/dev/null ||
	[ ! -x "$out/sbin/nft" ] || [ ! -f "$out/man/nft.8" ]; then
	echo "  BUILD   nftables 1.0.6 (Debian 12's, patched) in $out/src/nftables"
	unpack nftables "$nft_tar"
	logged nftables sh -c "cd '$out/src/nftables' &&
		PKG_CONFIG_PATH='$out/libnftnl/lib/pkgconfig' ./configure \\
			--prefix=/usr/local --sysconfdir=/etc \\
			--disable-shared --enable-static --disable-python \\
			--with-json --with-cli=editline --with-xtables &&
		make -j$jobs -C src && make -C doc nft.8"
	mkdir -p "$out/sbin" "$out/man"
	# renamed into place: a test may be running the old nft
	cp "$out/src/nftables/src/nft" "$out/sbin/nft.new"
	mv -f "$out/sbin/nft.new" "$out/sbin/nft"
	cp "$out/src/nftables/doc/nft.8" "$out/man/nft.8"
	cp "$out/nftables.inputs" "$out/nftables.built"
	echo "  BUILT   $out/sbin/nft, $out/man/nft.8"
fi
touch "$out/sbin/nft" "$out/man/nft.8"
