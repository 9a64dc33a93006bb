// SPDX-License-Identifier: GPL-2.0
/*
 * Socket ends for the TPROXY 2.0 selftests (tproxy2_tcp.sh, tproxy2_udp.sh).
 * Addresses are a.b.c.d:port.  Exit 0 on success, 1 on a failed check or
 * a missing answer, 2 on a usage or setup error, 4 (skip) from "probe" if
 * the kernel has no IP_TPROXY.
 *
 *   probe                 print the kernel's TPROXY version
 *   server ADDR           TCP: answer each connection's first line with
 *                         "peer=<its source> said=<line>"
 *   client DST TEXT       TCP: send TEXT, print the answer
 *   proxy ADDR            TCP: accept one connection the tproxy table sent to
 *                         ADDR, print "client=... orig=<SO_ORIGINAL_DST>",
 *                         connect there from the client's address
 *                         (ASSIGN {client ip, 0}, FLAGS ITP_CONNECT), relay
 *   flisten ADDR FADDR    TCP: bind ADDR, ASSIGN FADDR (port 0: ALLOC),
 *                         listen, FLAGS ITP_LISTEN, print "listening
 *                         <QUERY>", then answer one connection as server does
 *   errnos tcp|udp        the IP_TPROXY, or IP_RECVORIGADDRS, errno checks
 *   udprecv ADDR N        UDP: IP_RECVORIGADDRS on, print "ready", then N
 *                         datagrams with their IP_ORIGADDRS addresses
 *   udpsend SRC DST TEXT  UDP: send TEXT from SRC
 *   udpecho ADDR          UDP: answer as server does
 *   udpconnect FADDR DST TEXT
 *                         UDP: from FADDR (ASSIGN, FLAGS ITP_CONNECT), send
 *                         TEXT to DST, print the answer
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv4/ip_tproxy.h>

#define TIMEOUT_S	10

static int failures;

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static struct sockaddr_in parse(const char *s)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char buf[32];
	char *colon;

	snprintf(buf, sizeof(buf), "%s", s);
	colon = strchr(buf, ':');
	if (colon)
		*colon = 0;
	if (!colon || inet_pton(AF_INET, buf, &sin.sin_addr) != 1) {
		fprintf(stderr, "bad address %s\n", s);
		exit(2);
	}
	sin.sin_port = htons(atoi(colon + 1));
	return sin;
}

/* "a.b.c.d:port", in one of two static buffers */
static const char *fmt(struct in_addr addr, __u16 port)
{
	static char buf[2][32];
	static int i;

	i = !i;
	snprintf(buf[i], sizeof(buf[i]), "%s:%u", inet_ntoa(addr), ntohs(port));
	return buf[i];
}

static const char *fmt_sin(const struct sockaddr_in *sin)
{
	return fmt(sin->sin_addr, sin->sin_port);
}

static int sock(int type, const struct sockaddr_in *bindto)
{
	struct timeval tv = { .tv_sec = TIMEOUT_S };
	int fd = socket(AF_INET, type, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (bindto && bind(fd, (const struct sockaddr *)bindto, sizeof(*bindto)))
		die("bind");
	return fd;
}

/* IP_TPROXY: 0 or -errno */
static int tp_set(int fd, __u32 op, __u32 val, const struct sockaddr_in *addr)
{
	struct in_tproxy itp = { .op = op, .v.flags = val };

	if (addr) {
		itp.v.addr.faddr = addr->sin_addr;
		itp.v.addr.fport = addr->sin_port;
	}
	return setsockopt(fd, SOL_IP, IP_TPROXY, &itp, sizeof(itp)) ? -errno : 0;
}

static int tp_get(int fd, __u32 op, struct in_tproxy *itp)
{
	socklen_t len = sizeof(*itp);

	memset(itp, 0, sizeof(*itp));
	itp->op = op;
	return getsockopt(fd, SOL_IP, IP_TPROXY, itp, &len) ? -errno : 0;
}

static void tp_must(int err, const char *what)
{
	if (err) {
		errno = -err;
		die(what);
	}
}

static void expect(const char *what, long got, long want)
{
	printf("%s %s: %ld (expected %ld)\n", got == want ? "ok:" : "FAIL:",
	       what, got, want);
	if (got != want)
		failures++;
}

static void expect_query(int fd, const char *what, const char *want)
{
	struct in_tproxy itp;
	int err = tp_get(fd, TPROXY_QUERY, &itp);
	const char *got = err ? strerror(-err) :
			  fmt(itp.v.addr.faddr, itp.v.addr.fport);

	printf("%s %s: %s (expected %s)\n", strcmp(got, want) ? "FAIL:" : "ok:",
	       what, got, want);
	if (strcmp(got, want))
		failures++;
}

static void send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n <= 0)
			die("send");
		buf += n;
		len -= n;
	}
}

