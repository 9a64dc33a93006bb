// SPDX-License-Identifier: GPL-2.0
/*
 * tproxy-conntrack: list the connections TPROXY 2.0 redirected or translated,
 * IPv4 and IPv6, with their original and translated tuples and, for those a
 * sockref owns, the sockref (from /proc/net/tproxy) -- in the namespace it
 * runs in.  IPv6 addresses are written [addr]:port, as /proc/net/tproxy does.
 * [PINNED]: a TCP connection whose socket is open; it does not time out.
 *
 * usage: tproxy-conntrack [-a] [-c] [-s] [-4 | -6]
 *   -a  all connections, tproxied or not
 *   -c  print only the number of connections listed
 *   -s  only connections a sockref owns
 *   -4, -6  only IPv4, only IPv6 connections (default both)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "tproxy2-sockopt.h"

/* The status bits of a patched kernel, for older userspace headers */
#ifndef IPS_TPROXY_BIT
#define IPS_TPROXY_BIT		16
#define IPS_TPROXY_SOCKREF_BIT	17
#define IPS_NAT_NO_HELPER_BIT	18
#endif

static int opt_all, opt_count, opt_sockref;
static unsigned int listed;

static const char *proto_name(unsigned int p)
{
	return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : "other";
}

/* The attributes of one end of a tuple, for each family */
struct tuple_end {
	enum nf_conntrack_attr v4, v6, port;
};

static const struct tuple_end orig_src = { ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV6_SRC, ATTR_ORIG_PORT_SRC };
static const struct tuple_end orig_dst = { ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST, ATTR_ORIG_PORT_DST };
static const struct tuple_end repl_src = { ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV6_SRC, ATTR_REPL_PORT_SRC };
static const struct tuple_end repl_dst = { ATTR_REPL_IPV4_DST, ATTR_REPL_IPV6_DST, ATTR_REPL_PORT_DST };

/* "a.b.c.d:port" or "[v6]:port" */
static void addr_port(char *buf, size_t len, const struct nf_conntrack *ct,
		      int family, const struct tuple_end *e)
{
	struct sockaddr_storage ss = { .ss_family = family };
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	if (family == AF_INET6) {
		memcpy(&sin6->sin6_addr, nfct_get_attr(ct, e->v6), sizeof(sin6->sin6_addr));
		sin6->sin6_port = nfct_get_attr_u16(ct, e->port);
	} else {
		sin->sin_addr.s_addr = nfct_get_attr_u32(ct, e->v4);
		sin->sin_port = nfct_get_attr_u16(ct, e->port);
	}
	snprintf(buf, len, "%s", itp_fmt_sockaddr(&ss));
}

/* The /proc/net/tproxy line whose local address is the connection's own
 * side: the original source of a translated (CONNECT) connection.
 */
static void print_sockref(const char *local)
{
	char line[512], proto[8], l[64];
	FILE *f = fopen("/proc/net/tproxy", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%7s %63s", proto, l) == 2 && !strcmp(l, local)) {
			line[strcspn(line, "\n")] = '\0';
			printf("  sockref: %s\n", line);
		}
	}
	fclose(f);
}

static int show(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	uint32_t status = nfct_get_attr_u32(ct, ATTR_STATUS);
	unsigned int proto = nfct_get_attr_u8(ct, ATTR_L4PROTO);
	int family = nfct_get_attr_u8(ct, ATTR_L3PROTO);
	char os[64], od[64], rs[64], rd[64];
	int tproxied = !!(status & (1u << IPS_TPROXY_BIT));
	int owned = !!(status & (1u << IPS_TPROXY_SOCKREF_BIT));
	/* a TCP connection's socket is open: it does not time out */
	int pinned = tproxied && proto == IPPROTO_TCP &&
		     (status & IPS_FIXED_TIMEOUT);

	if (family != AF_INET && family != AF_INET6)
		return NFCT_CB_CONTINUE;
	if ((!opt_all && !tproxied) || (opt_sockref && !owned))
		return NFCT_CB_CONTINUE;
	listed++;
	if (opt_count)
		return NFCT_CB_CONTINUE;

	addr_port(os, sizeof(os), ct, family, &orig_src);
	addr_port(od, sizeof(od), ct, family, &orig_dst);
	addr_port(rs, sizeof(rs), ct, family, &repl_src);
	addr_port(rd, sizeof(rd), ct, family, &repl_dst);
	/* the translated tuple: what the reply direction looks like inverted */
	printf("%s original %s -> %s translated %s -> %s%s%s%s%s\n", proto_name(proto),
	       os, od, rd, rs,
	       tproxied ? " [TPROXY]" : "", owned ? " [SOCKREF]" : "",
	       status & (1u << IPS_NAT_NO_HELPER_BIT) ? " [NO_HELPER]" : "",
	       pinned ? " [PINNED]" : "");
	if (owned)
		print_sockref(os);
	return NFCT_CB_CONTINUE;
}

int main(int argc, char **argv)
{
	struct nfct_handle *h;
	uint32_t family = AF_UNSPEC;	/* the dump: both families */
	int opt;

	while ((opt = getopt(argc, argv, "acs46h")) != -1) {
		switch (opt) {
		case 'a':
			opt_all = 1;
			break;
		case 'c':
			opt_count = 1;
			break;
		case 's':
			opt_sockref = 1;
			break;
		case '4':
			family = AF_INET;
			break;
		case '6':
			family = AF_INET6;
			break;
		default:
			fprintf(stderr, "usage: tproxy-conntrack [-a] [-c] [-s] [-4 | -6]\n");
			return opt == 'h' ? 0 : 2;
		}
	}

	h = nfct_open(CONNTRACK, 0);
	if (!h) {
		fprintf(stderr, "tproxy-conntrack: cannot talk to conntrack: %s%s\n",
			strerror(errno),
			errno == EPERM ? " (needs CAP_NET_ADMIN)" : "");
		return 1;
	}
	nfct_callback_register(h, NFCT_T_ALL, show, NULL);
	if (nfct_query(h, NFCT_Q_DUMP, &family) < 0) {
		fprintf(stderr, "tproxy-conntrack: dump failed: %s\n", strerror(errno));
		nfct_close(h);
		return 1;
	}
	nfct_close(h);
	if (opt_count)
		printf("%u\n", listed);
	return 0;
}
