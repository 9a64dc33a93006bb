// SPDX-License-Identifier: GPL-2.0
/*
 * tpt-udp: UDP ends for the tproxy2 tests, of either family.  Addresses are
 * "a.b.c.d:port" or "[v6]:port"; the socket's family is the address's (an
 * AF_INET6 socket bound to "[::]:port" also takes IPv4, as v4-mapped).
 *
 *   tpt-udp server ADDR:PORT
 *	answer each datagram with "<datagram> peer=<its source>"
 *   tpt-udp client SERVER:PORT FLOWS PAIRS
 *	FLOWS sockets at once, each sending PAIRS requests "F<flow> S<seq>"
 *	one after the other, each after the answer to the one before.  Every
 *	answer must come from SERVER:PORT, carry this flow's request, and name
 *	the flow's own address as the peer the server saw.  An answer counts
 *	as late after 1 s and as lost after TPT_UDP_LOSS_MS (default 10000)
 *	ms: a slow guest is told apart from a lost datagram.  Prints a
 *	summary; exit 0 when every answer came and was right.
 *   tpt-udp recv ADDR:PORT [FADDR:FPORT]
 *	a receiver with IP_RECVORIGADDRS (IPV6_RECVORIGADDRS on an AF_INET6
 *	socket), tied to the foreign FADDR:FPORT with ITP_LISTEN | ITP_UNIDIR
 *	when given (IP_TPROXY for an IPv4 FADDR, IPV6_TPROXY for an IPv6 or
 *	v4-mapped one): print "ready", then one line per datagram, with its
 *	source and the original addresses of its one IP_ORIGADDRS or
 *	IPV6_ORIGADDRS message (on an AF_INET6 socket the line ends with
 *	"cmsg=" and which one it was), until a datagram says "quit" or 10 s
 *	pass
 *   tpt-udp hold ADDR:PORT N MODE GOFILE
 *	a receiver with the option on (and a 1 MB buffer, or as much of it as
 *	net.core.rmem_max allows an unprivileged user) that prints "ready" and lets datagrams
 *	queue until GOFILE exists (20 s at most), then: "close" exits with
 *	them unread; "read" reads N; "peek" reads N, each after a MSG_PEEK
 *	of it.  Each datagram read must carry one message, and its peek the
 *	same (printed as by recv); exit 0 when N came
 *   tpt-udp send [SRC-ADDR:]SRC-PORT DST:PORT TEXT
 *	send TEXT from SRC-PORT; print the answer ("answer=... from=...")
 *   tpt-udp sendn FIRST-PORT N DST:PORT
 *	one datagram "dgram-<port>" from each of the N source ports from
 *	FIRST-PORT on (N flows), waiting for no answer
 *   tpt-udp origloop ADDR:PORT MS
 *	for MS ms: socket, IP_RECVORIGADDRS (IPV6_RECVORIGADDRS on an
 *	AF_INET6 socket), bind, close: what any user may do; prints
 *	"origloop=N"
 *   tpt-udp errnos
 *	IP_RECVORIGADDRS argument checks, and the message on loopback
 *   tpt-udp errnos6
 *	IPV6_RECVORIGADDRS argument checks, the message on loopback, and a
 *	dual-stack socket's messages for IPv4 and IPv6 datagrams
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter_ipv4/ip_tproxy.h>
#include <linux/netfilter_ipv6/ip6_tproxy.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "tpt.h"

static int udp_socket(int family, const union tpt_sa *bindto)
{
	int fd = socket(family, SOCK_DGRAM, 0);

	if (fd < 0)
		tpt_die("socket");
	if (bindto && bind(fd, &bindto->sa, tpt_salen(bindto)) < 0)
		tpt_die("bind %s", tpt_fmt(bindto));
	return fd;
}

static __attribute__((noreturn)) int server(const char *addr)
{
	union tpt_sa me, peer;
	int fd, rcvbuf = 16 << 20;

	tpt_parse(addr, &me, -1);
	fd = udp_socket(me.sa.sa_family, &me);
	/* Room for every flow's request at once, should this process be kept
	 * off the CPU (a loaded host): the default buffer once overflowed
	 * (RcvbufErrors) while the kernel under test lost nothing.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		tpt_die("SO_RCVBUFFORCE");
	for (;;) {
		char buf[1024], out[1200];
		socklen_t pl = sizeof(peer);
		ssize_t n = recvfrom(fd, buf, sizeof(buf) - 1, 0, &peer.sa, &pl);

		if (n < 0)
			continue;
		buf[n] = 0;
		n = snprintf(out, sizeof(out), "%s peer=%s", buf, tpt_fmt(&peer));
		sendto(fd, out, n, 0, &peer.sa, pl);
	}
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct flow {
	int fd;
	int seq;		/* the request waiting for its answer */
	long sent;
	union tpt_sa me;
};

