/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * TPROXY 2.0 socket API for IPv6: setsockopt/getsockopt(SOL_IPV6,
 * IPV6_TPROXY) is IP_TPROXY with an IPv6 foreign address.  The operations,
 * flags and version are those of <linux/netfilter_ipv4/ip_tproxy.h>.
 *
 * The option numbers are IP_TPROXY's and IP_RECVORIGADDRS's: free in
 * <linux/in6.h>, whose options and netfilter's (IP6T_SO_*) stay below 100,
 * and one number serves a proxy at both levels.
 *
 * A v4-mapped foreign address (::ffff:a.b.c.d) ties the socket to the IPv4
 * address, as IP_TPROXY does.  See Documentation/networking/tproxy2.rst.
 */
#ifndef _UAPI_IP6_TPROXY_H
#define _UAPI_IP6_TPROXY_H

#include <linux/types.h>
#include <linux/in6.h>
#include <linux/netfilter_ipv4/ip_tproxy.h>

/* Socket options, level SOL_IPV6 */
#define IPV6_RECVORIGADDRS	11273	/* UDP: deliver IPV6_ORIGADDRS cmsgs */
#define IPV6_ORIGADDRS		IPV6_RECVORIGADDRS
#define IPV6_TPROXY		11274	/* struct in6_tproxy, set and get */

/* A foreign address; network byte order */
struct in6_tproxy_addr {
	struct in6_addr	faddr;
	__u16		fport;
};

struct in6_tproxy {
	__u32 op;
	union {
		__u32			version;
		struct in6_tproxy_addr	addr;
		__u32			flags;
	} v;
};

/* Payload of an IPV6_ORIGADDRS control message; network byte order */
struct in6_origaddrs {
	struct in6_addr	ioa_srcaddr;
	struct in6_addr	ioa_dstaddr;
	__u16		ioa_srcport;
	__u16		ioa_dstport;
};

#endif /* _UAPI_IP6_TPROXY_H */
