// SPDX-License-Identifier: GPL-2.0
/*
 * Test server: for each TCP connection, read one line and answer with the
 * peer and local addresses it saw.  Each peer is also logged on stdout.
 *
 * usage: tpt-server [-w] ADDR:PORT [count]
 *   ADDR:PORT  a.b.c.d:port or [v6]:port; "[::]:port" takes both families
 *              (an IPv4 peer then shows as [::ffff:a.b.c.d]:port)
 *   -w  after answering, wait for the client to close first
 */
#include "tpt.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	union tpt_sa addr, peer, local;
	int count, fd, one = 1, wait_close = 0;

	if (argc > 1 && !strcmp(argv[1], "-w")) {
		wait_close = 1;
		argv++;
		argc--;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: tpt-server [-w] ADDR:PORT [count]\n");
		return 2;
	}
	tpt_parse(argv[1], &addr, -1);
	count = argc > 2 ? atoi(argv[2]) : -1;

	fd = socket(addr.sa.sa_family, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, &addr.sa, tpt_salen(&addr)) < 0)
		tpt_die("bind %s", argv[1]);
	if (listen(fd, 128) < 0)
		tpt_die("listen");

	while (count < 0 || count-- > 0) {
		socklen_t pl = sizeof(peer), ll = sizeof(local);
		char line[512], reply[700];
		int c = accept(fd, &peer.sa, &pl);

		if (c < 0)
			tpt_die("accept");
		getsockname(c, &local.sa, &ll);
		if (tpt_read_line(c, line, sizeof(line)) < 0)
			line[0] = '\0';
		line[strcspn(line, "\n")] = '\0';
		snprintf(reply, sizeof(reply), "SERVER peer=%s local=%s said=%s\n",
			 tpt_fmt(&peer), tpt_fmt(&local), line);
		tpt_write_all(c, reply, strlen(reply));
		if (wait_close) {
			struct timeval tv = { .tv_sec = 5 };

			setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			while (read(c, line, sizeof(line)) > 0)
				;
		}
		printf("peer=%s local=%s\n", tpt_fmt(&peer), tpt_fmt(&local));
		fflush(stdout);
		close(c);
	}
	close(fd);
	return 0;
}