static void flow_send(const union tpt_sa *srv, struct flow *f, int id)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "F%d S%d", id, f->seq);

	if (sendto(f->fd, buf, n, 0, &srv->sa, tpt_salen(srv)) < 0)
		tpt_die("sendto");
	f->sent = now_ms();
}

static int client(const char *addr, int nflows, int pairs)
{
	union tpt_sa srv, any, myip;
	struct flow *flows = calloc(nflows, sizeof(*flows));
	int ep = epoll_create1(0), open = nflows, family;
	long ok = 0, lost = 0, wrong = 0, badsrc = 0, badpeer = 0;
	long late = 0, slowest = 0;
	const char *env = getenv("TPT_UDP_LOSS_MS");
	long loss_ms = env ? atol(env) : 10000;

	tpt_parse(addr, &srv, -1);
	family = srv.sa.sa_family;
	/* the address the client's datagrams leave with */
	{
		int t = udp_socket(family, NULL);
		socklen_t l = sizeof(myip);

		if (connect(t, &srv.sa, tpt_salen(&srv)) < 0 ||
		    getsockname(t, &myip.sa, &l) < 0)
			tpt_die("no route to %s", addr);
		close(t);
		tpt_any(&any, family);
	}
	for (int i = 0; i < nflows; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
		socklen_t l = sizeof(flows[i].me);

		flows[i].fd = udp_socket(family, &any);
		getsockname(flows[i].fd, &flows[i].me.sa, &l);
		epoll_ctl(ep, EPOLL_CTL_ADD, flows[i].fd, &ev);
		flows[i].seq = 1;
	}
	/* the first request of every flow goes out before any answer is read */
	for (int i = 0; i < nflows; i++)
		flow_send(&srv, &flows[i], i);

	while (open > 0) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, 200);
		long t = now_ms();

		for (int k = 0; k < n; k++) {
			int i = evs[k].data.u32;
			struct flow *f = &flows[i];
			union tpt_sa from, me = myip;
			socklen_t fl = sizeof(from);
			const char *seen;
			char buf[1024], want[64], peer[80];
			ssize_t len = recvfrom(f->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT,
					       &from.sa, &fl);

			if (len < 0 || f->seq > pairs)
				continue;
			buf[len] = 0;
			if (!itp_sockaddr_equal(&from.ss, &srv.ss)) {
				fprintf(stderr, "flow %d: answer from %s: %s\n", i,
					tpt_fmt(&from), buf);
				badsrc++;
				continue;
			}
			snprintf(want, sizeof(want), "F%d S%d peer=", i, f->seq);
			if (strncmp(buf, want, strlen(want))) {
				fprintf(stderr, "flow %d seq %d: got \"%s\"\n", i, f->seq, buf);
				wrong++;
				continue;
			}
			if (t - f->sent > 1000)
				late++;
			if (t - f->sent > slowest)
				slowest = t - f->sent;
			/* the server must have seen this flow's own address */
			itp_sockaddr_set_port(&me.ss, itp_sockaddr_port(&f->me.ss));
			snprintf(peer, sizeof(peer), "%s", buf + strlen(want));
			seen = tpt_fmt(&me);
			if (strcmp(peer, seen)) {
				fprintf(stderr, "flow %d: the server saw %s, not %s\n",
					i, peer, seen);
				badpeer++;
			} else {
				ok++;
			}
			if (++f->seq > pairs)
				open--;
			else
				flow_send(&srv, f, i);
		}
		for (int i = 0; i < nflows; i++) {
			struct flow *f = &flows[i];

			if (f->seq <= pairs && t - f->sent > loss_ms) {
				fprintf(stderr, "flow %d: no answer to seq %d in %ld ms\n",
					i, f->seq, loss_ms);
				lost++;
				f->seq = pairs + 1;
				open--;
			}
		}
	}
	printf("flows=%d pairs=%d ok=%ld lost=%ld wrong=%ld badsrc=%ld badpeer=%ld late=%ld slowest_ms=%ld\n",
	       nflows, pairs, ok, lost, wrong, badsrc, badpeer, late, slowest);
	return ok == (long)nflows * pairs ? 0 : 1;
}

