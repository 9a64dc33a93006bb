// SPDX-License-Identifier: GPL-2.0
/*
 * Clients and servers for the relay's own tests (tests/host/relay-*.sh),
 * IPv4, addresses a.b.c.d:port:
 *
 *   relay-probe tcp-echo ADDR           answer each connection's first read
 *                                       with "echo:" and it, then close
 *   relay-probe tcp-silent ADDR         accept and hold, never read or write
 *   relay-probe tcp-ask DST MSG [SRC]   connect (from SRC), send MSG, print
 *                                       the answer; exit 1 if none in 5 s
 *   relay-probe tcp-late DST SRC MS MSG connect from SRC, send MSG after MS ms,
 *                                       print the answer; exit 1 if none
 *   relay-probe tcp-open N DST [SRC]    open N connections (from SRC), then
 *                                       close them all at once; print how
 *                                       many were accepted
 *   relay-probe udp-echo2 ADDR MS       answer each datagram with "a:" and it
 *                                       at once, and again with "b:" MS ms later
 *   relay-probe udp-flood ADDR N MS     answer each datagram with "a:" and it
 *                                       at once, and N times with "f:" MS ms later
 *   relay-probe udp-ask SRC DST MSG MS  send MSG from SRC to DST, print each
 *                                       answer that comes in MS ms; exit 1 if
 *                                       none did
 *   relay-probe udp-flows N SRCIP PORT0 DST MSG
 *                                       send MSG from N ports from PORT0 on
 *   relay-probe udp-two SRC1 SRC2 DST MSG1 MSG2 MS
 *                                       send MSG1 from SRC1, then MSG2 from
 *                                       SRC2; print every answer in the order
 *                                       it came ("1 ..." or "2 ...")
 *   relay-probe udp-bind ADDR           bind a UDP socket there with
 *                                       SO_REUSEADDR; exit 0 if it could
 */
#include "tproxy2-sockopt.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static struct sockaddr_in addr(const char *s)
{
	struct sockaddr_in sin;

	if (itp_parse_addr(s, &sin, 0)) {
		fprintf(stderr, "relay-probe: bad address %s\n", s);
		exit(2);
	}
	return sin;
}

static int sock(int type, const char *bindto, int reuse)
{
	int fd = socket(AF_INET, type, 0), one = 1;

	if (fd < 0)
		die("socket");
	if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		die("SO_REUSEADDR");
	if (bindto) {
		struct sockaddr_in sin = addr(bindto);

		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			die("bind");
	}
	return fd;
}

static long long ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void __attribute__((noreturn)) tcp_server(const char *a, int silent)
{
	int l = sock(SOCK_STREAM, a, 1);

	if (listen(l, 1024) < 0)
		die("listen");
	for (;;) {
		char buf[4096], out[4200];
		int fd = accept(l, NULL, NULL);
		ssize_t n;

		if (fd < 0)
			continue;
		if (silent)
			continue;	/* held open, never served */
		n = read(fd, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = '\0';
			n = snprintf(out, sizeof(out), "echo:%s", buf);
			if (write(fd, out, n) < 0)
				perror("write");
		}
		close(fd);
	}
}

static int tcp_connect(const char *dst, const char *src)
{
	struct sockaddr_in d = addr(dst);
	int fd = sock(SOCK_STREAM, src, 0);

	if (connect(fd, (struct sockaddr *)&d, sizeof(d)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int tcp_late(const char *dst, const char *src, int wait, const char *msg)
{
	struct timeval tv = { .tv_sec = 5 };
	char buf[4096];
	ssize_t n;
	int fd = tcp_connect(dst, src), got = 0;

	if (fd < 0)
		die("connect");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	usleep(wait * 1000);
	if (write(fd, msg, strlen(msg)) < 0)
		die("write");
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		fwrite(buf, 1, n, stdout);
		got = 1;
	}
	printf("\n");
	return got ? 0 : 1;
}

static int tcp_open(int n, const char *dst, const char *src)
{
	int *fds = calloc(n, sizeof(int)), ok = 0;

	for (int i = 0; i < n; i++) {
		fds[i] = tcp_connect(dst, src);
		ok += fds[i] >= 0;
	}
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	printf("%d\n", ok);
	return 0;
}

static void __attribute__((noreturn)) udp_server(const char *a, int delay, int times)
{
	struct pending { struct sockaddr_in to; char msg[512]; long long at; int n; } p[256];
	int fd = sock(SOCK_DGRAM, a, 1), np = 0;

	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		long long now = ms();
		int wait = -1;

		for (int i = 0; i < np; i++) {
			if (p[i].at <= now) {
				for (int k = 0; k < p[i].n; k++)
					if (sendto(fd, p[i].msg, strlen(p[i].msg), 0,
						   (struct sockaddr *)&p[i].to, sizeof(p[i].to)) < 0)
						perror("sendto");
				p[i--] = p[--np];
				continue;
			}
			if (wait < 0 || p[i].at - now < wait)
				wait = p[i].at - now;
		}
		if (poll(&pfd, 1, wait) > 0) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			char buf[400], out[512];
			int m;
			ssize_t n = recvfrom(fd, buf, sizeof(buf) - 1, 0,
					     (struct sockaddr *)&from, &fl);

			if (n < 0)
				continue;
			buf[n] = '\0';
			m = snprintf(out, sizeof(out), "a:%s", buf);
			sendto(fd, out, m, 0, (struct sockaddr *)&from, fl);
			if (delay >= 0 && np < 256) {
				p[np].to = from;
				snprintf(p[np].msg, sizeof(p[np].msg), "%s:%s", times > 1 ? "f" : "b", buf);
				p[np].n = times;
				p[np++].at = ms() + delay;
			}
		}
	}
}

