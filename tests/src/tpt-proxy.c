// SPDX-License-Identifier: GPL-2.0
/*
 * Test proxy: accept intercepted TCP connections, find the original
 * destination, connect there and relay both ways.  Logs one line per
 * connection on stdout: "client=A:P local=A:P orig=A:P".
 *
 * usage: tpt-proxy [-T] [-n count] [-s STYLE [-B ADDR]] LISTEN_ADDR:PORT
 *   -T  mainline TPROXY v4: IP_TRANSPARENT listener, the original
 *       destination is the accepted socket's local address
 *       (default: a plain listener fed by NAT, SO_ORIGINAL_DST)
 *   -s  connect to the server from the client's address, the way a real
 *       proxy calls IP_TPROXY:
 *       squid    bind(ADDR, 0), ASSIGN(client ip, 0), FLAGS(CONNECT),
 *                non-blocking connect
 *       haproxy  VERSION 0x02000000 once; bind(ADDR, 0),
 *                ASSIGN(client ip, client port), FLAGS(CONNECT|ONCE), connect
 *       small    bind(ADDR, 0), ASSIGN(client ip, 0), FLAGS(CONNECT|ONCE),
 *                connect (skaidrus, gtcpp)
 *   -B  the local address to bind the outgoing socket to (default 0.0.0.0)
 */
#include "tpt.h"

#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv4/ip_tproxy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The outgoing socket of STYLE, bound, with its sockref set up. */
static int spoofed_socket(const char *style, const struct sockaddr_in *bindaddr,
			  const struct sockaddr_in *client)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	int haproxy = !strcmp(style, "haproxy");
	unsigned int flags = ITP_CONNECT;

	if (bind(s, (const struct sockaddr *)bindaddr, sizeof(*bindaddr)) < 0)
		tpt_die("bind outgoing");
	if (itp_assign(s, client->sin_addr, haproxy ? client->sin_port : 0)) {
		perror("TPROXY_ASSIGN");
		exit(1);
	}
	if (haproxy || !strcmp(style, "small"))
		flags |= ITP_ONCE;
	if (itp_set_flags(s, flags)) {
		perror("TPROXY_FLAGS");
		exit(1);
	}
	return s;
}

int main(int argc, char **argv)
{
	struct sockaddr_in laddr, client, local, orig;
	struct sockaddr_in bindaddr = { .sin_family = AF_INET };
	int transparent = 0, count = -1, opt, lfd, one = 1;
	const char *style = NULL;

	while ((opt = getopt(argc, argv, "Tn:s:B:")) != -1) {
		switch (opt) {
		case 's':
			style = optarg;
			break;
		case 'B':
			tpt_parse_addr(optarg, &bindaddr, 0);
			break;
		case 'T':
			transparent = 1;
			break;
		case 'n':
			count = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: tpt-proxy [-T] [-n count] ADDR:PORT\n");
		return 2;
	}
	tpt_parse_addr(argv[optind], &laddr, -1);
	if (style && !strcmp(style, "haproxy")) {
		int s = socket(AF_INET, SOCK_STREAM, 0);

		if (itp_set_version(s, 0x02000000)) {
			perror("TPROXY_VERSION");
			return 1;
		}
		close(s);
	}

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (transparent &&
	    setsockopt(lfd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one)) < 0)
		tpt_die("IP_TRANSPARENT");
	if (bind(lfd, (struct sockaddr *)&laddr, sizeof(laddr)) < 0)
		tpt_die("bind %s", argv[optind]);
	if (listen(lfd, 128) < 0)
		tpt_die("listen");

	while (count < 0 || count-- > 0) {
		socklen_t cl = sizeof(client), ol = sizeof(orig), ll = sizeof(local);
		int c = accept(lfd, (struct sockaddr *)&client, &cl);
		int s, err;

		if (c < 0)
			tpt_die("accept");
		getsockname(c, (struct sockaddr *)&local, &ll);
		if (transparent)
			err = getsockname(c, (struct sockaddr *)&orig, &ol);
		else
			err = getsockopt(c, SOL_IP, SO_ORIGINAL_DST, &orig, &ol);
		if (err < 0)
			tpt_die("original destination");
		printf("client=%s ", tpt_fmt(&client));
		printf("local=%s orig=%s\n", tpt_fmt(&local), tpt_fmt(&orig));
		fflush(stdout);

		if (style)
			s = spoofed_socket(style, &bindaddr, &client);
		else
			s = socket(AF_INET, SOCK_STREAM, 0);
		err = tpt_connect(s, &orig, 5);
		if (err) {
			fprintf(stderr, "connect %s: %s\n", tpt_fmt(&orig), strerror(-err));
			close(c);
			close(s);
			continue;
		}
		tpt_relay(c, s);
		close(s);
		close(c);
	}
	return 0;
}