/* A datagram's original addresses, from whichever message it had */
struct orig {
	int level;		/* SOL_IP: IP_ORIGADDRS; SOL_IPV6: IPV6_ORIGADDRS */
	union tpt_sa src, dst;
};

/* One datagram and its one IP_ORIGADDRS or IPV6_ORIGADDRS message; -2 when
 * it had none, or more than one
 */
static ssize_t recv_orig(int fd, char *buf, size_t len, int flags,
			 union tpt_sa *from, struct orig *o, int *mflags)
{
	char cbuf[ITP_ORIGADDRS_SPACE + ITP6_ORIGADDRS_SPACE + 256];
	struct iovec iov = { buf, len - 1 };
	struct msghdr msg = {
		.msg_name = from, .msg_namelen = sizeof(*from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	const struct in_origaddrs *oa;
	const struct in6_origaddrs *oa6;
	ssize_t n = recvmsg(fd, &msg, flags);

	if (n < 0)
		return n;
	buf[n] = 0;
	*mflags = msg.msg_flags;
	oa = itp_origaddrs(&msg);
	oa6 = itp6_origaddrs(&msg);
	memset(o, 0, sizeof(*o));
	if (oa && !oa6) {
		o->level = SOL_IP;
		o->src.sin.sin_family = AF_INET;
		o->src.sin.sin_addr = oa->ioa_srcaddr;
		o->src.sin.sin_port = oa->ioa_srcport;
		o->dst.sin.sin_family = AF_INET;
		o->dst.sin.sin_addr = oa->ioa_dstaddr;
		o->dst.sin.sin_port = oa->ioa_dstport;
	} else if (oa6 && !oa) {
		o->level = SOL_IPV6;
		o->src.sin6.sin6_family = AF_INET6;
		o->src.sin6.sin6_addr = oa6->ioa_srcaddr;
		o->src.sin6.sin6_port = oa6->ioa_srcport;
		o->dst.sin6.sin6_family = AF_INET6;
		o->dst.sin6.sin6_addr = oa6->ioa_dstaddr;
		o->dst.sin6.sin6_port = oa6->ioa_dstport;
	} else {
		return -2;
	}
	return n;
}

static int sock_family(int fd)
{
	union tpt_sa a;
	socklen_t l = sizeof(a);

	if (getsockname(fd, &a.sa, &l) < 0)
		tpt_die("getsockname");
	return a.sa.sa_family;
}

/* IP_RECVORIGADDRS, or IPV6_RECVORIGADDRS on an AF_INET6 socket */
static void origaddrs_on(int fd)
{
	if (sock_family(fd) == AF_INET6 ? itp6_recv_origaddrs(fd, 1) : itp_recv_origaddrs(fd, 1))
		tpt_die("IP(V6)_RECVORIGADDRS");
}

/* "got=... from=... orig_src=... orig_dst=...[ cmsg=...]" */
static void print_orig(int fd, const char *buf, const union tpt_sa *from, const struct orig *o)
{
	printf("got=%s from=%s", buf, tpt_fmt(from));
	printf(" orig_src=%s", tpt_fmt(&o->src));
	printf(" orig_dst=%s", tpt_fmt(&o->dst));
	if (sock_family(fd) == AF_INET6)
		printf(" cmsg=%s", o->level == SOL_IP ? "IP_ORIGADDRS" : "IPV6_ORIGADDRS");
	printf("\n");
	fflush(stdout);
}

static int receiver(const char *addr, const char *foreign)
{
	union tpt_sa me, f;
	int fd;

	tpt_parse(addr, &me, -1);
	fd = udp_socket(me.sa.sa_family, &me);
	origaddrs_on(fd);
	if (foreign) {
		tpt_parse(foreign, &f, -1);
		if (tpt_tproxy_assign(fd, &f) < 0)
			tpt_die("ASSIGN");
		if (tpt_tproxy_set_word(fd, tpt_sock_level(fd), TPROXY_FLAGS,
					ITP_LISTEN | ITP_UNIDIR) < 0)
			tpt_die("FLAGS");
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		union tpt_sa from;
		struct orig o;
		char buf[1024];
		int mflags;
		ssize_t n;

		if (poll(&p, 1, 10000) <= 0)
			tpt_die("no datagram in 10 s");
		n = recv_orig(fd, buf, sizeof(buf), 0, &from, &o, &mflags);
		if (n == -2) {
			printf("datagram without one IP_ORIGADDRS or IPV6_ORIGADDRS message\n");
			return 1;
		}
		if (n < 0)
			tpt_die("recvmsg");
		print_orig(fd, buf, &from, &o);
		if (!strcmp(buf, "quit"))
			return 0;
	}
}

static int hold(const char *addr, int n, const char *mode, const char *gofile)
{
	union tpt_sa me;
	int fd, rcvbuf = 1 << 20, got = 0, bad = 0;
	long t0;

	tpt_parse(addr, &me, -1);
	fd = udp_socket(me.sa.sa_family, &me);
	/* a user without privilege: as much as net.core.rmem_max allows */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0 &&
	    (errno != EPERM ||
	     setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0))
		tpt_die("SO_RCVBUFFORCE");
	origaddrs_on(fd);
	printf("ready\n");
	fflush(stdout);
	t0 = now_ms();
	while (access(gofile, F_OK) && now_ms() - t0 < 20000)
		usleep(50000);
	if (access(gofile, F_OK))
		tpt_die("no %s in 20 s", gofile);
	if (!strcmp(mode, "close")) {
		printf("closing with datagrams unread\n");
		return 0;
	}
	while (got < n) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		union tpt_sa from;
		struct orig o, po;
		char buf[1024], pbuf[1024];
		int mflags;
		ssize_t k;

