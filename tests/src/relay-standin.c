// SPDX-License-Identifier: GPL-2.0
/*
 * Stand-ins for the TPROXY 2.0 calls of tools/tproxy-relay.c, so that the
 * relay runs on any kernel, for the host tests of its own logic (limits,
 * timeouts, loops, privileges, memory safety under ASan and UBSan).  Linked
 * with -Wl,--wrap=itp_sa_assign and the like: every ASSIGN, CONNECT, FLAGS,
 * QUERY and VERSION succeeds and does nothing.
 *
 * A UDP datagram's original addresses: its source is the sender's address
 * (msg_name); its original destination is the address after "to=" at the
 * start of the payload ("to=127.0.0.2:5353 hello"), else
 * $TPT_STANDIN_UDP_ORIG.  IPv4 only.
 */
#include "tproxy2-sockopt.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int __wrap_itp_sa_assign(int fd, const struct sockaddr_storage *faddr) { return 0; }
int __wrap_itp_sa_connect(int fd, const struct sockaddr_storage *raddr) { return 0; }
int __wrap_itp_sa_set_version(int fd, int family, __u32 version) { return 0; }
int __wrap_itp_sa_set_flags(int fd, int family, __u32 flags) { return 0; }
int __wrap_itp_query(int fd, struct in_addr *faddr, __u16 *fport) { return 0; }
int __wrap_itp6_query(int fd, struct in6_addr *faddr, __u16 *fport) { return 0; }
int __wrap_itp_recv_origaddrs(int fd, int on) { return 0; }
int __wrap_itp6_recv_origaddrs(int fd, int on) { return 0; }

const struct in_origaddrs *__wrap_itp_origaddrs(struct msghdr *msg)
{
	static struct in_origaddrs oa;
	const struct sockaddr_in *from = msg->msg_name;
	const char *data = msg->msg_iov[0].iov_base, *env = getenv("TPT_STANDIN_UDP_ORIG");
	struct sockaddr_in dst;
	char to[64];

	if (from->sin_family != AF_INET)
		return NULL;
	if (!strncmp(data, "to=", 3)) {
		size_t n = 0;

		while (n < sizeof(to) && data[3 + n] && data[3 + n] != ' ')
			n++;
		if (n >= sizeof(to))
			return NULL;
		memcpy(to, data + 3, n);
		to[n] = '\0';
		env = to;
	}
	if (!env || itp_parse_addr(env, &dst, -1))
		return NULL;
	oa.ioa_srcaddr = from->sin_addr;
	oa.ioa_srcport = from->sin_port;
	oa.ioa_dstaddr = dst.sin_addr;
	oa.ioa_dstport = dst.sin_port;
	return &oa;
}

const struct in6_origaddrs *__wrap_itp6_origaddrs(struct msghdr *msg)
{
	return NULL;
}

/* The wall clock, stepped a day forward once the file named by
 * $TPT_STANDIN_CLOCKSTEP exists (a day back if its name ends in "-"): the
 * relay's timeouts must not care.
 */
time_t __real_time(time_t *t);
int __real_clock_gettime(clockid_t clk, struct timespec *ts);

static long clock_step(void)
{
	const char *f = getenv("TPT_STANDIN_CLOCKSTEP");

	if (!f || access(f, F_OK))
		return 0;
	return f[strlen(f) - 1] == '-' ? -86400 : 86400;
}

time_t __wrap_time(time_t *t)
{
	time_t now = __real_time(NULL) + clock_step();

	if (t)
		*t = now;
	return now;
}

int __wrap_clock_gettime(clockid_t clk, struct timespec *ts)
{
	int rc = __real_clock_gettime(clk, ts);

	if (!rc && clk == CLOCK_REALTIME)
		ts->tv_sec += clock_step();
	return rc;
}
