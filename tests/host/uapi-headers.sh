#!/bin/sh
# The UAPI headers, installed by make headers_install, give exactly the
# documented ABI; a program compiled against them checks it.
set -u
top=$1
ksrc=$top/build/linux-source-6.12
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

make -s -C "$ksrc" ARCH=x86 O="$tmp/o" INSTALL_HDR_PATH="$tmp/usr" headers_install ||
	fail "headers_install"
for h in ip_tproxy.h ipt_TPROXY.h ipt_tproxy.h; do
	[ -f "$tmp/usr/include/linux/netfilter_ipv4/$h" ] || fail "$h not installed"
done
# only the installed headers, before the system's
cc -Wall -Werror -nostdinc -isystem "$tmp/usr/include" \
	$(echo | cc -E -Wp,-v - 2>&1 | sed -n 's/^ \(\/.*\)/-idirafter \1/p' | grep -v "$tmp") \
	-o "$tmp/abi-check" "$top/tests/src/abi-check.c" || fail "the ABI check does not compile"
"$tmp/abi-check" || fail "abi-check"