		if (poll(&p, 1, 2000) <= 0)
			break;
		if (!strcmp(mode, "peek")) {
			k = recv_orig(fd, pbuf, sizeof(pbuf), MSG_PEEK, &from, &po, &mflags);
			if (k < 0) {
				printf("a peek without one message (%zd)\n", k);
				bad++;
			}
		}
		k = recv_orig(fd, buf, sizeof(buf), 0, &from, &o, &mflags);
		if (k < 0) {
			printf("a datagram without one message (%zd)\n", k);
			bad++;
			continue;
		}
		if (!strcmp(mode, "peek") && (strcmp(pbuf, buf) || memcmp(&po, &o, sizeof(o)))) {
			printf("the peek differs from the datagram: %s\n", pbuf);
			bad++;
		}
		print_orig(fd, buf, &from, &o);
		got++;
	}
	printf("%s: %d of %d datagrams, %d bad\n", mode, got, n, bad);
	return got == n && !bad ? 0 : 1;
}

static int origloop(const char *addr, long ms)
{
	union tpt_sa me;
	long n = 0, t0 = now_ms();

	tpt_parse(addr, &me, -1);
	do {
		int fd = socket(me.sa.sa_family, SOCK_DGRAM, 0);

		if (fd < 0)
			tpt_die("socket");
		origaddrs_on(fd);
		if (bind(fd, &me.sa, tpt_salen(&me)) < 0)
			tpt_die("bind %s", tpt_fmt(&me));
		close(fd);
		n++;
	} while (now_ms() - t0 < ms);
	printf("origloop=%ld\n", n);
	return 0;
}

