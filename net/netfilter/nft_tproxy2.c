// SPDX-License-Identifier: GPL-2.0-only
/*
 * The nf_tables tproxy2 expression: the tproxy table's TPROXY target
 * (TPROXY 2.0) as a nat statement.
 *
 * It redirects a new TCP or UDP connection to a local address and port,
 * as redirect does, and through nf_tproxy2_redirect() marks its conntrack
 * tproxied and keeps NAT helpers off it.  The address and the port come
 * from registers, so that maps may choose them; without an address the
 * connection goes to the incoming interface's primary address (loopback
 * in output), without a port (or with port 0) it keeps its own.
 *
 * Like every nat statement it runs among the NAT core's lookups, in a
 * chain of type nat at prerouting or output.  The sockrefs' own lookups
 * come before every such chain (see nf_tproxy2_hooks.c).
 */
#include <linux/in.h>
#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <net/ipv6.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_tables.h>
#include <net/netfilter/nf_tproxy2.h>

struct nft_tproxy2 {
	u8	sreg_addr;
	u8	sreg_port;
	u8	family;
};

/* A local address a connection may be redirected to */
static bool nft_tproxy2_unicast(u8 family, const union nf_inet_addr *addr)
{
	if (family == NFPROTO_IPV4)
		return !ipv4_is_multicast(addr->ip) && !ipv4_is_lbcast(addr->ip);
	return !ipv6_addr_is_multicast(&addr->in6) &&
	       !ipv6_addr_v4mapped(&addr->in6);
}

static void nft_tproxy2_eval(const struct nft_expr *expr,
			     struct nft_regs *regs,
			     const struct nft_pktinfo *pkt)
{
	const struct nft_tproxy2 *priv = nft_expr_priv(expr);
	union nf_inet_addr laddr = {};
	__be16 lport = 0;

	/* an inet rule with an address acts on packets of its family only */
	if ((priv->family != NFPROTO_UNSPEC && priv->family != nft_pf(pkt)) ||
	    !(pkt->flags & NFT_PKTINFO_L4PROTO) ||
	    (pkt->tprot != IPPROTO_TCP && pkt->tprot != IPPROTO_UDP)) {
		regs->verdict.code = NFT_BREAK;
		return;
	}

	if (priv->sreg_addr) {
		if (nft_pf(pkt) == NFPROTO_IPV4)
			laddr.ip = nft_reg_load_be32(&regs->data[priv->sreg_addr]);
		else
			memcpy(&laddr.in6, &regs->data[priv->sreg_addr],
			       sizeof(laddr.in6));
		/* what the table's target refuses when its rule is loaded:
		 * here a constant and a map's result look alike
		 */
		if (!nft_tproxy2_unicast(nft_pf(pkt), &laddr)) {
			regs->verdict.code = NF_DROP;
			return;
		}
	}
	if (priv->sreg_port)
		lport = nft_reg_load_be16(&regs->data[priv->sreg_port]);

	regs->verdict.code = nf_tproxy2_redirect(pkt->skb, nft_hook(pkt),
						 &laddr, lport);
}

static const struct nla_policy nft_tproxy2_policy[NFTA_TPROXY2_MAX + 1] = {
	[NFTA_TPROXY2_FAMILY]	= NLA_POLICY_MAX(NLA_BE32, 255),
	[NFTA_TPROXY2_REG_ADDR]	= { .type = NLA_U32 },
	[NFTA_TPROXY2_REG_PORT]	= { .type = NLA_U32 },
};

/* The family the redirect address is of: the table's, which an ip or ip6
 * rule may repeat; an inet rule names it if it gives an address.
 */
static int nft_tproxy2_family(const struct nft_ctx *ctx,
			      const struct nlattr * const tb[], u8 *family)
{
	u32 f = NFPROTO_UNSPEC;

	if (tb[NFTA_TPROXY2_FAMILY])
		f = ntohl(nla_get_be32(tb[NFTA_TPROXY2_FAMILY]));

	switch (ctx->family) {
	case NFPROTO_IPV4:
	case NFPROTO_IPV6:
		if (f != NFPROTO_UNSPEC && f != ctx->family)
			return -EINVAL;
		f = ctx->family;
		break;
	case NFPROTO_INET:
		if (f != NFPROTO_UNSPEC && f != NFPROTO_IPV4 &&
		    f != NFPROTO_IPV6)
			return -EINVAL;
		if (f == NFPROTO_UNSPEC && tb[NFTA_TPROXY2_REG_ADDR])
			return -EINVAL;
		break;
	default:
		return -EOPNOTSUPP;
	}
	*family = f;
	return 0;
}

