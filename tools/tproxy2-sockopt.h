/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The IP_TPROXY and IPV6_TPROXY socket options and the IP_ORIGADDRS and
 * IPV6_ORIGADDRS messages, for the relay, the test programs and the
 * benchmark: one set of calls, one convention.  Addresses and ports are in
 * network byte order everywhere, as in struct in_tproxy, struct in6_tproxy
 * and struct sockaddr_in(6).  The calls return what setsockopt() and
 * getsockopt() return: 0, or -1 with errno set.  itp_* speak IP_TPROXY
 * (SOL_IP), itp6_* IPV6_TPROXY (SOL_IPV6).
 */
#ifndef TPROXY2_SOCKOPT_H
#define TPROXY2_SOCKOPT_H

#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netfilter_ipv4/ip_tproxy.h>
#include <linux/netfilter_ipv6/ip6_tproxy.h>

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

/* The same calls through IPV6_TPROXY (SOL_IPV6, struct in6_tproxy), on
 * AF_INET6 sockets.  A v4-mapped faddr makes an IPv4 sockref.
 */
int itp6_set_version(int fd, __u32 version);
int itp6_get_version(int fd, __u32 *version);
int itp6_assign(int fd, struct in6_addr faddr, __u16 fport);
int itp6_connect(int fd, struct in6_addr raddr, __u16 rport);
int itp6_unassign(int fd);
int itp6_alloc(int fd);
int itp6_set_flags(int fd, __u32 flags);
int itp6_get_flags(int fd, __u32 *flags);
int itp6_query(int fd, struct in6_addr *faddr, __u16 *fport);
/* IPV6_RECVORIGADDRS on an AF_INET6 UDP socket */
int itp6_recv_origaddrs(int fd, int on);
/* The IPV6_ORIGADDRS message of a received datagram; NULL if it has none,
 * or more than one
 */
const struct in6_origaddrs *itp6_origaddrs(struct msghdr *msg);
/* The control buffer for one IPV6_ORIGADDRS message */
#define ITP6_ORIGADDRS_SPACE	CMSG_SPACE(sizeof(struct in6_origaddrs))

/*
 * Addresses of either family.  A struct sockaddr_storage holds a
 * struct sockaddr_in or a struct sockaddr_in6, told apart by ss_family.
 *
 * "a.b.c.d:port", "[v6]:port" (also "[::ffff:a.b.c.d]:port") -> ss; the
 * port may be left out ("a.b.c.d", "[v6]" or a bare "v6") if defport >= 0
 * (host order).  Returns 0, or -1 on a malformed address or port.
 */
int itp_parse_sockaddr(const char *s, struct sockaddr_storage *ss, int defport);
/* "a.b.c.d:port" or "[v6]:port" in one of four static buffers */
const char *itp_fmt_sockaddr(const struct sockaddr_storage *ss);
const char *itp6_fmt(struct in6_addr addr, __u16 port);
/* sizeof the family's sockaddr, for bind() and connect(); 0 if neither */
socklen_t itp_sockaddr_len(const struct sockaddr_storage *ss);
/* The port (network order) of either family */
__u16 itp_sockaddr_port(const struct sockaddr_storage *ss);
void itp_sockaddr_set_port(struct sockaddr_storage *ss, __u16 port);
/* Same family, address and port */
int itp_sockaddr_equal(const struct sockaddr_storage *a,
		       const struct sockaddr_storage *b);
/* A v4-mapped AF_INET6 address (::ffff:a.b.c.d) becomes AF_INET in place;
 * anything else is left as it is.  itp_sockaddr_map() does the reverse: an
 * AF_INET address becomes ::ffff:a.b.c.d, for an AF_INET6 socket.
 */
void itp_sockaddr_unmap(struct sockaddr_storage *ss);
void itp_sockaddr_map(struct sockaddr_storage *ss);

/* By family: IP_TPROXY for AF_INET, IPV6_TPROXY for AF_INET6 (the address's
 * family for ASSIGN and CONNECT, the socket's for the others)
 */
int itp_sa_assign(int fd, const struct sockaddr_storage *faddr);
int itp_sa_connect(int fd, const struct sockaddr_storage *raddr);
int itp_sa_set_version(int fd, int family, __u32 version);
int itp_sa_set_flags(int fd, int family, __u32 flags);

#endif
