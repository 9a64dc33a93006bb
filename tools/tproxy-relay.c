// SPDX-License-Identifier: GPL-2.0
/*
 * tproxy-relay: a small transparent TCP and UDP relay on the TPROXY 2.0 API,
 * for IPv4 and IPv6 at once.
 *
 * Each family has its own sockets: an AF_INET listener and an AF_INET6 one
 * (IPV6_V6ONLY), fed by the "tproxy" tables of iptables and ip6tables, and
 * the same for the UDP receivers.  A connection stays in its family from
 * end to end, with the option of its family: IP_TPROXY and struct
 * in_tproxy for IPv4, IPV6_TPROXY and struct in6_tproxy for IPv6.
 *
 * TCP: it accepts the connections a "tproxy" table rule redirects to it,
 * reads their original destination with SO_ORIGINAL_DST (IPv6:
 * IP6T_SO_ORIGINAL_DST), connects there from the client's address (ASSIGN +
 * ITP_CONNECT, as Squid does) and relays both ways.
 *
 * UDP, the way Zorp does it: a receiver socket gets the first datagram of
 * each flow, with its original addresses in an IP_ORIGADDRS (IPv6:
 * IPV6_ORIGADDRS) message.  The
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
#include <netinet/in.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
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
#define MAX_FOREIGN	16

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
	struct sockaddr_storage client, orig;
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
	int fd;			/* listeners and receivers */
	struct family *f;	/* listeners and receivers */
};

