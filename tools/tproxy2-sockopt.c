// SPDX-License-Identifier: GPL-2.0
/* The IP_TPROXY and IPV6_TPROXY calls of the relay, the test programs and the
 * benchmark.
 */
#include "tproxy2-sockopt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * struct in_tproxy and struct in6_tproxy have one layout: the op, then the
 * word (version or flags) or the address followed by the port.  One set of
 * calls serves both, told apart by the family of the option.
 */
union itp_any {
	struct in_tproxy v4;
	struct in6_tproxy v6;
};

static int itp_level(int family)
{
	return family == AF_INET6 ? SOL_IPV6 : SOL_IP;
}

static int itp_optname(int family)
{
	return family == AF_INET6 ? IPV6_TPROXY : IP_TPROXY;
}

static socklen_t itp_size(int family)
{
	return family == AF_INET6 ? sizeof(struct in6_tproxy) : sizeof(struct in_tproxy);
}

static int itp_set_addr(int family, int fd, __u32 op, const void *addr, __u16 port)
{
	union itp_any itp;

	memset(&itp, 0, sizeof(itp));
	if (family == AF_INET6) {
		itp.v6.op = op;
		memcpy(&itp.v6.v.addr.faddr, addr, sizeof(itp.v6.v.addr.faddr));
		itp.v6.v.addr.fport = port;
	} else {
		itp.v4.op = op;
		memcpy(&itp.v4.v.addr.faddr, addr, sizeof(itp.v4.v.addr.faddr));
		itp.v4.v.addr.fport = port;
	}
	return setsockopt(fd, itp_level(family), itp_optname(family), &itp,
			  itp_size(family));
}

/* VERSION and FLAGS carry one word, the first of the union in both */
static int itp_set_word(int family, int fd, __u32 op, __u32 word)
{
	union itp_any itp;

	memset(&itp, 0, sizeof(itp));
	if (family == AF_INET6) {
		itp.v6.op = op;
		itp.v6.v.flags = word;
	} else {
		itp.v4.op = op;
		itp.v4.v.flags = word;
	}
	return setsockopt(fd, itp_level(family), itp_optname(family), &itp,
			  itp_size(family));
}

