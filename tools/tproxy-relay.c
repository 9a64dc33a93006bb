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
 * It faces untrusted clients, so:
 *  - nothing is freed while an event of the same epoll batch may still
 *    reach it: closed connections and sessions go on a list freed after
 *    the batch;
 *  - connections and sessions are capped (--max-conns, --max-sessions,
 *    by default from the descriptor limit); at the cap, or when accept()
 *    runs out of descriptors, the listener pauses instead of spinning;
 *    TCP has connect, idle and half-closed timeouts, UDP an idle one, all
 *    on the monotonic clock; a session reads a few datagrams a round;
 *  - a connection or datagram whose original destination is the relay's
 *    own listening address (a client that connected to it directly) is
 *    refused: relaying it would connect the relay to itself, forever;
 *  - refusals are counted and reported at most every --report seconds,
 *    not line by line;
 *  - once its sockets are bound it keeps CAP_NET_ADMIN only, runs as
 *    --user (nobody by default) and sets no_new_privs.
 *
 * All in one epoll loop.  SIGTERM and SIGINT end it cleanly: every socket is
 * closed, so its sockrefs go with them.
 */
#define _GNU_SOURCE	/* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <netinet/in.h>
#include <linux/capability.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "tproxy2-sockopt.h"

#define BUFSZ	16384
#define UDP_HASH	4096
#define LISTEN_BACKLOG	65535	/* the kernel caps it at net.core.somaxconn */
#define MAX_FOREIGN	16
#define UDP_BUDGET	16	/* datagrams a session or receiver reads a round */
#define FD_RESERVE	16	/* descriptors kept out of the default caps,
				 * besides one a --udp-foreign
				 */

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
	int64_t since;		/* created, then last moved a byte (ms) */
	int64_t half;		/* when one direction ended (ms), or 0 */
	struct conn *prev, *next;	/* all live connections */
	struct conn *next_dead;
	struct end *ends;
};

