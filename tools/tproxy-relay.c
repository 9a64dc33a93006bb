// SPDX-License-Identifier: GPL-2.0
/*
 * tproxy-relay: a small transparent TCP relay on the TPROXY 2.0 API.
 *
 * It accepts the connections a "tproxy" table rule redirects to it, reads
 * their original destination with SO_ORIGINAL_DST, connects there from the
 * client's address (IP_TPROXY ASSIGN + ITP_CONNECT, as Squid does) and
 * relays both ways, all in one epoll loop.  SIGTERM and SIGINT end it
 * cleanly: every socket is closed, so its sockrefs go with it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv4/ip_tproxy.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFSZ	16384

/* One direction of a relayed connection: from src to dst */
struct pipe {
	int src, dst;
	char buf[BUFSZ];
	size_t len, off;
	bool eof;
};

struct conn {
	struct pipe up;		/* client -> server */
	struct pipe down;	/* server -> client */
	bool connecting;
	bool dead;		/* closed; freed after this epoll round */
	struct conn *next_dead;
	struct end *ends;
};

/* epoll data: which end of which connection */
struct end {
	struct conn *c;
	bool server;
};

static int verbose;
static unsigned long nconns, nactive;
static struct conn *dead;

static void logmsg(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static const char *fmt_addr(const struct sockaddr_in *sin, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, ntohs(sin->sin_port));
	return buf;
}

static int tproxy_op(int fd, unsigned int op, unsigned int value, struct in_addr addr)
{
	struct in_tproxy itp = { .op = op };

	if (op == TPROXY_FLAGS || op == TPROXY_VERSION)
		itp.v.flags = value;
	else
		itp.v.addr.faddr = addr;
	return setsockopt(fd, SOL_IP, IP_TPROXY, &itp, sizeof(itp));
}

/* Refuse to start where the kernel or the capabilities are missing. */
static int check_kernel(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in any = { .sin_family = AF_INET };
	struct in_addr none = { 0 };
	int err = 0;

	if (tproxy_op(fd, TPROXY_VERSION, TPROXY_FULLVERSION, none) < 0) {
		fprintf(stderr, "tproxy-relay: this kernel has no TPROXY 2.0 "
			"(IP_TPROXY VERSION: %s); it needs CONFIG_IP_NF_TPROXY2\n",
			strerror(errno));
		err = -1;
	} else if (bind(fd, (struct sockaddr *)&any, sizeof(any)) < 0 ||
		   tproxy_op(fd, TPROXY_ASSIGN, 0, none) < 0) {
		if (errno == EPERM)
			fprintf(stderr, "tproxy-relay: IP_TPROXY needs CAP_NET_ADMIN "
				"in this network namespace\n");
		else
			fprintf(stderr, "tproxy-relay: IP_TPROXY ASSIGN: %s\n",
				strerror(errno));
		err = -1;
	}
	close(fd);
	return err;
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void watch(int ep, int op, int fd, struct end *e, unsigned int events)
{
	struct epoll_event ev = { .events = events, .data.ptr = e };

	epoll_ctl(ep, op, fd, &ev);
}

/* Close a connection; its memory goes after the current epoll round,
 * which may still hold events for it.
 */
static void conn_close(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->up.src, NULL);
	epoll_ctl(ep, EPOLL_CTL_DEL, c->down.src, NULL);
	close(c->up.src);
	close(c->down.src);
	c->dead = true;
	c->next_dead = dead;
	dead = c;
	nactive--;
}

static void free_dead(void)
{
	while (dead) {
		struct conn *c = dead;

		dead = c->next_dead;
		free(c->ends);
		free(c);
	}
}

/* Move what can be moved in one direction; false when it failed. */
static bool pump(struct pipe *p)
{
	for (;;) {
		if (p->off < p->len) {
			ssize_t n = write(p->dst, p->buf + p->off, p->len - p->off);

			if (n < 0)
				return errno == EAGAIN;
			p->off += n;
			continue;
		}
		if (p->eof)
			return true;
		p->off = p->len = 0;
		ssize_t n = read(p->src, p->buf, sizeof(p->buf));

		if (n == 0) {
			p->eof = true;
			shutdown(p->dst, SHUT_WR);
			return true;
		}
		if (n < 0)
			return errno == EAGAIN;
		p->len = n;
	}
}

