// SPDX-License-Identifier: GPL-2.0
/*
 * tproxy-relay: a small transparent TCP and UDP relay on the TPROXY 2.0 API.
 *
 * TCP: it accepts the connections a "tproxy" table rule redirects to it,
 * reads their original destination with SO_ORIGINAL_DST, connects there
 * from the client's address (IP_TPROXY ASSIGN + ITP_CONNECT, as Squid does)
 * and relays both ways.
 *
 * UDP, the way Zorp does it: a receiver socket gets the first datagram of
 * each flow, with its original addresses in an IP_ORIGADDRS message.  The
 * receiver is fed by a table rule (--udp-port), or is itself tied to a
 * foreign address with ITP_LISTEN | ITP_UNIDIR (--udp-foreign).  For each
 * new flow the relay opens a session: a socket on the client's side that
 * takes the flow over (ASSIGN(original destination), connect(client),
 * CONNECT(client), ITP_ESTABLISHED) and one on the server's side that sends
 * from the client's address (ASSIGN(client), ITP_CONNECT).  Idle sessions
 * end after --udp-timeout seconds.
 *
 * All in one epoll loop.  SIGTERM and SIGINT end it cleanly: every socket is
 * closed, so its sockrefs go with them.
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
#include <sys/timerfd.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "tproxy2-sockopt.h"

#define BUFSZ	16384
#define UDP_HASH	1024
#define LISTEN_BACKLOG	65535	/* the kernel caps it at net.core.somaxconn */

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

/* A UDP flow from client to orig, relayed from the client's address */
struct udp_sess {
	struct sockaddr_in client, orig;
	int cfd;		/* the client's side: ITP_ESTABLISHED */
	int sfd;		/* the server's side: ITP_CONNECT */
	time_t last;
	struct udp_sess *next;	/* in its hash chain */
	struct end *ends;
};

enum end_kind { END_TCP, END_UDP, END_LISTENER, END_RECEIVER, END_SIGNAL, END_TIMER };

/* epoll data: which end of which connection */
struct end {
	enum end_kind kind;
	struct conn *c;
	struct udp_sess *u;
	bool server;
	int fd;			/* receivers */
};

static int verbose;
static unsigned long nconns, nactive;
static unsigned long nsessions, nsessions_active, nlate;
static struct conn *dead;
static struct udp_sess *udp_hash[UDP_HASH];
static int udp_timeout = 60;

