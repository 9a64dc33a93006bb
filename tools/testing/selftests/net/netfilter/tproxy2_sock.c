// SPDX-License-Identifier: GPL-2.0
/*
 * Socket ends for the TPROXY 2.0 selftests (tproxy2_tcp.sh, tproxy2_udp.sh).
 * Addresses are a.b.c.d:port or [IPv6]:port; the address gives the socket's
 * family, and AF_INET6 sockets are IPV6_V6ONLY.  An AF_INET socket uses
 * IP_TPROXY, SO_ORIGINAL_DST and IP_RECVORIGADDRS, an AF_INET6 one
 * IPV6_TPROXY, IP6T_SO_ORIGINAL_DST and IPV6_RECVORIGADDRS.  Exit 0 on
 * success, 1 on a failed check or a missing answer, 2 on a usage or setup
 * error, 4 (skip) from "probe" if the kernel has no IP_TPROXY, from
 * "probe6" if it has no IPv6 or no IPV6_TPROXY.
 *
 *   probe | probe6        print the kernel's TPROXY version (IP_TPROXY on an
 *                         AF_INET socket, IPV6_TPROXY on an AF_INET6 one)
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
 *   errnos tcp|udp|tcp6|udp6
 *                         the IP_TPROXY (IPV6_TPROXY), or IP_RECVORIGADDRS
 *                         (IPV6_RECVORIGADDRS), errno checks
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
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <linux/netfilter_ipv6/ip6_tproxy.h>

#define TIMEOUT_S	10

union addr {
	struct sockaddr		sa;
	struct sockaddr_in	v4;
	struct sockaddr_in6	v6;
};

static int failures;

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static socklen_t addr_len(const union addr *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(a->v6) : sizeof(a->v4);
}

static __u16 addr_port(const union addr *a)
{
	return a->sa.sa_family == AF_INET6 ? a->v6.sin6_port : a->v4.sin_port;
}

static void addr_set_port(union addr *a, __u16 port)
{
	if (a->sa.sa_family == AF_INET6)
		a->v6.sin6_port = port;
	else
		a->v4.sin_port = port;
}

/* a.b.c.d:port or [IPv6]:port */
static union addr parse(const char *s)
{
	char buf[64], *host = buf, *colon, *end;
	union addr a;
	int ok;

	memset(&a, 0, sizeof(a));
	snprintf(buf, sizeof(buf), "%s", s);
	colon = strrchr(buf, ':');
	if (colon)
		*colon = 0;
	if (colon && *host == '[') {
		end = strchr(++host, ']');
		ok = end && !end[1];
		if (ok)
			*end = 0;
		a.v6.sin6_family = AF_INET6;
		ok = ok && inet_pton(AF_INET6, host, &a.v6.sin6_addr) == 1;
	} else {
		a.v4.sin_family = AF_INET;
		ok = colon && inet_pton(AF_INET, host, &a.v4.sin_addr) == 1;
	}
	if (!ok) {
		fprintf(stderr, "bad address %s\n", s);
		exit(2);
	}
	addr_set_port(&a, htons(atoi(colon + 1)));
	return a;
}

/* "a.b.c.d:port" or "[IPv6]:port", in one of two static buffers */
static const char *fmt(int family, const void *ip, __u16 port)
{
	static char buf[2][INET6_ADDRSTRLEN + 8];
	char host[INET6_ADDRSTRLEN];
	static int i;

	i = !i;
	inet_ntop(family, ip, host, sizeof(host));
	snprintf(buf[i], sizeof(buf[i]), family == AF_INET6 ? "[%s]:%u" : "%s:%u",
		 host, ntohs(port));
	return buf[i];
}

static const char *fmt_addr(const union addr *a)
{
	if (a->sa.sa_family == AF_INET6)
		return fmt(AF_INET6, &a->v6.sin6_addr, a->v6.sin6_port);
	return fmt(AF_INET, &a->v4.sin_addr, a->v4.sin_port);
}