/* getsockopt of op: the whole struct comes back, or it fails (EMSGSIZE) */
static int itp_get(int family, int fd, __u32 op, union itp_any *itp)
{
	socklen_t len = itp_size(family);

	memset(itp, 0, sizeof(*itp));
	itp->v4.op = op;	/* the same place in both */
	if (getsockopt(fd, itp_level(family), itp_optname(family), itp, &len))
		return -1;
	if (len != itp_size(family)) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

static int itp_get_word(int family, int fd, __u32 op, __u32 *word)
{
	union itp_any itp;

	if (itp_get(family, fd, op, &itp))
		return -1;
	*word = family == AF_INET6 ? itp.v6.v.flags : itp.v4.v.flags;
	return 0;
}

int itp_set_version(int fd, __u32 version)
{
	return itp_set_word(AF_INET, fd, TPROXY_VERSION, version);
}

int itp_get_version(int fd, __u32 *version)
{
	return itp_get_word(AF_INET, fd, TPROXY_VERSION, version);
}

int itp_assign(int fd, struct in_addr faddr, __u16 fport)
{
	return itp_set_addr(AF_INET, fd, TPROXY_ASSIGN, &faddr, fport);
}

int itp_connect(int fd, struct in_addr raddr, __u16 rport)
{
	return itp_set_addr(AF_INET, fd, TPROXY_CONNECT, &raddr, rport);
}

int itp_unassign(int fd)
{
	return itp_set_word(AF_INET, fd, TPROXY_UNASSIGN, 0);
}

int itp_alloc(int fd)
{
	return itp_set_word(AF_INET, fd, TPROXY_ALLOC, 0);
}

int itp_set_flags(int fd, __u32 flags)
{
	return itp_set_word(AF_INET, fd, TPROXY_FLAGS, flags);
}

int itp_get_flags(int fd, __u32 *flags)
{
	return itp_get_word(AF_INET, fd, TPROXY_FLAGS, flags);
}

int itp6_set_version(int fd, __u32 version)
{
	return itp_set_word(AF_INET6, fd, TPROXY_VERSION, version);
}

int itp6_get_version(int fd, __u32 *version)
{
	return itp_get_word(AF_INET6, fd, TPROXY_VERSION, version);
}

int itp6_assign(int fd, struct in6_addr faddr, __u16 fport)
{
	return itp_set_addr(AF_INET6, fd, TPROXY_ASSIGN, &faddr, fport);
}

int itp6_connect(int fd, struct in6_addr raddr, __u16 rport)
{
	return itp_set_addr(AF_INET6, fd, TPROXY_CONNECT, &raddr, rport);
}

int itp6_unassign(int fd)
{
	return itp_set_word(AF_INET6, fd, TPROXY_UNASSIGN, 0);
}

int itp6_alloc(int fd)
{
	return itp_set_word(AF_INET6, fd, TPROXY_ALLOC, 0);
}

int itp6_set_flags(int fd, __u32 flags)
{
	return itp_set_word(AF_INET6, fd, TPROXY_FLAGS, flags);
}

int itp6_get_flags(int fd, __u32 *flags)
{
	return itp_get_word(AF_INET6, fd, TPROXY_FLAGS, flags);
}

int itp_query(int fd, struct in_addr *faddr, __u16 *fport)
{
	union itp_any itp;

	if (itp_get(AF_INET, fd, TPROXY_QUERY, &itp))
		return -1;
	*faddr = itp.v4.v.addr.faddr;
	*fport = itp.v4.v.addr.fport;
	return 0;
}

int itp6_query(int fd, struct in6_addr *faddr, __u16 *fport)
{
	union itp_any itp;

	if (itp_get(AF_INET6, fd, TPROXY_QUERY, &itp))
		return -1;
	*faddr = itp.v6.v.addr.faddr;
	*fport = itp.v6.v.addr.fport;
	return 0;
}

int itp_recv_origaddrs(int fd, int on)
{
	return setsockopt(fd, SOL_IP, IP_RECVORIGADDRS, &on, sizeof(on));
}

int itp6_recv_origaddrs(int fd, int on)
{
	return setsockopt(fd, SOL_IPV6, IPV6_RECVORIGADDRS, &on, sizeof(on));
}

/* The payload of the one (level, type) message of len bytes; NULL if there
 * is none, or more than one, or it has another length
 */
static const void *itp_cmsg(struct msghdr *msg, int level, int type, size_t len)
{
	const void *data = NULL;
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != level || cm->cmsg_type != type)
			continue;
		if (data || cm->cmsg_len != CMSG_LEN(len))
			return NULL;
		data = CMSG_DATA(cm);
	}
	return data;
}

const struct in_origaddrs *itp_origaddrs(struct msghdr *msg)
{
	return itp_cmsg(msg, SOL_IP, IP_ORIGADDRS, sizeof(struct in_origaddrs));
}

const struct in6_origaddrs *itp6_origaddrs(struct msghdr *msg)
{
	return itp_cmsg(msg, SOL_IPV6, IPV6_ORIGADDRS, sizeof(struct in6_origaddrs));
}

static int itp_parse_port(const char *s, __u16 *port);

int itp_parse_addr(const char *s, struct sockaddr_in *sin, int defport)
{
	char buf[64], *colon;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -1;
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	colon = strchr(buf, ':');
	if (colon) {
		*colon = '\0';
		if (itp_parse_port(colon + 1, &sin->sin_port))
			return -1;
	} else if (defport >= 0) {
		sin->sin_port = htons(defport);
	} else {
		return -1;
	}
	return inet_pton(AF_INET, buf, &sin->sin_addr) == 1 ? 0 : -1;
}

const char *itp_fmt(struct in_addr addr, __u16 port)
{
	static char bufs[2][INET_ADDRSTRLEN + 8];
	static int n;
	char *b = bufs[n++ & 1];
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &addr, ip, sizeof(ip));
	snprintf(b, sizeof(bufs[0]), "%s:%u", ip, ntohs(port));
	return b;
}

const char *itp_fmt_addr(const struct sockaddr_in *sin)
{
	return itp_fmt(sin->sin_addr, sin->sin_port);
}

/* Addresses of either family */

static int itp_parse_port(const char *s, __u16 *port)
{
	char *end;
	long v;

	/* digits only: no sign, no blank, no base prefix */
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 65535)
		return -1;
	*port = htons(v);
	return 0;
}

