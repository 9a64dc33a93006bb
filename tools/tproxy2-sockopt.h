/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The IP_TPROXY socket option and the IP_ORIGADDRS message, for the relay,
 * the test programs and the benchmark: one set of calls, one convention.
 * Addresses and ports are in network byte order everywhere, as in
 * struct in_tproxy and struct sockaddr_in.  The calls return what
 * setsockopt() and getsockopt() return: 0, or -1 with errno set.
 */
#ifndef TPROXY2_SOCKOPT_H
#define TPROXY2_SOCKOPT_H

#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netfilter_ipv4/ip_tproxy.h>

/* TPROXY_VERSION: set the version the caller speaks, or read the kernel's */
int itp_set_version(int fd, __u32 version);
int itp_get_version(int fd, __u32 *version);
/* TPROXY_ASSIGN, TPROXY_CONNECT: foreign address, peer */
int itp_assign(int fd, struct in_addr faddr, __u16 fport);
int itp_connect(int fd, struct in_addr raddr, __u16 rport);
int itp_unassign(int fd);
int itp_alloc(int fd);
/* TPROXY_FLAGS: set the mode and modifiers, or read them */
int itp_set_flags(int fd, __u32 flags);
int itp_get_flags(int fd, __u32 *flags);
/* TPROXY_QUERY: the foreign address (the local one if mark-only) */
int itp_query(int fd, struct in_addr *faddr, __u16 *fport);
/* IP_RECVORIGADDRS on a UDP socket */
int itp_recv_origaddrs(int fd, int on);
/* The IP_ORIGADDRS message of a received datagram; NULL if it has none,
 * or more than one
 */
const struct in_origaddrs *itp_origaddrs(struct msghdr *msg);
/* The control buffer for one IP_ORIGADDRS message */
#define ITP_ORIGADDRS_SPACE	CMSG_SPACE(sizeof(struct in_origaddrs))

/* "a.b.c.d:port" -> sin; the port may be left out if defport >= 0 (host
 * order).  Returns 0, or -1 on a malformed address.
 */
int itp_parse_addr(const char *s, struct sockaddr_in *sin, int defport);
/* "a.b.c.d:port" in one of two static buffers */
const char *itp_fmt_addr(const struct sockaddr_in *sin);
const char *itp_fmt(struct in_addr addr, __u16 port);

#endif
