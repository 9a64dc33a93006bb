// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures, one at a time, through every call of the era
 * proxies' sequences, as syzkaller injects them: /proc/thread-self/fail-nth
 * (CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB; failslab's ignore-gfp-wait must
 * be N, else sleeping allocations are never failed).
 *
 * For each step of each sequence, for n = 1, 2, ...: the steps before it run
 * as usual, n goes into fail-nth, the step's one system call is made, and
 * fail-nth is read back.  0: the n-th allocation of the call failed; not 0:
 * the call made fewer than n allocations, and the walk of that step ends.
 * After an injected failure the call must have failed with an errno
 * documented for it (or succeeded), the socket's state (getsockname, QUERY,
 * FLAGS, IP_RECVORIGADDRS, /proc/net/tproxy) must be what it was before the
 * call, and the call, made again without an injection, must succeed.  The
 * rest of the sequence then runs; a connection to the server must reach it
 * from the foreign address; at the end every socket is closed and
 * /proc/net/tproxy must be empty.
 *
 * usage: tpt-failnth calls LOCAL DUMMY CLIENT SERVER:PORT
 *          the sequences of the addresses' family (AF_INET sockets with
 *          IP_TPROXY, or AF_INET6 ones with IPV6_TPROXY): LOCAL is an
 *          address of this host towards the server, DUMMY one that nobody
 *          else uses (Zorp's), CLIENT the foreign address, SERVER:PORT a
 *          tpt-server whose replies to CLIENT come back through this host.
 *          The first ASSIGN of a namespace (its tables, its NAT lookups) is
 *          walked too, in a new namespace for each n.
 *        tpt-failnth netns
 *          unshare(CLONE_NEWNET), in a child for each n, until it makes
 *          all its allocations without an injection: each failure is an
 *          errno (whichever pernet init failed gives its own: ENOMEM,
 *          ENOBUFS, EEXIST, ENODEV, EPERM, ...), and a namespace that was made must
 *          work (a sockref of each family, /proc/net/tproxy empty after).
 *
 * Prints "failnth: NAME: W calls walked, I faults injected, U unexpected"
 * and a line per call with its outcomes after an injection ("ok=N" for a
 * call that succeeded all the same, "ENOMEM=N", ...).  Exits 1 if anything
 * was unexpected or no fault was injected.
 */
#define _GNU_SOURCE
#include "tpt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* the steps of a sequence; each is one system call */
enum op {
	SOCK_TCP, SOCK_UDP, VERSION, REUSE, BIND_LOCAL, BIND_ANY, BIND_DUMMY,
	ASSIGN_CLIENT, ASSIGN_CLIENT_PORT, ASSIGN_MARK, ASSIGN_SERVER,
	ALLOC, QUERY, CONNECTOP_SERVER, CONNECTOP_CLIENT, FLAGS, LISTEN,
	CONNECT_TCP, CONNECT_UDP, RECVORIG, UNASSIGN,
	EXCHANGE,	/* send a line, the server must see the foreign address;
			 * not walked
			 */
	CLOSE,
	NETNS,		/* unshare(CLONE_NEWNET), in a child */
	NOPS
};

static const char *const opname[NOPS] = {
	[SOCK_TCP] = "socket(tcp)", [SOCK_UDP] = "socket(udp)", [VERSION] = "VERSION",
	[REUSE] = "SO_REUSEADDR", [BIND_LOCAL] = "bind(local)", [BIND_ANY] = "bind(any)",
	[BIND_DUMMY] = "bind(dummy)", [ASSIGN_CLIENT] = "ASSIGN(client:0)",
	[ASSIGN_CLIENT_PORT] = "ASSIGN(client:port)", [ASSIGN_MARK] = "ASSIGN(0:0)",
	[ASSIGN_SERVER] = "ASSIGN(server:53)", [ALLOC] = "ALLOC", [QUERY] = "QUERY",
	[CONNECTOP_SERVER] = "CONNECT(server)", [CONNECTOP_CLIENT] = "CONNECT(client)",
	[FLAGS] = "FLAGS", [LISTEN] = "listen", [CONNECT_TCP] = "connect(tcp)",
	[CONNECT_UDP] = "connect(udp)", [RECVORIG] = "RECVORIGADDRS",
	[UNASSIGN] = "UNASSIGN", [EXCHANGE] = "exchange", [CLOSE] = "close",
	[NETNS] = "unshare(CLONE_NEWNET)",
};

struct step {
	enum op op;
	__u32 flags;	/* FLAGS */
};

#define MAXSTEPS 10
static const struct seq {
	const char *name;
	struct step steps[MAXSTEPS];
	int nsteps;
} seqs[] = {
	/* Squid: bind to 0.0.0.0, ASSIGN(client, 0), FLAGS(CONNECT), connect */
	{ "squid", { { SOCK_TCP, 0 }, { BIND_ANY, 0 }, { ASSIGN_CLIENT, 0 }, { FLAGS, ITP_CONNECT },
		     { CONNECT_TCP, 0 }, { EXCHANGE, 0 }, { CLOSE, 0 } }, 7 },
	/* HAProxy usesrc client: VERSION, bind(addr, 0), ASSIGN(client ip and
	 * port), FLAGS(CONNECT|ONCE), connect
	 */
	{ "haproxy", { { SOCK_TCP, 0 }, { VERSION, 0 }, { BIND_LOCAL, 0 }, { ASSIGN_CLIENT_PORT, 0 },
		       { FLAGS, ITP_CONNECT | ITP_ONCE }, { CONNECT_TCP, 0 }, { EXCHANGE, 0 },
		       { CLOSE, 0 } }, 8 },
	/* Zorp: a listener on the foreign address, its port from ALLOC */
	{ "zorp-listen", { { SOCK_TCP, 0 }, { BIND_DUMMY, 0 }, { ASSIGN_CLIENT, 0 }, { ALLOC, 0 }, { QUERY, 0 },
			   { LISTEN, 0 }, { FLAGS, ITP_LISTEN }, { CLOSE, 0 } }, 8 },
	/* Zorp: outgoing with QUERY, CONNECT, FLAGS(CONNECT) */
	{ "zorp-out", { { SOCK_TCP, 0 }, { BIND_DUMMY, 0 }, { ASSIGN_CLIENT, 0 }, { QUERY, 0 },
			{ CONNECTOP_SERVER, 0 }, { FLAGS, ITP_CONNECT }, { CONNECT_TCP, 0 }, { EXCHANGE, 0 },
			{ CLOSE, 0 } }, 9 },
	/* Zorp: mark-only */
	{ "zorp-mark", { { SOCK_TCP, 0 }, { BIND_DUMMY, 0 }, { ASSIGN_MARK, 0 }, { QUERY, 0 },
			 { FLAGS, ITP_CONNECT }, { CONNECT_TCP, 0 }, { EXCHANGE, 1 }, { CLOSE, 0 } }, 8 },
	/* Zorp: a UDP receiver on the foreign address */
	{ "zorp-receiver", { { SOCK_UDP, 0 }, { RECVORIG, 0 }, { BIND_DUMMY, 0 }, { ASSIGN_SERVER, 0 },
			     { FLAGS, ITP_LISTEN | ITP_UNIDIR }, { CLOSE, 0 } }, 6 },
	/* Zorp: a UDP session socket */
	{ "zorp-session", { { SOCK_UDP, 0 }, { BIND_LOCAL, 0 }, { REUSE, 0 }, { ASSIGN_SERVER, 0 },
			    { CONNECT_UDP, 0 }, { QUERY, 0 }, { CONNECTOP_CLIENT, 0 },
			    { FLAGS, ITP_ESTABLISHED }, { CLOSE, 0 } }, 9 },
	/* a sockref given up before the close */
	{ "unassign", { { SOCK_TCP, 0 }, { BIND_LOCAL, 0 }, { ASSIGN_CLIENT, 0 }, { CONNECTOP_SERVER, 0 },
			{ FLAGS, ITP_CONNECT }, { UNASSIGN, 0 }, { CLOSE, 0 } }, 7 },
};
#define NSEQS	(sizeof(seqs) / sizeof(seqs[0]))

/* a walk of one step gives up after this many injections */
#define MAXN	2000

/* The tallies, in shared memory: the namespace walks count in children */
#define NERR	8
struct tally {
	unsigned long walked, injected, unexpected;
	/* per op: [0] succeeded after an injection, then errnos */
	int errs[NOPS][NERR];
	unsigned long count[NOPS][NERR];
};
static struct tally *tl;

static int family, level;
static union tpt_sa local_a, dummy_a, client_a, server_a, any_a;
static char client_str[INET6_ADDRSTRLEN + 2], dummy_str[INET6_ADDRSTRLEN + 2];
static int fd = -1;
static unsigned int iter;

static void unexpected(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void unexpected(const char *fmt, ...)
{
	va_list ap;

	tl->unexpected++;
	fputs("failnth: FAIL: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* fail-nth of the calling task (a child opens its own) */
static int nth_fd = -1;
static pid_t nth_pid;

static void set_nth(unsigned int n)
{
	char b[16];
	int l = snprintf(b, sizeof(b), "%u", n);

	if (nth_fd < 0 || nth_pid != getpid()) {
		if (nth_fd >= 0)
			close(nth_fd);
		nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
		nth_pid = getpid();
		if (nth_fd < 0)
			tpt_die("/proc/thread-self/fail-nth");
	}
	if (pwrite(nth_fd, b, l, 0) != l)
		tpt_die("write fail-nth");
}

static unsigned int get_nth(void)
{
	char b[16] = "";

	if (pread(nth_fd, b, sizeof(b) - 1, 0) <= 0)
		tpt_die("read fail-nth");
	return strtoul(b, NULL, 10);
}

static void count(enum op op, int err)
{
	for (int i = 0; i < NERR; i++) {
		if (tl->count[op][i] && tl->errs[op][i] != err)
			continue;
		tl->errs[op][i] = err;
		tl->count[op][i]++;
		return;
	}
}

/* The errnos a call may give when an allocation fails: ENOMEM where the
 * rst documents it for TPROXY 2.0 (ASSIGN, FLAGS, CONNECT, ALLOC); for the
 * socket calls what mainline gives (socket: ENFILE when no inode is had,
 * __sock_create()'s "no more sockets"; bind and listen: EADDRINUSE when a
 * bind bucket cannot be had, as for a port in use)
 */
static int allowed(enum op op, int err)
{
	switch (op) {
	case SOCK_TCP: case SOCK_UDP:
		return err == ENOMEM || err == ENOBUFS || err == ENFILE;
	case CONNECT_TCP: case CONNECT_UDP:
		return err == ENOMEM || err == ENOBUFS;
	case BIND_LOCAL: case BIND_ANY: case BIND_DUMMY: case LISTEN:
		return err == ENOMEM || err == ENOBUFS || err == EADDRINUSE;
	case NETNS:
		/* Whatever the failing subsystem's pernet init returns: the
		 * walk has seen EEXIST, ENODEV, EAFNOSUPPORT, EPERM, EINVAL,
		 * ENFILE and ENOSPC besides ENOMEM and ENOBUFS, all from
		 * mainline's inits.  What matters is that no namespace is
		 * made, that the next one works and the log stays clean.
		 */
		return err != 0;
	case ASSIGN_CLIENT: case ASSIGN_CLIENT_PORT: case ASSIGN_MARK: case ASSIGN_SERVER:
	case FLAGS: case CONNECTOP_SERVER: case CONNECTOP_CLIENT: case ALLOC:
		return err == ENOMEM;
	default:	/* VERSION, QUERY, UNASSIGN, RECVORIGADDRS, SO_REUSEADDR */
		return 0;
	}
}

static int proc_tproxy(char *buf, size_t len)
{
	int f = open("/proc/net/tproxy", O_RDONLY), n = 0, r;

	if (f < 0)
		return -1;
	while (len - n > 1 && (r = read(f, buf + n, len - n - 1)) > 0)
		n += r;
	buf[n] = '\0';
	close(f);
	return n;
}

/* What a call may not leave changed when it fails */
static void snapshot(char *buf, size_t len)
{
	union tpt_sa a;
	socklen_t l = sizeof(a);
	__u32 w = 0;
	int on = 0, n;

	n = snprintf(buf, len, "fd %d", fd >= 0);
	if (fd >= 0) {
		if (getsockname(fd, &a.sa, &l) == 0)
			n += snprintf(buf + n, len - n, " local=%s", tpt_fmt(&a));
		if (tpt_tproxy_query(fd, level, &a) == 0)
			n += snprintf(buf + n, len - n, " query=%s", tpt_fmt(&a));
		else
			n += snprintf(buf + n, len - n, " query:%s", strerror(errno));
		if (tpt_tproxy_get_word(fd, level, TPROXY_FLAGS, &w) == 0)
			n += snprintf(buf + n, len - n, " flags=0x%x", w);
		else
			n += snprintf(buf + n, len - n, " flags:%s", strerror(errno));
		l = sizeof(on);
		if (getsockopt(fd, level, level == SOL_IP ? IP_RECVORIGADDRS : IPV6_RECVORIGADDRS,
			       &on, &l) == 0)
			n += snprintf(buf + n, len - n, " origaddrs=%d", on);
	}
	n += snprintf(buf + n, len - n, "\n/proc/net/tproxy:\n");
	proc_tproxy(buf + n, len - n);
}

static __be16 client_port(void)
{
	return htons(40000 + iter % 20000);
}

/* The line from the server: it must have seen @want */
static int exchange(const char *want)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	char line[512], prefix[128];
	socklen_t l = sizeof(int);
	int err = 0;

	if (poll(&p, 1, 5000) != 1) {
		unexpected("%s: the connection was not made within 5 s", opname[EXCHANGE]);
		return -1;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
	if (err) {
		unexpected("%s: connect: %s", opname[EXCHANGE], strerror(err));
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (tpt_write_all(fd, "failnth\n", 8) < 0 || tpt_read_line(fd, line, sizeof(line)) <= 0) {
		unexpected("%s: no answer: %s", opname[EXCHANGE], strerror(errno));
		return -1;
	}
	snprintf(prefix, sizeof(prefix), "SERVER peer=%s:", want);
	if (strncmp(line, prefix, strlen(prefix))) {
		line[strcspn(line, "\n")] = '\0';
		unexpected("%s: the server saw \"%s\", not %s", opname[EXCHANGE], line, want);
		return -1;
	}
	return 0;
}

/* One step: 0 or an errno */
static int do_step(const struct step *s)
{
	union tpt_sa a;
	int r = 0, one = 1;

	errno = 0;
	switch (s->op) {
	case SOCK_TCP:
	case SOCK_UDP:
		r = socket(family, (s->op == SOCK_TCP ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK, 0);
		if (r >= 0) {
			fd = r;
			r = 0;
		}
		break;
	case VERSION:
		r = tpt_tproxy_set_word(fd, level, TPROXY_VERSION, 0x02000000);
		break;
	case REUSE:
		r = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		break;
	case BIND_LOCAL:
	case BIND_ANY:
	case BIND_DUMMY:
		a = s->op == BIND_LOCAL ? local_a : s->op == BIND_ANY ? any_a : dummy_a;
		r = bind(fd, &a.sa, tpt_salen(&a));
		break;
	case ASSIGN_CLIENT:
	case ASSIGN_CLIENT_PORT:
	case ASSIGN_MARK:
	case ASSIGN_SERVER:
		a = s->op == ASSIGN_MARK ? any_a : s->op == ASSIGN_SERVER ? server_a : client_a;
		if (s->op == ASSIGN_CLIENT_PORT)
			itp_sockaddr_set_port(&a.ss, client_port());
		if (s->op == ASSIGN_SERVER)
			itp_sockaddr_set_port(&a.ss, htons(53));
		r = tpt_tproxy_assign(fd, &a);
		break;
	case ALLOC:
		r = tpt_tproxy_set_word(fd, level, TPROXY_ALLOC, 0);
		break;
	case QUERY:
		r = tpt_tproxy_query(fd, level, &a);
		break;
	case CONNECTOP_SERVER:
	case CONNECTOP_CLIENT:
		a = s->op == CONNECTOP_SERVER ? server_a : client_a;
		if (s->op == CONNECTOP_CLIENT)
			itp_sockaddr_set_port(&a.ss, client_port());
		r = tpt_tproxy_connect(fd, &a);
		break;
	case FLAGS:
		r = tpt_tproxy_set_word(fd, level, TPROXY_FLAGS, s->flags);
		break;
	case LISTEN:
		r = listen(fd, 4);
		break;
	case CONNECT_TCP:
		r = connect(fd, &server_a.sa, tpt_salen(&server_a));
		if (r < 0 && errno == EINPROGRESS)
			r = 0;
		break;
	case CONNECT_UDP:
		a = client_a;
		itp_sockaddr_set_port(&a.ss, client_port());
		r = connect(fd, &a.sa, tpt_salen(&a));
		break;
	case RECVORIG:
		r = setsockopt(fd, level, level == SOL_IP ? IP_RECVORIGADDRS : IPV6_RECVORIGADDRS,
			       &one, sizeof(one));
		break;
	case UNASSIGN:
		r = tpt_tproxy_set_word(fd, level, TPROXY_UNASSIGN, 0);
		break;
	case EXCHANGE:
		/* flags 1: mark-only, the server sees the local (dummy) address */
		return exchange(s->flags ? dummy_str : client_str) ? EIO : 0;
	case CLOSE:
		r = close(fd);
		fd = -1;
		return 0;
	case NETNS:
		r = unshare(CLONE_NEWNET);
		break;
	case NOPS:
		break;
	}
	return r < 0 ? errno : 0;
}

static void close_all(void)
{
	if (fd >= 0)
		close(fd);
	fd = -1;
}

/* Sockrefs go with their sockets: /proc/net/tproxy is empty at once, or
 * within a second
 */
static int proc_empty(char *buf, size_t len)
{
	for (int i = 0; i < 100; i++) {
		if (proc_tproxy(buf, len) == 0)
			return 1;
		usleep(10000);
	}
	return 0;
}

static const char *fam_name(void)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

/* Steps from..to-1 of q, as usual; 0, or -1 (reported) */
static int run(const struct seq *q, int from, int to, const char *walking, unsigned int n)
{
	for (int i = from; i < to; i++) {
		int err = do_step(&q->steps[i]);

		if (err) {
			/* exchange() said what went wrong */
			if (q->steps[i].op != EXCHANGE)
				unexpected("%s %s %s: %s without an injection", fam_name(),
					   q->name, opname[q->steps[i].op], strerror(err));
			printf("failnth: ... in %s %s, walking %s, n=%u\n", fam_name(), q->name,
			       walking, n);
			return -1;
		}
	}
	return 0;
}

static int broken;

/* After a failed call: errno, state (if @before), and the call again */
static void check_failure(const char *what, const struct step *s, int err, unsigned int n,
			  const char *before)
{
	const char *op = opname[s->op];
	char after[4096];

	if (!allowed(s->op, err))
		unexpected("%s %s n=%u: undocumented errno %s", what, op, n, strerror(err));
	if (!before)
		return;
	snapshot(after, sizeof(after));
	if (strcmp(before, after))
		unexpected("%s %s n=%u failed (%s) and left a change:\n--- before\n%s--- after\n%s",
			   what, op, n, strerror(err), before, after);
	if ((err = do_step(s)))
		unexpected("%s %s n=%u: made again without an injection: %s", what, op, n,
			   strerror(err));
}

/* Step s with its n-th allocation failed, tallied and, if it failed,
 * checked (before: the state before it, or NULL: neither the state nor the
 * call again).  Returns 1 if a fault was injected, *errp the call's errno.
 */
static int inject(const char *what, const struct step *s, unsigned int n, const char *before,
		  int *errp)
{
	unsigned int left;
	int err;

	set_nth(n);
	err = do_step(s);
	left = get_nth();
	set_nth(0);
	tl->walked++;
	*errp = err;
	if (left) {
		if (err)
			unexpected("%s %s: %s without an injection", what, opname[s->op],
				   strerror(err));
		return 0;
	}
	tl->injected++;
	count(s->op, err);
	if (err)
		check_failure(what, s, err, n, before);
	return 1;
}

/* The walk of step k of q */
static void walk(const struct seq *q, int k)
{
	const struct step *s = &q->steps[k];
	char before[4096], what[64];
	unsigned int n;
	int err, injected;

	snprintf(what, sizeof(what), "%s %s", fam_name(), q->name);
	for (n = 1; n <= MAXN && !broken; n++) {
		iter++;
		if (run(q, 0, k, opname[s->op], n)) {
			close_all();
			return;
		}
		snapshot(before, sizeof(before));
		injected = inject(what, s, n, before, &err);
		/* made again after a failure */
		if (injected)
			err = 0;
		if (!err)
			run(q, k + 1, q->nsteps, opname[s->op], n);
		close_all();
		if (!proc_empty(before, sizeof(before))) {
			unexpected("%s %s n=%u: sockrefs left with every socket closed:\n%s", what,
				   opname[s->op], n, before);
			broken = 1;
		}
		if (!injected)
			return;
	}
	if (!broken)
		unexpected("%s %s: still injecting at n=%u", what, opname[s->op], n);
}

static void other_family(int fam, union tpt_sa *a, const char *client)
{
	memset(a, 0, sizeof(*a));
	tpt_parse(client, a, 0);
	if (a->sa.sa_family != fam)
		tpt_die("%s", client);
}

/* In a new namespace: ASSIGN's first sockref of the namespace (other: the
 * other family's made first).  Exit status 0: injected, 1: not, 2: setup.
 */
static int first_assign_child(unsigned int n, int other)
{
	const struct step assign = { ASSIGN_CLIENT, 0 }, flags = { FLAGS, ITP_CONNECT };
	int ofam = family == AF_INET ? AF_INET6 : AF_INET, ofd = -1, err;
	char before[4096], what[64];
	union tpt_sa oa, oany;
	int injected;

	snprintf(what, sizeof(what), "%s first ASSIGN of a namespace%s", fam_name(),
		 other ? " (the other family's first)" : "");
	if (unshare(CLONE_NEWNET))
		tpt_die("unshare");
	if (other) {
		other_family(ofam, &oa, ofam == AF_INET ? "192.0.2.2" : "[2001:db8:1::2]");
		tpt_any(&oany, ofam);
		ofd = socket(ofam, SOCK_STREAM, 0);
		if (ofd < 0 || bind(ofd, &oany.sa, tpt_salen(&oany)) ||
		    tpt_tproxy_assign(ofd, &oa))
			tpt_die("%s: the other family's ASSIGN", what);
	}
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, &any_a.sa, tpt_salen(&any_a)))
		tpt_die("%s: socket", what);
	snapshot(before, sizeof(before));
	injected = inject(what, &assign, n, before, &err);
	if ((err = do_step(&flags)))
		unexpected("%s n=%u: FLAGS after it: %s", what, n, strerror(err));
	close_all();
	if (ofd >= 0)
		close(ofd);
	if (!proc_empty(before, sizeof(before)))
		unexpected("%s n=%u: sockrefs left with every socket closed:\n%s", what, n, before);
	return !injected;
}

/* fn(n, arg) in a child for n = 1, 1 + stride, ... until it exits 1 (no
 * injection); 2 (or a signal) ends the walk too
 */
static void walk_children(int (*fn)(unsigned int, int), int arg, const char *what,
			  unsigned int stride)
{
	unsigned int n;

	for (n = 1; n <= MAXN * stride; n += stride) {
		int st;
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (pid < 0)
			tpt_die("fork");
		if (pid == 0)
			_exit(fn(n, arg));
		if (waitpid(pid, &st, 0) < 0)
			tpt_die("waitpid");
		if (!WIFEXITED(st) || WEXITSTATUS(st) > 1) {
			unexpected("%s n=%u: the child %s %d", what, n,
				   WIFEXITED(st) ? "exited with" : "died of signal",
				   WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
			return;
		}
		if (WEXITSTATUS(st) == 1)
			return;
	}
	unexpected("%s: still injecting at n=%u", what, n);
}

/* A namespace made under fail-nth must work: a sockref of each family,
 * none left after the close
 */
static void netns_works(const char *what, unsigned int n)
{
	static const char *const clients[] = { "192.0.2.2", "[2001:db8:1::2]" };
	char buf[4096];

	for (int i = 0; i < 2; i++) {
		union tpt_sa a, any;
		int s;

		tpt_parse(clients[i], &a, 0);
		tpt_any(&any, a.sa.sa_family);
		s = socket(a.sa.sa_family, SOCK_STREAM, 0);
		if (s < 0 || bind(s, &any.sa, tpt_salen(&any)) || tpt_tproxy_assign(s, &a) ||
		    tpt_tproxy_set_word(s, a.sa.sa_family == AF_INET ? SOL_IP : SOL_IPV6,
					TPROXY_FLAGS, ITP_CONNECT))
			unexpected("%s n=%u: the namespace made: a sockref for %s: %s", what, n,
				   clients[i], strerror(errno));
		if (s >= 0)
			close(s);
	}
	if (!proc_empty(buf, sizeof(buf)))
		unexpected("%s n=%u: sockrefs left with every socket closed:\n%s", what, n, buf);
}

static int netns_child(unsigned int n, int arg)
{
	const struct step s = { NETNS, 0 };
	int injected, err;

	injected = inject("a new namespace:", &s, n, NULL, &err);
	if (!err)
		netns_works(opname[NETNS], n);
	(void)arg;
	return !injected;
}

/* How many allocations a namespace takes (failslab's): fail-nth far away */
static int netns_count_child(unsigned int n, int arg)
{
	unsigned int left;

	n = 1u << 30;
	set_nth(n);
	unshare(CLONE_NEWNET);
	left = get_nth();
	set_nth(0);
	tl->errs[NETNS][NERR - 1] = n - left;
	(void)arg;
	return 1;
}

static void summary(const char *name)
{
	printf("failnth: %s: %lu calls walked, %lu faults injected, %lu unexpected\n", name,
	       tl->walked, tl->injected, tl->unexpected);
	for (int op = 0; op < NOPS; op++) {
		if (!tl->count[op][0])
			continue;
		printf("failnth: %s:", opname[op]);
		for (int i = 0; i < NERR && tl->count[op][i]; i++) {
			const char *e = tl->errs[op][i] ? strerrorname_np(tl->errs[op][i]) : "ok";

			printf(" %s=%lu", e ? e : "?", tl->count[op][i]);
		}
		putchar('\n');
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: tpt-failnth calls LOCAL DUMMY CLIENT SERVER:PORT\n"
			"       tpt-failnth netns [RUNS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	char buf[4096];
	time_t t0 = time(NULL);

	setvbuf(stdout, NULL, _IOLBF, 0);
	tl = mmap(NULL, sizeof(*tl), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tl == MAP_FAILED)
		tpt_die("mmap");
	set_nth(0);	/* no fail-nth: exit 2 here */
	if (argc < 2)
		usage();

	if (!strcmp(argv[1], "netns")) {
		unsigned int runs = argc > 2 ? atoi(argv[2]) : 0, total, stride = 1;

		walk_children(netns_count_child, 0, "counting", 1);
		total = tl->errs[NETNS][NERR - 1];
		tl->errs[NETNS][NERR - 1] = 0;
		if (runs && total > runs)
			stride = (total + runs - 1) / runs;
		printf("failnth: a namespace makes %u allocations that failslab may fail; "
		       "walking every %u\n", total, stride);
		walk_children(netns_child, 0, opname[NETNS], stride);
		summary("netns");
		printf("failnth: netns took %ld s\n", (long)(time(NULL) - t0));
		return tl->unexpected || !tl->injected;
	}

	if (strcmp(argv[1], "calls") || argc != 6)
		usage();
	tpt_parse(argv[2], &local_a, 0);
	tpt_parse(argv[3], &dummy_a, 0);
	tpt_parse(argv[4], &client_a, 0);
	tpt_parse(argv[5], &server_a, -1);
	family = server_a.sa.sa_family;
	level = family == AF_INET ? SOL_IP : SOL_IPV6;
	if (local_a.sa.sa_family != family || dummy_a.sa.sa_family != family ||
	    client_a.sa.sa_family != family)
		usage();
	tpt_any(&any_a, family);
	/* "a.b.c.d" or "[v6]", as tpt-server prints its peer */
	snprintf(client_str, sizeof(client_str), "%s", tpt_fmt(&client_a));
	*strrchr(client_str, ':') = '\0';
	snprintf(dummy_str, sizeof(dummy_str), "%s", tpt_fmt(&dummy_a));
	*strrchr(dummy_str, ':') = '\0';
	if (!proc_empty(buf, sizeof(buf))) {
		fprintf(stderr, "sockrefs before the start:\n%s", buf);
		return 2;
	}

	for (unsigned int q = 0; q < NSEQS && !broken; q++) {
		unsigned long w = tl->walked, inj = tl->injected;

		for (int k = 0; k < seqs[q].nsteps && !broken; k++)
			if (seqs[q].steps[k].op != EXCHANGE)
				walk(&seqs[q], k);
		printf("failnth: %s %s: %lu calls walked, %lu faults injected\n", fam_name(),
		       seqs[q].name, tl->walked - w, tl->injected - inj);
	}
	for (int other = 0; other < 2 && !broken; other++) {
		unsigned long w = tl->walked, inj = tl->injected;

		walk_children(first_assign_child, other, "first ASSIGN", 1);
		printf("failnth: %s first ASSIGN of a namespace%s: %lu calls walked, "
		       "%lu faults injected\n", fam_name(),
		       other ? " (after the other family's)" : "", tl->walked - w,
		       tl->injected - inj);
	}
	summary(fam_name());
	printf("failnth: %s took %ld s\n", fam_name(), (long)(time(NULL) - t0));
	return tl->unexpected || !tl->injected;
}
