// SPDX-License-Identifier: GPL-2.0-only
/*
 * TPROXY target of the "tproxy" table (TPROXY 2.0).
 *
 * Redirects a new TCP or UDP connection to a local proxy, like REDIRECT,
 * and marks its conntrack as tproxied.  The proxy reads the original
 * destination with SO_ORIGINAL_DST.
 *
 * The target is revision 2 of IPv4 "TPROXY": revisions 0 and 1 are the
 * mangle table's TPROXY (xt_TPROXY), so both live in one kernel.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>
#include <linux/ip.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv4/ipt_TPROXY.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_nat.h>
#include <net/netfilter/nf_tproxy2.h>

static unsigned int
tproxy2_tg(struct sk_buff *skb, const struct xt_action_param *par)
{
	const struct ipt_tproxy_target_info *info = par->targinfo;
	const union nf_inet_addr laddr = { .ip = info->laddr };

	return nf_tproxy2_redirect(skb, xt_hooknum(par), &laddr, info->lport);
}

static int tproxy2_tg_check(const struct xt_tgchk_param *par)
{
	const struct ipt_tproxy_target_info *info = par->targinfo;
	const struct ipt_ip *ip = par->entryinfo;

	/* a rule of the tproxy table only: its NAT lookups see packets with a
	 * conntrack, and set up what the rule maps.  nft_compat would run it
	 * in any chain of a table of that name.
	 */
	if (par->nft_compat)
		return -EOPNOTSUPP;
	if ((ip->proto != IPPROTO_TCP && ip->proto != IPPROTO_UDP) ||
	    (ip->invflags & IPT_INV_PROTO)) {
		pr_info_ratelimited("TPROXY needs -p tcp or -p udp\n");
		return -EINVAL;
	}

	if (ipv4_is_multicast(info->laddr) || ipv4_is_lbcast(info->laddr)) {
		pr_info_ratelimited("TPROXY --on-ip %pI4 is not a unicast address\n",
				    &info->laddr);
		return -EINVAL;
	}

	return nf_ct_netns_get(par->net, par->family);
}

static void tproxy2_tg_destroy(const struct xt_tgdtor_param *par)
{
	nf_ct_netns_put(par->net, par->family);
}

static struct xt_target tproxy2_tg_reg __read_mostly = {
	.name		= "TPROXY",
	.revision	= IPT_TPROXY_REVISION,
	.family		= NFPROTO_IPV4,
	.table		= "tproxy",
	.hooks		= (1 << NF_INET_PRE_ROUTING) | (1 << NF_INET_LOCAL_OUT),
	.target		= tproxy2_tg,
	.targetsize	= sizeof(struct ipt_tproxy_target_info),
	.checkentry	= tproxy2_tg_check,
	.destroy	= tproxy2_tg_destroy,
	.me		= THIS_MODULE,
};

static int __init tproxy2_tg_init(void)
{
	return xt_register_target(&tproxy2_tg_reg);
}

static void __exit tproxy2_tg_exit(void)
{
	xt_unregister_target(&tproxy2_tg_reg);
}

module_init(tproxy2_tg_init);
module_exit(tproxy2_tg_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("TPROXY 2.0 target of the tproxy table");
/* x_tables asks for ipt_TPROXY; xt_TPROXY answers to the same alias */
MODULE_ALIAS("ipt_TPROXY");