static void accept_one(int ep, int lfd, const struct sockaddr_in *bindaddr)
{
	struct sockaddr_in client, orig;
	socklen_t cl = sizeof(client), ol = sizeof(orig);
	char a[32], b[32];
	struct conn *c;
	struct end *ends;
	int cfd, sfd;

	cfd = accept(lfd, (struct sockaddr *)&client, &cl);
	if (cfd < 0)
		return;
	if (getsockopt(cfd, SOL_IP, SO_ORIGINAL_DST, &orig, &ol) < 0) {
		fprintf(stderr, "tproxy-relay: SO_ORIGINAL_DST: %s (not redirected?)\n",
			strerror(errno));
		close(cfd);
		return;
	}

	/* Squid's sequence: bind, ASSIGN(client ip, any port), CONNECT, connect */
	sfd = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(sfd, (const struct sockaddr *)bindaddr, sizeof(*bindaddr)) < 0 ||
	    tproxy_op(sfd, TPROXY_ASSIGN, 0, client.sin_addr) < 0 ||
	    tproxy_op(sfd, TPROXY_FLAGS, ITP_CONNECT, client.sin_addr) < 0) {
		fprintf(stderr, "tproxy-relay: foreign address %s: %s\n",
			fmt_addr(&client, a, sizeof(a)), strerror(errno));
		close(sfd);
		close(cfd);
		return;
	}
	set_nonblock(sfd);
	set_nonblock(cfd);
	if (connect(sfd, (struct sockaddr *)&orig, sizeof(orig)) < 0 &&
	    errno != EINPROGRESS) {
		fprintf(stderr, "tproxy-relay: connect %s: %s\n",
			fmt_addr(&orig, a, sizeof(a)), strerror(errno));
		close(sfd);
		close(cfd);
		return;
	}

	c = calloc(1, sizeof(*c));
	ends = calloc(2, sizeof(*ends));
	c->up.src = cfd;
	c->up.dst = sfd;
	c->down.src = sfd;
	c->down.dst = cfd;
	c->connecting = true;
	c->ends = ends;
	ends[0].c = c;
	ends[1].c = c;
	ends[1].server = true;
	/* the client waits until the server connection is up */
	watch(ep, EPOLL_CTL_ADD, sfd, &ends[1], EPOLLOUT | EPOLLIN | EPOLLRDHUP);
	nconns++;
	nactive++;
	logmsg("tproxy-relay: %s -> %s, from the client's address\n",
	       fmt_addr(&client, a, sizeof(a)), fmt_addr(&orig, b, sizeof(b)));
}

static void service(int ep, struct end *e)
{
	struct conn *c = e->c;
	struct end *ends = c->ends;

	if (c->dead)
		return;
	if (c->connecting) {
		int err = 0;
		socklen_t l = sizeof(err);

		getsockopt(c->down.src, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err) {
			fprintf(stderr, "tproxy-relay: connect: %s\n", strerror(err));
			conn_close(ep, c);
			return;
		}
		c->connecting = false;
		watch(ep, EPOLL_CTL_MOD, c->down.src, &ends[1], EPOLLIN | EPOLLOUT | EPOLLET);
		watch(ep, EPOLL_CTL_ADD, c->up.src, &ends[0], EPOLLIN | EPOLLOUT | EPOLLET);
	}
	if (!pump(&c->up) || !pump(&c->down) ||
	    (c->up.eof && c->up.off == c->up.len &&
	     c->down.eof && c->down.off == c->down.len))
		conn_close(ep, c);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: tproxy-relay [options]\n"
"A transparent TCP relay on TPROXY 2.0: it takes the connections a rule like\n"
"  iptables-legacy -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128\n"
"redirects to it, and connects to their original destination from the\n"
"client's address.\n"
"  -p, --port PORT        port to listen on (default 3128)\n"
"  -l, --listen ADDR      address to listen on (default 0.0.0.0)\n"
"  -b, --bind ADDR        local address of the outgoing connections\n"
"                         (default 0.0.0.0: as routing chooses)\n"
"  -v, --verbose          log every connection on stderr\n"
"  -h, --help             this text\n"
"SIGTERM or SIGINT: close everything and exit 0.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "listen", required_argument, NULL, 'l' },
		{ "bind", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct sockaddr_in laddr = { .sin_family = AF_INET, .sin_port = htons(3128) };
	struct sockaddr_in bindaddr = { .sin_family = AF_INET };
	struct end lend, send;
	struct epoll_event evs[64];
	sigset_t mask;
	int opt, lfd, sfd, ep, one = 1;
	bool running = true;

	while ((opt = getopt_long(argc, argv, "p:l:b:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			laddr.sin_port = htons(atoi(optarg));
			break;
		case 'l':
			if (inet_pton(AF_INET, optarg, &laddr.sin_addr) != 1) {
				fprintf(stderr, "tproxy-relay: bad address %s\n", optarg);
				return 2;
			}
			break;
		case 'b':
			if (inet_pton(AF_INET, optarg, &bindaddr.sin_addr) != 1) {
				fprintf(stderr, "tproxy-relay: bad address %s\n", optarg);
				return 2;
			}
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (check_kernel())
		return 1;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&laddr, sizeof(laddr)) < 0 || listen(lfd, 1024) < 0) {
		perror("tproxy-relay: listen");
		return 1;
	}
	set_nonblock(lfd);

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK);

	ep = epoll_create1(0);
	watch(ep, EPOLL_CTL_ADD, lfd, &lend, EPOLLIN);
	watch(ep, EPOLL_CTL_ADD, sfd, &send, EPOLLIN);
	fprintf(stderr, "tproxy-relay: listening on port %u\n", ntohs(laddr.sin_port));

	while (running) {
		int n = epoll_wait(ep, evs, 64, -1);

		for (int i = 0; i < n; i++) {
			struct end *e = evs[i].data.ptr;

			if (e == &send)
				running = false;
			else if (e == &lend)
				accept_one(ep, lfd, &bindaddr);
			else
				service(ep, e);
		}
		free_dead();
	}
	/* Closing the process closes every socket, and their sockrefs go. */
	fprintf(stderr, "tproxy-relay: exiting: %lu connections relayed, %lu open\n",
		nconns, nactive);
	return 0;
}
