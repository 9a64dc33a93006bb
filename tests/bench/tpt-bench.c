// SPDX-License-Identifier: GPL-2.0
/*
 * tpt-bench: the programs of make bench.
 *
 * Addresses are a.b.c.d:port or [v6]:port; a connection is of its
 * address's family.
 *
 *   tpt-bench server ADDR:PORT       request/answer: read a request, answer
 *                                    64 bytes, close (the server closes first)
 *   tpt-bench sink ADDR:PORT         read and drop everything
 *   tpt-bench proxy MODE PORT        one epoll proxy for all setups, with an
 *                                    IPv4 and an IPv6 listener on PORT; MODE:
 *       tproxy2   redirected by the tproxy table: SO_ORIGINAL_DST
 *                 (IP6T_SO_ORIGINAL_DST), then bind(0) + ASSIGN(client, 0)
 *                 + ITP_CONNECT, through IP_TPROXY (IPV6_TPROXY)
 *       v4        mainline TPROXY: an IP_TRANSPARENT (IPV6_TRANSPARENT)
 *                 listener, the original destination is the local address,
 *                 IP_TRANSPARENT bind(client, 0) for the server side
 *       redirect  nat REDIRECT: SO_ORIGINAL_DST and a plain connect
 *   tpt-bench rr DST SECONDS CONC    new connections, one request/answer
 *                                    each, CONC at once: "conns_per_s=N"
 *   tpt-bench bulk DST SECONDS       one connection, as fast as it goes:
 *                                    "mbytes_per_s=N"
 *   tpt-bench idle N [FOREIGN]       N UDP sockets with idle CONNECT
 *                                    sockrefs, all on FOREIGN:0 if given;
 *                                    "ready", then wait
 *   tpt-bench alloc N FOREIGN        N times socket, bind, ASSIGN(FOREIGN,
 *                                    0), ALLOC, close: "us_per_op=N"
 *   tpt-bench noalloc N FOREIGN      the same without ALLOC (the control)
 *   tpt-bench closeplain N ADDR      N UDP sockets without sockrefs bound
 *                                    to ADDR:0; the time to close one:
 *                                    "us_per_close=N"
 *   tpt-bench fill N DST-NET         N unrelated UDP conntracks: datagrams to
 *                                    DST-NET.1-250, ports 1024 and up
 *   tpt-bench setup N MODE CLIENT    the proxy's per-connection socket work
 *                                    without the connection: N times socket,
 *                                    bind and (MODE tproxy2) ASSIGN + FLAGS or
 *                                    (v4) IP_TRANSPARENT, close: "us_per_op=N";
 *                                    CLIENT's family
 *   tpt-bench close N DST FOREIGN    N UDP sockets from FOREIGN (CONNECT),
 *                                    each owning the conntrack of one
 *                                    datagram to DST; the time to close them
 *                                    all: "close_us=N"
 *   tpt-bench syscall N              N trivial system calls (getppid), the
 *                                    cost of entering the kernel at all:
 *                                    "us_per_call=N"
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "tproxy2-sockopt.h"

#define RR_LEN		64
#define BUFSZ		65536

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void parse(const char *s, struct sockaddr_in *sin)
{
	if (itp_parse_addr(s, sin, 0)) {
		fprintf(stderr, "tpt-bench: bad address %s\n", s);
		exit(2);
	}
}

/* an address of either family */
static void parse_any(const char *s, struct sockaddr_storage *ss)
{
	if (itp_parse_sockaddr(s, ss, 0)) {
		fprintf(stderr, "tpt-bench: bad address %s\n", s);
		exit(2);
	}
}

static const struct sockaddr *sa(const struct sockaddr_storage *ss)
{
	return (const struct sockaddr *)ss;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* IP_TRANSPARENT or IPV6_TRANSPARENT, by the socket's family */
static int transparent(int fd, int family)
{
	int one = 1;

	if (family == AF_INET6)
		return setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof(one));
	return setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one));
}

