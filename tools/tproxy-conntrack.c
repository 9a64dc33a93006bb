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
#include <stdbool.h>
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

/* One end of the conntrack's tuple */
static void ct_end(struct sockaddr_storage *ss, const struct nf_conntrack *ct,
		   int family, const struct tuple_end *e)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	ss->ss_family = family;
	if (family == AF_INET6) {
		memcpy(&sin6->sin6_addr, nfct_get_attr(ct, e->v6), sizeof(sin6->sin6_addr));
		sin6->sin6_port = nfct_get_attr_u16(ct, e->port);
	} else {
		sin->sin_addr.s_addr = nfct_get_attr_u32(ct, e->v4);
		sin->sin_port = nfct_get_attr_u16(ct, e->port);
	}
}

/* "a.b.c.d:port" or "[v6]:port" */
static void addr_port(char *buf, size_t len, const struct nf_conntrack *ct,
		      int family, const struct tuple_end *e)
{
	struct sockaddr_storage ss;

	ct_end(&ss, ct, family, e);
	snprintf(buf, len, "%s", itp_fmt_sockaddr(&ss));
}

/* The address is the wildcard (0.0.0.0 or ::) */
static bool is_any(const struct sockaddr_storage *ss)
{
	static const struct in6_addr any6;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

	if (ss->ss_family == AF_INET6)
		return !memcmp(&sin6->sin6_addr, &any6, sizeof(any6));
	return !sin->sin_addr.s_addr;
}

/* A sockref's local (or peer) end matches the conntrack's: the same port
 * and address, or the same port and a wildcard address; a peer of
 * 0.0.0.0:0 or [::]:0 is any
 */
static bool end_matches(const struct sockaddr_storage *sr,
			const struct sockaddr_storage *ct, bool peer)
{
	if (!is_any(sr))
		return itp_sockaddr_equal(sr, ct);
	if (peer && !itp_sockaddr_port(sr))
		return true;
	return itp_sockaddr_port(sr) == itp_sockaddr_port(ct);
}

/* The sockrefs of /proc/net/tproxy, read once (at the first owned
 * connection) and chained by their local port, which every match needs:
 * the listing is linear in the connections plus the sockrefs.
 */
#define SR_BUCKETS 65536
struct sockref {
	char proto[8];
	struct sockaddr_storage l, r;
	struct sockref *next;
	char line[];
};
static struct sockref *sr_head[SR_BUCKETS], **sr_tail[SR_BUCKETS];
static bool sr_loaded;

static void load_sockrefs(void)
{
	char line[512], p[8], l[64], f[64], r[64];
	FILE *file = fopen("/proc/net/tproxy", "r");

	sr_loaded = true;
	if (!file)
		return;
	for (int i = 0; i < SR_BUCKETS; i++)
		sr_tail[i] = &sr_head[i];
	while (fgets(line, sizeof(line), file)) {
		struct sockaddr_storage ls, rs;
		struct sockref *s;
		size_t n;
		unsigned int b;

		if (sscanf(line, "%7s %63s %63s %63s", p, l, f, r) != 4 ||
		    itp_parse_sockaddr(l, &ls, -1) || itp_parse_sockaddr(r, &rs, -1))
			continue;
		line[strcspn(line, "\n")] = '\0';
		n = strlen(line) + 1;
		s = malloc(sizeof(*s) + n);
		if (!s) {
			perror("tproxy-conntrack");
			exit(1);
		}
		snprintf(s->proto, sizeof(s->proto), "%s", p);
		s->l = ls;
		s->r = rs;
		s->next = NULL;
		memcpy(s->line, line, n);
		b = ntohs(itp_sockaddr_port(&ls));
		*sr_tail[b] = s;
		sr_tail[b] = &s->next;
	}
	fclose(file);
}

/* The /proc/net/tproxy lines of the sockref that owns the connection: its
 * socket is the connection's own side, the original source (of a
 * translated, CONNECT, connection) and, if it has a peer, the original
 * destination.  An IPv6 line has the address the socket had when its
 * sockref was made, :: if it was not bound to one: the port tells.
 */
static void print_sockref(unsigned int proto, const struct sockaddr_storage *src,
			  const struct sockaddr_storage *dst)
{
	char want[8];

	if (!sr_loaded)
		load_sockrefs();
	snprintf(want, sizeof(want), "%s%s", proto_name(proto),
		 src->ss_family == AF_INET6 ? "6" : "");
	for (const struct sockref *s = sr_head[ntohs(itp_sockaddr_port(src))]; s; s = s->next)
		if (!strcmp(s->proto, want) && end_matches(&s->l, src, false) &&
		    end_matches(&s->r, dst, true))
			printf("  sockref: %s\n", s->line);
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
	if (owned) {
		struct sockaddr_storage src, dst;

		ct_end(&src, ct, family, &orig_src);
		ct_end(&dst, ct, family, &orig_dst);
		print_sockref(proto, &src, &dst);
	}
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