static int send_one(const char *sport, const char *dst, const char *text)
{
	union tpt_sa me, to, from;
	struct pollfd p;
	socklen_t fl = sizeof(from);
	char buf[1024];
	ssize_t n;
	int fd;

	tpt_parse(dst, &to, -1);
	if (strchr(sport, ':')) {
		tpt_parse(sport, &me, -1);
	} else {
		tpt_any(&me, to.sa.sa_family);
		itp_sockaddr_set_port(&me.ss, htons(atoi(sport)));
	}
	fd = udp_socket(me.sa.sa_family, NULL);
	/* An IPv6 client on a port that an IPv4 one may have too (the same
	 * client port in both families at once): IPv6 only, unless it talks
	 * IPv4 through a mapped address.
	 */
	if (me.sa.sa_family == AF_INET6 && to.sa.sa_family == AF_INET6 &&
	    !IN6_IS_ADDR_V4MAPPED(&to.sin6.sin6_addr) &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &(int){ 1 }, sizeof(int)) < 0)
		tpt_die("IPV6_V6ONLY");
	if (bind(fd, &me.sa, tpt_salen(&me)) < 0)
		tpt_die("bind %s", tpt_fmt(&me));
	if (sendto(fd, text, strlen(text), 0, &to.sa, tpt_salen(&to)) < 0)
		tpt_die("sendto");
	p.fd = fd;
	p.events = POLLIN;
	if (poll(&p, 1, 3000) <= 0) {
		printf("no answer\n");
		return 1;
	}
	n = recvfrom(fd, buf, sizeof(buf) - 1, 0, &from.sa, &fl);
	if (n < 0)
		tpt_die("recvfrom");
	buf[n] = 0;
	printf("answer=%s from=%s\n", buf, tpt_fmt(&from));
	return 0;
}

static int send_many(int first, int n, const char *dst)
{
	union tpt_sa me, to;
	int sent = 0;

	tpt_parse(dst, &to, -1);
	for (int i = 0; i < n; i++) {
		char text[32];
		int fd, len = snprintf(text, sizeof(text), "dgram-%d", first + i);

		tpt_any(&me, to.sa.sa_family);
		itp_sockaddr_set_port(&me.ss, htons(first + i));
		fd = udp_socket(me.sa.sa_family, &me);
		if (sendto(fd, text, len, 0, &to.sa, tpt_salen(&to)) == len)
			sent++;
		close(fd);
	}
	printf("sent=%d\n", sent);
	return sent == n ? 0 : 1;
}

static int failures;

static void check(bool ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAILED", what);
	failures += !ok;
}

static void check_errno(int ret, int err, const char *what)
{
	char buf[160];

	snprintf(buf, sizeof(buf), "%s gives %s (got %s)", what, strerror(err),
		 ret < 0 ? strerror(errno) : "success");
	check(ret < 0 && errno == err, buf);
}

/* The option's argument checks at one level (SOL_IP, SOL_IPV6) on a UDP
 * socket fd of family's, with a TCP and a UDP-Lite socket of the family
 */
static void option_checks(int fd, int family, int level, int opt)
{
	int one = 1, val = -1, tcp = socket(family, SOCK_STREAM, 0);
	int lite = socket(family, SOCK_DGRAM, IPPROTO_UDPLITE);
	unsigned char byte = 1;
	socklen_t l = sizeof(val);
	void *bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	check(getsockopt(fd, level, opt, &val, &l) == 0 && val == 0 &&
	      l == sizeof(val), "off by default");
	check_errno(setsockopt(fd, level, opt, &one, 0), EINVAL, "optlen 0");
	check_errno(setsockopt(fd, level, opt, bad, sizeof(int)), EFAULT, "a bad pointer");
	check_errno(setsockopt(tcp, level, opt, &one, sizeof(one)), EOPNOTSUPP, "a TCP socket");
	l = sizeof(val);
	check_errno(getsockopt(tcp, level, opt, &val, &l), EOPNOTSUPP, "get on a TCP socket");
	check_errno(setsockopt(lite, level, opt, &one, sizeof(one)), EOPNOTSUPP,
		    "a UDP-Lite socket");
	l = 0;
	check_errno(getsockopt(fd, level, opt, &val, &l), EINVAL, "get with optlen 0");
	l = sizeof(val);
	check(getsockopt(fd, level, opt, &val, &l) == 0 && val == 0,
	      "still off after the failed calls");
	check(setsockopt(fd, level, opt, &byte, 1) == 0, "a one-byte value");
	byte = 0;
	l = 1;
	check(getsockopt(fd, level, opt, &byte, &l) == 0 && byte == 1 && l == 1,
	      "read back as one byte");
	munmap(bad, 4096);
	close(tcp);
	close(lite);
}