/* an IPv6 listener is IPV6_V6ONLY: the IPv4 one beside it has the port */
static int listener(const struct sockaddr_storage *a, bool transp)
{
	int fd = socket(a->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->ss_family == AF_INET6)
		setsockopt(fd, SOL_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (transp && transparent(fd, a->ss_family))
		die("IP_TRANSPARENT");
	if (bind(fd, sa(a), itp_sockaddr_len(a)) || listen(fd, 4096))
		die("listen");
	return fd;
}

static void nofile(rlim_t n)
{
	struct rlimit rl = { n, n };

	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("RLIMIT_NOFILE");
}

/* ---- servers ---- */

static __attribute__((noreturn)) int server(const char *addr, bool sink)
{
	struct sockaddr_storage a;
	int lfd, ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN }, evs[256];
	static char buf[BUFSZ], answer[RR_LEN];

	nofile(65536);
	signal(SIGPIPE, SIG_IGN);
	parse_any(addr, &a);
	lfd = listener(&a, false);
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	memset(answer, 'a', sizeof(answer));
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			ssize_t r;

			if (fd == lfd) {
				int c;

				while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			r = read(fd, buf, sizeof(buf));
			if (r > 0 && sink)
				continue;
			if (r > 0)
				write(fd, answer, sizeof(answer));
			if (r < 0 && errno == EAGAIN)
				continue;
			close(fd);
		}
	}
}

/* ---- the proxy ---- */

enum mode { TPROXY2, V4, REDIRECT };

struct pair;

struct half {
	int fd, peer;		/* fd -1: closed */
	struct half *other;
	struct pair *pair;
	char buf[BUFSZ];
	size_t len, off;
	bool eof;
};

/* a relayed connection; freed after the epoll round that closed it */
struct pair {
	struct half up, down;
	struct pair *next_dead;
};

static struct pair *dead;

/* Move what can be moved from h->fd to h->peer; false when done or failed */
static bool pump(struct half *h)
{
	for (;;) {
		if (h->off < h->len) {
			ssize_t n = write(h->peer, h->buf + h->off, h->len - h->off);

			if (n < 0)
				return errno == EAGAIN;
			h->off += n;
			continue;
		}
		if (h->eof)
			return true;
		h->off = h->len = 0;
		ssize_t n = read(h->fd, h->buf, sizeof(h->buf));

		if (n == 0) {
			h->eof = true;
			shutdown(h->peer, SHUT_WR);
			return true;
		}
		if (n < 0)
			return errno == EAGAIN;
		h->len = n;
	}
}

/* Squid's sequence through the option of the client's family */
static int tproxy2_connect_socket(const struct sockaddr_storage *client)
{
	struct sockaddr_storage any = { .ss_family = client->ss_family }, f = *client;
	int fd = socket(client->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);

	itp_sockaddr_set_port(&f, 0);
	if (bind(fd, sa(&any), itp_sockaddr_len(&any)) || itp_sa_assign(fd, &f))
		die("ASSIGN");
	if (itp_sa_set_flags(fd, client->ss_family, ITP_CONNECT))
		die("FLAGS");
	return fd;
}

static int v4_connect_socket(const struct sockaddr_storage *client)
{
	struct sockaddr_storage from = *client;
	int fd = socket(client->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);

	itp_sockaddr_set_port(&from, 0);
	if (transparent(fd, client->ss_family) || bind(fd, sa(&from), itp_sockaddr_len(&from)))
		die("transparent bind");
	return fd;
}

static int original_dst(int fd, int family, struct sockaddr_storage *orig)
{
	socklen_t ol = sizeof(*orig);

	if (family == AF_INET6)
		return getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, orig, &ol);
	return getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, orig, &ol);
}