/* Answer the first line of connection c with "peer=... said=..." */
static void answer(int c)
{
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	char line[256], out[320];
	ssize_t n = recv(c, line, sizeof(line) - 1, 0);

	line[n > 0 ? n : 0] = 0;
	line[strcspn(line, "\n")] = 0;
	getpeername(c, (struct sockaddr *)&peer, &len);
	n = snprintf(out, sizeof(out), "peer=%s said=%s\n", fmt_sin(&peer), line);
	send_all(c, out, n);
	close(c);
}

static int tcp_listener(const char *addr)
{
	struct sockaddr_in sin = parse(addr);
	int one = 1, fd = sock(SOCK_STREAM, NULL);

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 16))
		die("bind/listen");
	return fd;
}

/* Accept a connection, print its peer and SO_ORIGINAL_DST */
static int accept_one(int lfd, const char *tag, struct sockaddr_in *peer,
		      struct sockaddr_in *orig)
{
	socklen_t plen = sizeof(*peer), olen = sizeof(*orig);
	int c = accept(lfd, (struct sockaddr *)peer, &plen);

	if (c < 0)
		die("accept");
	if (getsockopt(c, SOL_IP, SO_ORIGINAL_DST, orig, &olen))
		die("SO_ORIGINAL_DST");
	printf("%s=%s ", tag, fmt_sin(peer));
	printf("orig=%s\n", fmt_sin(orig));
	fflush(stdout);
	return c;
}

static int server(const char *addr)
{
	int lfd = tcp_listener(addr);

	for (;;) {
		int c = accept(lfd, NULL, NULL);

		if (c >= 0)
			answer(c);
		else if (errno != EAGAIN && errno != EINTR)
			break;
	}
	perror("accept");
	return 2;
}

static int client(const char *dst, const char *text)
{
	struct sockaddr_in sin = parse(dst);
	int fd = sock(SOCK_STREAM, NULL);
	char buf[512];
	ssize_t n, got = 0;

	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		die("connect");
	send_all(fd, text, strlen(text));
	send_all(fd, "\n", 1);
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		fwrite(buf, 1, n, stdout);
		got += n;
	}
	return got ? 0 : 1;
}

static void relay(int a, int b)
{
	struct pollfd pfd[2] = { { .fd = a, .events = POLLIN },
				 { .fd = b, .events = POLLIN } };
	int open = 2;
	char buf[4096];

	while (open && poll(pfd, 2, TIMEOUT_S * 1000) > 0) {
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (!pfd[i].revents)
				continue;
			n = recv(pfd[i].fd, buf, sizeof(buf), 0);
			if (n <= 0) {
				shutdown(pfd[!i].fd, SHUT_WR);
				pfd[i].fd = -1;
				open--;
				continue;
			}
			send_all(pfd[!i].fd, buf, n);
		}
	}
}

static int proxy(const char *addr)
{
	struct sockaddr_in any = { .sin_family = AF_INET }, cl, orig;
	int c = accept_one(tcp_listener(addr), "client", &cl, &orig);
	int s = sock(SOCK_STREAM, &any);

	cl.sin_port = 0;
	tp_must(tp_set(s, TPROXY_ASSIGN, 0, &cl), "TPROXY_ASSIGN");
	tp_must(tp_set(s, TPROXY_FLAGS, ITP_CONNECT, NULL), "TPROXY_FLAGS");
	if (connect(s, (struct sockaddr *)&orig, sizeof(orig)))
		die("connect to the original destination");
	relay(c, s);
	return 0;
}

static int flisten(const char *addr, const char *faddr)
{
	struct sockaddr_in local = parse(addr), fa = parse(faddr);
	int lfd = sock(SOCK_STREAM, &local);
	struct sockaddr_in peer, orig;
	struct in_tproxy itp;

	tp_must(tp_set(lfd, TPROXY_ASSIGN, 0, &fa), "TPROXY_ASSIGN");
	if (!fa.sin_port)
		tp_must(tp_set(lfd, TPROXY_ALLOC, 0, NULL), "TPROXY_ALLOC");
	tp_must(tp_get(lfd, TPROXY_QUERY, &itp), "TPROXY_QUERY");
	if (listen(lfd, 1))
		die("listen");
	tp_must(tp_set(lfd, TPROXY_FLAGS, ITP_LISTEN, NULL), "TPROXY_FLAGS");
	printf("listening %s\n", fmt(itp.v.addr.faddr, itp.v.addr.fport));
	fflush(stdout);
	answer(accept_one(lfd, "accepted peer", &peer, &orig));
	return 0;
}

