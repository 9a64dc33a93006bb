// SPDX-License-Identifier: GPL-2.0-only
/*
 * TPROXY target of the ip6tables "tproxy" table (TPROXY 2.0).
 *
 * Redirects a new TCP or UDP connection to a local proxy, like REDIRECT,
 * and marks its conntrack as tproxied.  The proxy reads the original
 * destination with IP6T_SO_ORIGINAL_DST.
 *
 * The target is revision 2 of IPv6 "TPROXY": revision 1 is the mangle
 * table's TPROXY (xt_TPROXY), so both live in one kernel.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv6.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <linux/netfilter_ipv6/ip6t_TPROXY.h>
#include <net/ipv6.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_tproxy2.h>

static unsigned int
tproxy2_tg6(struct sk_buff *skb, const struct xt_action_param *par)
{
	const struct ip6t_tproxy_target_info *info = par->targinfo;
	const union nf_inet_addr laddr = { .in6 = info->laddr };

	return nf_tproxy2_redirect(skb, xt_hooknum(par), &laddr, info->lport);
}

static int tproxy2_tg6_check(const struct xt_tgchk_param *par)
{
	const struct ip6t_tproxy_target_info *info = par->targinfo;
	const struct ip6t_ip6 *ip = par->entryinfo;

	/* as in ipt_TPROXY2.c: the tproxy table's NAT lookups only */
	if (par->nft_compat)
		return -EOPNOTSUPP;
	if (!(ip->flags & IP6T_F_PROTO) ||
	    (ip->proto != IPPROTO_TCP && ip->proto != IPPROTO_UDP) ||
	    (ip->invflags & IP6T_INV_PROTO)) {
		pr_info_ratelimited("TPROXY needs -p tcp or -p udp\n");
		return -EINVAL;
	}

	if (ipv6_addr_is_multicast(&info->laddr) ||
	    ipv6_addr_v4mapped(&info->laddr)) {
		pr_info_ratelimited("TPROXY --on-ip %pI6c is not a unicast IPv6 address\n",
				    &info->laddr);
		return -EINVAL;
	}

	return nf_ct_netns_get(par->net, par->family);
}

static void tproxy2_tg6_destroy(const struct xt_tgdtor_param *par)
{
	nf_ct_netns_put(par->net, par->family);
}

static struct xt_target tproxy2_tg6_reg __read_mostly = {
	.name		= "TPROXY",
	.revision	= IP6T_TPROXY_REVISION,
	.family		= NFPROTO_IPV6,
	.table		= "tproxy",
	.hooks		= (1 << NF_INET_PRE_ROUTING) | (1 << NF_INET_LOCAL_OUT),
	.target		= tproxy2_tg6,
	.targetsize	= sizeof(struct ip6t_tproxy_target_info),
	.checkentry	= tproxy2_tg6_check,
	.destroy	= tproxy2_tg6_destroy,
	.me		= THIS_MODULE,
};

static int __init tproxy2_tg6_init(void)
{
	return xt_register_target(&tproxy2_tg6_reg);
}

static void __exit tproxy2_tg6_exit(void)
{
	xt_unregister_target(&tproxy2_tg6_reg);
}

module_init(tproxy2_tg6_init);
module_exit(tproxy2_tg6_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("TPROXY 2.0 target of the ip6tables tproxy table");
/* x_tables asks for ip6t_TPROXY; xt_TPROXY answers to the same alias */
MODULE_ALIAS("ip6t_TPROXY");