static void proxy_accept(int ep, int lfd, enum mode mode)
{
	struct sockaddr_storage client, orig;
	socklen_t cl = sizeof(client), ol = sizeof(orig);
	int cfd, sfd;

	while ((cfd = accept4(lfd, (struct sockaddr *)&client, &cl, SOCK_NONBLOCK)) >= 0) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET };
		struct pair *p = malloc(sizeof(*p));
		struct half *up = &p->up, *down = &p->down;

		if (mode == V4)
			getsockname(cfd, (struct sockaddr *)&orig, &ol);
		else if (original_dst(cfd, client.ss_family, &orig))
			die("SO_ORIGINAL_DST");
		if (mode == TPROXY2)
			sfd = tproxy2_connect_socket(&client);
		else if (mode == V4)
			sfd = v4_connect_socket(&client);
		else
			sfd = socket(client.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (connect(sfd, sa(&orig), itp_sockaddr_len(&orig)) && errno != EINPROGRESS)
			die("connect");
		up->len = up->off = down->len = down->off = 0;
		up->eof = down->eof = false;
		up->fd = down->peer = cfd;
		up->peer = down->fd = sfd;
		up->other = down;
		down->other = up;
		up->pair = down->pair = p;
		ev.data.ptr = up;
		epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
		ev.data.ptr = down;
		epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
		cl = sizeof(client);
		ol = sizeof(orig);
	}
}

static __attribute__((noreturn)) int proxy(const char *m, const char *port)
{
	enum mode mode = !strcmp(m, "tproxy2") ? TPROXY2 : !strcmp(m, "v4") ? V4 : REDIRECT;
	struct sockaddr_storage a[2] = { { .ss_family = AF_INET }, { .ss_family = AF_INET6 } };
	/* the listeners' epoll data: their index, below any half's address */
	struct epoll_event ev = { .events = EPOLLIN }, evs[256];
	int ep = epoll_create1(0), lfd[2];

	nofile(65536);
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < 2; i++) {
		itp_sockaddr_set_port(&a[i], htons(atoi(port)));
		lfd[i] = listener(&a[i], mode == V4);
		ev.data.u64 = i + 1;
		epoll_ctl(ep, EPOLL_CTL_ADD, lfd[i], &ev);
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			struct half *h = evs[i].data.ptr;

			if (evs[i].data.u64 <= 2) {
				proxy_accept(ep, lfd[evs[i].data.u64 - 1], mode);
				continue;
			}
			if (h->fd < 0)
				continue;	/* closed this round */
			if (!pump(h) || !pump(h->other) ||
			    (h->eof && h->off == h->len &&
			     h->other->eof && h->other->off == h->other->len)) {
				struct pair *p = h->pair;

				close(h->fd);
				close(h->peer);
				h->fd = h->other->fd = -1;
				p->next_dead = dead;
				dead = p;
			}
		}
		while (dead) {
			struct pair *p = dead;

			dead = p->next_dead;
			free(p);
		}
	}
}

/* ---- clients ---- */

struct rrconn {
	int fd;
	size_t got;
};

