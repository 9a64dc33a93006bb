// SPDX-License-Identifier: GPL-2.0
/* The IP_TPROXY calls of the relay, the test programs and the benchmark. */
#include "tproxy2-sockopt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int itp_set(int fd, const struct in_tproxy *itp)
{
	return setsockopt(fd, SOL_IP, IP_TPROXY, itp, sizeof(*itp));
}

static int itp_set_addr(int fd, __u32 op, struct in_addr addr, __u16 port)
{
	struct in_tproxy itp = { .op = op };

	itp.v.addr.faddr = addr;
	itp.v.addr.fport = port;
	return itp_set(fd, &itp);
}

static int itp_set_word(int fd, __u32 op, __u32 word)
{
	struct in_tproxy itp = { .op = op };

	if (op == TPROXY_VERSION)
		itp.v.version = word;
	else
		itp.v.flags = word;
	return itp_set(fd, &itp);
}

/* getsockopt of op: the whole struct comes back, or it fails (EMSGSIZE) */
static int itp_get(int fd, __u32 op, struct in_tproxy *itp)
{
	socklen_t len = sizeof(*itp);

	memset(itp, 0, sizeof(*itp));
	itp->op = op;
	if (getsockopt(fd, SOL_IP, IP_TPROXY, itp, &len))
		return -1;
	if (len != sizeof(*itp)) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

int itp_set_version(int fd, __u32 version)
{
	return itp_set_word(fd, TPROXY_VERSION, version);
}

/* VERSION and FLAGS answer with one word */
static int itp_get_word(int fd, __u32 op, __u32 *word)
{
	struct in_tproxy itp;

	if (itp_get(fd, op, &itp))
		return -1;
	*word = op == TPROXY_VERSION ? itp.v.version : itp.v.flags;
	return 0;
}

int itp_get_version(int fd, __u32 *version)
{
	return itp_get_word(fd, TPROXY_VERSION, version);
}

int itp_assign(int fd, struct in_addr faddr, __u16 fport)
{
	return itp_set_addr(fd, TPROXY_ASSIGN, faddr, fport);
}

int itp_connect(int fd, struct in_addr raddr, __u16 rport)
{
	return itp_set_addr(fd, TPROXY_CONNECT, raddr, rport);
}

int itp_unassign(int fd)
{
	return itp_set_word(fd, TPROXY_UNASSIGN, 0);
}

int itp_alloc(int fd)
{
	return itp_set_word(fd, TPROXY_ALLOC, 0);
}

int itp_set_flags(int fd, __u32 flags)
{
	return itp_set_word(fd, TPROXY_FLAGS, flags);
}

int itp_get_flags(int fd, __u32 *flags)
{
	return itp_get_word(fd, TPROXY_FLAGS, flags);
}

int itp_query(int fd, struct in_addr *faddr, __u16 *fport)
{
	struct in_tproxy itp;

	if (itp_get(fd, TPROXY_QUERY, &itp))
		return -1;
	*faddr = itp.v.addr.faddr;
	*fport = itp.v.addr.fport;
	return 0;
}

int itp_recv_origaddrs(int fd, int on)
{
	return setsockopt(fd, SOL_IP, IP_RECVORIGADDRS, &on, sizeof(on));
}

const struct in_origaddrs *itp_origaddrs(struct msghdr *msg)
{
	const struct in_origaddrs *oa = NULL;
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_IP || cm->cmsg_type != IP_ORIGADDRS)
			continue;
		if (oa || cm->cmsg_len != CMSG_LEN(sizeof(*oa)))
			return NULL;
		oa = (const struct in_origaddrs *)CMSG_DATA(cm);
	}
	return oa;
}

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
		sin->sin_port = htons(atoi(colon + 1));
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