/* A UDP flow from client to orig, relayed from the client's address */
struct udp_sess {
	struct sockaddr_storage client, orig;
	int cfd;		/* the client's side: ITP_ESTABLISHED */
	int sfd;		/* the server's side: ITP_CONNECT */
	int64_t last;		/* ms, monotonic */
	bool dead;		/* closed; freed after this epoll round */
	struct udp_sess *next;	/* in its hash chain, then on the dead list */
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
	bool paused;		/* listeners: not watched for now */
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

/* What was refused or failed, reported every --report seconds */
enum { R_LOOP, R_CONN_CAP, R_FD, R_SESS_CAP, R_TIMEOUT_CONNECT, R_TIMEOUT_IDLE,
       R_TIMEOUT_HALF, R_ERROR, R_NOMEM, R_N };
static const char *const rname[R_N] = {
	[R_LOOP] = "to the relay itself (loop)",
	[R_CONN_CAP] = "connections at the cap",
	[R_FD] = "out of descriptors",
	[R_SESS_CAP] = "datagrams at the session cap",
	[R_TIMEOUT_CONNECT] = "connect timeouts",
	[R_TIMEOUT_IDLE] = "idle timeouts",
	[R_TIMEOUT_HALF] = "half-closed timeouts",
	[R_ERROR] = "errors",
	[R_NOMEM] = "out of memory",
};
static unsigned long refused[R_N], reported[R_N];
static bool loop_logged;

static int verbose;
static unsigned long nconns, nactive;
static unsigned long nsessions, nsessions_active, nlate;
static struct conn *dead, *conns;
static struct udp_sess *dead_sess;
static struct udp_sess *udp_hash[UDP_HASH];
static uint64_t hash_key[2];
static unsigned long max_conns, max_sessions;
static unsigned int udp_timeout = 60, connect_timeout = 10, idle_timeout = 0,
		    half_timeout = 60, report_every = 60;
static int spare_fd = -1;	/* freed to accept and shed when out of fds */
static int64_t resume_at;	/* listeners paused for lack of fds until then */
static int64_t last_report;

static void logmsg(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* Milliseconds on the monotonic clock: a step of the wall clock changes
 * no timeout
 */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void count(int what)
{
	refused[what]++;
}

/* One line for all that was refused since the last one, at most every
 * report_every seconds (and at exit)
 */
static void report(bool force)
{
	int64_t now = now_ms();
	char line[512];
	size_t n = 0;

	if (!force && now - last_report < (int64_t)report_every * 1000)
		return;
	for (int i = 0; i < R_N; i++) {
		if (refused[i] == reported[i])
			continue;
		n += snprintf(line + n, sizeof(line) - n, "%s %lu %s", n ? "," : "",
			      refused[i] - reported[i], rname[i]);
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		reported[i] = refused[i];
	}
	if (n)
		fprintf(stderr, "tproxy-relay: refused or ended:%s\n", line);
	last_report = now;
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

static int watch(int ep, int op, int fd, struct end *e, unsigned int events)
{
	struct epoll_event ev = { .events = events, .data.ptr = e };

	return epoll_ctl(ep, op, fd, &ev);
}

/* ---- TCP ---- */

/* Close a connection; its memory goes after the current epoll round,
 * which may still hold events for it.
 */
static void conn_close(int ep, struct conn *c)
{
	if (c->dead)
		return;
	epoll_ctl(ep, EPOLL_CTL_DEL, c->up.src, NULL);
	epoll_ctl(ep, EPOLL_CTL_DEL, c->down.src, NULL);
	close(c->up.src);
	close(c->down.src);
	c->dead = true;
	if (c->prev)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
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
	while (dead_sess) {
		struct udp_sess *u = dead_sess;

		dead_sess = u->next;
		free(u->ends);
		free(u);
	}
}

/* Move what can be moved in one direction; false when it failed.
 * *moved is set when a byte moved.
 */
static bool pump(struct pipe *p, bool *moved)
{
	for (;;) {
		if (p->off < p->len) {
			ssize_t n = write(p->dst, p->buf + p->off, p->len - p->off);

			if (n < 0)
				return errno == EAGAIN || errno == EINTR;
			p->off += n;
			*moved = true;
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
			return errno == EAGAIN || errno == EINTR;
		p->len = n;
		*moved = true;
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

static bool sa_is_any(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
	return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
}

/* An address of this host (in this network namespace): one a socket can
 * bind to without IP_FREEBIND.  Unknown (no descriptor) counts as local.
 */
static bool sa_is_local(const struct sockaddr_storage *ss)
{
	struct sockaddr_storage a = *ss;
	int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool local;

	if (fd < 0)
		return true;
	itp_sockaddr_set_port(&a, 0);
	local = bind(fd, (struct sockaddr *)&a, itp_sockaddr_len(&a)) == 0 ||
		errno != EADDRNOTAVAIL;
	close(fd);
	return local;
}

/* Is dst one of our own listening addresses (laddr:port, or any local
 * address on port where laddr is the wildcard)?  Relaying there would
 * connect the relay to itself.
 */
static bool is_own(const struct sockaddr_storage *laddr, __u16 port,
		   const struct sockaddr_storage *dst)
{
	struct sockaddr_storage own = *laddr;

	if (dst->ss_family != laddr->ss_family || itp_sockaddr_port(dst) != port)
		return false;
	itp_sockaddr_set_port(&own, port);
	if (itp_sockaddr_equal(&own, dst))
		return true;
	return sa_is_any(laddr) && sa_is_local(dst);
}

static void refuse_loop(const char *proto, const struct sockaddr_storage *client,
			const struct sockaddr_storage *orig)
{
	count(R_LOOP);
	if (!loop_logged || verbose)
		fprintf(stderr, "tproxy-relay: %s %s -> %s: that is the relay itself "
			"(a direct connection, not a redirected one); refused%s\n",
			proto, itp_fmt_sockaddr(client), itp_fmt_sockaddr(orig),
			loop_logged ? "" : " (further ones are counted)");
	loop_logged = true;
}

static void listeners_pause(int ep, struct family *fams, bool pause)
{
	for (int i = 0; i < 2; i++) {
		struct end *le = &fams[i].lend;

		if (!fams[i].on || le->paused == pause)
			continue;
		if (watch(ep, EPOLL_CTL_MOD, le->fd, le, pause ? 0 : EPOLLIN) == 0)
			le->paused = pause;
	}
}

/* accept() failed for lack of descriptors: take the newest connection
 * with the spare descriptor and close it, so that the listener does not
 * fire again at once; and pause the listeners for a second.
 */
static void out_of_fds(int ep, struct family *fams, int lfd)
{
	count(R_FD);
	if (spare_fd >= 0) {
		close(spare_fd);
		int fd = accept(lfd, NULL, NULL);

		if (fd >= 0)
			close(fd);
		spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	resume_at = now_ms() + 1000;
	listeners_pause(ep, fams, true);
}

static void accept_one(int ep, struct family *fams, const struct end *le)
{
	const struct family *f = le->f;
	struct sockaddr_storage client, orig, faddr, local;
	socklen_t cl = sizeof(client), ll = sizeof(local);
	struct conn *c;
	struct end *ends;
	int cfd, sfd;

	if (nactive >= max_conns) {
		count(R_CONN_CAP);
		listeners_pause(ep, fams, true);
		return;
	}
	cfd = accept4(le->fd, (struct sockaddr *)&client, &cl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			out_of_fds(ep, fams, le->fd);
		return;
	}
	if (original_dst(cfd, f->af, &orig) < 0) {
		count(R_ERROR);
		logmsg("tproxy-relay: %s: %s (not redirected?)\n",
		       f->af == AF_INET6 ? "IP6T_SO_ORIGINAL_DST" : "SO_ORIGINAL_DST",
		       strerror(errno));
		close(cfd);
		return;
	}
	/* a connection to the relay itself: no translation happened */
	if ((getsockname(cfd, (struct sockaddr *)&local, &ll) == 0 &&
	     itp_sockaddr_equal(&local, &orig)) ||
	    is_own(&f->laddr, itp_sockaddr_port(&f->laddr), &orig)) {
		refuse_loop("tcp", &client, &orig);
		close(cfd);
		return;
	}

	/* Squid's sequence: bind, ASSIGN(client ip, any port), CONNECT, connect */
	faddr = client;
	itp_sockaddr_set_port(&faddr, 0);
	sfd = socket(f->af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sfd < 0) {
		close(cfd);
		if (errno == EMFILE || errno == ENFILE) {
			count(R_FD);
			resume_at = now_ms() + 1000;
			listeners_pause(ep, fams, true);
		} else {
			count(R_ERROR);
		}
		return;
	}
	if (bind(sfd, (const struct sockaddr *)&f->baddr, itp_sockaddr_len(&f->baddr)) < 0 ||
	    itp_sa_assign(sfd, &faddr) < 0 ||
	    itp_sa_set_flags(sfd, f->af, ITP_CONNECT) < 0) {
		count(R_ERROR);
		logmsg("tproxy-relay: foreign address %s: %s\n",
		       itp_fmt_sockaddr(&client), strerror(errno));
		close(sfd);
		close(cfd);
		return;
	}
	if (connect(sfd, (struct sockaddr *)&orig, itp_sockaddr_len(&orig)) < 0 &&
	    errno != EINPROGRESS) {
		count(R_ERROR);
		logmsg("tproxy-relay: connect %s: %s\n",
		       itp_fmt_sockaddr(&orig), strerror(errno));
		close(sfd);
		close(cfd);
		return;
	}

	c = calloc(1, sizeof(*c));
	ends = calloc(2, sizeof(*ends));
	if (!c || !ends) {
		count(R_NOMEM);
		free(c);
		free(ends);
		close(sfd);
		close(cfd);
		return;
	}
	c->up.src = cfd;
	c->up.dst = sfd;
	c->down.src = sfd;
	c->down.dst = cfd;
	c->connecting = true;
	c->since = now_ms();
	c->ends = ends;
	ends[0].c = c;
	ends[1].c = c;
	ends[1].server = true;
	ends[0].kind = ends[1].kind = END_TCP;
	/* the client waits until the server connection is up */
	if (watch(ep, EPOLL_CTL_ADD, sfd, &ends[1], EPOLLOUT | EPOLLIN | EPOLLRDHUP) < 0) {
		count(R_ERROR);
		free(c);
		free(ends);
		close(sfd);
		close(cfd);
		return;
	}
	c->next = conns;
	if (conns)
		conns->prev = c;
	conns = c;
	nconns++;
	nactive++;
	logmsg("tproxy-relay: %s -> %s, from the client's address\n",
	       itp_fmt_sockaddr(&client), itp_fmt_sockaddr(&orig));
}

static void service(int ep, struct end *e)
{
	struct conn *c = e->c;
	struct end *ends = c->ends;
	bool moved = false;

	if (c->dead)
		return;
	if (c->connecting) {
		int err = 0;
		socklen_t l = sizeof(err);

		if (getsockopt(c->down.src, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
			err = errno;
		if (err) {
			count(R_ERROR);
			logmsg("tproxy-relay: connect: %s\n", strerror(err));
			conn_close(ep, c);
			return;
		}
		c->connecting = false;
		c->since = now_ms();
		if (watch(ep, EPOLL_CTL_MOD, c->down.src, &ends[1], EPOLLIN | EPOLLOUT | EPOLLET) < 0 ||
		    watch(ep, EPOLL_CTL_ADD, c->up.src, &ends[0], EPOLLIN | EPOLLOUT | EPOLLET) < 0) {
			count(R_ERROR);
			conn_close(ep, c);
			return;
		}
	}
	if (!pump(&c->up, &moved) || !pump(&c->down, &moved) ||
	    (c->up.eof && c->up.off == c->up.len &&
	     c->down.eof && c->down.off == c->down.len)) {
		conn_close(ep, c);
		return;
	}
	if (moved)
		c->since = now_ms();
	if (!c->half && (c->up.eof || c->down.eof))
		c->half = now_ms();
}

/* End the connections past their connect, idle or half-closed timeout */
static void conn_expire(int ep)
{
	int64_t now = now_ms();
	struct conn *c, *next;

	for (c = conns; c; c = next) {
		next = c->next;
		if (c->connecting) {
			if (now - c->since >= (int64_t)connect_timeout * 1000) {
				count(R_TIMEOUT_CONNECT);
				conn_close(ep, c);
			}
		} else if (c->half && now - c->half >= (int64_t)half_timeout * 1000 &&
			   now - c->since >= (int64_t)half_timeout * 1000) {
			count(R_TIMEOUT_HALF);
			conn_close(ep, c);
		} else if (idle_timeout && now - c->since >= (int64_t)idle_timeout * 1000) {
			count(R_TIMEOUT_IDLE);
			conn_close(ep, c);
		}
	}
}

/* ---- UDP ---- */

/* SipHash-2-4, keyed at start from getrandom(): the flows' addresses and
 * ports are the clients' choice, the buckets must not be
 */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
} while (0)

static uint64_t siphash(const unsigned char *in, size_t len, const uint64_t k[2])
{
	uint64_t v0 = 0x736f6d6570736575ULL ^ k[0], v1 = 0x646f72616e646f6dULL ^ k[1];
	uint64_t v2 = 0x6c7967656e657261ULL ^ k[0], v3 = 0x7465646279746573ULL ^ k[1];
	uint64_t b = (uint64_t)len << 56, m;
	size_t i, left = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, in + i, 8);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; j < left; j++)
		b |= (uint64_t)in[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* The address and port of either family, as bytes to hash */
static size_t sa_bytes(unsigned char *p, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	__u16 port = itp_sockaddr_port(ss);

	if (ss->ss_family == AF_INET6) {
		memcpy(p, &sin6->sin6_addr, 16);
		memcpy(p + 16, &port, 2);
		return 18;
	}
	memcpy(p, &sin->sin_addr, 4);
	memcpy(p + 4, &port, 2);
	return 6;
}

static unsigned int udp_bucket(const struct sockaddr_storage *client,
			       const struct sockaddr_storage *orig)
{
	unsigned char b[36];
	size_t n = sa_bytes(b, client);

	n += sa_bytes(b + n, orig);
	return siphash(b, n, hash_key) % UDP_HASH;
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
	int fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

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
	int fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

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

/* Close a session and take it out of its chain; its memory goes after
 * the current epoll round, which may still hold events for it.
 */
static void udp_close(int ep, struct udp_sess **pp)
{
	struct udp_sess *u = *pp;

	*pp = u->next;
	epoll_ctl(ep, EPOLL_CTL_DEL, u->cfd, NULL);
	epoll_ctl(ep, EPOLL_CTL_DEL, u->sfd, NULL);
	close(u->cfd);
	close(u->sfd);
	u->dead = true;
	u->next = dead_sess;
	dead_sess = u;
	nsessions_active--;
}

static struct udp_sess *udp_open(int ep, const struct sockaddr_storage *client,
				 const struct sockaddr_storage *orig,
				 const struct family *f)
{
	struct udp_sess *u;

	if (nsessions_active >= max_sessions) {
		count(R_SESS_CAP);
		return NULL;
	}
	u = calloc(1, sizeof(*u));
	if (!u || !(u->ends = calloc(2, sizeof(*u->ends)))) {
		count(R_NOMEM);
		free(u);
		return NULL;
	}
	u->client = *client;
	u->orig = *orig;
	u->cfd = udp_client_side(client, orig, &f->laddr);
	u->sfd = u->cfd < 0 ? -1 : udp_server_side(client, orig, &f->baddr);
	if (u->sfd < 0) {
		count(errno == EMFILE || errno == ENFILE ? R_FD : R_ERROR);
		logmsg("tproxy-relay: udp session %s -> %s: %s\n",
		       itp_fmt_sockaddr(client), itp_fmt_sockaddr(orig),
		       strerror(errno));
		if (u->cfd >= 0)
			close(u->cfd);
		free(u->ends);
		free(u);
		return NULL;
	}
	u->ends[0].kind = END_UDP;
	u->ends[1].kind = END_UDP;
	u->ends[0].u = u;
	u->ends[1].u = u;
	u->ends[1].server = true;
	if (watch(ep, EPOLL_CTL_ADD, u->cfd, &u->ends[0], EPOLLIN) < 0 ||
	    watch(ep, EPOLL_CTL_ADD, u->sfd, &u->ends[1], EPOLLIN) < 0) {
		count(R_ERROR);
		epoll_ctl(ep, EPOLL_CTL_DEL, u->cfd, NULL);
		close(u->cfd);
		close(u->sfd);
		free(u->ends);
		free(u);
		return NULL;
	}
	u->last = now_ms();
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

static unsigned int udp_port_own;	/* --udp-port, host order; 0: none */

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
	for (int k = 0; k < UDP_BUDGET; k++) {
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
			count(R_ERROR);
			logmsg("tproxy-relay: a datagram without %s\n",
			       f->af == AF_INET6 ? "IPV6_ORIGADDRS" : "IP_ORIGADDRS");
			continue;
		}
		pp = udp_find(&src, &orig);
		u = *pp;
		if (u) {
			nlate++;
		} else {
			/* sent to the relay's own port, not redirected */
			if (re == &f->uend && udp_port_own &&
			    is_own(&f->laddr, htons(udp_port_own), &orig)) {
				refuse_loop("udp", &src, &orig);
				continue;
			}
			u = udp_open(ep, &src, &orig, f);
			if (!u)
				continue;
			*pp = u;
		}
		u->last = now_ms();
		if (send(u->sfd, buf, n, 0) < 0)
			logmsg("tproxy-relay: udp send: %s\n", strerror(errno));
	}
}

static void udp_service(struct end *e)
{
	static char buf[65536];
	struct udp_sess *u = e->u;
	int from, to;
	ssize_t n;

	if (u->dead)
		return;
	from = e->server ? u->sfd : u->cfd;
	to = e->server ? u->cfd : u->sfd;
	/* a few a round: one flow's flood does not starve the others */
	for (int k = 0; k < UDP_BUDGET; k++) {
		n = recv(from, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			return;
		u->last = now_ms();
		if (send(to, buf, n, 0) < 0)
			logmsg("tproxy-relay: udp send: %s\n", strerror(errno));
	}
}

/* End the sessions idle for udp_timeout seconds, or all of them */
static void udp_expire(int ep, bool all)
{
	int64_t now = now_ms();

	for (int i = 0; i < UDP_HASH; i++) {
		struct udp_sess **pp = &udp_hash[i];

		while (*pp) {
			if (all || now - (*pp)->last >= (int64_t)udp_timeout * 1000)
				udp_close(ep, pp);
			else
				pp = &(*pp)->next;
		}
	}
}

/* A receiver: bound to the family's listening address and port and fed
 * by a table rule, or tied to a foreign address with ITP_LISTEN | ITP_UNIDIR.
 * The one fed by a rule has no SO_REUSEADDR: with it, any local user could
 * bind a more specific address on the same port (with SO_REUSEADDR too)
 * and take the clients' datagrams.
 */
static int udp_receiver(const struct family *f, int port,
			const struct sockaddr_storage *foreign)
{
	struct sockaddr_storage local = f->laddr;
	int fd = socket(f->af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1, rc;

	if (fd < 0) {
		perror("tproxy-relay: udp socket");
		return -1;
	}
	itp_sockaddr_set_port(&local, foreign ? 0 : htons(port));
	if (f->af == AF_INET6 &&
	    setsockopt(fd, SOL_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) {
		perror("tproxy-relay: IPV6_V6ONLY");
		close(fd);
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&local, itp_sockaddr_len(&local)) < 0) {
		fprintf(stderr, "tproxy-relay: udp bind %s: %s\n",
			itp_fmt_sockaddr(&local), strerror(errno));
		close(fd);
		return -1;
	}
	rc = f->af == AF_INET6 ? itp6_recv_origaddrs(fd, 1) : itp_recv_origaddrs(fd, 1);
	if (rc < 0) {
		fprintf(stderr, "tproxy-relay: %s: %s\n",
			f->af == AF_INET6 ? "IPV6_RECVORIGADDRS" : "IP_RECVORIGADDRS",
			strerror(errno));
		close(fd);
		return -1;
	}
	/* the sessions will share the foreign address (set after bind, on
	 * an ephemeral port: it lets no one onto a port of ours)
	 */
	if (foreign && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
			itp_sa_assign(fd, foreign) < 0 ||
			itp_sa_set_flags(fd, f->af, ITP_LISTEN | ITP_UNIDIR) < 0)) {
		fprintf(stderr, "tproxy-relay: udp receiver for %s: %s\n",
			itp_fmt_sockaddr(foreign), strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* The TCP listener of a family */
static int tcp_listener(const struct family *f)
{
	int fd = socket(f->af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0) {
		perror("tproxy-relay: socket");
		return -1;
	}
	/* TCP's SO_REUSEADDR lets no one share a listening port; it lets a
	 * restarted relay bind beside its old connections in TIME_WAIT
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    /* the other family has a listener of its own on the same port */
	    (f->af == AF_INET6 &&
	     setsockopt(fd, SOL_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(fd, (const struct sockaddr *)&f->laddr, itp_sockaddr_len(&f->laddr)) < 0 ||
	    listen(fd, LISTEN_BACKLOG) < 0) {
		fprintf(stderr, "tproxy-relay: listen on %s: %s\n",
			itp_fmt_sockaddr(&f->laddr), strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- privileges ---- */

static int capget_(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return syscall(SYS_capget, &h, d);
}

static int capset_(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return syscall(SYS_capset, &h, d);
}

/* Keep CAP_NET_ADMIN (each TPROXY 2.0 call needs it) and nothing else;
 * become user (unless it is root, or we are not root); no_new_privs.
 */
static int drop_privileges(const char *user)
{
	struct __user_cap_data_struct d[2];
	const int keep = CAP_NET_ADMIN;
	uid_t uid = 0;
	gid_t gid = 0;

	if (geteuid() == 0 && strcmp(user, "root") != 0) {
		struct passwd *pw = getpwnam(user);

		if (!pw) {
			fprintf(stderr, "tproxy-relay: no user %s (--user)\n", user);
			return -1;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	/* the bounding set: needs CAP_SETPCAP, which a relay started by
	 * systemd with CapabilityBoundingSet= does not have (and needs not)
	 */
	for (int c = 0; c <= 63; c++) {
		if (c == keep)
			continue;
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) <= 0)
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EPERM) {
			perror("tproxy-relay: PR_CAPBSET_DROP");
			return -1;
		}
	}
	if (uid) {
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
		    setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0 ||
		    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) {
			fprintf(stderr, "tproxy-relay: becoming %s: %s\n", user, strerror(errno));
			return -1;
		}
	}
	if (capget_(d) < 0) {
		perror("tproxy-relay: capget");
		return -1;
	}
	if (!(d[0].permitted & (1u << keep))) {
		fprintf(stderr, "tproxy-relay: CAP_NET_ADMIN is not permitted\n");
		return -1;
	}
	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = 1u << keep;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		perror("tproxy-relay: PR_CAP_AMBIENT_CLEAR_ALL");
		return -1;
	}
	if (capset_(d) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		perror("tproxy-relay: dropping capabilities");
		return -1;
	}
	return 0;
}

/* ---- options ---- */

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
"  -p, --port PORT        TCP port to listen on, 1-65535 (default 3128)\n"
"  -u, --udp-port PORT    UDP port to receive on, 1-65535 (default: no UDP)\n"
"  -F, --udp-foreign ADDR:PORT\n"
"                         also receive UDP sent to this foreign address,\n"
"                         with no table rule (ITP_LISTEN | ITP_UNIDIR);\n"
"                         a.b.c.d:port or [v6]:port, up to %d times\n"
"  -t, --udp-timeout SEC  end idle UDP sessions after SEC seconds (default 60)\n"
"  -C, --connect-timeout SEC  give up a connect to a server after SEC (10)\n"
"  -I, --idle-timeout SEC end a connection idle both ways for SEC (0: never)\n"
"  -H, --half-closed-timeout SEC\n"
"                         end a connection SEC after one side ended, if idle (60)\n"
"  -m, --max-conns N      at most N connections (default: a quarter of the\n"
"                         descriptor limit, less %d); then the listener waits\n"
"  -s, --max-sessions N   at most N UDP sessions (default: as --max-conns)\n"
"  -r, --report SEC       report what was refused at most every SEC (60)\n"
"  -U, --user USER        run as USER once the sockets are bound, with\n"
"                         CAP_NET_ADMIN only (default nobody; root keeps uid 0)\n"
"  -l, --listen ADDR      address to listen on, once per family (default\n"
"                         0.0.0.0 and ::, IPv6 where the kernel has IPV6_TPROXY);\n"
"                         with -l only the families given\n"
"  -b, --bind ADDR        local address of the outgoing connections, once\n"
"                         per family (default 0.0.0.0 and ::: as routing chooses)\n"
"  -v, --verbose          log every connection and UDP session on stderr\n"
"  -h, --help             this text\n"
"SIGTERM or SIGINT: close everything and exit 0.\n", MAX_FOREIGN, FD_RESERVE);
}

/* A decimal number from min to max, all of s; else a message and false */
static bool parse_num(const char *s, const char *what, unsigned long min,
		      unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9' || (*v = strtoul(s, &end, 10), errno) || *end ||
	    *v < min || *v > max) {
		fprintf(stderr, "tproxy-relay: bad %s \"%s\": a number from %lu to %lu\n",
			what, s, min, max);
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "udp-port", required_argument, NULL, 'u' },
		{ "udp-foreign", required_argument, NULL, 'F' },
		{ "udp-timeout", required_argument, NULL, 't' },
		{ "connect-timeout", required_argument, NULL, 'C' },
		{ "idle-timeout", required_argument, NULL, 'I' },
		{ "half-closed-timeout", required_argument, NULL, 'H' },
		{ "max-conns", required_argument, NULL, 'm' },
		{ "max-sessions", required_argument, NULL, 's' },
		{ "report", required_argument, NULL, 'r' },
		{ "user", required_argument, NULL, 'U' },
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
	struct rlimit rl;
	const char *user = "nobody";
	unsigned long v, port = 3128, udp_port = 0, avail;
	sigset_t mask;
	int opt, sfd, tfd, ep, nforeign = 0;
	bool running = true, listen_given = false, bind_given[2] = { false, false };

	for (int i = 0; i < 2; i++) {
		fams[i].laddr.ss_family = fams[i].af;
		fams[i].baddr.ss_family = fams[i].af;
	}
	while ((opt = getopt_long(argc, argv, "p:u:F:t:C:I:H:m:s:r:U:l:b:vh", opts, NULL)) != -1) {
		struct family *f;

		switch (opt) {
		case 'p':
			if (!parse_num(optarg, "--port", 1, 65535, &port))
				return 2;
			break;
		case 'u':
			if (!parse_num(optarg, "--udp-port", 1, 65535, &udp_port))
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
		case 'C':
		case 'I':
		case 'H':
		case 'r':
			/* a day at most for a round trip; a year for the rest */
			if (!parse_num(optarg, opt == 't' ? "--udp-timeout" :
				       opt == 'C' ? "--connect-timeout" :
				       opt == 'I' ? "--idle-timeout" :
				       opt == 'H' ? "--half-closed-timeout" : "--report",
				       opt == 'I' ? 0 : 1,
				       opt == 'C' ? 86400 : 31536000, &v))
				return 2;
			*(opt == 't' ? &udp_timeout : opt == 'C' ? &connect_timeout :
			  opt == 'I' ? &idle_timeout : opt == 'H' ? &half_timeout :
			  &report_every) = v;
			break;
		case 'm':
			if (!parse_num(optarg, "--max-conns", 1, 1UL << 24, &max_conns))
				return 2;
			break;
		case 's':
			if (!parse_num(optarg, "--max-sessions", 1, 1UL << 24, &max_sessions))
				return 2;
			break;
		case 'U':
			if (!*optarg) {
				fprintf(stderr, "tproxy-relay: empty --user\n");
				return 2;
			}
			user = optarg;
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
	if (optind < argc) {
		fprintf(stderr, "tproxy-relay: unexpected argument %s\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	udp_port_own = udp_port;

	/* The caps, from the descriptor limit (the soft one raised to the
	 * hard one): two descriptors a connection or session
	 */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		perror("tproxy-relay: getrlimit");
		return 1;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	avail = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1UL << 26) ? 1UL << 26 :
		rl.rlim_cur;
	avail = avail > FD_RESERVE + (unsigned long)nforeign ? avail - FD_RESERVE - nforeign : 0;
	if (!max_conns)
		max_conns = avail / 4;
	if (!max_sessions)
		max_sessions = avail / 4;
	if (!max_conns || !max_sessions) {
		fprintf(stderr, "tproxy-relay: the descriptor limit (%lu) is too low\n",
			(unsigned long)rl.rlim_cur);
		return 1;
	}
	if (2 * (max_conns + max_sessions) > avail)
		fprintf(stderr, "tproxy-relay: %lu connections and %lu sessions need more "
			"descriptors than the limit (%lu) gives; at the limit the "
			"listeners pause\n", max_conns, max_sessions,
			(unsigned long)rl.rlim_cur);
	if (getrandom(hash_key, sizeof(hash_key), 0) != sizeof(hash_key)) {
		perror("tproxy-relay: getrandom");
		return 1;
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

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		perror("tproxy-relay: epoll_create1");
		return 1;
	}
	for (int i = 0; i < 2; i++) {
		struct family *f = &fams[i];

		if (!f->on)
			continue;
		f->lend = (struct end){ .kind = END_LISTENER, .f = f };
		f->lend.fd = tcp_listener(f);
		if (f->lend.fd < 0)
			return 1;
		if (watch(ep, EPOLL_CTL_ADD, f->lend.fd, &f->lend, EPOLLIN) < 0) {
			perror("tproxy-relay: epoll_ctl");
			return 1;
		}
		fprintf(stderr, "tproxy-relay: listening on %s\n", itp_fmt_sockaddr(&f->laddr));
		if (udp_port > 0) {
			f->uend = (struct end){ .kind = END_RECEIVER, .f = f };
			f->uend.fd = udp_receiver(f, udp_port, NULL);
			if (f->uend.fd < 0)
				return 1;
			if (watch(ep, EPOLL_CTL_ADD, f->uend.fd, &f->uend, EPOLLIN) < 0) {
				perror("tproxy-relay: epoll_ctl");
				return 1;
			}
			fprintf(stderr, "tproxy-relay: receiving %s udp on port %lu\n",
				f->name, udp_port);
		}
	}
	for (int i = 0; i < nforeign; i++) {
		fends[i] = (struct end){ .kind = END_RECEIVER, .f = family_of(fams, &foreign[i]) };
		fends[i].fd = udp_receiver(fends[i].f, 0, &foreign[i]);
		if (fends[i].fd < 0)
			return 1;
		if (watch(ep, EPOLL_CTL_ADD, fends[i].fd, &fends[i], EPOLLIN) < 0) {
			perror("tproxy-relay: epoll_ctl");
			return 1;
		}
		fprintf(stderr, "tproxy-relay: receiving udp for %s\n",
			itp_fmt_sockaddr(&foreign[i]));
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (sfd < 0 || tfd < 0 || spare_fd < 0 ||
	    watch(ep, EPOLL_CTL_ADD, sfd, &send, EPOLLIN) < 0 ||
	    timerfd_settime(tfd, 0, &tick, NULL) < 0 ||
	    watch(ep, EPOLL_CTL_ADD, tfd, &tend, EPOLLIN) < 0) {
		perror("tproxy-relay: signalfd, timerfd");
		return 1;
	}
	if (drop_privileges(user))
		return 1;
	fprintf(stderr, "tproxy-relay: running as uid %u with CAP_NET_ADMIN only; "
		"at most %lu connections and %lu udp sessions\n",
		(unsigned int)getuid(), max_conns, max_sessions);
	last_report = now_ms();

	while (running) {
		int n = epoll_wait(ep, evs, 64, -1);

		if (n < 0 && errno != EINTR) {
			perror("tproxy-relay: epoll_wait");
			break;
		}
		for (int i = 0; i < n; i++) {
			struct end *e = evs[i].data.ptr;
			uint64_t ticks;

			switch (e->kind) {
			case END_SIGNAL:
				running = false;
				break;
			case END_LISTENER:
				accept_one(ep, fams, e);
				break;
			case END_RECEIVER:
				udp_receive(ep, e);
				break;
			case END_TIMER:
				if (read(tfd, &ticks, sizeof(ticks)) > 0) {
					udp_expire(ep, false);
					conn_expire(ep);
					report(false);
				}
				break;
			case END_UDP:
				udp_service(e);
				break;
			default:
				service(ep, e);
			}
		}
		free_dead();
		/* the listeners wait while at the cap, and a second after
		 * running out of descriptors
		 */
		if (nactive < max_conns && now_ms() >= resume_at)
			listeners_pause(ep, fams, false);
	}
	udp_expire(ep, true);
	free_dead();
	report(true);
	/* Closing the process closes every socket, and their sockrefs go. */
	fprintf(stderr, "tproxy-relay: exiting: %lu connections relayed, %lu open; "
		"%lu udp sessions, %lu datagrams reached a receiver after their "
		"session existed\n", nconns, nactive, nsessions, nlate);
	return 0;
}