static int rr_open(int ep, const struct sockaddr_storage *dst, struct rrconn *c)
{
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.ptr = c };

	c->fd = socket(dst->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	c->got = 0;
	if (connect(c->fd, sa(dst), itp_sockaddr_len(dst)) && errno != EINPROGRESS)
		return -1;
	return epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static int rr(const char *addr, double seconds, int conc)
{
	struct sockaddr_storage dst;
	struct rrconn *cs = calloc(conc, sizeof(*cs));
	struct epoll_event evs[256];
	int ep = epoll_create1(0);
	long done = 0, failed = 0;
	double start, end;
	char req[RR_LEN], buf[BUFSZ];

	nofile(65536);
	parse_any(addr, &dst);
	memset(req, 'q', sizeof(req));
	start = now();
	end = start + seconds;
	for (int i = 0; i < conc; i++)
		rr_open(ep, &dst, &cs[i]);
	while (now() < end) {
		int n = epoll_wait(ep, evs, 256, 100);

		for (int i = 0; i < n; i++) {
			struct rrconn *c = evs[i].data.ptr;
			ssize_t r;

			if (evs[i].events & EPOLLOUT) {
				struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

				if (write(c->fd, req, sizeof(req)) != sizeof(req)) {
					failed++;
					goto again;
				}
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				continue;
			}
			r = read(c->fd, buf, sizeof(buf));
			if (r > 0) {
				c->got += r;
				continue;
			}
			if (r < 0 && errno == EAGAIN)
				continue;
			if (c->got == RR_LEN)
				done++;
			else
				failed++;
again:
			close(c->fd);
			rr_open(ep, &dst, c);
		}
	}
	printf("conns_per_s=%.1f failed=%ld\n", done / (now() - start), failed);
	return 0;
}

static int bulk(const char *addr, double seconds)
{
	struct sockaddr_storage dst;
	static char buf[BUFSZ];
	double start, t;
	long long sent = 0;
	int fd;

	parse_any(addr, &dst);
	fd = socket(dst.ss_family, SOCK_STREAM, 0);
	if (connect(fd, sa(&dst), itp_sockaddr_len(&dst)))
		die("connect");
	start = now();
	while ((t = now()) < start + seconds) {
		ssize_t n = write(fd, buf, sizeof(buf));

		if (n < 0)
			die("write");
		sent += n;
	}
	printf("mbytes_per_s=%.2f\n", sent / (t - start) / 1e6);
	close(fd);
	return 0;
}

/* ---- sockrefs and conntracks ---- */

static int idle(int n, const char *shared)
{
	struct sockaddr_in sh = { 0 };
	unsigned int seed = 1;

	if (shared)
		parse(shared, &sh);
	nofile(n + 64);
	for (int i = 0; i < n; i++) {
		/* 60000 ports an address: enough local addresses for n */
		struct sockaddr_in l = { .sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(0x7f000001 + i / 60000) };
		struct in_addr f = { htonl(0x0a000000 | (rand_r(&seed) & 0xffffff)) };
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		unsigned short fport = 1024 + rand_r(&seed) % 60000;

		if (shared) {
			f = sh.sin_addr;
			fport = 0;
		}

		if (fd < 0 || bind(fd, (struct sockaddr *)&l, sizeof(l)) ||
		    itp_assign(fd, f, htons(fport)) ||
		    itp_set_flags(fd, ITP_CONNECT))
			die("idle sockref");
	}
	printf("ready\n");
	fflush(stdout);
	pause();
	return 0;
}

static int fill(int n, const char *net)
{
	struct sockaddr_in dst;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	unsigned int base;

	parse(net, &dst);
	base = ntohl(dst.sin_addr.s_addr) & ~0xffu;
	for (int i = 0; i < n; i++) {
		dst.sin_addr.s_addr = htonl(base + 1 + i % 250);
		dst.sin_port = htons(1024 + i / 250);
		sendto(fd, "", 0, 0, (struct sockaddr *)&dst, sizeof(dst));
	}
	return 0;
}

static int setup_cost(int n, const char *m, const char *client)
{
	struct sockaddr_storage c;
	double t;

	parse_any(client, &c);
	t = now();
	for (int i = 0; i < n; i++) {
		struct sockaddr_storage any = { .ss_family = c.ss_family };
		int fd;

		if (!strcmp(m, "tproxy2"))
			fd = tproxy2_connect_socket(&c);
		else if (!strcmp(m, "v4"))
			fd = v4_connect_socket(&c);
		else if ((fd = socket(c.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0)) < 0 ||
			 bind(fd, sa(&any), itp_sockaddr_len(&any)))
			die("bind");
		close(fd);
	}
	printf("us_per_op=%.2f\n", (now() - t) * 1e6 / n);
	return 0;
}

static int closer(int n, const char *addr, const char *foreign)
{
	struct sockaddr_in dst, f, any = { .sin_family = AF_INET };
	int *fds = calloc(n, sizeof(int));
	double t;

	nofile(n + 64);
	parse(addr, &dst);
	parse(foreign, &f);
	for (int i = 0; i < n; i++) {
		fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
		if (bind(fds[i], (struct sockaddr *)&any, sizeof(any)) ||
		    itp_assign(fds[i], f.sin_addr, 0) ||
		    itp_set_flags(fds[i], ITP_CONNECT) ||
		    connect(fds[i], (struct sockaddr *)&dst, sizeof(dst)) ||
		    send(fds[i], "x", 1, 0) != 1)
			die("owned conntrack");
	}
	usleep(200000);
	t = now();
	for (int i = 0; i < n; i++)
		close(fds[i]);
	printf("close_us=%.0f\n", (now() - t) * 1e6);
	return 0;
}

/* n times socket, bind, ASSIGN(foreign, 0), ALLOC (unless !alloc), close */
static int alloc_cost(int n, const char *foreign, bool alloc)
{
	struct sockaddr_in f, any = { .sin_family = AF_INET };
	double t;

	parse(foreign, &f);
	t = now();
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0 || bind(fd, (struct sockaddr *)&any, sizeof(any)) ||
		    itp_assign(fd, f.sin_addr, 0) || (alloc && itp_alloc(fd)))
			die("alloc");
		close(fd);
	}
	printf("us_per_op=%.2f\n", (now() - t) * 1e6 / n);
	return 0;
}

