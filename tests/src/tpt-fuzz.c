// SPDX-License-Identifier: GPL-2.0
/*
 * IP_TPROXY fuzzer: random operations with random lengths and values on
 * random TCP and UDP sockets in every state (unbound, bound, listening,
 * connected, closed by another thread meanwhile), IP_RECVORIGADDRS with
 * random lengths, and datagrams through whatever sockrefs exist, in
 * several network namespaces at once.  Every socket is non-blocking, so
 * nothing waits for a peer that a translation sent elsewhere.  Only documented errnos may come back; at the end
 * every namespace's /proc/net/tproxy must be empty.
 *
 * usage: tpt-fuzz SECONDS [NAMESPACES]
 * Prints "fuzz: N ops, M unexpected" and exits 1 if anything was unexpected.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter_ipv4/ip_tproxy.h>
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
static atomic_ulong ops, unexpected;
static atomic_int stop;
static int listen_port;

static unsigned int rnd(unsigned int *seed, unsigned int n)
{
	return rand_r(seed) % n;
}

static int documented(int err)
{
	switch (err) {
	case EINVAL: case EPERM: case EOPNOTSUPP: case EEXIST: case EADDRINUSE:
	case ENOENT: case EADDRNOTAVAIL: case EFAULT:
	case EBADF: case ENOTSOCK:	/* the fd was closed meanwhile */
		return 1;
	}
	return 0;
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

static void fill(unsigned int *seed, struct in_tproxy *itp)
{
	static const unsigned int flag_bits[] = {
		ITP_CONNECT, ITP_LISTEN, ITP_ESTABLISHED, ITP_ONCE, ITP_MARK,
		ITP_APPLIED, ITP_UNIDIR, 0x100, 0x80000000,
	};
	static const char *addrs[] = {
		"0.0.0.0", "127.0.0.1", "127.0.0.2", "192.0.2.1", "192.0.2.2",
		"255.255.255.255", "224.0.0.1",
	};

	itp->op = rnd(seed, 10) ? rnd(seed, 8) : (unsigned int)rand_r(seed);
	switch (rnd(seed, 3)) {
	case 0:
		itp->v.flags = 0;
		for (int i = rnd(seed, 3); i >= 0; i--)
			itp->v.flags |= flag_bits[rnd(seed, 9)];
		break;
	case 1:
		inet_pton(AF_INET, addrs[rnd(seed, 7)], &itp->v.addr.faddr);
		itp->v.addr.fport = rnd(seed, 2) ? 0 : htons(1000 + rnd(seed, 8));
		break;
	default:
		itp->v.version = rnd(seed, 2) ? 0x02000000 : rand_r(seed);
	}
}