static void logmsg(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* Refuse to start where the kernel or the capabilities are missing. */
static int check_kernel(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in any = { .sin_family = AF_INET };
	struct in_addr none = { 0 };
	int err = 0;

	if (itp_set_version(fd, TPROXY_FULLVERSION) < 0) {
		fprintf(stderr, "tproxy-relay: this kernel has no TPROXY 2.0 "
			"(IP_TPROXY VERSION: %s); it needs CONFIG_IP_NF_TPROXY2\n",
			strerror(errno));
		err = -1;
	} else if (bind(fd, (struct sockaddr *)&any, sizeof(any)) < 0 ||
		   itp_assign(fd, none, 0) < 0) {
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
	    itp_assign(sfd, client.sin_addr, 0) < 0 ||
	    itp_set_flags(sfd, ITP_CONNECT) < 0) {
		fprintf(stderr, "tproxy-relay: foreign address %s: %s\n",
			itp_fmt_addr(&client), strerror(errno));
		close(sfd);
		close(cfd);
		return;
	}
	set_nonblock(sfd);
	set_nonblock(cfd);
	if (connect(sfd, (struct sockaddr *)&orig, sizeof(orig)) < 0 &&
	    errno != EINPROGRESS) {
		fprintf(stderr, "tproxy-relay: connect %s: %s\n",
			itp_fmt_addr(&orig), strerror(errno));
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
	ends[0].kind = ends[1].kind = END_TCP;
	/* the client waits until the server connection is up */
	watch(ep, EPOLL_CTL_ADD, sfd, &ends[1], EPOLLOUT | EPOLLIN | EPOLLRDHUP);
	nconns++;
	nactive++;
	logmsg("tproxy-relay: %s -> %s, from the client's address\n",
	       itp_fmt_addr(&client), itp_fmt_addr(&orig));
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

/* ---- UDP ---- */

static unsigned int udp_bucket(const struct sockaddr_in *client,
			       const struct sockaddr_in *orig)
{
	uint32_t h = client->sin_addr.s_addr * 2654435761u;

	h ^= (uint32_t)(client->sin_port << 16 | orig->sin_port) * 2246822519u;
	h ^= orig->sin_addr.s_addr * 3266489917u;
	return (h ^ h >> 15) % UDP_HASH;
}

/* The session of a flow, or the empty slot where it would go */
static struct udp_sess **udp_find(const struct sockaddr_in *client,
				  const struct sockaddr_in *orig)
{
	struct udp_sess **pp = &udp_hash[udp_bucket(client, orig)];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->client.sin_addr.s_addr == client->sin_addr.s_addr &&
		    (*pp)->client.sin_port == client->sin_port &&
		    (*pp)->orig.sin_addr.s_addr == orig->sin_addr.s_addr &&
		    (*pp)->orig.sin_port == orig->sin_port)
			break;
	return pp;
}

/* The client's side of a session takes the flow over from the receiver,
 * in Zorp's sequence.  What it sends leaves from orig.
 */
static int udp_client_side(const struct sockaddr_in *client,
			   const struct sockaddr_in *orig,
			   const struct sockaddr_in *laddr)
{
	struct sockaddr_in local = { .sin_family = AF_INET, .sin_addr = laddr->sin_addr };
	struct in_tproxy itp = { .op = TPROXY_QUERY };
	socklen_t l = sizeof(itp);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), one = 1;

	if (fd < 0)
		return -1;
	/* SO_REUSEADDR after bind: sessions share the foreign address, but
	 * each needs a local port of its own
	 */
	if (bind(fd, (const struct sockaddr *)&local, sizeof(local)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    itp_assign(fd, orig->sin_addr, orig->sin_port) < 0 ||
	    connect(fd, (const struct sockaddr *)client, sizeof(*client)) < 0 ||
	    getsockopt(fd, SOL_IP, IP_TPROXY, &itp, &l) < 0 ||
	    itp_connect(fd, client->sin_addr, client->sin_port) < 0 ||
	    itp_set_flags(fd, ITP_ESTABLISHED) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* The server's side sends from the client's address and port. */
static int udp_server_side(const struct sockaddr_in *client,
			   const struct sockaddr_in *orig,
			   const struct sockaddr_in *bindaddr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), one = 1;

	if (fd < 0)
		return -1;
	if (bind(fd, (const struct sockaddr *)bindaddr, sizeof(*bindaddr)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    itp_assign(fd, client->sin_addr, client->sin_port) < 0 ||
	    itp_set_flags(fd, ITP_CONNECT) < 0 ||
	    connect(fd, (const struct sockaddr *)orig, sizeof(*orig)) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

static void udp_close(int ep, struct udp_sess **pp)
{
	struct udp_sess *u = *pp;

	*pp = u->next;
	epoll_ctl(ep, EPOLL_CTL_DEL, u->cfd, NULL);
	epoll_ctl(ep, EPOLL_CTL_DEL, u->sfd, NULL);
	close(u->cfd);
	close(u->sfd);
	free(u->ends);
	free(u);
	nsessions_active--;
}

static struct udp_sess *udp_open(int ep, const struct sockaddr_in *client,
				 const struct sockaddr_in *orig,
				 const struct sockaddr_in *local,
				 const struct sockaddr_in *bindaddr)
{
	struct udp_sess *u = calloc(1, sizeof(*u));

	u->client = *client;
	u->orig = *orig;
	u->cfd = udp_client_side(client, orig, local);
	u->sfd = u->cfd < 0 ? -1 : udp_server_side(client, orig, bindaddr);
	if (u->sfd < 0) {
		fprintf(stderr, "tproxy-relay: udp session %s -> %s: %s\n",
			itp_fmt_addr(client), itp_fmt_addr(orig),
			strerror(errno));
		if (u->cfd >= 0)
			close(u->cfd);
		free(u);
		return NULL;
	}
	u->ends = calloc(2, sizeof(*u->ends));
	u->ends[0].kind = END_UDP;
	u->ends[1].kind = END_UDP;
	u->ends[0].u = u;
	u->ends[1].u = u;
	u->ends[1].server = true;
	watch(ep, EPOLL_CTL_ADD, u->cfd, &u->ends[0], EPOLLIN);
	watch(ep, EPOLL_CTL_ADD, u->sfd, &u->ends[1], EPOLLIN);
	u->last = time(NULL);
	nsessions++;
	nsessions_active++;
	logmsg("tproxy-relay: udp %s -> %s, from the client's address\n",
	       itp_fmt_addr(client), itp_fmt_addr(orig));
	return u;
}

/* Datagrams at a receiver: the first of their flow, or ones that were
 * already on their way when the flow's session took over.
 */
static void udp_receive(int ep, int fd, const struct sockaddr_in *local,
			const struct sockaddr_in *bindaddr)
{
	static char buf[65536];
	char cbuf[ITP_ORIGADDRS_SPACE];

	/* a few at a time: the sessions' own traffic is served in between */
	for (int k = 0; k < 16; k++) {
		struct sockaddr_in src, orig = { .sin_family = AF_INET };
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr msg = {
			.msg_name = &src, .msg_namelen = sizeof(src),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};
		const struct in_origaddrs *got;
		struct in_origaddrs oa;
		struct udp_sess **pp, *u;
		ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);

		if (n < 0)
			return;
		got = itp_origaddrs(&msg);
		if (!got) {
			fprintf(stderr, "tproxy-relay: a datagram without IP_ORIGADDRS\n");
			continue;
		}
		oa = *got;
		src.sin_family = AF_INET;
		src.sin_addr = oa.ioa_srcaddr;
		src.sin_port = oa.ioa_srcport;
		orig.sin_addr = oa.ioa_dstaddr;
		orig.sin_port = oa.ioa_dstport;
		pp = udp_find(&src, &orig);
		u = *pp;
		if (u) {
			nlate++;
		} else {
			u = udp_open(ep, &src, &orig, local, bindaddr);
			if (!u)
				continue;
			*pp = u;
		}
		u->last = time(NULL);
		if (send(u->sfd, buf, n, 0) < 0)
			logmsg("tproxy-relay: udp send: %s\n", strerror(errno));
	}
}

static void udp_service(struct end *e)
{
	static char buf[65536];
	struct udp_sess *u = e->u;
	int from = e->server ? u->sfd : u->cfd;
	int to = e->server ? u->cfd : u->sfd;
	ssize_t n;

	while ((n = recv(from, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
		u->last = time(NULL);
		if (send(to, buf, n, 0) < 0)
			logmsg("tproxy-relay: udp send: %s\n", strerror(errno));
	}
}

/* End the sessions idle for udp_timeout seconds, or all of them */
static void udp_expire(int ep, bool all)
{
	time_t now = time(NULL);

	for (int i = 0; i < UDP_HASH; i++) {
		struct udp_sess **pp = &udp_hash[i];

		while (*pp) {
			if (all || now - (*pp)->last >= udp_timeout)
				udp_close(ep, pp);
			else
				pp = &(*pp)->next;
		}
	}
}

/* A receiver: bound to laddr and fed by a table rule, or tied to a
 * foreign address with ITP_LISTEN | ITP_UNIDIR.
 */
static int udp_receiver(const struct sockaddr_in *laddr,
			const struct sockaddr_in *foreign)
{
	struct sockaddr_in local = *laddr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), one = 1;

	if (foreign)
		local.sin_port = 0;
	else
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		perror("tproxy-relay: udp bind");
		return -1;
	}
	if (setsockopt(fd, SOL_IP, IP_RECVORIGADDRS, &one, sizeof(one)) < 0) {
		perror("tproxy-relay: IP_RECVORIGADDRS");
		return -1;
	}
	/* the sessions will share the foreign address */
	if (foreign && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
			itp_assign(fd, foreign->sin_addr, foreign->sin_port) < 0 ||
			itp_set_flags(fd, ITP_LISTEN | ITP_UNIDIR) < 0)) {
		fprintf(stderr, "tproxy-relay: udp receiver for %s: %s\n",
			itp_fmt_addr(foreign), strerror(errno));
		return -1;
	}
	return fd;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: tproxy-relay [options]\n"
"A transparent TCP and UDP relay on TPROXY 2.0: it takes the connections and\n"
"datagrams that rules like\n"
"  iptables-legacy -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128\n"
"  iptables-legacy -t tproxy -A PREROUTING -p udp --dport 53 -j TPROXY --on-port 3128\n"
"redirect to it, and relays them to their original destination from the\n"
"client's address.\n"
"  -p, --port PORT        TCP port to listen on (default 3128)\n"
"  -u, --udp-port PORT    UDP port to receive on (default: no UDP)\n"
"  -F, --udp-foreign ADDR:PORT\n"
"                         also receive UDP sent to this foreign address,\n"
"                         with no table rule (ITP_LISTEN | ITP_UNIDIR)\n"
"  -t, --udp-timeout SEC  end idle UDP sessions after SEC seconds (default 60)\n"
"  -l, --listen ADDR      address to listen on (default 0.0.0.0)\n"
"  -b, --bind ADDR        local address of the outgoing connections\n"
"                         (default 0.0.0.0: as routing chooses)\n"
"  -v, --verbose          log every connection and UDP session on stderr\n"
"  -h, --help             this text\n"
"SIGTERM or SIGINT: close everything and exit 0.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "udp-port", required_argument, NULL, 'u' },
		{ "udp-foreign", required_argument, NULL, 'F' },
		{ "udp-timeout", required_argument, NULL, 't' },
		{ "listen", required_argument, NULL, 'l' },
		{ "bind", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct sockaddr_in laddr = { .sin_family = AF_INET, .sin_port = htons(3128) };
	struct sockaddr_in bindaddr = { .sin_family = AF_INET };
	struct sockaddr_in foreign = { .sin_family = AF_INET };
	struct end lend = { .kind = END_LISTENER }, send = { .kind = END_SIGNAL };
	struct end tend = { .kind = END_TIMER };
	struct end uend = { .kind = END_RECEIVER, .fd = -1 };
	struct end fend = { .kind = END_RECEIVER, .fd = -1 };
	struct itimerspec tick = { { 1, 0 }, { 1, 0 } };
	struct epoll_event evs[64];
	sigset_t mask;
	int opt, lfd, sfd, tfd, ep, one = 1, udp_port = -1;
	bool running = true, use_foreign = false;

	while ((opt = getopt_long(argc, argv, "p:u:F:t:l:b:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			laddr.sin_port = htons(atoi(optarg));
			break;
		case 'u':
			udp_port = atoi(optarg);
			if (udp_port <= 0 || udp_port > 65535) {
				fprintf(stderr, "tproxy-relay: bad port %s\n", optarg);
				return 2;
			}
			break;
		case 'F':
			if (itp_parse_addr(optarg, &foreign, -1) || !strchr(optarg, ':') ||
			    atoi(strchr(optarg, ':') + 1) <= 0 ||
			    atoi(strchr(optarg, ':') + 1) > 65535) {
				fprintf(stderr, "tproxy-relay: --udp-foreign wants ADDR:PORT\n");
				return 2;
			}
			use_foreign = true;
			break;
		case 't':
			udp_timeout = atoi(optarg);
			if (udp_timeout <= 0) {
				fprintf(stderr, "tproxy-relay: bad timeout %s\n", optarg);
				return 2;
			}
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
	if (bind(lfd, (struct sockaddr *)&laddr, sizeof(laddr)) < 0 || listen(lfd, LISTEN_BACKLOG) < 0) {
		perror("tproxy-relay: listen");
		return 1;
	}
	set_nonblock(lfd);
	if (udp_port > 0) {
		struct sockaddr_in ul = laddr;

		ul.sin_port = htons(udp_port);
		uend.fd = udp_receiver(&ul, NULL);
		if (uend.fd < 0)
			return 1;
	}
	if (use_foreign) {
		fend.fd = udp_receiver(&laddr, &foreign);
		if (fend.fd < 0)
			return 1;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK);

	ep = epoll_create1(0);
	watch(ep, EPOLL_CTL_ADD, lfd, &lend, EPOLLIN);
	watch(ep, EPOLL_CTL_ADD, sfd, &send, EPOLLIN);
	if (uend.fd >= 0)
		watch(ep, EPOLL_CTL_ADD, uend.fd, &uend, EPOLLIN);
	if (fend.fd >= 0)
		watch(ep, EPOLL_CTL_ADD, fend.fd, &fend, EPOLLIN);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	timerfd_settime(tfd, 0, &tick, NULL);
	watch(ep, EPOLL_CTL_ADD, tfd, &tend, EPOLLIN);
	fprintf(stderr, "tproxy-relay: listening on port %u\n", ntohs(laddr.sin_port));
	if (uend.fd >= 0)
		fprintf(stderr, "tproxy-relay: receiving udp on port %d\n", udp_port);
	if (fend.fd >= 0) {

		fprintf(stderr, "tproxy-relay: receiving udp for %s\n",
			itp_fmt_addr(&foreign));
	}

	while (running) {
		int n = epoll_wait(ep, evs, 64, -1);

		for (int i = 0; i < n; i++) {
			struct end *e = evs[i].data.ptr;
			uint64_t ticks;

			switch (e->kind) {
			case END_SIGNAL:
				running = false;
				break;
			case END_LISTENER:
				accept_one(ep, lfd, &bindaddr);
				break;
			case END_RECEIVER:
				udp_receive(ep, e->fd, &laddr, &bindaddr);
				break;
			case END_TIMER:
				if (read(tfd, &ticks, sizeof(ticks)) > 0)
					udp_expire(ep, false);
				break;
			case END_UDP:
				udp_service(e);
				break;
			default:
				service(ep, e);
			}
		}
		free_dead();
	}
	udp_expire(ep, true);
	/* Closing the process closes every socket, and their sockrefs go. */
	fprintf(stderr, "tproxy-relay: exiting: %lu connections relayed, %lu open; "
		"%lu udp sessions, %lu datagrams reached a receiver after their "
		"session existed\n", nconns, nactive, nsessions, nlate);
	return 0;
}