static int sock(int family, int type, const union addr *bindto)
{
	struct timeval tv = { .tv_sec = TIMEOUT_S };
	int one = 1, fd = socket(family, type, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (family == AF_INET6 &&
	    setsockopt(fd, SOL_IPV6, IPV6_V6ONLY, &one, sizeof(one)))
		die("IPV6_V6ONLY");
	if (bindto && bind(fd, &bindto->sa, addr_len(bindto)))
		die("bind");
	return fd;
}

/* The unspecified address of ADDR's family, port 0 */
static union addr any_of(const union addr *a)
{
	union addr any;

	memset(&any, 0, sizeof(any));
	any.sa.sa_family = a->sa.sa_family;
	return any;
}

/*
 * IP_TPROXY (family AF_INET) or IPV6_TPROXY (AF_INET6), with the address
 * of that family: 0 or -errno
 */
static int tp_set(int fd, int family, __u32 op, __u32 val, const union addr *addr)
{
	struct in6_tproxy it6 = { .op = op, .v.flags = val };
	struct in_tproxy itp = { .op = op, .v.flags = val };
	int err;

	if (family == AF_INET6) {
		if (addr) {
			it6.v.addr.faddr = addr->v6.sin6_addr;
			it6.v.addr.fport = addr->v6.sin6_port;
		}
		err = setsockopt(fd, SOL_IPV6, IPV6_TPROXY, &it6, sizeof(it6));
	} else {
		if (addr) {
			itp.v.addr.faddr = addr->v4.sin_addr;
			itp.v.addr.fport = addr->v4.sin_port;
		}
		err = setsockopt(fd, SOL_IP, IP_TPROXY, &itp, sizeof(itp));
	}
	return err ? -errno : 0;
}

/* Get OP: the version or flags into *val, QUERY's address into *addr */
static int tp_get(int fd, int family, __u32 op, __u32 *val, union addr *addr)
{
	struct in6_tproxy it6 = { .op = op };
	struct in_tproxy itp = { .op = op };
	socklen_t len;

	if (family == AF_INET6) {
		len = sizeof(it6);
		if (getsockopt(fd, SOL_IPV6, IPV6_TPROXY, &it6, &len))
			return -errno;
		if (val)
			*val = it6.v.version;
		if (addr) {
			memset(addr, 0, sizeof(*addr));
			addr->v6.sin6_family = AF_INET6;
			addr->v6.sin6_addr = it6.v.addr.faddr;
			addr->v6.sin6_port = it6.v.addr.fport;
		}
		return 0;
	}
	len = sizeof(itp);
	if (getsockopt(fd, SOL_IP, IP_TPROXY, &itp, &len))
		return -errno;
	if (val)
		*val = itp.v.version;
	if (addr) {
		memset(addr, 0, sizeof(*addr));
		addr->v4.sin_family = AF_INET;
		addr->v4.sin_addr = itp.v.addr.faddr;
		addr->v4.sin_port = itp.v.addr.fport;
	}
	return 0;
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

static void expect_query(int fd, int family, const char *what, const char *want)
{
	union addr a;
	int err = tp_get(fd, family, TPROXY_QUERY, NULL, &a);
	const char *got = err ? strerror(-err) : fmt_addr(&a);

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
	union addr peer;
	socklen_t len = sizeof(peer);
	char line[256], out[320];
	ssize_t n = recv(c, line, sizeof(line) - 1, 0);

	line[n > 0 ? n : 0] = 0;
	line[strcspn(line, "\n")] = 0;
	memset(&peer, 0, sizeof(peer));
	getpeername(c, &peer.sa, &len);
	n = snprintf(out, sizeof(out), "peer=%s said=%s\n", fmt_addr(&peer), line);
	send_all(c, out, n);
	close(c);
}

static int tcp_listener(const char *addr)
{
	union addr a = parse(addr);
	int one = 1, fd = sock(a.sa.sa_family, SOCK_STREAM, NULL);

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, &a.sa, addr_len(&a)) || listen(fd, 16))
		die("bind/listen");
	return fd;
}

/*
 * Accept a connection, print its peer and its original destination
 * (SO_ORIGINAL_DST, IP6T_SO_ORIGINAL_DST for IPv6)
 */