/* n UDP sockets without a sockref, bound to addr; the time to close one */
static int close_plain(int n, const char *addr)
{
	struct sockaddr_in any;
	int *fds = calloc(n, sizeof(int));
	double t;

	parse(addr, &any);
	nofile(n + 64);
	for (int i = 0; i < n; i++) {
		fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
		if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&any, sizeof(any)))
			die("closeplain");
	}
	t = now();
	for (int i = 0; i < n; i++)
		close(fds[i]);
	printf("us_per_close=%.3f\n", (now() - t) * 1e6 / n);
	free(fds);
	return 0;
}

/* What a system call costs by itself (under UML, a ptrace round trip): the
 * unit the proxy's extra calls are counted in.  syscall(), not getppid():
 * nothing between the loop and the kernel.
 */
static int syscall_cost(int n)
{
	double t = now();

	for (int i = 0; i < n; i++)
		syscall(SYS_getppid);
	printf("us_per_call=%.3f\n", (now() - t) * 1e6 / n);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "server"))
		return server(argv[2], false);
	if (argc == 3 && !strcmp(argv[1], "sink"))
		return server(argv[2], true);
	if (argc == 4 && !strcmp(argv[1], "proxy"))
		return proxy(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "rr"))
		return rr(argv[2], atof(argv[3]), atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "bulk"))
		return bulk(argv[2], atof(argv[3]));
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "idle"))
		return idle(atoi(argv[2]), argc == 4 ? argv[3] : NULL);
	if (argc == 4 && (!strcmp(argv[1], "alloc") || !strcmp(argv[1], "noalloc")))
		return alloc_cost(atoi(argv[2]), argv[3], !strcmp(argv[1], "alloc"));
	if (argc == 4 && !strcmp(argv[1], "closeplain"))
		return close_plain(atoi(argv[2]), argv[3]);
	if (argc == 4 && !strcmp(argv[1], "fill"))
		return fill(atoi(argv[2]), argv[3]);
	if (argc == 5 && !strcmp(argv[1], "setup"))
		return setup_cost(atoi(argv[2]), argv[3], argv[4]);
	if (argc == 5 && !strcmp(argv[1], "close"))
		return closer(atoi(argv[2]), argv[3], argv[4]);
	if (argc == 3 && !strcmp(argv[1], "syscall"))
		return syscall_cost(atoi(argv[2]));
	fprintf(stderr, "usage: see the comment at the top of tpt-bench.c\n");
	return 2;
}
