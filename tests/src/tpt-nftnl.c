// SPDX-License-Identifier: GPL-2.0
/*
 * Raw nf_tables netlink for the tproxy2 expression, below nft: the kernel
 * must refuse what nft would never send, with an errno, and keep the
 * ruleset as it was.
 *
 * usage: tpt-nftnl FAMILY TABLE CHAIN CASE
 *   FAMILY ip, ip6 or inet; TABLE and CHAIN exist (nft made them)
 *   CASE, one rule of [immediate -> reg] tproxy2 ... appended to CHAIN:
 *     ok4           family ip, address 127.0.0.1 in reg 1, port 3128 in reg 2
 *     ok-port       port 3128 in reg 1 only
 *     fam-other     family ip6 with a 16-byte address (in an ip table)
 *     fam-bad       family 7
 *     fam-huge      family 256 (the policy's maximum is 255)
 *     inet-noaddr-fam  an address without a family (in an inet table)
 *     reg-short     an IPv6 address register with 4 bytes loaded at reg 15
 *     reg-range     the address register 0x7fffffff
 *     port-range    the port from register 0x7fffffff
 *     attr-short    NFTA_TPROXY2_FAMILY of 2 bytes
 * Prints "errno=N (name)" or "errno=0" for the kernel's answer; exit 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

/* the patched kernel's UAPI; an older installed nf_tables.h lacks it */
#ifndef NFTA_TPROXY2_MAX
enum {
	NFTA_TPROXY2_UNSPEC,
	NFTA_TPROXY2_FAMILY,
	NFTA_TPROXY2_REG_ADDR,
	NFTA_TPROXY2_REG_PORT,
};
#endif

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static struct nlmsghdr *msg(char *buf, int type, int flags, int family, unsigned int seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(NFNL_SUBSYS_NFTABLES);
	return nlh;
}

/* an immediate expression: LEN bytes of DATA into register REG */
static void immediate(struct nlmsghdr *nlh, unsigned int reg, const void *data, int len)
{
	struct nlattr *e = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	struct nlattr *d, *v;

	mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, "immediate");
	d = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
	mnl_attr_put_u32(nlh, NFTA_IMMEDIATE_DREG, htonl(reg));
	v = mnl_attr_nest_start(nlh, NFTA_IMMEDIATE_DATA);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, len, data);
	mnl_attr_nest_end(nlh, v);
	mnl_attr_nest_end(nlh, d);
	mnl_attr_nest_end(nlh, e);
}

int main(int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int seq = time(NULL), portid, rseq;
	struct nlattr *exprs, *e, *d;
	struct mnl_nlmsg_batch *b;
	struct nlmsghdr *nlh;
	struct mnl_socket *nl;
	struct in6_addr a6 = IN6ADDR_LOOPBACK_INIT;
	in_addr_t a4 = htonl(INADDR_LOOPBACK);
	uint16_t port = htons(3128);
	const char *c;
	int family, ret, err = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: tpt-nftnl ip|ip6|inet TABLE CHAIN CASE\n");
		return 2;
	}
	family = !strcmp(argv[1], "ip") ? NFPROTO_IPV4 :
		 !strcmp(argv[1], "ip6") ? NFPROTO_IPV6 : NFPROTO_INET;
	c = argv[4];

	b = mnl_nlmsg_batch_start(buf, sizeof(buf));
	nlh = msg(mnl_nlmsg_batch_current(b), NFNL_MSG_BATCH_BEGIN, 0, NFPROTO_UNSPEC, seq++);
	mnl_nlmsg_batch_next(b);

	rseq = seq;
	nlh = msg(mnl_nlmsg_batch_current(b), (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE,
		  NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK, family, seq++);
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, argv[2]);
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, argv[3]);
	exprs = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
	if (!strcmp(c, "fam-other"))
		immediate(nlh, NFT_REG32_00, &a6, sizeof(a6));
	else if (!strcmp(c, "reg-short"))
		immediate(nlh, NFT_REG32_15, &a4, sizeof(a4));
	else if (strcmp(c, "ok-port") && strcmp(c, "port-range"))
		immediate(nlh, NFT_REG32_00, &a4, sizeof(a4));
	immediate(nlh, NFT_REG32_01, &port, sizeof(port));

	e = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, "tproxy2");
	d = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
	if (!strcmp(c, "ok4"))
		mnl_attr_put_u32(nlh, NFTA_TPROXY2_FAMILY, htonl(NFPROTO_IPV4));
	else if (!strcmp(c, "fam-other") || !strcmp(c, "reg-short"))
		mnl_attr_put_u32(nlh, NFTA_TPROXY2_FAMILY, htonl(NFPROTO_IPV6));
	else if (!strcmp(c, "fam-bad"))
		mnl_attr_put_u32(nlh, NFTA_TPROXY2_FAMILY, htonl(7));
	else if (!strcmp(c, "fam-huge"))
		mnl_attr_put_u32(nlh, NFTA_TPROXY2_FAMILY, htonl(256));
	else if (!strcmp(c, "attr-short"))
		mnl_attr_put_u16(nlh, NFTA_TPROXY2_FAMILY, htons(NFPROTO_IPV4));
	if (!strcmp(c, "reg-range"))
		mnl_attr_put_u32(nlh, NFTA_TPROXY2_REG_ADDR, htonl(0x7fffffff));
	else if (!strcmp(c, "reg-short"))
		mnl_attr_put_u32(nlh, NFTA_TPROXY2_REG_ADDR, htonl(NFT_REG32_15));
	else if (strcmp(c, "ok-port") && strcmp(c, "port-range"))
		mnl_attr_put_u32(nlh, NFTA_TPROXY2_REG_ADDR, htonl(NFT_REG32_00));
	mnl_attr_put_u32(nlh, NFTA_TPROXY2_REG_PORT,
			 htonl(!strcmp(c, "port-range") ? 0x7fffffff : NFT_REG32_01));
	mnl_attr_nest_end(nlh, d);
	mnl_attr_nest_end(nlh, e);
	mnl_attr_nest_end(nlh, exprs);
	mnl_nlmsg_batch_next(b);

	msg(mnl_nlmsg_batch_current(b), NFNL_MSG_BATCH_END, 0, NFPROTO_UNSPEC, seq++);
	mnl_nlmsg_batch_next(b);

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl)
		die("mnl_socket_open");
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		die("mnl_socket_bind");
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b)) < 0)
		die("mnl_socket_sendto");
	mnl_nlmsg_batch_stop(b);

	/* the rule's ack: an error message, or NLMSG_ERROR with error 0 */
	ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	while (ret > 0) {
		ret = mnl_cb_run(buf, ret, rseq, portid, NULL, NULL);
		if (ret < 0) {
			err = errno;
			break;
		}
		if (ret == MNL_CB_STOP)
			break;
		ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	}
	mnl_socket_close(nl);
	if (err)
		printf("errno=%d (%s)\n", err, strerror(err));
	else
		printf("errno=0\n");
	return 0;
}
