// SPDX-License-Identifier: GPL-2.0
/*
 * tpt-udp: UDP ends for the tproxy2 tests.
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
 *	a receiver with IP_RECVORIGADDRS (tied to the foreign FADDR:FPORT with
 *	ITP_LISTEN | ITP_UNIDIR when given): print "ready", then one line per
 *	datagram, with its source and the IP_ORIGADDRS addresses, until a
 *	datagram says "quit" or 10 s pass
 *   tpt-udp send [SRC-ADDR:]SRC-PORT DST:PORT TEXT
 *	send TEXT from SRC-PORT; print the answer ("answer=... from=...")
 *   tpt-udp errnos
 *	IP_RECVORIGADDRS argument checks, and the message on loopback
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter_ipv4/ip_tproxy.h>
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

static int udp_socket(const struct sockaddr_in *bindto)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		tpt_die("socket");
	if (bindto && bind(fd, (const struct sockaddr *)bindto, sizeof(*bindto)) < 0)
		tpt_die("bind %s", tpt_fmt(bindto));
	return fd;
}

static __attribute__((noreturn)) int server(const char *addr)
{
	struct sockaddr_in me, peer;
	int fd, rcvbuf = 16 << 20;

	tpt_parse_addr(addr, &me, -1);
	fd = udp_socket(&me);
	/* Room for every flow's request at once, should this process be kept
	 * off the CPU (a loaded host): the default buffer once overflowed
	 * (RcvbufErrors) while the kernel under test lost nothing.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		tpt_die("SO_RCVBUFFORCE");
	for (;;) {
		char buf[1024], out[1200];
		socklen_t pl = sizeof(peer);
		ssize_t n = recvfrom(fd, buf, sizeof(buf) - 1, 0,
				     (struct sockaddr *)&peer, &pl);

		if (n < 0)
			continue;
		buf[n] = 0;
		n = snprintf(out, sizeof(out), "%s peer=%s", buf, tpt_fmt(&peer));
		sendto(fd, out, n, 0, (struct sockaddr *)&peer, pl);
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
	struct sockaddr_in me;
};

static void flow_send(const struct sockaddr_in *srv, struct flow *f, int id)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "F%d S%d", id, f->seq);

	if (sendto(f->fd, buf, n, 0, (const struct sockaddr *)srv, sizeof(*srv)) < 0)
		tpt_die("sendto");
	f->sent = now_ms();
}

static int client(const char *addr, int nflows, int pairs)
{
	struct sockaddr_in srv, any = { .sin_family = AF_INET };
	struct flow *flows = calloc(nflows, sizeof(*flows));
	int ep = epoll_create1(0), open = nflows;
	long ok = 0, lost = 0, wrong = 0, badsrc = 0, badpeer = 0;
	long late = 0, slowest = 0;
	const char *env = getenv("TPT_UDP_LOSS_MS");
	long loss_ms = env ? atol(env) : 10000;
	struct in_addr myip;

	tpt_parse_addr(addr, &srv, -1);
	/* the address the client's datagrams leave with */
	{
		int t = udp_socket(NULL);
		socklen_t l = sizeof(any);

		if (connect(t, (struct sockaddr *)&srv, sizeof(srv)) < 0 ||
		    getsockname(t, (struct sockaddr *)&any, &l) < 0)
			tpt_die("no route to %s", addr);
		close(t);
		myip = any.sin_addr;
		any.sin_port = 0;
		any.sin_addr.s_addr = INADDR_ANY;
	}
	for (int i = 0; i < nflows; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
		socklen_t l = sizeof(flows[i].me);

		flows[i].fd = udp_socket(&any);
		getsockname(flows[i].fd, (struct sockaddr *)&flows[i].me, &l);
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
			struct sockaddr_in from, me = f->me;
			socklen_t fl = sizeof(from);
			const char *seen;
			char buf[1024], want[64], peer[64];
			ssize_t len = recvfrom(f->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT,
					       (struct sockaddr *)&from, &fl);

			if (len < 0 || f->seq > pairs)
				continue;
			buf[len] = 0;
			if (from.sin_addr.s_addr != srv.sin_addr.s_addr ||
			    from.sin_port != srv.sin_port) {
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
			me.sin_addr = myip;
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

/* One datagram and its IP_ORIGADDRS; 1 when it had one */
static ssize_t recv_orig(int fd, char *buf, size_t len, struct sockaddr_in *from,
			 struct in_origaddrs *oa, int *flags)
{
	char cbuf[ITP_ORIGADDRS_SPACE + 64];
	struct iovec iov = { buf, len - 1 };
	struct msghdr msg = {
		.msg_name = from, .msg_namelen = sizeof(*from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	const struct in_origaddrs *got;
	ssize_t n = recvmsg(fd, &msg, 0);

	if (n < 0)
		return n;
	buf[n] = 0;
	*flags = msg.msg_flags;
	got = itp_origaddrs(&msg);
	if (!got)
		return -2;
	*oa = *got;
	return n;
}

static int receiver(const char *addr, const char *foreign)
{
	struct sockaddr_in me, f;
	int fd;

	tpt_parse_addr(addr, &me, -1);
	fd = udp_socket(&me);
	if (itp_recv_origaddrs(fd, 1) < 0)
		tpt_die("IP_RECVORIGADDRS");
	if (foreign) {
		tpt_parse_addr(foreign, &f, -1);
		if (itp_assign(fd, f.sin_addr, f.sin_port) < 0)
			tpt_die("ASSIGN");
		if (itp_set_flags(fd, ITP_LISTEN | ITP_UNIDIR) < 0)
			tpt_die("FLAGS");
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct sockaddr_in from;
		struct in_origaddrs oa;
		char buf[1024];
		int mflags;
		ssize_t n;

		if (poll(&p, 1, 10000) <= 0)
			tpt_die("no datagram in 10 s");
		n = recv_orig(fd, buf, sizeof(buf), &from, &oa, &mflags);
		if (n == -2) {
			printf("datagram without one IP_ORIGADDRS message\n");
			return 1;
		}
		if (n < 0)
			tpt_die("recvmsg");
		printf("got=%s from=%s", buf, tpt_fmt(&from));
		printf(" orig_src=%s", itp_fmt(oa.ioa_srcaddr, oa.ioa_srcport));
		printf(" orig_dst=%s\n", itp_fmt(oa.ioa_dstaddr, oa.ioa_dstport));
		fflush(stdout);
		if (!strcmp(buf, "quit"))
			return 0;
	}
}

static int send_one(const char *sport, const char *dst, const char *text)
{
	struct sockaddr_in me = { .sin_family = AF_INET }, to, from;
	struct pollfd p;
	socklen_t fl = sizeof(from);
	char buf[1024];
	ssize_t n;
	int fd;

	if (strchr(sport, ':'))
		tpt_parse_addr(sport, &me, -1);
	else
		me.sin_port = htons(atoi(sport));
	tpt_parse_addr(dst, &to, -1);
	fd = udp_socket(&me);
	if (sendto(fd, text, strlen(text), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		tpt_die("sendto");
	p.fd = fd;
	p.events = POLLIN;
	if (poll(&p, 1, 3000) <= 0) {
		printf("no answer\n");
		return 1;
	}
	n = recvfrom(fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &fl);
	if (n < 0)
		tpt_die("recvfrom");
	buf[n] = 0;
	printf("answer=%s from=%s\n", buf, tpt_fmt(&from));
	return 0;
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

static int errnos(void)
{
	struct sockaddr_in lo = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in me, from;
	socklen_t l = sizeof(me);
	int one = 1, val = -1, tcp, fd, snd, mflags;
	struct in_origaddrs oa;
	unsigned char byte = 1;
	char buf[64];
	void *bad;

	fd = udp_socket(&lo);
	getsockname(fd, (struct sockaddr *)&me, &l);
	tcp = socket(AF_INET, SOCK_STREAM, 0);
	bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	l = sizeof(val);
	check(getsockopt(fd, SOL_IP, IP_RECVORIGADDRS, &val, &l) == 0 && val == 0 &&
	      l == sizeof(val), "off by default");
	check_errno(setsockopt(fd, SOL_IP, IP_RECVORIGADDRS, &one, 0), EINVAL, "optlen 0");
	check_errno(setsockopt(fd, SOL_IP, IP_RECVORIGADDRS, bad, sizeof(int)), EFAULT,
		    "a bad pointer");
	check_errno(setsockopt(tcp, SOL_IP, IP_RECVORIGADDRS, &one, sizeof(one)),
		    EOPNOTSUPP, "a TCP socket");
	l = sizeof(val);
	check_errno(getsockopt(tcp, SOL_IP, IP_RECVORIGADDRS, &val, &l), EOPNOTSUPP,
		    "get on a TCP socket");
	l = 0;
	check_errno(getsockopt(fd, SOL_IP, IP_RECVORIGADDRS, &val, &l), EINVAL,
		    "get with optlen 0");
	l = sizeof(val);
	check(getsockopt(fd, SOL_IP, IP_RECVORIGADDRS, &val, &l) == 0 && val == 0,
	      "still off after the failed calls");
	check(setsockopt(fd, SOL_IP, IP_RECVORIGADDRS, &byte, 1) == 0, "a one-byte value");
	byte = 0;
	l = 1;
	check(getsockopt(fd, SOL_IP, IP_RECVORIGADDRS, &byte, &l) == 0 && byte == 1 && l == 1,
	      "read back as one byte");

	/* untranslated: the message holds the datagram's own addresses */
	snd = udp_socket(&lo);
	l = sizeof(from);
	getsockname(snd, (struct sockaddr *)&from, &l);
	sendto(snd, "hello", 5, 0, (struct sockaddr *)&me, sizeof(me));
	check(recv_orig(fd, buf, sizeof(buf), &me, &oa, &mflags) == 5 &&
	      oa.ioa_srcaddr.s_addr == from.sin_addr.s_addr &&
	      oa.ioa_srcport == from.sin_port &&
	      oa.ioa_dstaddr.s_addr == lo.sin_addr.s_addr,
	      "IP_ORIGADDRS on loopback: the datagram's own addresses");

	/* a control buffer too small: truncated, not an error */
	l = sizeof(me);
	getsockname(fd, (struct sockaddr *)&me, &l);
	sendto(snd, "again", 5, 0, (struct sockaddr *)&me, sizeof(me));
	{
		char small[sizeof(struct cmsghdr)];
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = small, .msg_controllen = sizeof(small) };

		check(recvmsg(fd, &msg, 0) == 5 && (msg.msg_flags & MSG_CTRUNC),
		      "a small control buffer gives MSG_CTRUNC");
	}

	/* IP_ORIGADDRS is a receive-only message */
	{
		char cbuf[CMSG_SPACE(sizeof(oa))] = {};
		struct iovec iov = { "x", 1 };
		struct msghdr msg = { .msg_name = &me, .msg_namelen = sizeof(me),
				      .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

		cm->cmsg_level = SOL_IP;
		cm->cmsg_type = IP_ORIGADDRS;
		cm->cmsg_len = CMSG_LEN(sizeof(oa));
		check_errno(sendmsg(snd, &msg, 0), EINVAL, "sendmsg with IP_ORIGADDRS");
	}

	val = 0;
	check(setsockopt(fd, SOL_IP, IP_RECVORIGADDRS, &val, sizeof(val)) == 0, "off again");
	sendto(snd, "plain", 5, 0, (struct sockaddr *)&me, sizeof(me));
	check(recv_orig(fd, buf, sizeof(buf), &me, &oa, &mflags) == -2,
	      "no message once off");
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
	if (argc == 5 && !strcmp(argv[1], "send"))
		return send_one(argv[2], argv[3], argv[4]);
	if (argc == 2 && !strcmp(argv[1], "errnos"))
		return errnos();
	fprintf(stderr, "usage: see the comment at the top of tpt-udp.c\n");
	return 2;
}
