// SPDX-License-Identifier: GPL-2.0
/*
 * tproxy-conntrack: list the connections TPROXY 2.0 redirected or translated,
 * with their original and translated tuples and, for those a sockref owns,
 * the sockref (from /proc/net/tproxy) -- in the namespace it runs in.
 * [PINNED]: a TCP connection whose socket is open; it does not time out.
 *
 * usage: tproxy-conntrack [-a] [-c] [-s]
 *   -a  all connections, tproxied or not
 *   -c  print only the number of connections listed
 *   -s  only connections a sockref owns
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

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

static void addr_port(char *buf, size_t len, uint32_t ip, uint16_t port)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &ip, a, sizeof(a));
	snprintf(buf, len, "%s:%u", a, ntohs(port));
}

/* The /proc/net/tproxy line whose local address is the connection's own
 * side: the original source of a translated (CONNECT) connection.
 */
static void print_sockref(const char *local)
{
	char line[256], proto[8], l[64];
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
	char os[64], od[64], rs[64], rd[64];
	int tproxied = !!(status & (1u << IPS_TPROXY_BIT));
	int owned = !!(status & (1u << IPS_TPROXY_SOCKREF_BIT));
	/* a TCP connection's socket is open: it does not time out */
	int pinned = tproxied && proto == IPPROTO_TCP &&
		     (status & IPS_FIXED_TIMEOUT);

	if (nfct_get_attr_u8(ct, ATTR_L3PROTO) != AF_INET)
		return NFCT_CB_CONTINUE;
	if ((!opt_all && !tproxied) || (opt_sockref && !owned))
		return NFCT_CB_CONTINUE;
	listed++;
	if (opt_count)
		return NFCT_CB_CONTINUE;

	addr_port(os, sizeof(os), nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_SRC),
		  nfct_get_attr_u16(ct, ATTR_ORIG_PORT_SRC));
	addr_port(od, sizeof(od), nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_DST),
		  nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST));
	addr_port(rs, sizeof(rs), nfct_get_attr_u32(ct, ATTR_REPL_IPV4_SRC),
		  nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC));
	addr_port(rd, sizeof(rd), nfct_get_attr_u32(ct, ATTR_REPL_IPV4_DST),
		  nfct_get_attr_u16(ct, ATTR_REPL_PORT_DST));
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
	uint32_t family = AF_INET;
	int opt;

	while ((opt = getopt(argc, argv, "acsh")) != -1) {
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
		default:
			fprintf(stderr, "usage: tproxy-conntrack [-a] [-c] [-s]\n");
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