static int nft_tproxy2_init(const struct nft_ctx *ctx,
			    const struct nft_expr *expr,
			    const struct nlattr * const tb[])
{
	struct nft_tproxy2 *priv = nft_expr_priv(expr);
	unsigned int alen;
	int err;

	err = nft_tproxy2_family(ctx, tb, &priv->family);
	if (err < 0)
		return err;

	if (tb[NFTA_TPROXY2_REG_ADDR]) {
		alen = priv->family == NFPROTO_IPV4 ?
		       sizeof_field(union nf_inet_addr, in) :
		       sizeof_field(union nf_inet_addr, in6);
		err = nft_parse_register_load(ctx, tb[NFTA_TPROXY2_REG_ADDR],
					      &priv->sreg_addr, alen);
		if (err < 0)
			return err;
	}

	if (tb[NFTA_TPROXY2_REG_PORT]) {
		err = nft_parse_register_load(ctx, tb[NFTA_TPROXY2_REG_PORT],
					      &priv->sreg_port, sizeof(u16));
		if (err < 0)
			return err;
	}

	return nf_ct_netns_get(ctx->net, ctx->family);
}

static void nft_tproxy2_destroy(const struct nft_ctx *ctx,
				const struct nft_expr *expr)
{
	nf_ct_netns_put(ctx->net, ctx->family);
}

static int nft_tproxy2_dump(struct sk_buff *skb,
			    const struct nft_expr *expr, bool reset)
{
	const struct nft_tproxy2 *priv = nft_expr_priv(expr);

	if (priv->family != NFPROTO_UNSPEC &&
	    nla_put_be32(skb, NFTA_TPROXY2_FAMILY, htonl(priv->family)))
		return -1;
	if (priv->sreg_addr &&
	    nft_dump_register(skb, NFTA_TPROXY2_REG_ADDR, priv->sreg_addr))
		return -1;
	if (priv->sreg_port &&
	    nft_dump_register(skb, NFTA_TPROXY2_REG_PORT, priv->sreg_port))
		return -1;
	return 0;
}

/* A nat chain's base chain, whatever chain the rule is in: validation
 * follows jumps and gotos with the base chain that leads there.
 */
static int nft_tproxy2_validate(const struct nft_ctx *ctx,
				const struct nft_expr *expr)
{
	int err;

	err = nft_chain_validate_dependency(ctx->chain, NFT_CHAIN_T_NAT);
	if (err < 0)
		return err;

	return nft_chain_validate_hooks(ctx->chain,
					(1 << NF_INET_PRE_ROUTING) |
					(1 << NF_INET_LOCAL_OUT));
}

static struct nft_expr_type nft_tproxy2_type;
static const struct nft_expr_ops nft_tproxy2_ops = {
	.type		= &nft_tproxy2_type,
	.size		= NFT_EXPR_SIZE(sizeof(struct nft_tproxy2)),
	.eval		= nft_tproxy2_eval,
	.init		= nft_tproxy2_init,
	.destroy	= nft_tproxy2_destroy,
	.dump		= nft_tproxy2_dump,
	.validate	= nft_tproxy2_validate,
};

static struct nft_expr_type nft_tproxy2_type __read_mostly = {
	.name		= "tproxy2",
	.ops		= &nft_tproxy2_ops,
	.policy		= nft_tproxy2_policy,
	.maxattr	= NFTA_TPROXY2_MAX,
	.owner		= THIS_MODULE,
};

static int __init nft_tproxy2_module_init(void)
{
	return nft_register_expr(&nft_tproxy2_type);
}

static void __exit nft_tproxy2_module_exit(void)
{
	nft_unregister_expr(&nft_tproxy2_type);
}

module_init(nft_tproxy2_module_init);
module_exit(nft_tproxy2_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("nf_tables tproxy2 expression (TPROXY 2.0)");
MODULE_ALIAS_NFT_EXPR("tproxy2");
