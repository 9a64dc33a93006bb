// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ip6tables "tproxy" table of TPROXY 2.0.
 *
 * The IPv6 twin of iptable_tproxy.c.  The table has NAT semantics: its
 * rules see only the first packet of a new connection, and the mapping a
 * rule sets up applies to the whole connection.  So, like the nat table,
 * it is not an ordinary hook but a set of NAT lookup functions run by the
 * NAT core.  They sit at NF_IP6_PRI_TPROXY, ahead of the nat table's
 * lookups: after mangle, before DNAT.  Registering them is also what puts
 * the NAT core's hooks into the namespace, so the table works where no nat
 * table was ever instantiated.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv6.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <linux/slab.h>
#include <net/netns/generic.h>
#include <net/netfilter/nf_nat.h>

#define TPROXY_VALID_HOOKS ((1 << NF_INET_PRE_ROUTING) | \
			    (1 << NF_INET_LOCAL_OUT))

struct ip6table_tproxy_pernet {
	struct nf_hook_ops *ops;
};

static unsigned int ip6table_tproxy_net_id __read_mostly;

static const struct xt_table packet_tproxy = {
	.name		= "tproxy",
	.valid_hooks	= TPROXY_VALID_HOOKS,
	.me		= THIS_MODULE,
	.af		= NFPROTO_IPV6,
	.priority	= NF_IP6_PRI_TPROXY,
};

static const struct nf_hook_ops ip6table_tproxy_ops[] = {
	{
		.hook		= ip6t_do_table,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_PRE_ROUTING,
		.priority	= NF_IP6_PRI_TPROXY,
	},
	{
		.hook		= ip6t_do_table,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP6_PRI_TPROXY,
	},
};

static int ip6table_tproxy_register_lookups(struct net *net)
{
	struct ip6table_tproxy_pernet *pn = net_generic(net, ip6table_tproxy_net_id);
	struct nf_hook_ops *ops;
	struct xt_table *table;
	int i, ret;

	table = xt_find_table(net, NFPROTO_IPV6, packet_tproxy.name);
	if (WARN_ON_ONCE(!table))
		return -ENOENT;

	ops = kmemdup(ip6table_tproxy_ops, sizeof(ip6table_tproxy_ops), GFP_KERNEL);
	if (!ops)
		return -ENOMEM;

	for (i = 0; i < ARRAY_SIZE(ip6table_tproxy_ops); i++) {
		ops[i].priv = table;
		ret = nf_nat_ipv6_register_fn(net, &ops[i]);
		if (ret) {
			while (i)
				nf_nat_ipv6_unregister_fn(net, &ops[--i]);
			kfree_rcu(ops, rcu);
			return ret;
		}
	}

	pn->ops = ops;
	return 0;
}

static void ip6table_tproxy_unregister_lookups(struct net *net)
{
	struct ip6table_tproxy_pernet *pn = net_generic(net, ip6table_tproxy_net_id);
	struct nf_hook_ops *ops = pn->ops;
	int i;

	if (!ops)
		return;

	for (i = 0; i < ARRAY_SIZE(ip6table_tproxy_ops); i++)
		nf_nat_ipv6_unregister_fn(net, &ops[i]);

	pn->ops = NULL;
	kfree_rcu(ops, rcu);
}

static int ip6table_tproxy_table_init(struct net *net)
{
	struct ip6t_replace *repl;
	int ret;

	repl = ip6t_alloc_initial_table(&packet_tproxy);
	if (!repl)
		return -ENOMEM;

	ret = ip6t_register_table(net, &packet_tproxy, repl, NULL);
	kfree(repl);
	if (ret < 0)
		return ret;

	ret = ip6table_tproxy_register_lookups(net);
	if (ret < 0)
		ip6t_unregister_table_exit(net, packet_tproxy.name);

	return ret;
}

static void __net_exit ip6table_tproxy_net_pre_exit(struct net *net)
{
	ip6table_tproxy_unregister_lookups(net);
}

static void __net_exit ip6table_tproxy_net_exit(struct net *net)
{
	ip6t_unregister_table_exit(net, packet_tproxy.name);
}

static struct pernet_operations ip6table_tproxy_net_ops = {
	.pre_exit	= ip6table_tproxy_net_pre_exit,
	.exit		= ip6table_tproxy_net_exit,
	.id		= &ip6table_tproxy_net_id,
	.size		= sizeof(struct ip6table_tproxy_pernet),
};

static int __init ip6table_tproxy_init(void)
{
	int ret;

	/* The per-netns area must exist before a namespace instantiates
	 * the table from the template.
	 */
	ret = register_pernet_subsys(&ip6table_tproxy_net_ops);
	if (ret < 0)
		return ret;

	ret = xt_register_template(&packet_tproxy, ip6table_tproxy_table_init);
	if (ret < 0)
		unregister_pernet_subsys(&ip6table_tproxy_net_ops);

	return ret;
}

static void __exit ip6table_tproxy_fini(void)
{
	xt_unregister_template(&packet_tproxy);
	unregister_pernet_subsys(&ip6table_tproxy_net_ops);
}

module_init(ip6table_tproxy_init);
module_exit(ip6table_tproxy_fini);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ip6tables legacy tproxy table (TPROXY 2.0)");