/* Print what comes on fds within t ms, each line prefixed by its index
 * (when more than one)
 */
static int udp_collect(int *fds, int nfd, int t)
{
	long long end = ms() + t;
	int got = 0;

	for (long long now; (now = ms()) < end;) {
		struct pollfd pfd[2];

		for (int i = 0; i < nfd; i++)
			pfd[i] = (struct pollfd){ fds[i], POLLIN, 0 };
		if (poll(pfd, nfd, end - now) <= 0)
			continue;
		for (int i = 0; i < nfd; i++) {
			char buf[600];
			ssize_t n;

			if (!(pfd[i].revents & POLLIN))
				continue;
			n = recv(fds[i], buf, sizeof(buf) - 1, MSG_DONTWAIT);
			if (n < 0)
				continue;
			buf[n] = '\0';
			if (nfd > 1)
				printf("%d ", i + 1);
			printf("%s\n", buf);
			got++;
		}
	}
	fflush(stdout);
	return got;
}

static void udp_send(int fd, const char *dst, const char *msg)
{
	struct sockaddr_in d = addr(dst);

	if (sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&d, sizeof(d)) < 0)
		die("sendto");
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(c, "tcp-echo") && argc == 3)
		tcp_server(argv[2], 0);
	if (!strcmp(c, "tcp-silent") && argc == 3)
		tcp_server(argv[2], 1);
	if (!strcmp(c, "tcp-ask") && (argc == 4 || argc == 5))
		return tcp_late(argv[2], argc == 5 ? argv[4] : NULL, 0, argv[3]);
	if (!strcmp(c, "tcp-late") && argc == 6)
		return tcp_late(argv[2], argv[3], atoi(argv[4]), argv[5]);
	if (!strcmp(c, "tcp-open") && (argc == 4 || argc == 5))
		return tcp_open(atoi(argv[2]), argv[3], argc == 5 ? argv[4] : NULL);
	if (!strcmp(c, "udp-echo2") && argc == 4)
		udp_server(argv[2], atoi(argv[3]), 1);
	if (!strcmp(c, "udp-flood") && argc == 5)
		udp_server(argv[2], atoi(argv[4]), atoi(argv[3]));
	if (!strcmp(c, "udp-ask") && argc == 6) {
		int fd = sock(SOCK_DGRAM, argv[2], 0);

		udp_send(fd, argv[3], argv[4]);
		return udp_collect(&fd, 1, atoi(argv[5])) ? 0 : 1;
	}
	if (!strcmp(c, "udp-flows") && argc == 7) {
		for (int i = 0; i < atoi(argv[2]); i++) {
			char src[64];
			int fd;

			snprintf(src, sizeof(src), "%s:%d", argv[3], atoi(argv[4]) + i);
			fd = sock(SOCK_DGRAM, src, 0);
			udp_send(fd, argv[5], argv[6]);
			close(fd);
		}
		return 0;
	}
	if (!strcmp(c, "udp-two") && argc == 8) {
		int fds[2] = { sock(SOCK_DGRAM, argv[2], 0), sock(SOCK_DGRAM, argv[3], 0) };
		int big = 1 << 22;

		for (int i = 0; i < 2; i++)
			setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
		udp_send(fds[0], argv[4], argv[5]);
		usleep(200000);
		udp_send(fds[1], argv[4], argv[6]);
		return udp_collect(fds, 2, atoi(argv[7])) ? 0 : 1;
	}
	if (!strcmp(c, "udp-bind") && argc == 3) {
		struct sockaddr_in sin = addr(argv[2]);
		int fd = sock(SOCK_DGRAM, NULL, 1);

		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
			printf("bind %s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		printf("bound %s\n", argv[2]);
		return 0;
	}
	fprintf(stderr, "usage: see the comment at the top of relay-probe.c\n");
	return 2;
}
