// SPDX-License-Identifier: GPL-2.0
#include "tpt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netfilter_ipv4.h>

#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST	80	/* <linux/netfilter_ipv6/ip6_tables.h> */
#endif

void tpt_die(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
	exit(2);
}

void tpt_parse_addr(const char *s, struct sockaddr_in *sin, int defport)
{
	if (itp_parse_addr(s, sin, defport)) {
		fprintf(stderr, "bad address %s (a.b.c.d%s)\n", s,
			defport >= 0 ? "[:port]" : ":port");
		exit(2);
	}
}

void tpt_parse(const char *s, union tpt_sa *a, int defport)
{
	if (itp_parse_sockaddr(s, &a->ss, defport)) {
		fprintf(stderr, "bad address %s (a.b.c.d%s or [v6]%s)\n", s,
			defport >= 0 ? "[:port]" : ":port", defport >= 0 ? "[:port]" : ":port");
		exit(2);
	}
}

const char *tpt_fmt(const void *sa)
{
	return itp_fmt_sockaddr(sa);
}

socklen_t tpt_salen(const void *sa)
{
	return itp_sockaddr_len(sa);
}

int tpt_is_mapped(const void *sa)
{
	const union tpt_sa *a = sa;

	return a->sa.sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&a->sin6.sin6_addr);
}

void tpt_unmap(union tpt_sa *a)
{
	itp_sockaddr_unmap(&a->ss);
}

void tpt_any(union tpt_sa *a, int family)
{
	memset(a, 0, sizeof(*a));
	a->sa.sa_family = family;
}

int tpt_orig_dst(int fd, union tpt_sa *orig)
{
	union tpt_sa local;
	socklen_t ll = sizeof(local), ol;

	memset(orig, 0, sizeof(*orig));
	if (getsockname(fd, &local.sa, &ll))
		return -1;
	if (local.sa.sa_family == AF_INET6 && !tpt_is_mapped(&local)) {
		ol = sizeof(orig->sin6);
		return getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, orig, &ol);
	}
	ol = sizeof(orig->sin);
	return getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, orig, &ol);
}

int tpt_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				struct pollfd pfd = { .fd = fd, .events = POLLOUT };

				poll(&pfd, 1, 1000);
				continue;
			}
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

ssize_t tpt_read_line(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got + 1 < len) {
		ssize_t n = read(fd, buf + got, 1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		if (buf[got++] == '\n')
			break;
	}
	buf[got] = '\0';
	return got;
}

int tpt_connect(int fd, const void *dst, int timeout)
{
	int flags = fcntl(fd, F_GETFL);
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t sl = sizeof(int);
	int err = 0;

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (connect(fd, (const struct sockaddr *)dst, tpt_salen(dst)) < 0) {
		if (errno != EINPROGRESS)
			return -errno;
		if (poll(&pfd, 1, timeout * 1000) != 1)
			return -ETIMEDOUT;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl);
	}
	fcntl(fd, F_SETFL, flags);
	return -err;
}

void tpt_relay(int a, int b)
{
	struct pollfd pfd[2] = {
		{ .fd = a, .events = POLLIN },
		{ .fd = b, .events = POLLIN },
	};
	int open = 2;
	char buf[16384];

	while (open) {
		if (poll(pfd, 2, 10000) <= 0)
			return;
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(pfd[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				shutdown(pfd[!i].fd, SHUT_WR);
				pfd[i].fd = -1;
				open--;
				continue;
			}
			if (tpt_write_all(pfd[!i].fd, buf, n) < 0)
				return;
		}
	}
}

int tpt_sock_level(int fd)
{
	union tpt_sa a;
	socklen_t l = sizeof(a);

	if (getsockname(fd, &a.sa, &l))
		return SOL_IP;
	return a.sa.sa_family == AF_INET6 ? SOL_IPV6 : SOL_IP;
}

int tpt_tproxy_assign(int fd, const union tpt_sa *faddr)
{
	return itp_sa_assign(fd, &faddr->ss);
}

int tpt_tproxy_connect(int fd, const union tpt_sa *raddr)
{
	return itp_sa_connect(fd, &raddr->ss);
}

int tpt_tproxy_query(int fd, int level, union tpt_sa *faddr)
{
	memset(faddr, 0, sizeof(*faddr));
	faddr->sa.sa_family = level == SOL_IPV6 ? AF_INET6 : AF_INET;
	if (level == SOL_IPV6)
		return itp6_query(fd, &faddr->sin6.sin6_addr, &faddr->sin6.sin6_port);
	return itp_query(fd, &faddr->sin.sin_addr, &faddr->sin.sin_port);
}

int tpt_tproxy_set_word(int fd, int level, __u32 op, __u32 word)
{
	int v6 = level == SOL_IPV6;

	switch (op) {
	case TPROXY_VERSION:
		return v6 ? itp6_set_version(fd, word) : itp_set_version(fd, word);
	case TPROXY_FLAGS:
		return v6 ? itp6_set_flags(fd, word) : itp_set_flags(fd, word);
	case TPROXY_UNASSIGN:
		return v6 ? itp6_unassign(fd) : itp_unassign(fd);
	case TPROXY_ALLOC:
		return v6 ? itp6_alloc(fd) : itp_alloc(fd);
	}
	errno = EINVAL;
	return -1;
}

int tpt_tproxy_get_word(int fd, int level, __u32 op, __u32 *word)
{
	int v6 = level == SOL_IPV6;

	if (op == TPROXY_VERSION)
		return v6 ? itp6_get_version(fd, word) : itp_get_version(fd, word);
	return v6 ? itp6_get_flags(fd, word) : itp_get_flags(fd, word);
}
