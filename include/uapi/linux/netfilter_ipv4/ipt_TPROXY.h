/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * TPROXY 2.0 target of the "tproxy" table.
 *
 * In the kernel this is revision 2 of the IPv4 "TPROXY" target: revisions 0
 * and 1 belong to the mangle table's TPROXY target (xt_TPROXY.h), so both can
 * live in one kernel and x_tables tells them apart by revision.
 */
#ifndef _IPT_TPROXY_H_target
#define _IPT_TPROXY_H_target

#include <linux/types.h>

#define IPT_TPROXY_REVISION	2

/**
 * struct ipt_tproxy_target_info - TPROXY target of the tproxy table
 * @lport: port to redirect to, network order; 0 keeps the original port
 * @laddr: address to redirect to, network order; 0 means the primary address
 *	of the incoming interface (127.0.0.1 for locally generated packets)
 */
struct ipt_tproxy_target_info {
	__be16 lport;
	__be32 laddr;
};

#endif /* _IPT_TPROXY_H_target */
