// SPDX-License-Identifier: GPL-2.0
/*
 * Test proxy: accept intercepted TCP connections, find the original
 * destination, connect there and relay both ways.  Logs one line per
 * connection on stdout: "client=A:P local=A:P orig=A:P".
 *
 * usage: tpt-proxy [-T] [-n count] LISTEN_ADDR:PORT
 *   -T  mainline TPROXY v4: IP_TRANSPARENT listener, the original
 *       destination is the accepted socket's local address
 *       (default: a plain listener fed by NAT, SO_ORIGINAL_DST)
 */
#include "tpt.h"

#include <linux/netfilter_ipv4.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in laddr, client, local, orig;
	int transparent = 0, count = -1, opt, lfd, one = 1;

	while ((opt = getopt(argc, argv, "Tn:")) != -1) {
		switch (opt) {
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
