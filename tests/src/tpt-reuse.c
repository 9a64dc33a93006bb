// SPDX-License-Identifier: GPL-2.0
/*
 * HAProxy's "usesrc client" in a tight loop: N times, a new socket bound to
 * BIND_ADDR:0, ASSIGN(FOREIGN ip:port) -- always the same --,
 * FLAGS(CONNECT|ONCE), connect to SERVER, one request and answer, close.
 * Prints how many cycles failed, and the first failure; exit 1 if any did.
 *
 * usage: tpt-reuse N BIND_ADDR FOREIGN_ADDR:PORT SERVER_ADDR:PORT
 * Addresses a.b.c.d:port or [v6]:port: the socket is of the server's
 * family, the sockref goes through the option of the foreign address's
 * (IPV6_TPROXY for [v6] and [::ffff:a.b.c.d]).
 */
#include "tpt.h"

#include <linux/netfilter_ipv4/ip_tproxy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int cycle(int i, const union tpt_sa *bindaddr,
		 const union tpt_sa *foreign, const union tpt_sa *server,
		 char *why, size_t whylen)
{
	struct timeval tv = { .tv_sec = 5 };
	char buf[512];
	int fd, err, one = 1;
	ssize_t n;

	fd = socket(server->sa.sa_family, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, &bindaddr->sa, tpt_salen(bindaddr)) < 0) {
		snprintf(why, whylen, "bind: %m");
		goto fail;
	}
	if (tpt_tproxy_assign(fd, foreign) < 0) {
		snprintf(why, whylen, "ASSIGN: %m");
		goto fail;
	}
	if (tpt_tproxy_set_word(fd, tpt_sock_level(fd), TPROXY_FLAGS, ITP_CONNECT | ITP_ONCE) < 0) {
		snprintf(why, whylen, "FLAGS: %m");
		goto fail;
	}
	err = tpt_connect(fd, server, 5);
	if (err) {
		snprintf(why, whylen, "connect: %s", strerror(-err));
		goto fail;
	}
	snprintf(buf, sizeof(buf), "cycle-%d\n", i);
	tpt_write_all(fd, buf, strlen(buf));
	n = tpt_read_line(fd, buf, sizeof(buf));
	if (n <= 0 || !strstr(buf, "said=cycle-")) {
		snprintf(why, whylen, "no answer");
		goto fail;
	}
	if (!strstr(buf, tpt_fmt(foreign))) {
		snprintf(why, whylen, "the server saw: %s", buf);
		goto fail;
	}
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

int main(int argc, char **argv)
{
	union tpt_sa bindaddr, foreign, server;
	char why[600] = "", first[640] = "";
	int n, i, failed = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: tpt-reuse N BIND_ADDR FOREIGN:PORT SERVER:PORT\n");
		return 2;
	}
	n = atoi(argv[1]);
	tpt_parse(argv[2], &bindaddr, 0);
	tpt_parse(argv[3], &foreign, -1);
	tpt_parse(argv[4], &server, -1);
	for (i = 0; i < n; i++) {
		if (cycle(i, &bindaddr, &foreign, &server, why, sizeof(why))) {
			if (!failed++)
				snprintf(first, sizeof(first), "cycle %d: %s", i, why);
		}
	}
	printf("%d cycles, %d failed%s%s\n", n, failed, failed ? "; first: " : "", first);
	return failed ? 1 : 0;
}
