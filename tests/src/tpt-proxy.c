// SPDX-License-Identifier: GPL-2.0
/*
 * Test proxy: accept intercepted TCP connections, find the original
 * destination, connect there and relay both ways.  Logs one line per
 * connection on stdout: "client=A:P local=A:P orig=A:P" (IPv4 a.b.c.d:port,
 * IPv6 [addr]:port).
 *
 * usage: tpt-proxy [-T] [-n count] [-s STYLE [-B ADDR]...] LISTEN_ADDR:PORT
 *   LISTEN_ADDR a.b.c.d or [v6]; [::] takes both families (an IPv4 client
 *       is then ::ffff:a.b.c.d; its original destination is IPv4)
 *   -T  mainline TPROXY: IP_TRANSPARENT (IPV6_TRANSPARENT) listener, the
 *       original destination is the accepted socket's local address
 *       (default: a plain listener fed by NAT, SO_ORIGINAL_DST, or
 *       IP6T_SO_ORIGINAL_DST for IPv6)
 *   -s  connect to the server from the client's address, the way a real
 *       proxy calls IP_TPROXY:
 *       squid    bind(ADDR, 0), ASSIGN(client ip, 0), FLAGS(CONNECT),
 *                non-blocking connect
 *       haproxy  VERSION 0x02000000 once; bind(ADDR, 0),
 *                ASSIGN(client ip, client port), FLAGS(CONNECT|ONCE), connect
 *       small    bind(ADDR, 0), ASSIGN(client ip, 0), FLAGS(CONNECT|ONCE),
 *                connect (skaidrus, gtcpp)
 *   -B  the local address to bind the outgoing socket to (default 0.0.0.0
 *       or [::]); once per family
 * The outgoing socket is of the original destination's family; an IPv4
 * connection goes through IP_TPROXY and struct in_tproxy, an IPv6 one
 * through IPV6_TPROXY and struct in6_tproxy.
 */
#include "tpt.h"

#include <linux/netfilter_ipv4/ip_tproxy.h>
#include <linux/netfilter_ipv6/ip6_tproxy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The outgoing socket of STYLE, bound, with its sockref set up: the
 * client's address (of the family of bindaddr) is the foreign one
 */
static int spoofed_socket(const char *style, const union tpt_sa *bindaddr,
			  const union tpt_sa *client)
{
	int s = socket(bindaddr->sa.sa_family, SOCK_STREAM, 0);
	int haproxy = !strcmp(style, "haproxy");
	unsigned int flags = ITP_CONNECT;
	int level = bindaddr->sa.sa_family == AF_INET6 ? SOL_IPV6 : SOL_IP;
	union tpt_sa faddr = *client;

	if (bind(s, &bindaddr->sa, tpt_salen(bindaddr)) < 0)
		tpt_die("bind outgoing");
	if (!haproxy)
		itp_sockaddr_set_port(&faddr.ss, 0);
	if (tpt_tproxy_assign(s, &faddr)) {
		perror(level == SOL_IPV6 ? "IPV6_TPROXY ASSIGN" : "TPROXY_ASSIGN");
		exit(1);
	}
	if (haproxy || !strcmp(style, "small"))
		flags |= ITP_ONCE;
	if (tpt_tproxy_set_word(s, level, TPROXY_FLAGS, flags)) {
		perror(level == SOL_IPV6 ? "IPV6_TPROXY FLAGS" : "TPROXY_FLAGS");
		exit(1);
	}
	return s;
}

/* HAProxy's start-up check, through the option of each family */
static void haproxy_version(int family)
{
	int s = socket(family, SOCK_STREAM, 0);

	if (tpt_tproxy_set_word(s, family == AF_INET6 ? SOL_IPV6 : SOL_IP,
				TPROXY_VERSION, 0x02000000)) {
		perror(family == AF_INET6 ? "IPV6_TPROXY VERSION" : "TPROXY_VERSION");
		exit(1);
	}
	close(s);
}

int main(int argc, char **argv)
{
	union tpt_sa laddr, client, local, orig, b, bind4, bind6;
	int transparent = 0, count = -1, opt, lfd, one = 1;
	const char *style = NULL;

	tpt_any(&bind4, AF_INET);
	tpt_any(&bind6, AF_INET6);
	while ((opt = getopt(argc, argv, "Tn:s:B:")) != -1) {
		switch (opt) {
		case 's':
			style = optarg;
			break;
		case 'B':
			tpt_parse(optarg, &b, 0);
			if (b.sa.sa_family == AF_INET6)
				bind6 = b;
			else
				bind4 = b;
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
	tpt_parse(argv[optind], &laddr, -1);
	if (style && !strcmp(style, "haproxy"))
		haproxy_version(laddr.sa.sa_family);

	lfd = socket(laddr.sa.sa_family, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (transparent &&
	    (laddr.sa.sa_family == AF_INET6 ?
	     setsockopt(lfd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof(one)) :
	     setsockopt(lfd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one))) < 0)
		tpt_die("IP_TRANSPARENT");
	if (bind(lfd, &laddr.sa, tpt_salen(&laddr)) < 0)
		tpt_die("bind %s", argv[optind]);
	if (listen(lfd, 128) < 0)
		tpt_die("listen");

	while (count < 0 || count-- > 0) {
		socklen_t cl = sizeof(client), ol = sizeof(orig), ll = sizeof(local);
		int c = accept(lfd, &client.sa, &cl);
		int s, err;

		if (c < 0)
			tpt_die("accept");
		getsockname(c, &local.sa, &ll);
		if (transparent)
			err = getsockname(c, &orig.sa, &ol);
		else
			err = tpt_orig_dst(c, &orig);
		if (err < 0)
			tpt_die("original destination");
		printf("client=%s ", tpt_fmt(&client));
		printf("local=%s orig=%s\n", tpt_fmt(&local), tpt_fmt(&orig));
		fflush(stdout);

		/* the outgoing socket is of the server's family */
		tpt_unmap(&orig);
		if (orig.sa.sa_family == AF_INET)
			tpt_unmap(&client);
		if (style)
			s = spoofed_socket(style, orig.sa.sa_family == AF_INET6 ? &bind6 : &bind4,
					   &client);
		else
			s = socket(orig.sa.sa_family, SOCK_STREAM, 0);
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
