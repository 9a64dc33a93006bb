// SPDX-License-Identifier: GPL-2.0
/*
 * IP_TPROXY and IPV6_TPROXY fuzzer: random operations with random lengths
 * and values through either option on random TCP and UDP sockets of both
 * families (AF_INET, AF_INET6 dual-stack or IPV6_V6ONLY) in every state
 * (unbound, bound to IPv4, IPv6 or v4-mapped addresses, listening,
 * connected, closed by another thread meanwhile), IP_RECVORIGADDRS and
 * IPV6_RECVORIGADDRS with random lengths, and datagrams of both families
 * through whatever sockrefs exist, in several network namespaces at once.  Every socket is non-blocking, so
 * nothing waits for a peer that a translation sent elsewhere.  Only documented errnos may come back; at the end
 * every namespace's /proc/net/tproxy must be empty.
 *
 * usage: tpt-fuzz SECONDS [NAMESPACES [failslab]]
 * Prints "fuzz: N ops (K through IPV6_TPROXY or IPV6_RECVORIGADDRS) ..., M
 * unexpected" and exits 1 if anything was unexpected.
 *
 * With "failslab", each worker thread sets its own make-it-fail, so that
 * failslab (with task-filter Y, its probability, interval and times set by
 * the caller) fails the workers' allocations alone: ENOMEM is then an
 * expected errno of every call (counted: "fuzz: failslab on the workers:
 * N ENOMEM"), and at least one must come back.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter_ipv4/ip_tproxy.h>
#include <linux/netfilter_ipv6/ip6_tproxy.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NSOCK	24

static int socks[NSOCK];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static time_t deadline;
static atomic_ulong ops, ops6, assigned6, unexpected, enomem;
static int failslab;
static atomic_int stop;
static int listen_port, listen_port6;
/* the IPv6 addresses of lo in each namespace, besides ::1 */
#define FUZZ_IP6	"2001:db8:f::1"

static unsigned int rnd(unsigned int *seed, unsigned int n)
{
	return rand_r(seed) % n;
}

static int documented(int err)
{
	if (err == ENOMEM && failslab) {
		atomic_fetch_add(&enomem, 1);
		return 1;
	}
	switch (err) {
	case EINVAL: case EPERM: case EOPNOTSUPP: case EEXIST: case EADDRINUSE:
	case ENOENT: case EADDRNOTAVAIL: case EFAULT: case EAFNOSUPPORT:
	case EBADF: case ENOTSOCK:	/* the fd was closed meanwhile */
		return 1;
	}
	return 0;
}

static int domain(int fd)
{
	int d = -1;
	socklen_t l = sizeof(d);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &d, &l))
		return -1;
	return d;
}

/* An errno of an option at level: documented for it, or the kernel's for
 * a SOL_IPV6 option on an AF_INET socket (ENOPROTOOPT on set, EOPNOTSUPP
 * on get), which it was before or after the call (another thread may have
 * replaced the socket meanwhile)
 */
static int expected(int err, int level, int before, int after)
{
	if (documented(err))
		return 1;
	return level == SOL_IPV6 && (err == ENOPROTOOPT || err == EOPNOTSUPP) &&
	       (before != AF_INET6 || after != AF_INET6);
}

static void report(const char *what, int op, int len, int err)
{
	atomic_fetch_add(&unexpected, 1);
	fprintf(stderr, "fuzz: %s op %d len %d: unexpected %s\n", what, op, len,
		strerror(err));
}

static int pick(unsigned int *seed)
{
	int fd;

	pthread_mutex_lock(&lock);
	fd = socks[rnd(seed, NSOCK)];
	pthread_mutex_unlock(&lock);
	return fd;
}

static const char *addrs6[] = {
	"::", "::1", FUZZ_IP6, "2001:db8:1::2", "::ffff:127.0.0.1", "::ffff:127.0.0.2",
	"::ffff:0.0.0.0", "::ffff:192.0.2.2", "ff02::1", "fe80::1", "c000:202::",
};
#define NADDRS6	(sizeof(addrs6) / sizeof(addrs6[0]))

static const unsigned int flag_bits[] = {
	ITP_CONNECT, ITP_LISTEN, ITP_ESTABLISHED, ITP_ONCE, ITP_MARK,
	ITP_APPLIED, ITP_UNIDIR, 0x100, 0x80000000,
};