int itp_parse_sockaddr(const char *s, struct sockaddr_storage *ss, int defport)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	char buf[80], *host = buf, *port = NULL, *p;
	__u16 nport;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -1;
	memset(ss, 0, sizeof(*ss));
	p = strchr(buf, ':');
	if (buf[0] == '[') {
		host = buf + 1;
		p = strchr(host, ']');
		if (!p)
			return -1;
		*p++ = '\0';
		if (*p == ':')
			port = p + 1;
		else if (*p)
			return -1;
	} else if (p && !strchr(p + 1, ':')) {
		/* one colon: a.b.c.d:port; more: a bare IPv6 address */
		*p = '\0';
		port = p + 1;
	}
	if (port) {
		if (itp_parse_port(port, &nport))
			return -1;
	} else if (defport >= 0 && defport <= 65535) {
		nport = htons(defport);
	} else {
		return -1;
	}
	if (host != buf || strchr(host, ':')) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = nport;
		return inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1 ? 0 : -1;
	}
	sin->sin_family = AF_INET;
	sin->sin_port = nport;
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}

const char *itp6_fmt(struct in6_addr addr, __u16 port)
{
	static char bufs[4][INET6_ADDRSTRLEN + 10];
	static int n;
	char *b = bufs[n++ & 3];
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &addr, ip, sizeof(ip));
	snprintf(b, sizeof(bufs[0]), "[%s]:%u", ip, ntohs(port));
	return b;
}

const char *itp_fmt_sockaddr(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

	if (ss->ss_family == AF_INET6)
		return itp6_fmt(sin6->sin6_addr, sin6->sin6_port);
	if (ss->ss_family == AF_INET)
		return itp_fmt(sin->sin_addr, sin->sin_port);
	return "?";
}

socklen_t itp_sockaddr_len(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return sizeof(struct sockaddr_in6);
	if (ss->ss_family == AF_INET)
		return sizeof(struct sockaddr_in);
	return 0;
}

__u16 itp_sockaddr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ((const struct sockaddr_in6 *)ss)->sin6_port;
	return ((const struct sockaddr_in *)ss)->sin_port;
}

void itp_sockaddr_set_port(struct sockaddr_storage *ss, __u16 port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = port;
	else
		((struct sockaddr_in *)ss)->sin_port = port;
}

int itp_sockaddr_equal(const struct sockaddr_storage *a,
		       const struct sockaddr_storage *b)
{
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)b;
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)a;
	const struct sockaddr_in *b4 = (const struct sockaddr_in *)b;

	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET6)
		return a6->sin6_port == b6->sin6_port &&
		       !memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr));
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		       a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return 0;
}

void itp_sockaddr_unmap(struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in sin;

	if (ss->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		return;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = sin6->sin6_port;
	memcpy(&sin.sin_addr, &sin6->sin6_addr.s6_addr[12], 4);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &sin, sizeof(sin));
}

void itp_sockaddr_map(struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 sin6;

	if (ss->ss_family != AF_INET)
		return;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = sin->sin_port;
	sin6.sin6_addr.s6_addr[10] = 0xff;
	sin6.sin6_addr.s6_addr[11] = 0xff;
	memcpy(&sin6.sin6_addr.s6_addr[12], &sin->sin_addr, 4);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &sin6, sizeof(sin6));
}

static int itp_sa_set_addr(int fd, __u32 op, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

	if (ss->ss_family == AF_INET6)
		return itp_set_addr(AF_INET6, fd, op, &sin6->sin6_addr, sin6->sin6_port);
	if (ss->ss_family == AF_INET)
		return itp_set_addr(AF_INET, fd, op, &sin->sin_addr, sin->sin_port);
	errno = EAFNOSUPPORT;
	return -1;
}

int itp_sa_assign(int fd, const struct sockaddr_storage *faddr)
{
	return itp_sa_set_addr(fd, TPROXY_ASSIGN, faddr);
}

int itp_sa_connect(int fd, const struct sockaddr_storage *raddr)
{
	return itp_sa_set_addr(fd, TPROXY_CONNECT, raddr);
}

int itp_sa_set_version(int fd, int family, __u32 version)
{
	return itp_set_word(family, fd, TPROXY_VERSION, version);
}

int itp_sa_set_flags(int fd, int family, __u32 flags)
{
	return itp_set_word(family, fd, TPROXY_FLAGS, flags);
}
