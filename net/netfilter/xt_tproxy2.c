// SPDX-License-Identifier: GPL-2.0-only
/*
 * "tproxy" match: is this packet's connection one that TPROXY 2.0 redirected
 * or translated (IPS_TPROXY), or one a sockref owns (IPS_TPROXY_SOCKREF)?
 * Packets without a conntrack match no condition.  One match serves
 * iptables and ip6tables: it looks at the conntrack only.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>
#include <linux/skbuff.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_tproxy2.h>
#include <net/netfilter/nf_conntrack.h>

/* One condition: true when not asked for, else the bit XOR its inversion */
static bool tproxy_mt_cond(const struct nf_conn *ct,
			   const struct xt_tproxy_match_info *info,
			   u8 flag, int bit)
{
	if (!(info->flags & flag))
		return true;
	return (ct && test_bit(bit, &ct->status)) ^ !!(info->invert & flag);
}

static bool tproxy_mt(const struct sk_buff *skb, struct xt_action_param *par)
{
	const struct xt_tproxy_match_info *info = par->matchinfo;
	enum ip_conntrack_info ctinfo;
	const struct nf_conn *ct = nf_ct_get(skb, &ctinfo);

	return tproxy_mt_cond(ct, info, XT_TPROXY_TPROXIED, IPS_TPROXY_BIT) &&
	       tproxy_mt_cond(ct, info, XT_TPROXY_SOCKREF, IPS_TPROXY_SOCKREF_BIT);
}

static int tproxy_mt_check(const struct xt_mtchk_param *par)
{
	const struct xt_tproxy_match_info *info = par->matchinfo;

	if (!info->flags || (info->flags & ~XT_TPROXY_MASK) ||
	    (info->invert & ~info->flags)) {
		pr_info_ratelimited("unknown or no conditions: flags 0x%x invert 0x%x\n",
				    info->flags, info->invert);
		return -EINVAL;
	}
	return nf_ct_netns_get(par->net, par->family);
}

static void tproxy_mt_destroy(const struct xt_mtdtor_param *par)
{
	nf_ct_netns_put(par->net, par->family);
}

static struct xt_match tproxy_mt_reg[] __read_mostly = {
	{
		.name		= "tproxy",
		.family		= NFPROTO_IPV4,
		.match		= tproxy_mt,
		.matchsize	= sizeof(struct xt_tproxy_match_info),
		.checkentry	= tproxy_mt_check,
		.destroy	= tproxy_mt_destroy,
		.me		= THIS_MODULE,
	},
	{
		.name		= "tproxy",
		.family		= NFPROTO_IPV6,
		.match		= tproxy_mt,
		.matchsize	= sizeof(struct xt_tproxy_match_info),
		.checkentry	= tproxy_mt_check,
		.destroy	= tproxy_mt_destroy,
		.me		= THIS_MODULE,
	},
};

static int __init tproxy_mt_init(void)
{
	return xt_register_matches(tproxy_mt_reg, ARRAY_SIZE(tproxy_mt_reg));
}

static void __exit tproxy_mt_exit(void)
{
	xt_unregister_matches(tproxy_mt_reg, ARRAY_SIZE(tproxy_mt_reg));
}

module_init(tproxy_mt_init);
module_exit(tproxy_mt_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("tproxy match: connections TPROXY 2.0 redirected or translated");
MODULE_ALIAS("ipt_tproxy");
MODULE_ALIAS("ip6t_tproxy");
