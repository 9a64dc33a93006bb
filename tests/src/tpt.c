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

const char *tpt_fmt(const struct sockaddr_in *sin)
{
	return itp_fmt_addr(sin);
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

int tpt_connect(int fd, const struct sockaddr_in *dst, int timeout)
{
	int flags = fcntl(fd, F_GETFL);
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t sl = sizeof(int);
	int err = 0;

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) < 0) {
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