static unsigned int random_flags(unsigned int *seed)
{
	unsigned int flags = 0;

	for (int i = rnd(seed, 3); i >= 0; i--)
		flags |= flag_bits[rnd(seed, 9)];
	return flags;
}

/* A random local address of either family for fd, of fd's family (an
 * AF_INET6 one may be v4-mapped); its length
 */
static socklen_t random_local(unsigned int *seed, int fam, struct sockaddr_in6 *sa, int port)
{
	static const char *local6[] = { "::", "::1", FUZZ_IP6, "::ffff:127.0.0.1",
					"::ffff:127.0.0.2", "::ffff:0.0.0.0" };
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;

	memset(sa, 0, sizeof(*sa));
	if (fam != AF_INET6) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(rnd(seed, 2) ? INADDR_ANY : 0x7f000001 + rnd(seed, 3));
		sin->sin_port = htons(port);
		return sizeof(*sin);
	}
	sa->sin6_family = AF_INET6;
	inet_pton(AF_INET6, local6[rnd(seed, 6)], &sa->sin6_addr);
	sa->sin6_port = htons(port);
	return sizeof(*sa);
}

static int new_socket(unsigned int *seed, int family, int type)
{
	int fd = socket(family, type | SOCK_NONBLOCK, 0), v6only = rnd(seed, 2);

	if (family == AF_INET6 && rnd(seed, 3) == 0)
		setsockopt(fd, SOL_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	return fd;
}

/* A random struct in_tproxy or, v6, struct in6_tproxy in buf */
static void fill(unsigned int *seed, int v6, void *buf)
{
	static const char *addrs[] = {
		"0.0.0.0", "127.0.0.1", "127.0.0.2", "192.0.2.1", "192.0.2.2",
		"255.255.255.255", "224.0.0.1",
	};
	struct in6_tproxy *itp6 = buf;
	struct in_tproxy *itp = buf;	/* op, version and flags: the same places */

	itp->op = rnd(seed, 10) ? rnd(seed, 8) : (unsigned int)rand_r(seed);
	switch (rnd(seed, 3)) {
	case 0:
		itp->v.flags = random_flags(seed);
		break;
	case 1:
		if (v6) {
			inet_pton(AF_INET6, addrs6[rnd(seed, NADDRS6)], &itp6->v.addr.faddr);
			itp6->v.addr.fport = rnd(seed, 2) ? 0 : htons(1000 + rnd(seed, 8));
		} else {
			inet_pton(AF_INET, addrs[rnd(seed, 7)], &itp->v.addr.faddr);
			itp->v.addr.fport = rnd(seed, 2) ? 0 : htons(1000 + rnd(seed, 8));
		}
		break;
	default:
		itp->v.version = rnd(seed, 2) ? 0x02000000 : rand_r(seed);
	}
}

/* One random thing to a random socket */
static void step(unsigned int *seed)
{
	struct sockaddr_in6 sa;
	char buf[64];
	struct in_tproxy *itp = (struct in_tproxy *)buf;
	struct in6_tproxy *itp6 = (struct in6_tproxy *)buf;
	int fd = pick(seed), slot, err, len, fam = domain(fd), level, size, before;
	/* the option of this call: IPV6_TPROXY mostly on AF_INET6 sockets,
	 * sometimes on AF_INET ones; IP_TPROXY on both
	 */
	int v6 = fam == AF_INET6 ? rnd(seed, 3) != 0 : rnd(seed, 8) == 0;
	const char *what = v6 ? "IPV6_TPROXY" : "IP_TPROXY";
	socklen_t gl, sl;

	switch (rnd(seed, 15)) {
	case 0: /* replace a socket */
		slot = rnd(seed, NSOCK);
		fd = new_socket(seed, rnd(seed, 2) ? AF_INET6 : AF_INET,
				rnd(seed, 2) ? SOCK_STREAM : SOCK_DGRAM);
		pthread_mutex_lock(&lock);
		close(socks[slot]);
		socks[slot] = fd;
		pthread_mutex_unlock(&lock);
		return;
	case 1:
		sl = random_local(seed, fam, &sa, rnd(seed, 2) ? 0 : 20000 + rnd(seed, 50));
		bind(fd, (struct sockaddr *)&sa, sl);
		return;
	case 2:
		listen(fd, 4);
		return;
	case 3:
		/* every socket is non-blocking: a connect never waits; an
		 * AF_INET6 socket connects to an IPv6 or a v4-mapped address
		 */
		memset(&sa, 0, sizeof(sa));
		if (fam == AF_INET6) {
			sa.sin6_family = AF_INET6;
			inet_pton(AF_INET6, rnd(seed, 2) ? "::1" : "::ffff:127.0.0.1", &sa.sin6_addr);
			sa.sin6_port = htons(rnd(seed, 2) ? (IN6_IS_ADDR_V4MAPPED(&sa.sin6_addr) ?
							   listen_port : listen_port6) :
					     20000 + (int)rnd(seed, 50));
			sl = sizeof(sa);
		} else {
			struct sockaddr_in *sin = (struct sockaddr_in *)&sa;

			sin->sin_family = AF_INET;
			sin->sin_addr.s_addr = htonl(0x7f000001);
			sin->sin_port = htons(rnd(seed, 2) ? listen_port : 20000 + (int)rnd(seed, 50));
			sl = sizeof(*sin);
		}
		connect(fd, (struct sockaddr *)&sa, sl);
		return;
	case 4: /* a closed descriptor */
		fd = 1000 + rnd(seed, 10);
		break;
	case 5: /* traffic through whatever sockrefs there are */
		sl = random_local(seed, fam, &sa, 20000 + rnd(seed, 50));
		sendto(fd, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa, sl);
		recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		return;
	case 6: /* IP_RECVORIGADDRS and IPV6_RECVORIGADDRS, with random lengths */
		len = rnd(seed, 6);
		level = v6 ? SOL_IPV6 : SOL_IP;
		memset(buf, rnd(seed, 2), sizeof(buf));
		atomic_fetch_add(&ops, 1);
		if (v6)
			atomic_fetch_add(&ops6, 1);
		if (rnd(seed, 2)) {
			err = setsockopt(fd, level, v6 ? IPV6_RECVORIGADDRS : IP_RECVORIGADDRS,
					 rnd(seed, 50) ? (void *)buf : (void *)8, len) ? errno : 0;
		} else {
			gl = len;
			err = getsockopt(fd, level, v6 ? IPV6_RECVORIGADDRS : IP_RECVORIGADDRS,
					 buf, &gl) ? errno : 0;
		}
		if (err && !expected(err, level, fam, domain(fd)))
			report(v6 ? "IPV6_RECVORIGADDRS" : "IP_RECVORIGADDRS", 0, len, err);
		return;
	}

	memset(buf, 0, sizeof(buf));
	fill(seed, v6, buf);
	size = v6 ? sizeof(*itp6) : sizeof(*itp);
	len = rnd(seed, 4) ? size : (int)rnd(seed, 40);
	level = v6 ? SOL_IPV6 : SOL_IP;
	before = domain(fd);
	atomic_fetch_add(&ops, 1);
	if (v6)
		atomic_fetch_add(&ops6, 1);
	if (rnd(seed, 3)) {
		void *p = rnd(seed, 50) ? (void *)buf : (void *)8;

		err = setsockopt(fd, level, v6 ? IPV6_TPROXY : IP_TPROXY, p, len) ? errno : 0;
		if (err && !expected(err, level, before, domain(fd)))
			report(what, itp->op, len, err);
		if (!err && v6 && itp6->op == TPROXY_ASSIGN)
			atomic_fetch_add(&assigned6, 1);
	} else {
		gl = len;
		err = getsockopt(fd, level, v6 ? IPV6_TPROXY : IP_TPROXY, buf, &gl) ? errno : 0;
		if (err && !expected(err, level, before, domain(fd)))
			report(what, itp->op, len, err);
		if (!err && (int)gl != size)
			report(v6 ? "IPV6_TPROXY get optlen" : "IP_TPROXY get optlen", itp->op, len,
			       EMSGSIZE);
	}
}

static void *worker(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;

	if (failslab) {
		int f = open("/proc/thread-self/make-it-fail", O_WRONLY);

		if (f < 0 || write(f, "1", 1) != 1) {
			perror("make-it-fail");
			atomic_fetch_add(&unexpected, 1);
		}
		if (f >= 0)
			close(f);
	}
	while (time(NULL) < deadline)
		for (int i = 0; i < 100 && !atomic_load(&stop); i++)
			step(&seed);
	return NULL;
}

static int proc_lines(void)
{
	char line[256];
	FILE *f = fopen("/proc/net/tproxy", "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

/* One namespace's fuzzing: two threads over one pool of sockets */
static int fuzz_ns(int id, int seconds, unsigned long *shared)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t sl = sizeof(sin), sl6 = sizeof(sin6);
	unsigned int seed = id;
	pthread_t t[2];
	int lfd, lfd6, left;

	if (unshare(CLONE_NEWNET)) {
		perror("unshare");
		return 2;
	}
	if (system("ip link set lo up && ip addr add " FUZZ_IP6 "/128 dev lo"))
		fprintf(stderr, "fuzz: lo's addresses\n");
	/* non-blocking: the accept loop must see the deadline */
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	sin.sin_addr.s_addr = htonl(0x7f000001);
	bind(lfd, (struct sockaddr *)&sin, sizeof(sin));
	listen(lfd, 128);
	getsockname(lfd, (struct sockaddr *)&sin, &sl);
	listen_port = ntohs(sin.sin_port);
	lfd6 = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	bind(lfd6, (struct sockaddr *)&sin6, sizeof(sin6));
	listen(lfd6, 128);
	getsockname(lfd6, (struct sockaddr *)&sin6, &sl6);
	listen_port6 = ntohs(sin6.sin6_port);

	for (int i = 0; i < NSOCK; i++)
		socks[i] = new_socket(&seed, i % 4 < 2 ? AF_INET : AF_INET6,
				      i % 2 ? SOCK_STREAM : SOCK_DGRAM);
	deadline = time(NULL) + seconds;
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(id * 7919 + i + time(NULL)));
	while (time(NULL) < deadline) {
		/* accept and drop what connects, so connects complete */
		int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
		int c6 = accept4(lfd6, NULL, NULL, SOCK_NONBLOCK);

		if (c >= 0)
			close(c);
		if (c6 >= 0)
			close(c6);
		if (c < 0 && c6 < 0)
			usleep(1000);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < NSOCK; i++)
		close(socks[i]);
	close(lfd);
	close(lfd6);
	usleep(100000);
	left = proc_lines();
	shared[id * 6] = atomic_load(&ops);
	shared[id * 6 + 1] = atomic_load(&unexpected);
	shared[id * 6 + 2] = left;
	shared[id * 6 + 3] = atomic_load(&ops6);
	shared[id * 6 + 4] = atomic_load(&assigned6);
	shared[id * 6 + 5] = atomic_load(&enomem);
	if (left)
		fprintf(stderr, "fuzz: namespace %d: %d sockrefs left\n", id, left);
	return 0;
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 30;
	int nns = argc > 2 ? atoi(argv[2]) : 3;
	unsigned long *shared, total = 0, total6 = 0, assigns6 = 0, bad = 0, left = 0, nomem = 0;

	failslab = argc > 3 && !strcmp(argv[3], "failslab");
	signal(SIGPIPE, SIG_IGN);
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	for (int i = 0; i < nns; i++)
		if (fork() == 0)
			exit(fuzz_ns(i, seconds, shared));
	for (int i = 0; i < nns; i++) {
		int st;

		wait(&st);
		if (WIFSIGNALED(st))
			fprintf(stderr, "fuzz: a namespace's fuzzer died of signal %d\n",
				WTERMSIG(st));
		else if (WEXITSTATUS(st))
			fprintf(stderr, "fuzz: a namespace's fuzzer exited with %d\n",
				WEXITSTATUS(st));
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
	}
	for (int i = 0; i < nns; i++) {
		total += shared[i * 6];
		bad += shared[i * 6 + 1];
		left += shared[i * 6 + 2];
		total6 += shared[i * 6 + 3];
		assigns6 += shared[i * 6 + 4];
		nomem += shared[i * 6 + 5];
	}
	if (failslab)
		printf("fuzz: failslab on the workers: %lu ENOMEM\n", nomem);
	printf("fuzz: %lu ops (%lu through IPV6_TPROXY or IPV6_RECVORIGADDRS, %lu IPV6_TPROXY "
	       "ASSIGNs made) in %d namespaces, %lu unexpected, %lu sockrefs left\n",
	       total, total6, assigns6, nns, bad, left);
	return bad || left || !total || !assigns6 || (failslab && !nomem);
}
