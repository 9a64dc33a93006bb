// SPDX-License-Identifier: GPL-2.0
/*
 * The TPROXY 2.0 ABI, checked at compile time against the *installed*
 * headers (make headers_install): every value, size and offset that proxies
 * written for the original patch rely on.
 */
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/netfilter_ipv4/ip_tproxy.h>
#include <linux/netfilter_ipv4/ipt_TPROXY.h>
#include <linux/netfilter_ipv4/ipt_tproxy.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter/nf_conntrack_common.h>

_Static_assert(IP_TPROXY == 11274, "IP_TPROXY");
_Static_assert(IP_RECVORIGADDRS == 11273, "IP_RECVORIGADDRS");
_Static_assert(IP_ORIGADDRS == 11273, "IP_ORIGADDRS");

_Static_assert(TPROXY_VERSION == 0, "TPROXY_VERSION");
_Static_assert(TPROXY_ASSIGN == 1, "TPROXY_ASSIGN");
_Static_assert(TPROXY_UNASSIGN == 2, "TPROXY_UNASSIGN");
_Static_assert(TPROXY_QUERY == 3, "TPROXY_QUERY");
_Static_assert(TPROXY_FLAGS == 4, "TPROXY_FLAGS");
_Static_assert(TPROXY_ALLOC == 5, "TPROXY_ALLOC");
_Static_assert(TPROXY_CONNECT == 6, "TPROXY_CONNECT");

_Static_assert(ITP_CONNECT == 0x1, "ITP_CONNECT");
_Static_assert(ITP_LISTEN == 0x2, "ITP_LISTEN");
_Static_assert(ITP_ESTABLISHED == 0x4, "ITP_ESTABLISHED");
_Static_assert(ITP_ONCE == 0x10000, "ITP_ONCE");
_Static_assert(ITP_MARK == 0x20000, "ITP_MARK");
_Static_assert(ITP_APPLIED == 0x40000, "ITP_APPLIED");
_Static_assert(ITP_UNIDIR == 0x80000, "ITP_UNIDIR");

_Static_assert(sizeof(struct in_tproxy_addr) == 8, "in_tproxy_addr size");
_Static_assert(offsetof(struct in_tproxy_addr, faddr) == 0, "faddr");
_Static_assert(offsetof(struct in_tproxy_addr, fport) == 4, "fport");
_Static_assert(sizeof(((struct in_tproxy_addr *)0)->fport) == 2, "fport size");

_Static_assert(sizeof(struct in_tproxy) == 12, "in_tproxy size");
_Static_assert(offsetof(struct in_tproxy, op) == 0, "op");
_Static_assert(offsetof(struct in_tproxy, v) == 4, "v");
_Static_assert(offsetof(struct in_tproxy, v.version) == 4, "v.version");
_Static_assert(offsetof(struct in_tproxy, v.addr.faddr) == 4, "v.addr.faddr");
_Static_assert(offsetof(struct in_tproxy, v.addr.fport) == 8, "v.addr.fport");
_Static_assert(offsetof(struct in_tproxy, v.flags) == 4, "v.flags");

_Static_assert(sizeof(struct in_origaddrs) == 12, "in_origaddrs size");
_Static_assert(offsetof(struct in_origaddrs, ioa_srcaddr) == 0, "ioa_srcaddr");
_Static_assert(offsetof(struct in_origaddrs, ioa_dstaddr) == 4, "ioa_dstaddr");
_Static_assert(offsetof(struct in_origaddrs, ioa_srcport) == 8, "ioa_srcport");
_Static_assert(offsetof(struct in_origaddrs, ioa_dstport) == 10, "ioa_dstport");

_Static_assert(sizeof(struct ipt_tproxy_target_info) == 8, "ipt_tproxy_target_info");
_Static_assert(offsetof(struct ipt_tproxy_target_info, lport) == 0, "lport");
_Static_assert(offsetof(struct ipt_tproxy_target_info, laddr) == 4, "laddr");

_Static_assert(NF_IP_PRI_TPROXY == -130, "NF_IP_PRI_TPROXY");
_Static_assert(NF_IP_PRI_MANGLE < NF_IP_PRI_TPROXY &&
	       NF_IP_PRI_TPROXY < NF_IP_PRI_NAT_DST, "after mangle, before DNAT");
_Static_assert(IPS_TPROXY == (1 << 16), "IPS_TPROXY");
_Static_assert(IPS_TPROXY_SOCKREF == (1 << 17), "IPS_TPROXY_SOCKREF");
_Static_assert(IPS_NAT_NO_HELPER == (1 << 18), "IPS_NAT_NO_HELPER");

int main(void)
{
	printf("ABI: all constants, sizes and offsets as documented\n");
	return 0;
}
