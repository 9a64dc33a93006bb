/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * TPROXY 2.0 target of the ip6tables "tproxy" table.
 *
 * In the kernel this is revision 2 of the IPv6 "TPROXY" target: revision 1
 * belongs to the mangle table's TPROXY target (xt_TPROXY.h), so both can
 * live in one kernel and x_tables tells them apart by revision.
 */
#ifndef _IP6T_TPROXY_H_target
#define _IP6T_TPROXY_H_target

#include <linux/types.h>
#include <linux/in6.h>

#define IP6T_TPROXY_REVISION	2

/**
 * struct ip6t_tproxy_target_info - TPROXY target of the ip6tables tproxy table
 * @lport: port to redirect to, network order; 0 keeps the original port
 * @laddr: address to redirect to; :: means an address of the incoming
 *	interface of the destination's scope, as REDIRECT picks it (::1 for
 *	locally generated packets)
 *
 * Two bytes of padding follow @lport (20 bytes in all); userspace zeroes
 * them.
 */
struct ip6t_tproxy_target_info {
	__be16 lport;
	struct in6_addr laddr;
};

#endif /* _IP6T_TPROXY_H_target */
