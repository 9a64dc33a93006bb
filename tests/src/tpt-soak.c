// SPDX-License-Identifier: GPL-2.0
/*
 * Soak: many concurrent TCP connections with checked data both ways.
 *
 * tpt-soak server ADDR:PORT EXPECT_PEER_IP[,EXPECT_PEER_IP...]
 *	echoes every connection; counts connections whose peer is none of
 *	the EXPECT_PEER_IPs and prints "server: N connections, M from
 *	elsewhere, K over IPv4, L over IPv6" on SIGTERM.  ADDR [::] takes both
 *	families (an IPv4 peer, ::ffff:a.b.c.d, counts as a.b.c.d).
 * tpt-soak client ADDR:PORT CONNECTIONS BYTES [SECONDS]
 *	opens all connections at once, sends BYTES of data derived from the
 *	connection's number on each, checks that exactly those bytes come
 *	back within SECONDS (default 120); prints "client: N ok, M failed" and
 *	exits 1 if any failed.
 * Addresses are a.b.c.d:port or [v6]:port.
 */
#include "tpt.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

static uint8_t byte_of(unsigned int conn, size_t i)
{
	return (uint8_t)((conn * 2654435761u) >> 24) ^ (uint8_t)(i * 31 + (i >> 8));
}

static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Is peer's address (v4-mapped counts as IPv4) one of the n in want? */
static int expected_peer(union tpt_sa *peer, const union tpt_sa *want, int n)
{
	tpt_unmap(peer);
	itp_sockaddr_set_port(&peer->ss, 0);
	for (int i = 0; i < n; i++)
		if (itp_sockaddr_equal(&peer->ss, &want[i].ss))
			return 1;
	return 0;
}

static int server(const char *addr, const char *expect)
{
	union tpt_sa sin, peer, want[8];
	struct epoll_event ev, evs[256];
	unsigned long conns = 0, elsewhere = 0, over4 = 0, over6 = 0;
	int lfd, ep, one = 1, nwant = 0;
	char buf[16384], list[256], *tok, *save;

	tpt_parse(addr, &sin, -1);
	snprintf(list, sizeof(list), "%s", expect);
	for (tok = strtok_r(list, ",", &save); tok && nwant < 8; tok = strtok_r(NULL, ",", &save))
		tpt_parse(tok, &want[nwant++], 0);
	lfd = socket(sin.sa.sa_family, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, &sin.sa, tpt_salen(&sin)) || listen(lfd, 65535))
		tpt_die("server %s", addr);
	nonblock(lfd);
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	signal(SIGTERM, on_term);

	while (!stop) {
		int n = epoll_wait(ep, evs, 256, 200);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd) {
				socklen_t pl = sizeof(peer);
				int c;

				while ((c = accept(lfd, &peer.sa, &pl)) >= 0) {
					conns++;
					if (!expected_peer(&peer, want, nwant))
						elsewhere++;
					if (peer.sa.sa_family == AF_INET6)
						over6++;
					else
						over4++;
					nonblock(c);
					ev.events = EPOLLIN;
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
					pl = sizeof(peer);
				}
				continue;
			}
			ssize_t r = read(fd, buf, sizeof(buf));

			if (r > 0) {
				/* small echoes: the socket buffer takes them */
				fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
				tpt_write_all(fd, buf, r);
				nonblock(fd);
			} else if (r == 0 || errno != EAGAIN) {
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				close(fd);
			}
		}
	}
	printf("server: %lu connections, %lu from elsewhere, %lu over IPv4, %lu over IPv6\n",
	       conns, elsewhere, over4, over6);
	return elsewhere ? 1 : 0;
}

struct cconn {
	int fd;
	size_t sent, got;
	int done, bad;
};

static int client(const char *addr, int n, size_t bytes, int seconds)
{
	union tpt_sa dst;
	struct epoll_event ev, evs[256];
	struct cconn *cs = calloc(n, sizeof(*cs));
	int ep = epoll_create1(0), left = n, ok = 0, failed = 0;
	time_t deadline = time(NULL) + seconds;
	struct rlimit rl = { n + 64, n + 64 };

	setrlimit(RLIMIT_NOFILE, &rl);
	tpt_parse(addr, &dst, -1);
	for (int i = 0; i < n; i++) {
		cs[i].fd = socket(dst.sa.sa_family, SOCK_STREAM, 0);
		if (cs[i].fd < 0)
			tpt_die("socket %d", i);
		nonblock(cs[i].fd);
		connect(cs[i].fd, &dst.sa, tpt_salen(&dst));
		ev.events = EPOLLIN | EPOLLOUT;
		ev.data.u32 = i;
		epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
	}
	while (left && time(NULL) < deadline) {
		int k = epoll_wait(ep, evs, 256, 1000);

		for (int e = 0; e < k; e++) {
			struct cconn *c = &cs[evs[e].data.u32];
			unsigned int id = evs[e].data.u32;
			uint8_t buf[8192];

			if (c->done)
				continue;
			if ((evs[e].events & EPOLLOUT) && c->sent < bytes) {
				size_t len = bytes - c->sent < sizeof(buf) ? bytes - c->sent : sizeof(buf);
				ssize_t w;

				for (size_t j = 0; j < len; j++)
					buf[j] = byte_of(id, c->sent + j);
				w = write(c->fd, buf, len);
				if (w > 0)
					c->sent += w;
				else if (w < 0 && errno != EAGAIN)
					c->bad = 1;
				if (c->sent == bytes) {
					ev.events = EPOLLIN;
					ev.data.u32 = id;
					epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				}
			}
			if (evs[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
				ssize_t r = read(c->fd, buf, sizeof(buf));

				if (r > 0) {
					for (ssize_t j = 0; j < r; j++)
						if (buf[j] != byte_of(id, c->got + j))
							c->bad = 1;
					c->got += r;
				} else if (r == 0 || errno != EAGAIN) {
					c->bad = 1;
				}
			}
			if (c->bad || c->got >= bytes) {
				c->done = 1;
				left--;
				if (c->bad || c->got != bytes)
					failed++;
				else
					ok++;
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
			}
		}
	}
	failed += left;
	printf("client: %d ok, %d failed\n", ok, failed);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "server"))
		return server(argv[2], argv[3]);
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "client"))
		return client(argv[2], atoi(argv[3]), strtoul(argv[4], NULL, 0),
			      argc == 6 ? atoi(argv[5]) : 120);
	fprintf(stderr, "usage: tpt-soak server ADDR:PORT PEER_IP | client ADDR:PORT N BYTES\n");
	return 2;
}
