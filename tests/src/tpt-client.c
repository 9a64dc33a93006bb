// SPDX-License-Identifier: GPL-2.0
/*
 * Test client: connect, send one line, print everything the other side
 * sends back.  Exit 0 when an answer came, 1 when none did.
 *
 * usage: tpt-client ADDR:PORT MESSAGE [BIND_ADDR[:PORT]]
 *   addresses a.b.c.d[:port] or [v6][:port]; the socket is of ADDR's family
 */
#include "tpt.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	union tpt_sa dst, src;
	char buf[4096];
	size_t total = 0;
	ssize_t n;
	int fd, err;

	if (argc < 3) {
		fprintf(stderr, "usage: tpt-client ADDR:PORT MESSAGE [BIND]\n");
		return 2;
	}
	tpt_parse(argv[1], &dst, -1);
	struct timeval tv = { .tv_sec = 5 };

	fd = socket(dst.sa.sa_family, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (argc > 3) {
		tpt_parse(argv[3], &src, 0);
		if (bind(fd, &src.sa, tpt_salen(&src)) < 0)
			tpt_die("bind %s", argv[3]);
	}
	err = tpt_connect(fd, &dst, 5);
	if (err) {
		fprintf(stderr, "connect %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	snprintf(buf, sizeof(buf), "%s\n", argv[2]);
	tpt_write_all(fd, buf, strlen(buf));
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		fwrite(buf, 1, n, stdout);
		total += n;
	}
	close(fd);
	return total ? 0 : 1;
}