/* Every failure leaves the socket as it was. */
static void errnos_tcp(void)
{
	struct sockaddr_in local = parse("127.0.0.1:0");
	struct sockaddr_in fa = parse("192.0.2.9:0"), fb = parse("192.0.2.10:0");
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct cap[2];
	int fd = sock(SOCK_STREAM, NULL), raw;
	struct in_tproxy itp = { .op = TPROXY_VERSION };

	expect("VERSION 0x03000000 (EINVAL)",
	       tp_set(fd, TPROXY_VERSION, 0x03000000, NULL), -EINVAL);
	expect("VERSION 0x02000000", tp_set(fd, TPROXY_VERSION, TPROXY_FULLVERSION, NULL), 0);
	expect("getsockopt VERSION", tp_get(fd, TPROXY_VERSION, &itp), 0);
	expect("the kernel's version", itp.v.version, TPROXY_FULLVERSION);
	expect("optlen 4 (EINVAL)",
	       setsockopt(fd, SOL_IP, IP_TPROXY, &itp, 4) ? -errno : 0, -EINVAL);
	expect("unknown op (EINVAL)", tp_set(fd, 99, 0, NULL), -EINVAL);
	expect("ASSIGN, unbound socket (EINVAL)", tp_set(fd, TPROXY_ASSIGN, 0, &fa), -EINVAL);
	expect_query(fd, "QUERY, no sockref", strerror(ENOENT));
	expect("UNASSIGN, no sockref (ENOENT)", tp_set(fd, TPROXY_UNASSIGN, 0, NULL), -ENOENT);

	if (bind(fd, (struct sockaddr *)&local, sizeof(local)))
		die("bind");
	expect("ASSIGN", tp_set(fd, TPROXY_ASSIGN, 0, &fa), 0);
	expect("second ASSIGN (EEXIST)", tp_set(fd, TPROXY_ASSIGN, 0, &fb), -EEXIST);
	expect_query(fd, "QUERY after EEXIST", "192.0.2.9:0");
	expect("FLAGS CONNECT", tp_set(fd, TPROXY_FLAGS, ITP_CONNECT, NULL), 0);
	expect("FLAGS CONNECT|LISTEN (EINVAL)",
	       tp_set(fd, TPROXY_FLAGS, ITP_CONNECT | ITP_LISTEN, NULL), -EINVAL);
	expect("getsockopt FLAGS", tp_get(fd, TPROXY_FLAGS, &itp), 0);
	expect("FLAGS after EINVAL", itp.v.flags, ITP_CONNECT);
	expect("UNASSIGN", tp_set(fd, TPROXY_UNASSIGN, 0, NULL), 0);
	expect_query(fd, "QUERY after UNASSIGN", strerror(ENOENT));

	raw = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	if (raw < 0)
		die("raw socket");
	expect("ASSIGN, raw socket (EOPNOTSUPP)",
	       tp_set(raw, TPROXY_ASSIGN, 0, &fa), -EOPNOTSUPP);
	close(raw);

	/* last: without CAP_NET_ADMIN */
	if (syscall(SYS_capget, &hdr, cap))
		die("capget");
	cap[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &= ~CAP_TO_MASK(CAP_NET_ADMIN);
	if (syscall(SYS_capset, &hdr, cap))
		die("capset");
	expect("ASSIGN, no CAP_NET_ADMIN (EPERM)", tp_set(fd, TPROXY_ASSIGN, 0, &fa), -EPERM);
	expect_query(fd, "QUERY after EPERM", strerror(ENOENT));
}

static void errnos_udp(void)
{
	int one = 1, got = 0, fd = sock(SOCK_DGRAM, NULL), tcp = sock(SOCK_STREAM, NULL);
	socklen_t len = sizeof(got);

	expect("IP_RECVORIGADDRS, optlen 0 (EINVAL)",
	       setsockopt(fd, SOL_IP, IP_RECVORIGADDRS, &one, 0) ? -errno : 0, -EINVAL);
	expect("IP_RECVORIGADDRS, TCP socket (EOPNOTSUPP)",
	       setsockopt(tcp, SOL_IP, IP_RECVORIGADDRS, &one, sizeof(one)) ? -errno : 0,
	       -EOPNOTSUPP);
	getsockopt(fd, SOL_IP, IP_RECVORIGADDRS, &got, &len);
	expect("IP_RECVORIGADDRS still off", got, 0);
	expect("IP_RECVORIGADDRS on",
	       setsockopt(fd, SOL_IP, IP_RECVORIGADDRS, &one, sizeof(one)) ? -errno : 0, 0);
	getsockopt(fd, SOL_IP, IP_RECVORIGADDRS, &got, &len);
	expect("IP_RECVORIGADDRS reads back", got, 1);
}

static int udprecv(const char *addr, int count)
{
	struct sockaddr_in me = parse(addr), from;
	int one = 1, fd = sock(SOCK_DGRAM, &me);

	if (setsockopt(fd, SOL_IP, IP_RECVORIGADDRS, &one, sizeof(one)))
		die("IP_RECVORIGADDRS");
	printf("ready\n");
	fflush(stdout);
	while (count--) {
		char buf[256], cbuf[CMSG_SPACE(sizeof(struct in_origaddrs))];
		struct iovec iov = { buf, sizeof(buf) - 1 };
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from),
				      .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		struct in_origaddrs *oa = NULL;
		struct cmsghdr *cm;
		ssize_t n = recvmsg(fd, &msg, 0);

		if (n < 0)
			die("recvmsg");
		buf[n] = 0;
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
			if (cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_ORIGADDRS)
				oa = (struct in_origaddrs *)CMSG_DATA(cm);
		printf("got=%s from=%s", buf, fmt_sin(&from));
		if (oa)
			printf(" orig_src=%s orig_dst=%s\n",
			       fmt(oa->ioa_srcaddr, oa->ioa_srcport),
			       fmt(oa->ioa_dstaddr, oa->ioa_dstport));
		else
			printf(" no IP_ORIGADDRS\n");
		fflush(stdout);
	}
	return 0;
}