/* sendmsg() of "x" to with a zeroed (level, type) message of len bytes */
static ssize_t send_with(int snd, const union tpt_sa *to, int level, int type, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(struct in6_origaddrs))] = {};
	struct iovec iov = { "x", 1 };
	struct msghdr msg = { .msg_name = (void *)to, .msg_namelen = tpt_salen(to),
			      .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = CMSG_SPACE(len) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = level;
	cm->cmsg_type = type;
	cm->cmsg_len = CMSG_LEN(len);
	return sendmsg(snd, &msg, 0);
}

/* a small control buffer: truncated, not an error */
static void check_ctrunc(int fd, int snd, const union tpt_sa *to)
{
	char buf[64], small[sizeof(struct cmsghdr)];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = small, .msg_controllen = sizeof(small) };

	sendto(snd, "again", 5, 0, &to->sa, tpt_salen(to));
	check(recvmsg(fd, &msg, 0) == 5 && (msg.msg_flags & MSG_CTRUNC),
	      "a small control buffer gives MSG_CTRUNC");
}

static int errnos(void)
{
	union tpt_sa lo = { .sin = { .sin_family = AF_INET,
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) } };
	union tpt_sa me, from, src;
	socklen_t l = sizeof(me);
	int val, fd, snd, mflags;
	struct orig o;
	char buf[64];

	fd = udp_socket(AF_INET, &lo);
	getsockname(fd, &me.sa, &l);
	option_checks(fd, AF_INET, SOL_IP, IP_RECVORIGADDRS);

	/* untranslated: the message holds the datagram's own addresses */
	snd = udp_socket(AF_INET, &lo);
	l = sizeof(src);
	getsockname(snd, &src.sa, &l);
	sendto(snd, "hello", 5, 0, &me.sa, sizeof(me.sin));
	check(recv_orig(fd, buf, sizeof(buf), 0, &from, &o, &mflags) == 5 &&
	      o.level == SOL_IP && itp_sockaddr_equal(&o.src.ss, &src.ss) &&
	      itp_sockaddr_equal(&o.dst.ss, &me.ss),
	      "IP_ORIGADDRS on loopback: the datagram's own addresses");

	check_ctrunc(fd, snd, &me);
	/* IP_ORIGADDRS is a receive-only message */
	check_errno(send_with(snd, &me, SOL_IP, IP_ORIGADDRS, sizeof(struct in_origaddrs)),
		    EINVAL, "sendmsg with IP_ORIGADDRS");
	check(send_with(snd, &me, SOL_IPV6, IPV6_ORIGADDRS, sizeof(struct in6_origaddrs)) == 1 &&
	      recv_orig(fd, buf, sizeof(buf), 0, &from, &o, &mflags) == 1,
	      "sendmsg with IPV6_ORIGADDRS: ignored");

	val = 0;
	check(setsockopt(fd, SOL_IP, IP_RECVORIGADDRS, &val, sizeof(val)) == 0, "off again");
	sendto(snd, "plain", 5, 0, &me.sa, sizeof(me.sin));
	check(recv_orig(fd, buf, sizeof(buf), 0, &from, &o, &mflags) == -2,
	      "no message once off");
	printf("%d failed\n", failures);
	return failures ? 1 : 0;
}

