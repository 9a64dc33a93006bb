// SPDX-License-Identifier: GPL-2.0
/*
 * Drive the IP_TPROXY and IPV6_TPROXY socket API step by step from the
 * command line, so that shell tests can replay the exact call sequences of
 * real proxies and check every errno.
 *
 * Addresses A:P are "a.b.c.d:port" or "[v6]:port" (the port may be left out
 * where it defaults to 0).  ASSIGN and CONNECT go through the option of their
 * address's family: a.b.c.d through IP_TPROXY (struct in_tproxy), [v6] (and
 * [::ffff:a.b.c.d]) through IPV6_TPROXY (struct in6_tproxy).  The other
 * operations go through the option of the current level: by default that of
 * the current socket's family, or the one "level" chose.
 *
 * usage: tpt-sockref STEP...
 * A step is a word and, for some, an argument.  A step may be followed by
 * "=ERRNO" (e.g. =EINVAL): it must then fail with that errno; otherwise it
 * must succeed.  The first step that does not do what it should ends the
 * program with "FAIL: ..." and exit status 1.
 *
 *   tcp | udp            new AF_INET socket, becomes the current one (#0, #1, ...)
 *   tcp6 | udp6          new AF_INET6 socket (dual-stack unless v6only)
 *   raw | raw6           new SOCK_RAW socket of protocol UDP (not one of ours)
 *   v6only 0|1           IPV6_V6ONLY
 *   level ip|ipv6|auto   the option of the operations without an address:
 *                        IP_TPROXY, IPV6_TPROXY, or the socket's family's
 *   use N                make socket #N current
 *   reuse                SO_REUSEADDR
 *   bind A:P             bind
 *   listen               listen
 *   accept               accept one connection; the new socket is current;
 *                        prints "accepted peer=A:P local=A:P orig=A:P"
 *   connect A:P          connect (non-blocking, waits up to 5 s)
 *   send TEXT            send TEXT and a newline
 *   sndbuf N | rcvbuf N  SO_SNDBUFFORCE / SO_RCVBUFFORCE to N bytes
 *   rcvtimeo MS          SO_RCVTIMEO (a new socket has 5 s; 0: none)
 *   sendbulk N           send N bytes of a known pattern (blocking)
 *   recvbulk N           read until EOF: exactly N bytes of that pattern, in
 *                        order, ended by a FIN (a reset fails with
 *                        ECONNRESET); prints "recvbulk=N"
 *   sendto A:P N         send N datagrams "dgram-I" to A:P; prints how
 *                        many netfilter dropped (EPERM)
 *   recvcount MS         count datagrams until none came for MS ms; prints
 *                        "from A count=N" per source address
 *   recv                 read until EOF; prints "recv=TEXT"
 *   recvline             read one line; prints "recv=TEXT"
 *   recvdgram            read one datagram (waits up to 5 s); "recv=TEXT"
 *   sendhex A:P HEX      send one datagram to A:P whose bytes are HEX (two hex
 *                        digits a byte, e.g. a crafted SNMP message)
 *   recvhex              read one datagram (waits up to 5 s); prints
 *                        "recvhex=HEX from=A:P", HEX in lowercase
 *   shutdown             shutdown(SHUT_WR)
 *   close                close the current socket
 *   version V            setsockopt VERSION (hex)
 *   getversion           prints "version=0x..."
 *   assign A:P | unassign | alloc | connectop A:P
 *   flags F              F: CONNECT|LISTEN|ESTABLISHED|ONCE|MARK|UNIDIR|APPLIED
 *                        joined by '|', or a number
 *   query                prints "query=A:P"
 *   getflags             prints "flags=0x..."
 *   expect-query A:P     QUERY must give A:P
 *   expect-flags F       FLAGS must give F
 *   rawset OP[:LEN]      setsockopt at the current level of a zeroed struct
 *                        with op OP and optlen LEN (default: the struct's
 *                        size, 12 or 24)
 *   rawget OP[:LEN]      getsockopt likewise; prints "optlen=N"
 *   faultset | faultget  setsockopt / getsockopt at the current level with
 *                        an optval that points nowhere (EFAULT)
 *   getname              prints "local=A:P"
 *   proc                 print /proc/net/tproxy
 *   expect-proc N        /proc/net/tproxy must have N lines
 *   dropcap              drop CAP_NET_ADMIN from this process
 *   sleep MS             sleep (months of it, in time-travel mode)
 *   many N A:P F         N UDP sockets on 127.0.0.1, .2, ..., each with a
 *                        sockref ASSIGN(A:P) + FLAGS(F); prints "many=N"
 *                        (A IPv6: AF_INET6 sockets on 2001:db8:ee::1, ::2,
 *                        ..., bound with IPV6_FREEBIND)
 *   churn N              N times: the oldest of them closes, a new one comes
 *   closemany            close them all, oldest first
 *   waitfile PATH        wait until PATH exists
 *   origaddrs            IP_RECVORIGADDRS (level ipv6: IPV6_RECVORIGADDRS) on
 *   origloop MS          for MS ms: socket, IP_RECVORIGADDRS, bind(127.0.0.1:0),
 *                        close; prints "origloop=N"
 *   print TEXT           print TEXT
 */