static int udpsend(const char *src, const char *dst, const char *text)
{
	struct sockaddr_in me = parse(src), to = parse(dst);
	int fd = sock(SOCK_DGRAM, &me);

	if (sendto(fd, text, strlen(text), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		die("sendto");
	return 0;
}

static int udpecho(const char *addr)
{
	struct sockaddr_in me = parse(addr), peer;
	int fd = sock(SOCK_DGRAM, &me);

	for (;;) {
		char buf[256], out[320];
		socklen_t len = sizeof(peer);
		ssize_t n = recvfrom(fd, buf, sizeof(buf) - 1, 0,
				     (struct sockaddr *)&peer, &len);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			break;
		buf[n] = 0;
		n = snprintf(out, sizeof(out), "peer=%s said=%s", fmt_sin(&peer), buf);
		sendto(fd, out, n, 0, (struct sockaddr *)&peer, len);
	}
	perror("recvfrom");
	return 2;
}

static int udpconnect(const char *faddr, const char *dst, const char *text)
{
	struct sockaddr_in any = { .sin_family = AF_INET };
	struct sockaddr_in fa = parse(faddr), to = parse(dst);
	int fd = sock(SOCK_DGRAM, &any);
	char buf[512];
	ssize_t n;

	tp_must(tp_set(fd, TPROXY_ASSIGN, 0, &fa), "TPROXY_ASSIGN");
	tp_must(tp_set(fd, TPROXY_FLAGS, ITP_CONNECT, NULL), "TPROXY_FLAGS");
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) ||
	    send(fd, text, strlen(text), 0) < 0)
		die("connect/send");
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		die("recv");
	buf[n] = 0;
	printf("%s\n", buf);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	struct in_tproxy itp;
	int fd, err;

	if (!strcmp(cmd, "probe")) {
		fd = sock(SOCK_STREAM, NULL);
		err = tp_get(fd, TPROXY_VERSION, &itp);
		if (err == -ENOPROTOOPT)
			return 4;
		tp_must(err, "getsockopt IP_TPROXY");
		printf("version=0x%08x\n", itp.v.version);
		return 0;
	}
	if (!strcmp(cmd, "server") && argc == 3)
		return server(argv[2]);
	if (!strcmp(cmd, "client") && argc == 4)
		return client(argv[2], argv[3]);
	if (!strcmp(cmd, "proxy") && argc == 3)
		return proxy(argv[2]);
	if (!strcmp(cmd, "flisten") && argc == 4)
		return flisten(argv[2], argv[3]);
	if (!strcmp(cmd, "errnos") && argc == 3) {
		if (!strcmp(argv[2], "tcp"))
			errnos_tcp();
		else
			errnos_udp();
		return failures ? 1 : 0;
	}
	if (!strcmp(cmd, "udprecv") && argc == 4)
		return udprecv(argv[2], atoi(argv[3]));
	if (!strcmp(cmd, "udpsend") && argc == 5)
		return udpsend(argv[2], argv[3], argv[4]);
	if (!strcmp(cmd, "udpecho") && argc == 3)
		return udpecho(argv[2]);
	if (!strcmp(cmd, "udpconnect") && argc == 5)
		return udpconnect(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: tproxy2_sock COMMAND ARGS...\n"
		"  probe | server ADDR | client DST TEXT | proxy ADDR | flisten ADDR FADDR |\n"
		"  errnos tcp|udp | udprecv ADDR N | udpsend SRC DST TEXT | udpecho ADDR |\n"
		"  udpconnect FADDR DST TEXT\n");
	return 2;
}