static int accept_one(int lfd, const char *tag, union addr *peer, union addr *orig)
{
	socklen_t plen = sizeof(*peer), olen;
	int c = accept(lfd, &peer->sa, &plen), err;

	if (c < 0)
		die("accept");
	memset(orig, 0, sizeof(*orig));
	if (peer->sa.sa_family == AF_INET6) {
		olen = sizeof(orig->v6);
		err = getsockopt(c, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &orig->v6, &olen);
	} else {
		olen = sizeof(orig->v4);
		err = getsockopt(c, SOL_IP, SO_ORIGINAL_DST, &orig->v4, &olen);
	}
	if (err)
		die("SO_ORIGINAL_DST");
	printf("%s=%s ", tag, fmt_addr(peer));
	printf("orig=%s\n", fmt_addr(orig));
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
	union addr a = parse(dst);
	int fd = sock(a.sa.sa_family, SOCK_STREAM, NULL);
	char buf[512];
	ssize_t n, got = 0;

	if (connect(fd, &a.sa, addr_len(&a)))
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
	union addr cl, orig, any;
	int c = accept_one(tcp_listener(addr), "client", &cl, &orig);
	int family = cl.sa.sa_family, s;

	any = any_of(&cl);
	s = sock(family, SOCK_STREAM, &any);
	addr_set_port(&cl, 0);
	tp_must(tp_set(s, family, TPROXY_ASSIGN, 0, &cl), "TPROXY_ASSIGN");
	tp_must(tp_set(s, family, TPROXY_FLAGS, ITP_CONNECT, NULL), "TPROXY_FLAGS");
	if (connect(s, &orig.sa, addr_len(&orig)))
		die("connect to the original destination");
	relay(c, s);
	return 0;
}

static int flisten(const char *addr, const char *faddr)
{
	union addr local = parse(addr), fa = parse(faddr), peer, orig, q;
	int family = local.sa.sa_family;
	int lfd = sock(family, SOCK_STREAM, &local);

	tp_must(tp_set(lfd, family, TPROXY_ASSIGN, 0, &fa), "TPROXY_ASSIGN");
	if (!addr_port(&fa))
		tp_must(tp_set(lfd, family, TPROXY_ALLOC, 0, NULL), "TPROXY_ALLOC");
	tp_must(tp_get(lfd, family, TPROXY_QUERY, NULL, &q), "TPROXY_QUERY");
	if (listen(lfd, 1))
		die("listen");
	tp_must(tp_set(lfd, family, TPROXY_FLAGS, ITP_LISTEN, NULL), "TPROXY_FLAGS");
	printf("listening %s\n", fmt_addr(&q));
	fflush(stdout);
	answer(accept_one(lfd, "accepted peer", &peer, &orig));
	return 0;
}

/*
 * Every failure leaves the socket as it was.  For AF_INET6 the same checks
 * through IPV6_TPROXY, and the errnos of the two options' families.
 */