#include "tpt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <linux/capability.h>
#include <linux/netfilter_ipv4/ip_tproxy.h>
#include <linux/netfilter_ipv6/ip6_tproxy.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAXSOCK 64

static int socks[MAXSOCK], nsocks, cur = -1;
/* LEVEL_AUTO: the current socket's family's option; else SOL_IP or SOL_IPV6 */
#define LEVEL_AUTO	-1
static int level = LEVEL_AUTO;

static const struct {
	const char *name;
	int err;
} errnames[] = {
	{ "EPERM", EPERM }, { "EINVAL", EINVAL }, { "EEXIST", EEXIST },
	{ "EADDRINUSE", EADDRINUSE }, { "ENOENT", ENOENT },
	{ "EADDRNOTAVAIL", EADDRNOTAVAIL }, { "EOPNOTSUPP", EOPNOTSUPP },
	{ "EFAULT", EFAULT }, { "ECONNREFUSED", ECONNREFUSED },
	{ "ECONNABORTED", ECONNABORTED },
	{ "ETIMEDOUT", ETIMEDOUT }, { "ENOPROTOOPT", ENOPROTOOPT },
	{ "EISCONN", EISCONN }, { "EAGAIN", EAGAIN },
	{ "ECONNRESET", ECONNRESET }, { "EHOSTUNREACH", EHOSTUNREACH },
	{ "ENETUNREACH", ENETUNREACH }, { "EAFNOSUPPORT", EAFNOSUPPORT },
	{ "EMSGSIZE", EMSGSIZE }, { "EDESTADDRREQ", EDESTADDRREQ },
};

static const struct {
	const char *name;
	unsigned int flag;
} flagnames[] = {
	{ "CONNECT", ITP_CONNECT }, { "LISTEN", ITP_LISTEN },
	{ "ESTABLISHED", ITP_ESTABLISHED }, { "ONCE", ITP_ONCE },
	{ "MARK", ITP_MARK }, { "APPLIED", ITP_APPLIED },
	{ "UNIDIR", ITP_UNIDIR },
};

static const char *errname(int err)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].err == err)
			return errnames[i].name;
	return strerror(err);
}

static int errnum(const char *name)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (!strcmp(errnames[i].name, name))
			return errnames[i].err;
	fprintf(stderr, "unknown errno name %s\n", name);
	exit(2);
}

static unsigned int parse_flags(const char *s)
{
	char buf[128], *tok, *save;
	unsigned int flags = 0;

	if (s[0] >= '0' && s[0] <= '9')
		return strtoul(s, NULL, 0);
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
		size_t i;

		for (i = 0; i < sizeof(flagnames) / sizeof(flagnames[0]); i++)
			if (!strcmp(flagnames[i].name, tok))
				break;
		if (i == sizeof(flagnames) / sizeof(flagnames[0])) {
			fprintf(stderr, "unknown flag %s\n", tok);
			exit(2);
		}
		flags |= flagnames[i].flag;
	}
	return flags;
}

static int fd(void)
{
	if (cur < 0) {
		fprintf(stderr, "no socket yet\n");
		exit(2);
	}
	return socks[cur];
}

/* The level of the operations without an address */
static int cur_level(void)
{
	return level != LEVEL_AUTO ? level : tpt_sock_level(fd());
}