/* One random thing to a random socket */
static void step(unsigned int *seed)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char buf[64];
	struct in_tproxy *itp = (struct in_tproxy *)buf;
	int fd = pick(seed), slot, err, len;
	socklen_t gl;

	switch (rnd(seed, 14)) {
	case 0: /* replace a socket */
		slot = rnd(seed, NSOCK);
		fd = socket(AF_INET, (rnd(seed, 2) ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK, 0);
		pthread_mutex_lock(&lock);
		close(socks[slot]);
		socks[slot] = fd;
		pthread_mutex_unlock(&lock);
		return;
	case 1:
		sin.sin_addr.s_addr = htonl(rnd(seed, 2) ? INADDR_ANY : 0x7f000001 + rnd(seed, 3));
		sin.sin_port = rnd(seed, 2) ? 0 : htons(20000 + rnd(seed, 50));
		bind(fd, (struct sockaddr *)&sin, sizeof(sin));
		return;
	case 2:
		listen(fd, 4);
		return;
	case 3:
		/* every socket is non-blocking: a connect never waits */
		sin.sin_addr.s_addr = htonl(0x7f000001);
		sin.sin_port = htons(rnd(seed, 2) ? listen_port : 20000 + (int)rnd(seed, 50));
		connect(fd, (struct sockaddr *)&sin, sizeof(sin));
		return;
	case 4: /* a closed descriptor */
		fd = 1000 + rnd(seed, 10);
		break;
	case 5: /* traffic through whatever sockrefs there are */
		sin.sin_addr.s_addr = htonl(0x7f000001 + rnd(seed, 3));
		sin.sin_port = htons(20000 + rnd(seed, 50));
		sendto(fd, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sin, sizeof(sin));
		recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		return;
	case 6: /* IP_RECVORIGADDRS, with random lengths */
		len = rnd(seed, 6);
		memset(buf, rnd(seed, 2), sizeof(buf));
		atomic_fetch_add(&ops, 1);
		if (rnd(seed, 2)) {
			err = setsockopt(fd, SOL_IP, IP_RECVORIGADDRS,
					 rnd(seed, 50) ? (void *)buf : (void *)8, len) ? errno : 0;
		} else {
			gl = len;
			err = getsockopt(fd, SOL_IP, IP_RECVORIGADDRS, buf, &gl) ? errno : 0;
		}
		if (err && !documented(err))
			report("IP_RECVORIGADDRS", 0, len, err);
		return;
	}

	memset(buf, 0, sizeof(buf));
	fill(seed, itp);
	len = rnd(seed, 4) ? (int)sizeof(*itp) : (int)rnd(seed, 20);
	atomic_fetch_add(&ops, 1);
	if (rnd(seed, 3)) {
		void *p = rnd(seed, 50) ? (void *)buf : (void *)8;

		err = setsockopt(fd, SOL_IP, IP_TPROXY, p, len) ? errno : 0;
		if (err && !documented(err))
			report("setsockopt", itp->op, len, err);
	} else {
		gl = len;
		err = getsockopt(fd, SOL_IP, IP_TPROXY, buf, &gl) ? errno : 0;
		if (err && !documented(err))
			report("getsockopt", itp->op, len, err);
		if (!err && gl != sizeof(*itp))
			report("getsockopt optlen", itp->op, len, EMSGSIZE);
	}
}

static void *worker(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;

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
	socklen_t sl = sizeof(sin);
	pthread_t t[2];
	int lfd, left;

	if (unshare(CLONE_NEWNET)) {
		perror("unshare");
		return 2;
	}
	system("ip link set lo up");
	/* non-blocking: the accept loop must see the deadline */
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	sin.sin_addr.s_addr = htonl(0x7f000001);
	bind(lfd, (struct sockaddr *)&sin, sizeof(sin));
	listen(lfd, 128);
	getsockname(lfd, (struct sockaddr *)&sin, &sl);
	listen_port = ntohs(sin.sin_port);

	for (int i = 0; i < NSOCK; i++)
		socks[i] = socket(AF_INET, (i % 2 ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK, 0);
	deadline = time(NULL) + seconds;
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(id * 7919 + i + time(NULL)));
	while (time(NULL) < deadline) {
		/* accept and drop what connects, so connects complete */
		int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);

		if (c >= 0)
			close(c);
		else
			usleep(1000);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < NSOCK; i++)
		close(socks[i]);
	close(lfd);
	usleep(100000);
	left = proc_lines();
	shared[id * 3] = atomic_load(&ops);
	shared[id * 3 + 1] = atomic_load(&unexpected);
	shared[id * 3 + 2] = left;
	if (left)
		fprintf(stderr, "fuzz: namespace %d: %d sockrefs left\n", id, left);
	return 0;
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 30;
	int nns = argc > 2 ? atoi(argv[2]) : 3;
	unsigned long *shared, total = 0, bad = 0, left = 0;

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
		total += shared[i * 3];
		bad += shared[i * 3 + 1];
		left += shared[i * 3 + 2];
	}
	printf("fuzz: %lu ops in %d namespaces, %lu unexpected, %lu sockrefs left\n",
	       total, nns, bad, left);
	return bad || left || !total;
}