static void errnos_tcp(int family)
{
	int v6 = family == AF_INET6;
	union addr local = parse(v6 ? "[::1]:0" : "127.0.0.1:0");
	union addr fa = parse(v6 ? "[2001:db8::9]:0" : "192.0.2.9:0");
	union addr fb = parse(v6 ? "[2001:db8::10]:0" : "192.0.2.10:0");
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct cap[2];
	int fd = sock(family, SOCK_STREAM, NULL), raw;
	struct in6_tproxy it6 = { .op = TPROXY_VERSION };
	struct in_tproxy itp = { .op = TPROXY_VERSION };
	socklen_t len;
	__u32 val = 0;

	expect("VERSION 0x03000000 (EINVAL)",
	       tp_set(fd, family, TPROXY_VERSION, 0x03000000, NULL), -EINVAL);
	expect("VERSION 0x02000000",
	       tp_set(fd, family, TPROXY_VERSION, TPROXY_FULLVERSION, NULL), 0);
	expect("getsockopt VERSION", tp_get(fd, family, TPROXY_VERSION, &val, NULL), 0);
	expect("the kernel's version", val, TPROXY_FULLVERSION);
	if (v6) {
		/* struct in_tproxy's size is too short for IPV6_TPROXY */
		expect("optlen 12 (EINVAL)",
		       setsockopt(fd, SOL_IPV6, IPV6_TPROXY, &it6,
				  sizeof(struct in_tproxy)) ? -errno : 0, -EINVAL);
		len = sizeof(it6) + 8;
		expect("getsockopt VERSION, optlen 32",
		       getsockopt(fd, SOL_IPV6, IPV6_TPROXY, &it6, &len) ? -errno : 0, 0);
		expect("optlen set to sizeof(struct in6_tproxy)", len, sizeof(it6));
	} else {
		expect("optlen 4 (EINVAL)",
		       setsockopt(fd, SOL_IP, IP_TPROXY, &itp, 4) ? -errno : 0, -EINVAL);
	}
	expect("unknown op (EINVAL)", tp_set(fd, family, 99, 0, NULL), -EINVAL);
	expect("ASSIGN, unbound socket (EINVAL)",
	       tp_set(fd, family, TPROXY_ASSIGN, 0, &fa), -EINVAL);
	expect_query(fd, family, "QUERY, no sockref", strerror(ENOENT));
	expect("UNASSIGN, no sockref (ENOENT)",
	       tp_set(fd, family, TPROXY_UNASSIGN, 0, NULL), -ENOENT);

	if (bind(fd, &local.sa, addr_len(&local)))
		die("bind");
	if (v6) {
		/* IPV6_V6ONLY, bound to ::1: no IPv4 sockref */
		union addr mapped = parse("[::ffff:192.0.2.9]:0");
		union addr fa4 = parse("192.0.2.9:0");

		expect("ASSIGN v4-mapped, IPV6_V6ONLY socket (EAFNOSUPPORT)",
		       tp_set(fd, family, TPROXY_ASSIGN, 0, &mapped), -EAFNOSUPPORT);
		expect("IP_TPROXY ASSIGN, IPV6_V6ONLY socket (EAFNOSUPPORT)",
		       tp_set(fd, AF_INET, TPROXY_ASSIGN, 0, &fa4), -EAFNOSUPPORT);
		expect_query(fd, family, "QUERY after EAFNOSUPPORT", strerror(ENOENT));
	}
	expect("ASSIGN", tp_set(fd, family, TPROXY_ASSIGN, 0, &fa), 0);
	expect("second ASSIGN (EEXIST)", tp_set(fd, family, TPROXY_ASSIGN, 0, &fb), -EEXIST);
	expect_query(fd, family, "QUERY after EEXIST", fmt_addr(&fa));
	if (v6) {
		union addr mapped = parse("[::ffff:192.0.2.1]:80"), q;

		expect("IP_TPROXY QUERY of an IPv6 sockref (EAFNOSUPPORT)",
		       tp_get(fd, AF_INET, TPROXY_QUERY, NULL, &q), -EAFNOSUPPORT);
		expect("CONNECT to a v4-mapped peer (EAFNOSUPPORT)",
		       tp_set(fd, family, TPROXY_CONNECT, 0, &mapped), -EAFNOSUPPORT);
	}
	expect("FLAGS CONNECT", tp_set(fd, family, TPROXY_FLAGS, ITP_CONNECT, NULL), 0);
	expect("FLAGS CONNECT|LISTEN (EINVAL)",
	       tp_set(fd, family, TPROXY_FLAGS, ITP_CONNECT | ITP_LISTEN, NULL), -EINVAL);
	expect("getsockopt FLAGS", tp_get(fd, family, TPROXY_FLAGS, &val, NULL), 0);
	expect("FLAGS after EINVAL", val, ITP_CONNECT);
	expect("UNASSIGN", tp_set(fd, family, TPROXY_UNASSIGN, 0, NULL), 0);
	expect_query(fd, family, "QUERY after UNASSIGN", strerror(ENOENT));

	raw = socket(family, SOCK_RAW, IPPROTO_UDP);
	if (raw < 0)
		die("raw socket");
	expect("ASSIGN, raw socket (EOPNOTSUPP)",
	       tp_set(raw, family, TPROXY_ASSIGN, 0, &fa), -EOPNOTSUPP);
	close(raw);

	if (v6) {
		/* the IPv4 socket code answers SOL_IPV6 options itself */
		int fd4 = sock(AF_INET, SOCK_STREAM, NULL);

		expect("IPV6_TPROXY set, AF_INET socket (ENOPROTOOPT)",
		       tp_set(fd4, AF_INET6, TPROXY_VERSION, TPROXY_FULLVERSION, NULL),
		       -ENOPROTOOPT);
		expect("IPV6_TPROXY get, AF_INET socket (EOPNOTSUPP)",
		       tp_get(fd4, AF_INET6, TPROXY_VERSION, &val, NULL), -EOPNOTSUPP);
		close(fd4);
	}

	/* last: without CAP_NET_ADMIN */
	if (syscall(SYS_capget, &hdr, cap))
		die("capget");
	cap[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &= ~CAP_TO_MASK(CAP_NET_ADMIN);
	if (syscall(SYS_capset, &hdr, cap))
		die("capset");
	expect("ASSIGN, no CAP_NET_ADMIN (EPERM)",
	       tp_set(fd, family, TPROXY_ASSIGN, 0, &fa), -EPERM);
	expect_query(fd, family, "QUERY after EPERM", strerror(ENOENT));
}

/* IP_RECVORIGADDRS on AF_INET sockets, IPV6_RECVORIGADDRS on AF_INET6 ones */
static void errnos_udp(int family)
{
	int v6 = family == AF_INET6;
	int level = v6 ? SOL_IPV6 : SOL_IP;
	int opt = v6 ? IPV6_RECVORIGADDRS : IP_RECVORIGADDRS;
	const char *name = v6 ? "IPV6_RECVORIGADDRS" : "IP_RECVORIGADDRS";
	int one = 1, zero = 0, got = 0;
	int fd = sock(family, SOCK_DGRAM, NULL), tcp = sock(family, SOCK_STREAM, NULL);
	socklen_t len = sizeof(got);
	char what[80];

#define WHAT(s) (snprintf(what, sizeof(what), "%s, %s", name, s), what)
	expect(WHAT("optlen 0 (EINVAL)"),
	       setsockopt(fd, level, opt, &one, 0) ? -errno : 0, -EINVAL);
	expect(WHAT("TCP socket (EOPNOTSUPP)"),
	       setsockopt(tcp, level, opt, &one, sizeof(one)) ? -errno : 0,
	       -EOPNOTSUPP);
	getsockopt(fd, level, opt, &got, &len);
	expect(WHAT("still off"), got, 0);
	expect(WHAT("on"), setsockopt(fd, level, opt, &one, sizeof(one)) ? -errno : 0, 0);
	getsockopt(fd, level, opt, &got, &len);
	expect(WHAT("reads back"), got, 1);
	if (v6) {
		/* one flag: IP_RECVORIGADDRS turns it off on an AF_INET6 socket */
		expect("IP_RECVORIGADDRS off, AF_INET6 socket",
		       setsockopt(fd, SOL_IP, IP_RECVORIGADDRS, &zero, sizeof(zero)) ?
		       -errno : 0, 0);
		getsockopt(fd, level, opt, &got, &len);
		expect(WHAT("reads back off"), got, 0);
	}
#undef WHAT
}

static int udprecv(const char *addr, int count)
{
	union addr me = parse(addr), from;
	int family = me.sa.sa_family, v6 = family == AF_INET6;
	int level = v6 ? SOL_IPV6 : SOL_IP;
	int opt = v6 ? IPV6_RECVORIGADDRS : IP_RECVORIGADDRS;
	int one = 1, fd = sock(family, SOCK_DGRAM, &me);

	if (setsockopt(fd, level, opt, &one, sizeof(one)))
		die("IP_RECVORIGADDRS");
	printf("ready\n");
	fflush(stdout);
	while (count--) {
		char buf[256], cbuf[CMSG_SPACE(sizeof(struct in6_origaddrs))];
		struct iovec iov = { buf, sizeof(buf) - 1 };
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from),
				      .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		struct in6_origaddrs *oa6 = NULL;
		struct in_origaddrs *oa = NULL;
		struct cmsghdr *cm;
		ssize_t n = recvmsg(fd, &msg, 0);

		if (n < 0)
			die("recvmsg");
		buf[n] = 0;
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_ORIGADDRS)
				oa = (struct in_origaddrs *)CMSG_DATA(cm);
			if (cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_ORIGADDRS)
				oa6 = (struct in6_origaddrs *)CMSG_DATA(cm);
		}
		printf("got=%s from=%s", buf, fmt_addr(&from));
		if (oa)
			printf(" orig_src=%s orig_dst=%s",
			       fmt(AF_INET, &oa->ioa_srcaddr, oa->ioa_srcport),
			       fmt(AF_INET, &oa->ioa_dstaddr, oa->ioa_dstport));
		if (oa6)
			printf(" orig6_src=%s orig6_dst=%s",
			       fmt(AF_INET6, &oa6->ioa_srcaddr, oa6->ioa_srcport),
			       fmt(AF_INET6, &oa6->ioa_dstaddr, oa6->ioa_dstport));
		printf("%s\n", oa || oa6 ? "" : " no IP_ORIGADDRS");
		fflush(stdout);
	}
	return 0;
}