/* What the relay does in one address family */
struct family {
	int af;
	const char *name;
	bool on;		/* listen in this family */
	bool asked;		/* by --listen or --udp-foreign (IPv4 also by
				 * default): if it cannot be relayed, exit
				 */
	struct sockaddr_storage laddr;	/* --listen, port --port */
	struct sockaddr_storage baddr;	/* --bind */
	struct end lend, uend;
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

/* Refuse to start where the kernel or the capabilities are missing, for
 * the option of one family.
 */
static int check_kernel(const struct family *f)
{
	const char *opt = f->af == AF_INET6 ? "IPV6_TPROXY" : "IP_TPROXY";
	struct sockaddr_storage any = { .ss_family = f->af };
	int fd = socket(f->af, SOCK_STREAM, 0);
	int err = 0;

	if (fd < 0) {
		fprintf(stderr, "tproxy-relay: no %s: %s\n", f->name, strerror(errno));
		return -1;
	}
	if (itp_sa_set_version(fd, f->af, TPROXY_FULLVERSION) < 0) {
		fprintf(stderr, "tproxy-relay: this kernel has no TPROXY 2.0 for %s "
			"(%s VERSION: %s); it needs CONFIG_NF_TPROXY2\n",
			f->name, opt, strerror(errno));
		err = -1;
	} else if (bind(fd, (struct sockaddr *)&any, itp_sockaddr_len(&any)) < 0 ||
		   itp_sa_assign(fd, &any) < 0) {
		if (errno == EPERM)
			fprintf(stderr, "tproxy-relay: %s needs CAP_NET_ADMIN "
				"in this network namespace\n", opt);
		else
			fprintf(stderr, "tproxy-relay: %s ASSIGN: %s\n", opt,
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

/* The original destination of an accepted connection, by its family */
static int original_dst(int fd, int af, struct sockaddr_storage *orig)
{
	socklen_t l = sizeof(*orig);

	if (af == AF_INET6)
		return getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, orig, &l);
	return getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, orig, &l);
}

static void accept_one(int ep, const struct end *le)
{
	const struct family *f = le->f;
	struct sockaddr_storage client, orig, faddr;
	socklen_t cl = sizeof(client);
	struct conn *c;
	struct end *ends;
	int cfd, sfd;

	cfd = accept(le->fd, (struct sockaddr *)&client, &cl);
	if (cfd < 0)
		return;
	if (original_dst(cfd, f->af, &orig) < 0) {
		fprintf(stderr, "tproxy-relay: %s: %s (not redirected?)\n",
			f->af == AF_INET6 ? "IP6T_SO_ORIGINAL_DST" : "SO_ORIGINAL_DST",
			strerror(errno));
		close(cfd);
		return;
	}

	/* Squid's sequence: bind, ASSIGN(client ip, any port), CONNECT, connect */
	faddr = client;
	itp_sockaddr_set_port(&faddr, 0);
	sfd = socket(f->af, SOCK_STREAM, 0);
	if (bind(sfd, (const struct sockaddr *)&f->baddr, itp_sockaddr_len(&f->baddr)) < 0 ||
	    itp_sa_assign(sfd, &faddr) < 0 ||
	    itp_sa_set_flags(sfd, f->af, ITP_CONNECT) < 0) {
		fprintf(stderr, "tproxy-relay: foreign address %s: %s\n",
			itp_fmt_sockaddr(&client), strerror(errno));
		close(sfd);
		close(cfd);
		return;
	}
	set_nonblock(sfd);
	set_nonblock(cfd);
	if (connect(sfd, (struct sockaddr *)&orig, itp_sockaddr_len(&orig)) < 0 &&
	    errno != EINPROGRESS) {
		fprintf(stderr, "tproxy-relay: connect %s: %s\n",
			itp_fmt_sockaddr(&orig), strerror(errno));
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
	       itp_fmt_sockaddr(&client), itp_fmt_sockaddr(&orig));
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

/* The address and port of either family, as bytes to hash */
static uint32_t sa_hash(uint32_t h, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const unsigned char *p;
	size_t n;

	if (ss->ss_family == AF_INET6) {
		p = sin6->sin6_addr.s6_addr;
		n = sizeof(sin6->sin6_addr);
	} else {
		p = (const unsigned char *)&sin->sin_addr;
		n = sizeof(sin->sin_addr);
	}
	while (n--)
		h = (h ^ *p++) * 16777619u;	/* FNV-1a */
	return (h ^ itp_sockaddr_port(ss)) * 2654435761u;
}

static unsigned int udp_bucket(const struct sockaddr_storage *client,
			       const struct sockaddr_storage *orig)
{
	uint32_t h = sa_hash(sa_hash(2166136261u, client), orig);

	return (h ^ h >> 15) % UDP_HASH;
}

/* The session of a flow, or the empty slot where it would go */
static struct udp_sess **udp_find(const struct sockaddr_storage *client,
				  const struct sockaddr_storage *orig)
{
	struct udp_sess **pp = &udp_hash[udp_bucket(client, orig)];

	for (; *pp; pp = &(*pp)->next)
		if (itp_sockaddr_equal(&(*pp)->client, client) &&
		    itp_sockaddr_equal(&(*pp)->orig, orig))
			break;
	return pp;
}

/* TPROXY_QUERY by the socket's family, as Zorp checks its foreign address */
static int itp_sa_query(int fd, int af)
{
	struct in6_addr a6;
	struct in_addr a4;
	__u16 port;

	return af == AF_INET6 ? itp6_query(fd, &a6, &port) : itp_query(fd, &a4, &port);
}

/* The client's side of a session takes the flow over from the receiver,
 * in Zorp's sequence.  What it sends leaves from orig.
 */
static int udp_client_side(const struct sockaddr_storage *client,
			   const struct sockaddr_storage *orig,
			   const struct sockaddr_storage *laddr)
{
	struct sockaddr_storage local = *laddr;
	int af = client->ss_family;
	int fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK, 0), one = 1;

	if (fd < 0)
		return -1;
	itp_sockaddr_set_port(&local, 0);
	/* SO_REUSEADDR after bind: sessions share the foreign address, but
	 * each needs a local port of its own
	 */
	if (bind(fd, (const struct sockaddr *)&local, itp_sockaddr_len(&local)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    itp_sa_assign(fd, orig) < 0 ||
	    connect(fd, (const struct sockaddr *)client, itp_sockaddr_len(client)) < 0 ||
	    itp_sa_query(fd, af) < 0 ||
	    itp_sa_connect(fd, client) < 0 ||
	    itp_sa_set_flags(fd, af, ITP_ESTABLISHED) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* The server's side sends from the client's address and port. */
static int udp_server_side(const struct sockaddr_storage *client,
			   const struct sockaddr_storage *orig,
			   const struct sockaddr_storage *bindaddr)
{
	int af = client->ss_family;
	int fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK, 0), one = 1;

	if (fd < 0)
		return -1;
	if (bind(fd, (const struct sockaddr *)bindaddr, itp_sockaddr_len(bindaddr)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    itp_sa_assign(fd, client) < 0 ||
	    itp_sa_set_flags(fd, af, ITP_CONNECT) < 0 ||
	    connect(fd, (const struct sockaddr *)orig, itp_sockaddr_len(orig)) < 0) {
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

static struct udp_sess *udp_open(int ep, const struct sockaddr_storage *client,
				 const struct sockaddr_storage *orig,
				 const struct family *f)
{
	struct udp_sess *u = calloc(1, sizeof(*u));

	u->client = *client;
	u->orig = *orig;
	u->cfd = udp_client_side(client, orig, &f->laddr);
	u->sfd = u->cfd < 0 ? -1 : udp_server_side(client, orig, &f->baddr);
	if (u->sfd < 0) {
		fprintf(stderr, "tproxy-relay: udp session %s -> %s: %s\n",
			itp_fmt_sockaddr(client), itp_fmt_sockaddr(orig),
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
	       itp_fmt_sockaddr(client), itp_fmt_sockaddr(orig));
	return u;
}

/* The original addresses of a datagram at a receiver of family af, from
 * its IP_ORIGADDRS or IPV6_ORIGADDRS message
 */
static int udp_origaddrs(struct msghdr *msg, int af,
			 struct sockaddr_storage *src, struct sockaddr_storage *orig)
{
	struct sockaddr_in6 *src6 = (struct sockaddr_in6 *)src, *orig6 = (struct sockaddr_in6 *)orig;
	struct sockaddr_in *src4 = (struct sockaddr_in *)src, *orig4 = (struct sockaddr_in *)orig;

	memset(src, 0, sizeof(*src));
	memset(orig, 0, sizeof(*orig));
	src->ss_family = orig->ss_family = af;
	if (af == AF_INET6) {
		const struct in6_origaddrs *oa = itp6_origaddrs(msg);

		if (!oa)
			return -1;
		src6->sin6_addr = oa->ioa_srcaddr;
		src6->sin6_port = oa->ioa_srcport;
		orig6->sin6_addr = oa->ioa_dstaddr;
		orig6->sin6_port = oa->ioa_dstport;
	} else {
		const struct in_origaddrs *oa = itp_origaddrs(msg);

		if (!oa)
			return -1;
		src4->sin_addr = oa->ioa_srcaddr;
		src4->sin_port = oa->ioa_srcport;
		orig4->sin_addr = oa->ioa_dstaddr;
		orig4->sin_port = oa->ioa_dstport;
	}
	return 0;
}

/* Datagrams at a receiver: the first of their flow, or ones that were
 * already on their way when the flow's session took over.
 */
static void udp_receive(int ep, const struct end *re)
{
	static char buf[65536];
	union {
		char v4[ITP_ORIGADDRS_SPACE];
		char v6[ITP6_ORIGADDRS_SPACE];
	} cbuf;
	const struct family *f = re->f;

	/* a few at a time: the sessions' own traffic is served in between */
	for (int k = 0; k < 16; k++) {
		struct sockaddr_storage from, src, orig;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr msg = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = &cbuf, .msg_controllen = sizeof(cbuf),
		};
		struct udp_sess **pp, *u;
		ssize_t n = recvmsg(re->fd, &msg, MSG_DONTWAIT);

		if (n < 0)
			return;
		if (udp_origaddrs(&msg, f->af, &src, &orig)) {
			fprintf(stderr, "tproxy-relay: a datagram without %s\n",
				f->af == AF_INET6 ? "IPV6_ORIGADDRS" : "IP_ORIGADDRS");
			continue;
		}
		pp = udp_find(&src, &orig);
		u = *pp;
		if (u) {
			nlate++;
		} else {
			u = udp_open(ep, &src, &orig, f);
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

/* A receiver: bound to the family's listening address and port and fed
 * by a table rule, or tied to a foreign address with ITP_LISTEN | ITP_UNIDIR.
 */
static int udp_receiver(const struct family *f, int port,
			const struct sockaddr_storage *foreign)
{
	struct sockaddr_storage local = f->laddr;
	int fd = socket(f->af, SOCK_DGRAM | SOCK_NONBLOCK, 0), one = 1, rc;

	if (fd < 0) {
		perror("tproxy-relay: udp socket");
		return -1;
	}
	itp_sockaddr_set_port(&local, foreign ? 0 : htons(port));
	if (f->af == AF_INET6)
		setsockopt(fd, SOL_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (!foreign)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&local, itp_sockaddr_len(&local)) < 0) {
		fprintf(stderr, "tproxy-relay: udp bind %s: %s\n",
			itp_fmt_sockaddr(&local), strerror(errno));
		return -1;
	}
	rc = f->af == AF_INET6 ? itp6_recv_origaddrs(fd, 1) : itp_recv_origaddrs(fd, 1);
	if (rc < 0) {
		fprintf(stderr, "tproxy-relay: %s: %s\n",
			f->af == AF_INET6 ? "IPV6_RECVORIGADDRS" : "IP_RECVORIGADDRS",
			strerror(errno));
		return -1;
	}
	/* the sessions will share the foreign address */
	if (foreign && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
			itp_sa_assign(fd, foreign) < 0 ||
			itp_sa_set_flags(fd, f->af, ITP_LISTEN | ITP_UNIDIR) < 0)) {
		fprintf(stderr, "tproxy-relay: udp receiver for %s: %s\n",
			itp_fmt_sockaddr(foreign), strerror(errno));
		return -1;
	}
	return fd;
}

/* The TCP listener of a family */
static int tcp_listener(const struct family *f)
{
	int fd = socket(f->af, SOCK_STREAM, 0), one = 1;

	if (fd < 0) {
		perror("tproxy-relay: socket");
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* the other family has a listener of its own on the same port */
	if (f->af == AF_INET6)
		setsockopt(fd, SOL_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&f->laddr, itp_sockaddr_len(&f->laddr)) < 0 ||
	    listen(fd, LISTEN_BACKLOG) < 0) {
		fprintf(stderr, "tproxy-relay: listen on %s: %s\n",
			itp_fmt_sockaddr(&f->laddr), strerror(errno));
		close(fd);
		return -1;
	}
	set_nonblock(fd);
	return fd;
}

/* An address for --listen or --bind: a.b.c.d, v6 or [v6]; a v4-mapped one
 * is the IPv4 address
 */
static int parse_host(const char *s, struct sockaddr_storage *ss)
{
	if (itp_parse_sockaddr(s, ss, 0) || itp_sockaddr_port(ss)) {
		fprintf(stderr, "tproxy-relay: bad address %s\n", s);
		return -1;
	}
	itp_sockaddr_unmap(ss);
	return 0;
}

static struct family *family_of(struct family *fams, const struct sockaddr_storage *ss)
{
	return &fams[ss->ss_family == AF_INET6];
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: tproxy-relay [options]\n"
"A transparent TCP and UDP relay on TPROXY 2.0, for IPv4 and IPv6: it takes\n"
"the connections and datagrams that rules like\n"
"  iptables-legacy -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128\n"
"  ip6tables-legacy -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128\n"
"  iptables-legacy -t tproxy -A PREROUTING -p udp --dport 53 -j TPROXY --on-port 3128\n"
"redirect to it, and relays them to their original destination from the\n"
"client's address.\n"
"  -p, --port PORT        TCP port to listen on (default 3128)\n"
"  -u, --udp-port PORT    UDP port to receive on (default: no UDP)\n"
"  -F, --udp-foreign ADDR:PORT\n"
"                         also receive UDP sent to this foreign address,\n"
"                         with no table rule (ITP_LISTEN | ITP_UNIDIR);\n"
"                         a.b.c.d:port or [v6]:port, up to %d times\n"
"  -t, --udp-timeout SEC  end idle UDP sessions after SEC seconds (default 60)\n"
"  -l, --listen ADDR      address to listen on, once per family (default\n"
"                         0.0.0.0 and ::, IPv6 where the kernel has IPV6_TPROXY);\n"
"                         with -l only the families given\n"
"  -b, --bind ADDR        local address of the outgoing connections, once\n"
"                         per family (default 0.0.0.0 and ::: as routing chooses)\n"
"  -v, --verbose          log every connection and UDP session on stderr\n"
"  -h, --help             this text\n"
"SIGTERM or SIGINT: close everything and exit 0.\n", MAX_FOREIGN);
}

static int parse_port(const char *s, int min)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < min || v > 65535) {
		fprintf(stderr, "tproxy-relay: bad port %s\n", s);
		return -1;
	}
	return v;
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
	struct family fams[2] = {
		{ .af = AF_INET, .name = "IPv4" },
		{ .af = AF_INET6, .name = "IPv6" },
	};
	struct sockaddr_storage foreign[MAX_FOREIGN], ss;
	struct end fends[MAX_FOREIGN];
	struct end send = { .kind = END_SIGNAL }, tend = { .kind = END_TIMER };
	struct itimerspec tick = { { 1, 0 }, { 1, 0 } };
	struct epoll_event evs[64];
	sigset_t mask;
	int opt, sfd, tfd, ep, port = 3128, udp_port = -1, nforeign = 0;
	bool running = true, listen_given = false, bind_given[2] = { false, false };

	for (int i = 0; i < 2; i++) {
		fams[i].laddr.ss_family = fams[i].af;
		fams[i].baddr.ss_family = fams[i].af;
	}
	while ((opt = getopt_long(argc, argv, "p:u:F:t:l:b:vh", opts, NULL)) != -1) {
		struct family *f;

		switch (opt) {
		case 'p':
			port = parse_port(optarg, 0);
			if (port < 0)
				return 2;
			break;
		case 'u':
			udp_port = parse_port(optarg, 1);
			if (udp_port < 0)
				return 2;
			break;
		case 'F':
			if (nforeign == MAX_FOREIGN) {
				fprintf(stderr, "tproxy-relay: at most %d --udp-foreign\n",
					MAX_FOREIGN);
				return 2;
			}
			if (itp_parse_sockaddr(optarg, &foreign[nforeign], -1) ||
			    !itp_sockaddr_port(&foreign[nforeign])) {
				fprintf(stderr, "tproxy-relay: --udp-foreign wants ADDR:PORT "
					"(a.b.c.d:port or [v6]:port)\n");
				return 2;
			}
			itp_sockaddr_unmap(&foreign[nforeign++]);
			break;
		case 't':
			udp_timeout = atoi(optarg);
			if (udp_timeout <= 0) {
				fprintf(stderr, "tproxy-relay: bad timeout %s\n", optarg);
				return 2;
			}
			break;
		case 'l':
			if (parse_host(optarg, &ss))
				return 2;
			f = family_of(fams, &ss);
			if (f->asked) {
				fprintf(stderr, "tproxy-relay: one --listen per family\n");
				return 2;
			}
			f->laddr = ss;
			f->asked = true;
			listen_given = true;
			break;
		case 'b':
			if (parse_host(optarg, &ss))
				return 2;
			f = family_of(fams, &ss);
			if (bind_given[f->af == AF_INET6]) {
				fprintf(stderr, "tproxy-relay: one --bind per family\n");
				return 2;
			}
			f->baddr = ss;
			bind_given[f->af == AF_INET6] = true;
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
	/* Without --listen: IPv4, and IPv6 where this kernel has it */
	for (int i = 0; i < 2; i++) {
		fams[i].on = listen_given ? fams[i].asked : true;
		if (!listen_given && i == 0)
			fams[i].asked = true;
	}
	for (int i = 0; i < nforeign; i++) {
		struct family *f = family_of(fams, &foreign[i]);

		if (!f->on) {
			fprintf(stderr, "tproxy-relay: --udp-foreign %s: no --listen "
				"address of its family\n", itp_fmt_sockaddr(&foreign[i]));
			return 2;
		}
		f->asked = true;
	}
	for (int i = 0; i < 2; i++) {
		struct family *f = &fams[i];

		if (!f->on)
			continue;
		if (check_kernel(f)) {
			if (f->asked)
				return 1;
			fprintf(stderr, "tproxy-relay: %s not relayed\n", f->name);
			f->on = false;
			continue;
		}
		itp_sockaddr_set_port(&f->laddr, htons(port));
	}

	ep = epoll_create1(0);
	for (int i = 0; i < 2; i++) {
		struct family *f = &fams[i];

		if (!f->on)
			continue;
		f->lend = (struct end){ .kind = END_LISTENER, .f = f };
		f->lend.fd = tcp_listener(f);
		if (f->lend.fd < 0)
			return 1;
		watch(ep, EPOLL_CTL_ADD, f->lend.fd, &f->lend, EPOLLIN);
		fprintf(stderr, "tproxy-relay: listening on %s\n", itp_fmt_sockaddr(&f->laddr));
		if (udp_port > 0) {
			f->uend = (struct end){ .kind = END_RECEIVER, .f = f };
			f->uend.fd = udp_receiver(f, udp_port, NULL);
			if (f->uend.fd < 0)
				return 1;
			watch(ep, EPOLL_CTL_ADD, f->uend.fd, &f->uend, EPOLLIN);
			fprintf(stderr, "tproxy-relay: receiving %s udp on port %d\n",
				f->name, udp_port);
		}
	}
	for (int i = 0; i < nforeign; i++) {
		fends[i] = (struct end){ .kind = END_RECEIVER, .f = family_of(fams, &foreign[i]) };
		fends[i].fd = udp_receiver(fends[i].f, 0, &foreign[i]);
		if (fends[i].fd < 0)
			return 1;
		watch(ep, EPOLL_CTL_ADD, fends[i].fd, &fends[i], EPOLLIN);
		fprintf(stderr, "tproxy-relay: receiving udp for %s\n",
			itp_fmt_sockaddr(&foreign[i]));
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK);
	watch(ep, EPOLL_CTL_ADD, sfd, &send, EPOLLIN);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	timerfd_settime(tfd, 0, &tick, NULL);
	watch(ep, EPOLL_CTL_ADD, tfd, &tend, EPOLLIN);

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
				accept_one(ep, e);
				break;
			case END_RECEIVER:
				udp_receive(ep, e);
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
