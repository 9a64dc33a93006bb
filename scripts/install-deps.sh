#!/bin/sh
# Install what building and testing tproxy2 needs, if it is missing (Debian 12, as root).
# install-deps.sh smp: what make check-smp needs besides (qemu).
set -eu
pkgs="linux-source-6.12 build-essential ccache bc flex bison libelf-dev libssl-dev cpio xz-utils
      iptables iproute2 libxtables-dev libnetfilter-conntrack-dev pkg-config patch
      conntrack man-db groff-base kmod rsync
      autoconf automake libtool libmnl-dev libgmp-dev libjansson-dev libedit-dev
      asciidoc-base nftables"
[ "${1:-}" = smp ] && pkgs="qemu-system-x86"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
