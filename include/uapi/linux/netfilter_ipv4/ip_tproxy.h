/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * TPROXY 2.0 socket API: setsockopt/getsockopt(SOL_IP, IP_TPROXY) ties a
 * socket to a foreign address ("sockref"), so that it can connect from it
 * or accept connections addressed to it.  The values and layouts are those
 * of the original TPROXY 2.0 patch, so that proxies written for it build
 * unchanged.  See Documentation/networking/tproxy2.rst.
 */
#ifndef _UAPI_IP_TPROXY_H
#define _UAPI_IP_TPROXY_H

#include <linux/types.h>
#include <linux/in.h>

/* Socket options, level SOL_IP */
#define IP_RECVORIGADDRS	11273	/* UDP: deliver IP_ORIGADDRS cmsgs */
#define IP_ORIGADDRS		IP_RECVORIGADDRS
#define IP_TPROXY		11274	/* struct in_tproxy, set and get */

/* struct in_tproxy.op */
#define TPROXY_VERSION		0	/* set: check, get: the kernel's */
#define TPROXY_ASSIGN		1	/* set: create the sockref */
#define TPROXY_UNASSIGN		2	/* set: remove it */
#define TPROXY_QUERY		3	/* get: its foreign address */
#define TPROXY_FLAGS		4	/* set/get: its mode */
#define TPROXY_ALLOC		5	/* set: pick a free foreign port */
#define TPROXY_CONNECT		6	/* set: the remote peer */

/* TPROXY_VERSION: major in bits 31-24, minor in bits 23-16 */
#define TPROXY_FULLVERSION	0x02000000

/* struct in_tproxy.v.flags: exactly one mode... */
#define ITP_CONNECT		0x00000001	/* connect from the foreign address */
#define ITP_LISTEN		0x00000002	/* accept what is sent to it */
#define ITP_ESTABLISHED		0x00000004	/* both, with the remote peer only */
/* ...and modifiers */
#define ITP_ONCE		0x00010000	/* the first connection only */
#define ITP_MARK		0x00020000	/* mark for -m tproxy, do not translate */
#define ITP_APPLIED		0x00040000	/* read only: ITP_ONCE was used up */
#define ITP_UNIDIR		0x00080000	/* one direction only (UDP receivers) */

/* A foreign address; network byte order */
struct in_tproxy_addr {
	struct in_addr	faddr;
	__u16		fport;
};

struct in_tproxy {
	__u32 op;
	union {
		__u32			version;
		struct in_tproxy_addr	addr;
		__u32			flags;
	} v;
};

/* Payload of an IP_ORIGADDRS control message; network byte order */
struct in_origaddrs {
	struct in_addr	ioa_srcaddr;
	struct in_addr	ioa_dstaddr;
	__u16		ioa_srcport;
	__u16		ioa_dstport;
};

#endif /* _UAPI_IP_TPROXY_H */