static int udpsend(const char *src, const char *dst, const char *text)
{
	union addr me = parse(src), to = parse(dst);
	int fd = sock(me.sa.sa_family, SOCK_DGRAM, &me);

	if (sendto(fd, text, strlen(text), 0, &to.sa, addr_len(&to)) < 0)
		die("sendto");
	return 0;
}

static int udpecho(const char *addr)
{
	union addr me = parse(addr), peer;
	int fd = sock(me.sa.sa_family, SOCK_DGRAM, &me);

	for (;;) {
		char buf[256], out[320];
		socklen_t len = sizeof(peer);
		ssize_t n = recvfrom(fd, buf, sizeof(buf) - 1, 0, &peer.sa, &len);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			break;
		buf[n] = 0;
		n = snprintf(out, sizeof(out), "peer=%s said=%s", fmt_addr(&peer), buf);
		sendto(fd, out, n, 0, &peer.sa, len);
	}
	perror("recvfrom");
	return 2;
}

static int udpconnect(const char *faddr, const char *dst, const char *text)
{
	union addr fa = parse(faddr), to = parse(dst), any = any_of(&fa);
	int family = fa.sa.sa_family;
	int fd = sock(family, SOCK_DGRAM, &any);
	char buf[512];
	ssize_t n;

	tp_must(tp_set(fd, family, TPROXY_ASSIGN, 0, &fa), "TPROXY_ASSIGN");
	tp_must(tp_set(fd, family, TPROXY_FLAGS, ITP_CONNECT, NULL), "TPROXY_FLAGS");
	if (connect(fd, &to.sa, addr_len(&to)) || send(fd, text, strlen(text), 0) < 0)
		die("connect/send");
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		die("recv");
	buf[n] = 0;
	printf("%s\n", buf);
	return 0;
}

