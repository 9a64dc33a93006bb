// SPDX-License-Identifier: GPL-2.0-only
/*
 * TPROXY 2.0 sockrefs, the top layer: the module's init and exit, and a
 * network namespace's (struct tproxy2_net) from its init to its exit.  The
 * namespace's tables and NAT lookups come later, with its first sockref
 * (nf_tproxy2_ops.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#include "nf_tproxy2_internal.h"

static int __net_init tproxy2_net_init(struct net *net)
{
	struct tproxy2_net *tn = tproxy2_pernet(net);
	int err;

	spin_lock_init(&tn->lock);
	mutex_init(&tn->setup);
	INIT_DELAYED_WORK(&tn->keeper, nf_tproxy2_keeper_work);
	INIT_DELAYED_WORK(&tn->sweeper, nf_tproxy2_sweeper_work);
	INIT_DELAYED_WORK(&tn->pruner, nf_tproxy2_pruner_work);
	tn->net = net;
	tn->owned_next = jiffies;
	err = nf_tproxy2_accepted_init(tn);
	if (err)
		return err;
	err = nf_tproxy2_proc_init(net);
	if (err)
		nf_tproxy2_accepted_destroy(tn);
	return err;
}

static void __net_exit tproxy2_net_pre_exit(struct net *net)
{
	nf_tproxy2_setup_pre_exit(net);
}

/* The packet path is gone (pre_exit, and a grace period).  A kernel socket
 * of the namespace may still be released later, and a socket of any
 * namespace on module unload: from here on it finds the namespace no
 * longer tproxied and, once the tables are gone, without sockrefs.
 */
static void __net_exit tproxy2_net_exit(struct net *net)
{
	struct tproxy2_net *tn = tproxy2_pernet(net);

	nf_tproxy2_proc_exit(net);
	WRITE_ONCE(tn->tproxied, false);
	nf_tproxy2_gc_net_exit(tn);
	nf_tproxy2_accepted_net_exit(tn);
	nf_tproxy2_release_cts(nf_tproxy2_tables_net_exit(tn));
	nf_tproxy2_setup_exit(net);
}

static struct pernet_operations tproxy2_net_ops = {
	.init		= tproxy2_net_init,
	.pre_exit	= tproxy2_net_pre_exit,
	.exit		= tproxy2_net_exit,
	.id		= &nf_tproxy2_net_id,
	.size		= sizeof(struct tproxy2_net),
};

static int __init tproxy2_init(void)
{
	int err;

	err = nf_tproxy2_objects_init();
	if (err)
		return err;
	err = register_pernet_subsys(&tproxy2_net_ops);
	if (err)
		goto err_objects;
	err = nf_tproxy2_sockopt_init();
	if (err)
		goto err_pernet;
	return 0;

err_pernet:
	unregister_pernet_subsys(&tproxy2_net_ops);
err_objects:
	nf_tproxy2_objects_fini();
	return err;
}

static void __exit tproxy2_exit(void)
{
	/* Sockets closed from now on may leave sockrefs behind (the release
	 * callback goes with the options), which nothing may look at any
	 * more; the lookups that did not see the flag are done after a grace
	 * period.
	 */
	WRITE_ONCE(nf_tproxy2_stopped, true);
	synchronize_rcu();
	nf_tproxy2_sockopt_exit();
	/* the namespaces' exits, with their keepers' and sweepers' works */
	unregister_pernet_subsys(&tproxy2_net_ops);
	nf_tproxy2_objects_fini();
}

module_init(tproxy2_init);
module_exit(tproxy2_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("TPROXY 2.0 sockrefs: the IP_TPROXY and IPV6_TPROXY socket options");