/* An expect-... step: "FAIL: ..." and the end of the program unless ok */
static void __attribute__((format(printf, 2, 3))) expect(int ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return;
	va_start(ap, fmt);
	printf("FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	exit(1);
}

/* 0 or -errno, from a call that sets errno */
static int res(int r)
{
	return r ? -errno : 0;
}

static int drop_net_admin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[CAP_NET_ADMIN / 32].effective &= ~(1u << (CAP_NET_ADMIN % 32));
	d[CAP_NET_ADMIN / 32].permitted &= ~(1u << (CAP_NET_ADMIN % 32));
	d[CAP_NET_ADMIN / 32].inheritable &= ~(1u << (CAP_NET_ADMIN % 32));
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/* The byte at offset i of a bulk transfer */
static unsigned char bulk_byte(size_t i)
{
	return (unsigned char)(i * 7 + i / 4093);
}

static int send_bulk(size_t n)
{
	unsigned char buf[65536];
	size_t off = 0;

	while (off < n) {
		size_t len = n - off < sizeof(buf) ? n - off : sizeof(buf);

		for (size_t i = 0; i < len; i++)
			buf[i] = bulk_byte(off + i);
		if (tpt_write_all(fd(), buf, len))
			return -errno;
		off += len;
	}
	return 0;
}

static int recv_bulk(size_t n)
{
	unsigned char buf[65536];
	size_t off = 0;
	ssize_t got;

	while ((got = read(fd(), buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < got; i++)
			if (off + i >= n || buf[i] != bulk_byte(off + i)) {
				printf("FAIL: recvbulk: byte %zu is wrong (%zu expected)\n",
				       off + i, n);
				exit(1);
			}
		off += got;
	}
	if (got < 0) {
		printf("recvbulk: %zu of %zu bytes, then %s\n", off, n, strerror(errno));
		return -errno;
	}
	if (off != n) {
		printf("FAIL: recvbulk: EOF after %zu of %zu bytes\n", off, n);
		exit(1);
	}
	printf("recvbulk=%zu\n", off);
	return 0;
}

/* "sendhex": one datagram of the bytes that HEX spells */
static int send_hex(const union tpt_sa *to, const char *hex)
{
	unsigned char buf[2048];
	size_t n = strlen(hex) / 2;

	if (strlen(hex) % 2 || n > sizeof(buf)) {
		fprintf(stderr, "sendhex: an even number of hex digits, at most %zu bytes\n",
			sizeof(buf));
		exit(2);
	}
	for (size_t i = 0; i < n; i++) {
		unsigned int b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1) {
			fprintf(stderr, "sendhex: not hex: %s\n", hex);
			exit(2);
		}
		buf[i] = b;
	}
	return sendto(fd(), buf, n, 0, &to->sa, tpt_salen(to)) < 0 ? -errno : 0;
}

/* "recvhex": one datagram, its bytes in hex and its source */
static int recv_hex(void)
{
	struct pollfd p = { .fd = fd(), .events = POLLIN };
	unsigned char buf[2048];
	union tpt_sa from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	if (poll(&p, 1, 5000) != 1)
		return -ETIMEDOUT;
	n = recvfrom(fd(), buf, sizeof(buf), 0, &from.sa, &fl);
	if (n < 0)
		return -errno;
	printf("recvhex=");
	for (ssize_t i = 0; i < n; i++)
		printf("%02x", buf[i]);
	printf(" from=%s\n", tpt_fmt(&from));
	return 0;
}

/* A datagram netfilter dropped (EPERM) is counted, not an error */
static int send_dgrams(const union tpt_sa *to, int n)
{
	int dropped = 0;
	char buf[64];

	for (int i = 0; i < n; i++) {
		int len = snprintf(buf, sizeof(buf), "dgram-%d", i);

		if (sendto(fd(), buf, len, 0, &to->sa, tpt_salen(to)) < 0) {
			if (errno != EPERM)
				return -errno;
			dropped++;
		}
	}
	printf("sendto: %d sent, %d dropped (EPERM)\n", n - dropped, dropped);
	return 0;
}

static int count_dgrams(int quiet_ms)
{
	struct { union tpt_sa a; int n; } from[16];
	int nfrom = 0;
	char buf[256];

	for (;;) {
		struct pollfd p = { .fd = fd(), .events = POLLIN };
		union tpt_sa sin;
		socklen_t sl = sizeof(sin);
		int i;

		if (poll(&p, 1, quiet_ms) != 1)
			break;
		if (recvfrom(fd(), buf, sizeof(buf), 0, &sin.sa, &sl) < 0)
			return -errno;
		/* one line per source address, whatever its port */
		itp_sockaddr_set_port(&sin.ss, 0);
		for (i = 0; i < nfrom && !itp_sockaddr_equal(&from[i].a.ss, &sin.ss); i++)
			;
		if (i == nfrom) {
			if (nfrom == 16)
				continue;
			from[nfrom].a = sin;
			from[nfrom++].n = 0;
		}
		from[i].n++;
	}
	for (int i = 0; i < nfrom; i++) {
		char ip[INET6_ADDRSTRLEN];

		if (from[i].a.sa.sa_family == AF_INET6)
			inet_ntop(AF_INET6, &from[i].a.sin6.sin6_addr, ip, sizeof(ip));
		else
			inet_ntop(AF_INET, &from[i].a.sin.sin_addr, ip, sizeof(ip));
		printf("from %s count=%d\n", ip, from[i].n);
	}
	return 0;
}

static int new_socket(int family, int type, int protocol)
{
	struct timeval tv = { .tv_sec = 5 };
	int s = socket(family, type, protocol);

	if (s < 0)
		return -errno;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (nsocks == MAXSOCK) {
		fprintf(stderr, "too many sockets\n");
		exit(2);
	}
	socks[nsocks] = s;
	cur = nsocks++;
	return 0;
}

/* Sockrefs by the thousand, oldest first: "many", "churn", "closemany" */
static struct {
	int *fds;
	int n, head, max;
	unsigned int next;	/* the local address of the next one */
	union tpt_sa addr;
	unsigned int flags;
} many;

/* A UDP socket on 127.0.0.1 + many.next (or 2001:db8:ee:: + 1 + many.next),
 * with the sockref of "many"
 */
static int many_one(void)
{
	union tpt_sa l;
	int family = many.addr.sa.sa_family, s = socket(family, SOCK_DGRAM, 0), one = 1;

	tpt_any(&l, family);
	if (family == AF_INET6) {
		inet_pton(AF_INET6, "2001:db8:ee::", &l.sin6.sin6_addr);
		l.sin6.sin6_addr.s6_addr32[3] = htonl(1 + many.next++);
		if (setsockopt(s, SOL_IPV6, IPV6_FREEBIND, &one, sizeof(one)))
			tpt_die("many: IPV6_FREEBIND");
	} else {
		l.sin.sin_addr.s_addr = htonl(0x7f000001 + many.next++);
	}
	if (s < 0 || bind(s, &l.sa, tpt_salen(&l)))
		tpt_die("many: socket");
	if (tpt_tproxy_assign(s, &many.addr))
		tpt_die("many: ASSIGN");
	if (tpt_tproxy_set_word(s, family == AF_INET6 ? SOL_IPV6 : SOL_IP, TPROXY_FLAGS,
				many.flags))
		tpt_die("many: FLAGS");
	return s;
}

static void many_open(int n, const char *addr, const char *flags)
{
	struct rlimit rl = { .rlim_cur = n + 256, .rlim_max = n + 256 };

	if (setrlimit(RLIMIT_NOFILE, &rl))
		tpt_die("many: RLIMIT_NOFILE");
	many.fds = calloc(n, sizeof(int));
	if (!many.fds)
		tpt_die("many");
	many.max = n;
	tpt_parse(addr, &many.addr, 0);
	many.flags = parse_flags(flags);
	for (int i = 0; i < n; i++)
		many.fds[i] = many_one();
	many.n = n;
	printf("many=%d\n", n);
}

/* n times: the oldest goes, a new one comes */
static int many_churn(int n)
{
	for (int i = 0; i < n; i++) {
		close(many.fds[many.head]);
		many.fds[many.head] = many_one();
		many.head = (many.head + 1) % many.max;
	}
	printf("churn=%d\n", n);
	return 0;
}

static void many_close(void)
{
	for (; many.n; many.n--) {
		close(many.fds[many.head]);
		many.head = (many.head + 1) % many.max;
	}
}

/* For ms: socket, IP_RECVORIGADDRS, bind, close; what any user may do */
static int origloop(int ms)
{
	struct sockaddr_in l = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timespec start, t;
	long n = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		int s = socket(AF_INET, SOCK_DGRAM, 0);

		if (s < 0 || itp_recv_origaddrs(s, 1) ||
		    bind(s, (struct sockaddr *)&l, sizeof(l)))
			tpt_die("origloop");
		close(s);
		n++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - start.tv_sec) * 1000 + (t.tv_nsec - start.tv_nsec) / 1000000 < ms);
	printf("origloop=%ld\n", n);
	return 0;
}