static int errnos6(void)
{
	union tpt_sa lo6 = { .sin6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT } };
	union tpt_sa lo4 = { .sin = { .sin_family = AF_INET,
				      .sin_addr.s_addr = htonl(INADDR_LOOPBACK) } };
	union tpt_sa me, me4, from, src, any6;
	socklen_t l = sizeof(me);
	int one = 1, val, fd, ds, in4, only, snd, snd4, mflags;
	struct orig o;
	char buf[64];

	fd = udp_socket(AF_INET6, &lo6);
	getsockname(fd, &me.sa, &l);
	option_checks(fd, AF_INET6, SOL_IPV6, IPV6_RECVORIGADDRS);

	/* an AF_INET socket has no SOL_IPV6 options: the kernel's answer */
	in4 = udp_socket(AF_INET, NULL);
	check_errno(setsockopt(in4, SOL_IPV6, IPV6_RECVORIGADDRS, &one, sizeof(one)),
		    ENOPROTOOPT, "IPV6_RECVORIGADDRS on an AF_INET socket");
	l = sizeof(val);
	check(getsockopt(in4, SOL_IP, IP_RECVORIGADDRS, &val, &l) == 0 && val == 0,
	      "and the AF_INET socket's option is still off");

	/* untranslated: the message holds the datagram's own addresses */
	snd = udp_socket(AF_INET6, &lo6);
	l = sizeof(src);
	getsockname(snd, &src.sa, &l);
	sendto(snd, "hello", 5, 0, &me.sa, sizeof(me.sin6));
	check(recv_orig(fd, buf, sizeof(buf), 0, &from, &o, &mflags) == 5 &&
	      o.level == SOL_IPV6 && itp_sockaddr_equal(&o.src.ss, &src.ss) &&
	      itp_sockaddr_equal(&o.dst.ss, &me.ss),
	      "IPV6_ORIGADDRS on loopback: the datagram's own addresses");
	/* a peek, then the datagram: both with the message */
	sendto(snd, "peek", 4, 0, &me.sa, sizeof(me.sin6));
	check(recv_orig(fd, buf, sizeof(buf), MSG_PEEK, &from, &o, &mflags) == 4 &&
	      o.level == SOL_IPV6 && itp_sockaddr_equal(&o.src.ss, &src.ss),
	      "MSG_PEEK gives IPV6_ORIGADDRS");
	check(recv_orig(fd, buf, sizeof(buf), 0, &from, &o, &mflags) == 4 &&
	      o.level == SOL_IPV6 && itp_sockaddr_equal(&o.src.ss, &src.ss),
	      "and so does the read after it");

	check_ctrunc(fd, snd, &me);
	/* IPV6_ORIGADDRS is a receive-only message */
	check_errno(send_with(snd, &me, SOL_IPV6, IPV6_ORIGADDRS, sizeof(struct in6_origaddrs)),
		    EINVAL, "sendmsg with IPV6_ORIGADDRS");
	/* the other family's message is ignored, as any option of another level */
	check(send_with(snd, &me, SOL_IP, IP_ORIGADDRS, sizeof(struct in_origaddrs)) == 1 &&
	      recv_orig(fd, buf, sizeof(buf), 0, &from, &o, &mflags) == 1,
	      "an IPv6 datagram's sendmsg with IP_ORIGADDRS: ignored");

	/* IP_RECVORIGADDRS on an AF_INET6 socket is the same flag */
	val = 0;
	check(setsockopt(fd, SOL_IP, IP_RECVORIGADDRS, &val, sizeof(val)) == 0,
	      "IP_RECVORIGADDRS 0 on an AF_INET6 socket");
	l = sizeof(val);
	val = -1;
	check(getsockopt(fd, SOL_IPV6, IPV6_RECVORIGADDRS, &val, &l) == 0 && val == 0,
	      "turns IPV6_RECVORIGADDRS off");
	sendto(snd, "plain", 5, 0, &me.sa, sizeof(me.sin6));
	check(recv_orig(fd, buf, sizeof(buf), 0, &from, &o, &mflags) == -2,
	      "no message once off");
	check(setsockopt(fd, SOL_IP, IP_RECVORIGADDRS, &one, sizeof(one)) == 0 &&
	      getsockopt(fd, SOL_IPV6, IPV6_RECVORIGADDRS, &val, &l) == 0 && val == 1,
	      "IP_RECVORIGADDRS 1 turns it on");
	sendto(snd, "again", 5, 0, &me.sa, sizeof(me.sin6));
	check(recv_orig(fd, buf, sizeof(buf), 0, &from, &o, &mflags) == 5 &&
	      o.level == SOL_IPV6,
	      "an IPv6 datagram gets IPV6_ORIGADDRS whichever option turned it on");

	/* a dual-stack socket: an IPv4 datagram gets IP_ORIGADDRS */
	tpt_any(&any6, AF_INET6);
	ds = udp_socket(AF_INET6, &any6);
	l = sizeof(me);
	getsockname(ds, &me.sa, &l);
	origaddrs_on(ds);
	me4 = lo4;
	itp_sockaddr_set_port(&me4.ss, me.sin6.sin6_port);
	snd4 = udp_socket(AF_INET, &lo4);
	l = sizeof(src);
	getsockname(snd4, &src.sa, &l);
	sendto(snd4, "four", 4, 0, &me4.sa, sizeof(me4.sin));
	check(recv_orig(ds, buf, sizeof(buf), 0, &from, &o, &mflags) == 4 &&
	      o.level == SOL_IP && itp_sockaddr_equal(&o.src.ss, &src.ss) &&
	      itp_sockaddr_equal(&o.dst.ss, &me4.ss) && tpt_is_mapped(&from),
	      "dual-stack: an IPv4 datagram gets IP_ORIGADDRS, its own addresses");
	me.sin6.sin6_addr = lo6.sin6.sin6_addr;
	l = sizeof(src);
	getsockname(snd, &src.sa, &l);
	sendto(snd, "six", 3, 0, &me.sa, sizeof(me.sin6));
	check(recv_orig(ds, buf, sizeof(buf), 0, &from, &o, &mflags) == 3 &&
	      o.level == SOL_IPV6 && itp_sockaddr_equal(&o.src.ss, &src.ss) &&
	      itp_sockaddr_equal(&o.dst.ss, &me.ss),
	      "dual-stack: an IPv6 datagram gets IPV6_ORIGADDRS");
	/* an IPv4 datagram sent from a dual-stack socket: IP_ORIGADDRS is
	 * refused, IPV6_ORIGADDRS ignored
	 */
	itp_sockaddr_map(&me4.ss);
	check_errno(send_with(ds, &me4, SOL_IP, IP_ORIGADDRS, sizeof(struct in_origaddrs)),
		    EINVAL, "a dual-stack socket's IPv4 sendmsg with IP_ORIGADDRS");
	check(send_with(ds, &me4, SOL_IPV6, IPV6_ORIGADDRS, sizeof(struct in6_origaddrs)) == 1 &&
	      recv_orig(ds, buf, sizeof(buf), 0, &from, &o, &mflags) == 1 && o.level == SOL_IP,
	      "a dual-stack socket's IPv4 sendmsg with IPV6_ORIGADDRS: ignored");
	itp_sockaddr_unmap(&me4.ss);
	/* datagrams left queued when the socket closes */
	sendto(snd4, "unread", 6, 0, &me4.sa, sizeof(me4.sin));
	sendto(snd, "unread", 6, 0, &me.sa, sizeof(me.sin6));
	close(ds);

	/* IPV6_V6ONLY: still an AF_INET6 UDP socket */
	only = socket(AF_INET6, SOCK_DGRAM, 0);
	check(setsockopt(only, SOL_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == 0 &&
	      setsockopt(only, SOL_IPV6, IPV6_RECVORIGADDRS, &one, sizeof(one)) == 0,
	      "IPV6_RECVORIGADDRS on an IPV6_V6ONLY socket");
	close(only);
	close(fd);
	close(snd);
	close(snd4);
	close(in4);
	printf("%d failed\n", failures);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "server"))
		return server(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "client"))
		return client(argv[2], atoi(argv[3]), atoi(argv[4]));
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "recv"))
		return receiver(argv[2], argc == 4 ? argv[3] : NULL);
	if (argc == 6 && !strcmp(argv[1], "hold"))
		return hold(argv[2], atoi(argv[3]), argv[4], argv[5]);
	if (argc == 5 && !strcmp(argv[1], "sendn"))
		return send_many(atoi(argv[2]), atoi(argv[3]), argv[4]);
	if (argc == 5 && !strcmp(argv[1], "send"))
		return send_one(argv[2], argv[3], argv[4]);
	if (argc == 4 && !strcmp(argv[1], "origloop"))
		return origloop(argv[2], atol(argv[3]));
	if (argc == 2 && !strcmp(argv[1], "errnos"))
		return errnos();
	if (argc == 2 && !strcmp(argv[1], "errnos6"))
		return errnos6();
	fprintf(stderr, "usage: see the comment at the top of tpt-udp.c\n");
	return 2;
}
