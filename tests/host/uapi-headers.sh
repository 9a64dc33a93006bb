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
[ -f "$tmp/usr/include/linux/netfilter/xt_tproxy2.h" ] || fail "xt_tproxy2.h not installed"
for h in ip6_tproxy.h ip6t_TPROXY.h; do
	[ -f "$tmp/usr/include/linux/netfilter_ipv6/$h" ] || fail "$h not installed"
done
# only the installed headers, before the system's
cc -Wall -Werror -nostdinc -isystem "$tmp/usr/include" \
	$(echo | cc -E -Wp,-v - 2>&1 | sed -n 's/^ \(\/.*\)/-idirafter \1/p' | grep -v "$tmp") \
	-o "$tmp/abi-check" "$top/tests/src/abi-check.c" || fail "the ABI check does not compile"
"$tmp/abi-check" || fail "abi-check"
# the ip6tables tproxy table's target (patch 0007): its rule data as
# ip6t_TPROXY.h documents it, 20 bytes with two of padding after lport
cat >"$tmp/ip6t.c" <<'EOF'
#include <stddef.h>
#include <linux/netfilter_ipv6.h>
#include <linux/netfilter_ipv6/ip6t_TPROXY.h>
_Static_assert(IP6T_TPROXY_REVISION == 2, "revision");
_Static_assert(NF_IP6_PRI_TPROXY == -130, "priority");
_Static_assert(sizeof(struct ip6t_tproxy_target_info) == 20, "size");
_Static_assert(offsetof(struct ip6t_tproxy_target_info, lport) == 0, "lport");
_Static_assert(offsetof(struct ip6t_tproxy_target_info, laddr) == 4, "laddr");
int main(void) { return 0; }
EOF
cc -Wall -Werror -nostdinc -isystem "$tmp/usr/include" \
	$(echo | cc -E -Wp,-v - 2>&1 | sed -n 's/^ \(\/.*\)/-idirafter \1/p' | grep -v "$tmp") \
	-o "$tmp/ip6t" "$tmp/ip6t.c" || fail "ip6t_TPROXY.h: not the documented layout"
echo "ip6t_TPROXY.h: revision 2, NF_IP6_PRI_TPROXY -130, 20 bytes, laddr at 4"