/* Run one step; returns 0 or -errno.  *used: how many arguments it took. */
static int step(char **argv, int *used)
{
	const char *w = argv[0], *arg = argv[1];
	union tpt_sa sin;
	__u32 word;
	socklen_t sl = sizeof(sin);
	char buf[4096];
	int one = 1, err;

	*used = 1;
#define NEED_ARG() do { if (!arg) { fprintf(stderr, "%s needs an argument\n", w); exit(2); } *used = 2; } while (0)

	if (!strcmp(w, "tcp") || !strcmp(w, "tcp6"))
		return new_socket(w[3] ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (!strcmp(w, "udp") || !strcmp(w, "udp6"))
		return new_socket(w[3] ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
	if (!strcmp(w, "raw") || !strcmp(w, "raw6"))
		return new_socket(w[3] ? AF_INET6 : AF_INET, SOCK_RAW, IPPROTO_UDP);
	if (!strcmp(w, "faultset") || !strcmp(w, "faultget")) {
		int lvl = cur_level(), opt = lvl == SOL_IPV6 ? IPV6_TPROXY : IP_TPROXY;
		socklen_t len = lvl == SOL_IPV6 ? sizeof(struct in6_tproxy) :
						  sizeof(struct in_tproxy);
		void *nowhere = (void *)8;

		if (!strcmp(w, "faultset"))
			return setsockopt(fd(), lvl, opt, nowhere, len) ? -errno : 0;
		return getsockopt(fd(), lvl, opt, nowhere, &len) ? -errno : 0;
	}
	if (!strcmp(w, "v6only")) {
		int v;

		NEED_ARG();
		v = atoi(arg);
		return setsockopt(fd(), SOL_IPV6, IPV6_V6ONLY, &v, sizeof(v)) ? -errno : 0;
	}
	if (!strcmp(w, "level")) {
		NEED_ARG();
		if (!strcmp(arg, "ip"))
			level = SOL_IP;
		else if (!strcmp(arg, "ipv6"))
			level = SOL_IPV6;
		else if (!strcmp(arg, "auto"))
			level = LEVEL_AUTO;
		else {
			fprintf(stderr, "level ip|ipv6|auto\n");
			exit(2);
		}
		return 0;
	}
	if (!strcmp(w, "use")) {
		NEED_ARG();
		cur = atoi(arg);
		return 0;
	}
	if (!strcmp(w, "reuse"))
		return setsockopt(fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ? -errno : 0;
	if (!strcmp(w, "bind")) {
		NEED_ARG();
		tpt_parse(arg, &sin, 0);
		return bind(fd(), &sin.sa, tpt_salen(&sin)) ? -errno : 0;
	}
	if (!strcmp(w, "listen"))
		return listen(fd(), 16) ? -errno : 0;
	if (!strcmp(w, "accept")) {
		union tpt_sa peer, local, orig;
		socklen_t pl = sizeof(peer), ll = sizeof(local);
		int c = accept(fd(), &peer.sa, &pl);

		if (c < 0)
			return -errno;
		getsockname(c, &local.sa, &ll);
		/* none: the wildcard of the original destination's family */
		if (tpt_orig_dst(c, &orig))
			tpt_any(&orig, tpt_is_mapped(&local) ? AF_INET : local.sa.sa_family);
		printf("accepted peer=%s ", tpt_fmt(&peer));
		printf("local=%s ", tpt_fmt(&local));
		printf("orig=%s\n", tpt_fmt(&orig));
		socks[nsocks] = c;
		cur = nsocks++;
		return 0;
	}
	if (!strcmp(w, "connect")) {
		NEED_ARG();
		tpt_parse(arg, &sin, -1);
		return tpt_connect(fd(), &sin, 5);
	}
	if (!strcmp(w, "send")) {
		NEED_ARG();
		snprintf(buf, sizeof(buf), "%s\n", arg);
		return send(fd(), buf, strlen(buf), 0) < 0 ? -errno : 0;
	}
	if (!strcmp(w, "sndbuf") || !strcmp(w, "rcvbuf")) {
		int n;

		NEED_ARG();
		n = atoi(arg);
		return setsockopt(fd(), SOL_SOCKET,
				  !strcmp(w, "sndbuf") ? SO_SNDBUFFORCE : SO_RCVBUFFORCE,
				  &n, sizeof(n)) ? -errno : 0;
	}
	if (!strcmp(w, "rcvtimeo")) {
		unsigned long ms;
		struct timeval tv;

		NEED_ARG();
		ms = strtoul(arg, NULL, 0);
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		return setsockopt(fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ? -errno : 0;
	}
	if (!strcmp(w, "sendbulk")) {
		NEED_ARG();
		return send_bulk(strtoul(arg, NULL, 0));
	}
	if (!strcmp(w, "recvbulk")) {
		NEED_ARG();
		return recv_bulk(strtoul(arg, NULL, 0));
	}
	if (!strcmp(w, "sendto")) {
		const char *sp;

		NEED_ARG();
		sp = argv[2];
		if (!sp) {
			fprintf(stderr, "sendto needs A:P N\n");
			exit(2);
		}
		*used = 3;
		tpt_parse(arg, &sin, -1);
		return send_dgrams(&sin, atoi(sp));
	}
	if (!strcmp(w, "recvcount")) {
		NEED_ARG();
		return count_dgrams(atoi(arg));
	}
	if (!strcmp(w, "recv") || !strcmp(w, "recvline")) {
		ssize_t n, got = 0;

		if (!strcmp(w, "recvline")) {
			got = tpt_read_line(fd(), buf, sizeof(buf));
			if (got < 0)
				return -errno;
		} else {
			while ((n = read(fd(), buf + got, sizeof(buf) - 1 - got)) > 0)
				got += n;
			if (n < 0 && !got)
				return -errno;
			buf[got] = '\0';
		}
		printf("recv=%s%s", buf, got && buf[got - 1] == '\n' ? "" : "\n");
		return 0;
	}
	if (!strcmp(w, "recvdgram")) {
		struct pollfd p = { .fd = fd(), .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 5000) != 1)
			return -ETIMEDOUT;
		n = recv(fd(), buf, sizeof(buf) - 1, 0);
		if (n < 0)
			return -errno;
		buf[n] = '\0';
		printf("recv=%s\n", buf);
		return 0;
	}
	if (!strcmp(w, "sendhex")) {
		NEED_ARG();
		if (!argv[2]) {
			fprintf(stderr, "sendhex needs A:P HEX\n");
			exit(2);
		}
		*used = 3;
		tpt_parse(arg, &sin, -1);
		return send_hex(&sin, argv[2]);
	}
	if (!strcmp(w, "recvhex"))
		return recv_hex();
	if (!strcmp(w, "shutdown"))
		return shutdown(fd(), SHUT_WR) ? -errno : 0;
	if (!strcmp(w, "close"))
		return close(fd()) ? -errno : 0;
	if (!strcmp(w, "getname")) {
		if (getsockname(fd(), &sin.sa, &sl))
			return -errno;
		printf("local=%s\n", tpt_fmt(&sin));
		return 0;
	}
	if (!strcmp(w, "version")) {
		NEED_ARG();
		return res(tpt_tproxy_set_word(fd(), cur_level(), TPROXY_VERSION,
					       strtoul(arg, NULL, 16)));
	}
	if (!strcmp(w, "getversion")) {
		err = res(tpt_tproxy_get_word(fd(), cur_level(), TPROXY_VERSION, &word));
		if (!err)
			printf("version=0x%08x\n", word);
		return err;
	}
	if (!strcmp(w, "assign")) {
		NEED_ARG();
		tpt_parse(arg, &sin, 0);
		return res(tpt_tproxy_assign(fd(), &sin));
	}
	if (!strcmp(w, "unassign"))
		return res(tpt_tproxy_set_word(fd(), cur_level(), TPROXY_UNASSIGN, 0));
	if (!strcmp(w, "alloc"))
		return res(tpt_tproxy_set_word(fd(), cur_level(), TPROXY_ALLOC, 0));
	if (!strcmp(w, "connectop")) {
		NEED_ARG();
		tpt_parse(arg, &sin, 0);
		return res(tpt_tproxy_connect(fd(), &sin));
	}
	if (!strcmp(w, "flags")) {
		NEED_ARG();
		return res(tpt_tproxy_set_word(fd(), cur_level(), TPROXY_FLAGS,
					       parse_flags(arg)));
	}
	if (!strcmp(w, "query") || !strcmp(w, "expect-query")) {
		err = res(tpt_tproxy_query(fd(), cur_level(), &sin));
		if (err)
			return err;
		printf("query=%s\n", tpt_fmt(&sin));
		if (!strcmp(w, "expect-query")) {
			NEED_ARG();
			expect(!strcmp(tpt_fmt(&sin), arg), "QUERY gave %s, not %s",
			       tpt_fmt(&sin), arg);
		}
		return 0;
	}
	if (!strcmp(w, "getflags") || !strcmp(w, "expect-flags")) {
		err = res(tpt_tproxy_get_word(fd(), cur_level(), TPROXY_FLAGS, &word));
		if (err)
			return err;
		printf("flags=0x%08x\n", word);
		if (!strcmp(w, "expect-flags")) {
			NEED_ARG();
			expect(word == parse_flags(arg), "FLAGS gave 0x%x, not %s", word, arg);
		}
		return 0;
	}
	if (!strcmp(w, "rawset") || !strcmp(w, "rawget")) {
		int lvl = cur_level(), opt = lvl == SOL_IPV6 ? IPV6_TPROXY : IP_TPROXY;
		socklen_t len = lvl == SOL_IPV6 ? sizeof(struct in6_tproxy) :
						  sizeof(struct in_tproxy);

		NEED_ARG();
		memset(buf, 0, sizeof(buf));
		((struct in_tproxy *)buf)->op = strtoul(arg, NULL, 0);
		if (strchr(arg, ':'))
			len = atoi(strchr(arg, ':') + 1);
		if (!strcmp(w, "rawset"))
			return setsockopt(fd(), lvl, opt, buf, len) ? -errno : 0;
		if (getsockopt(fd(), lvl, opt, buf, &len))
			return -errno;
		printf("optlen=%u\n", len);
		return 0;
	}
	if (!strcmp(w, "proc") || !strcmp(w, "expect-proc")) {
		FILE *f = fopen("/proc/net/tproxy", "r");
		int lines = 0;

		if (!f)
			return -errno;
		while (fgets(buf, sizeof(buf), f)) {
			printf("proc: %s", buf);
			lines++;
		}
		fclose(f);
		if (!strcmp(w, "expect-proc")) {
			NEED_ARG();
			expect(lines == atoi(arg), "/proc/net/tproxy has %d lines, not %s",
			       lines, arg);
		}
		return 0;
	}
	if (!strcmp(w, "dropcap"))
		return drop_net_admin();
	if (!strcmp(w, "sleep")) {
		unsigned long long ms;
		struct timespec ts;

		NEED_ARG();
		ms = strtoull(arg, NULL, 0);
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000;
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		return 0;
	}
	if (!strcmp(w, "many")) {
		if (!argv[1] || !argv[2] || !argv[3]) {
			fprintf(stderr, "many N A:P FLAGS\n");
			exit(2);
		}
		*used = 4;
		many_open(atoi(argv[1]), argv[2], argv[3]);
		return 0;
	}
	if (!strcmp(w, "churn")) {
		NEED_ARG();
		return many_churn(atoi(arg));
	}
	if (!strcmp(w, "waitfile")) {
		NEED_ARG();
		while (access(arg, F_OK))
			usleep(20000);
		return 0;
	}
	if (!strcmp(w, "closemany")) {
		many_close();
		return 0;
	}
	if (!strcmp(w, "origaddrs"))
		return res(cur_level() == SOL_IPV6 ? itp6_recv_origaddrs(fd(), 1) :
						     itp_recv_origaddrs(fd(), 1));
	if (!strcmp(w, "origloop")) {
		NEED_ARG();
		return origloop(atoi(arg));
	}
	if (!strcmp(w, "print")) {
		NEED_ARG();
		printf("%s\n", arg);
		return 0;
	}
	fprintf(stderr, "unknown step %s\n", w);
	exit(2);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc;) {
		const char *expect = NULL;
		int used, err;

		err = step(&argv[i], &used);
		if (i + used < argc && argv[i + used][0] == '=')
			expect = argv[i + used] + 1;
		if (expect) {
			if (err != -errnum(expect)) {
				printf("FAIL: %s %s: %s, expected %s\n", argv[i],
				       used > 1 ? argv[i + 1] : "",
				       err ? errname(-err) : "success", expect);
				return 1;
			}
			printf("%s %s: %s as expected\n", argv[i], used > 1 ? argv[i + 1] : "", expect);
			used++;
		} else if (err) {
			printf("FAIL: %s %s: %s\n", argv[i], used > 1 ? argv[i + 1] : "",
			       errname(-err));
			return 1;
		}
		i += used;
	}
	return 0;
}