/* 4 (skip) if FAMILY or its TPROXY option is missing */
static int probe(int family)
{
	int fd = socket(family, SOCK_STREAM, 0), err;
	__u32 version;

	if (fd < 0 && errno == EAFNOSUPPORT)
		return 4;
	if (fd < 0)
		die("socket");
	err = tp_get(fd, family, TPROXY_VERSION, &version, NULL);
	if (err == -ENOPROTOOPT)
		return 4;
	tp_must(err, family == AF_INET6 ? "getsockopt IPV6_TPROXY" : "getsockopt IP_TPROXY");
	printf("%s version=0x%08x\n", family == AF_INET6 ? "IPV6_TPROXY" : "IP_TPROXY",
	       version);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "probe") && argc == 2)
		return probe(AF_INET);
	if (!strcmp(cmd, "probe6") && argc == 2)
		return probe(AF_INET6);
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
			errnos_tcp(AF_INET);
		else if (!strcmp(argv[2], "tcp6"))
			errnos_tcp(AF_INET6);
		else if (!strcmp(argv[2], "udp"))
			errnos_udp(AF_INET);
		else if (!strcmp(argv[2], "udp6"))
			errnos_udp(AF_INET6);
		else
			return 2;
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
		"  probe | probe6 | server ADDR | client DST TEXT | proxy ADDR |\n"
		"  flisten ADDR FADDR | errnos tcp|udp|tcp6|udp6 | udprecv ADDR N |\n"
		"  udpsend SRC DST TEXT | udpecho ADDR | udpconnect FADDR DST TEXT\n");
	return 2;
}
