// SPDX-License-Identifier: GPL-2.0-only
/*
 * TPROXY 2.0 sockrefs: a network namespace's state (struct tproxy2_net),
 * from its init through the setup of its tables and NAT lookups with its
 * first sockref to its exit; and what the module sets up once (the
 * workqueue, the slab caches, the pernet operations).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/llist.h>
#include <linux/netfilter.h>
#include <linux/rhashtable.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/netfilter/nf_conntrack.h>

#include "nf_tproxy2_internal.h"

unsigned int nf_tproxy2_net_id __read_mostly;
struct workqueue_struct *nf_tproxy2_wq __read_mostly;
struct kmem_cache *nf_tproxy2_sockref_cache __read_mostly;
struct kmem_cache *nf_tproxy2_ct_cache __read_mostly;
siphash_key_t nf_tproxy2_once_key __read_mostly;
bool nf_tproxy2_stopped __read_mostly;

/* The namespace's tables, set up with its first sockref, and conntrack and
 * the NAT lookups of @family, with its first sockref of that family: an
 * IPv4 proxy does not turn on IPv6 connection tracking.  Once set, the
 * tables and the lookups live as long as the namespace.
 */
struct tproxy2_tables *nf_tproxy2_setup_tables(struct net *net, u8 family)
{
	int i = family == NFPROTO_IPV4 ? TPROXY2_IPV4 : TPROXY2_IPV6;
	struct tproxy2_net *tn = tproxy2_pernet(net);
	struct tproxy2_tables *t, *new = NULL;
	struct nf_hook_ops *ops;
	int err;

	t = rcu_dereference_check(tn->tables, true);
	/* pairs with smp_store_release() below: the lookups are in place */
	if (likely(t && smp_load_acquire(&tn->ops[i])))
		return t;

	mutex_lock(&tn->setup);
	t = rcu_dereference_protected(tn->tables, lockdep_is_held(&tn->setup));
	if (t && tn->ops[i])
		goto out;

	if (!t) {
		err = -ENOMEM;
		new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
		if (!new)
			goto err_unlock;
		err = nf_tproxy2_tables_init(new);
		if (err)
			goto err_free;
	}
	err = nf_ct_netns_get(net, family);
	if (err)
		goto err_destroy;
	ops = nf_tproxy2_register_lookups(net, family);
	if (IS_ERR(ops)) {
		err = PTR_ERR(ops);
		goto err_netns;
	}
	/* the lookups are in place before a sockref of the family can be */
	smp_store_release(&tn->ops[i], ops);
	if (new) {
		t = new;
		rcu_assign_pointer(tn->tables, t);
	}
out:
	mutex_unlock(&tn->setup);
	return t;

err_netns:
	nf_ct_netns_put(net, family);
err_destroy:
	if (new)
		nf_tproxy2_tables_destroy(new);
err_free:
	kfree(new);
err_unlock:
	mutex_unlock(&tn->setup);
	return ERR_PTR(err);
}

static int __net_init tproxy2_net_init(struct net *net)
{
	struct tproxy2_net *tn = tproxy2_pernet(net);
	int err;

	spin_lock_init(&tn->lock);
	mutex_init(&tn->setup);
	INIT_DELAYED_WORK(&tn->keeper, nf_tproxy2_keeper_work);
	INIT_DELAYED_WORK(&tn->sweeper, nf_tproxy2_sweeper_work);
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

/* At the namespace's exit */
static bool tproxy2_unpin_one(struct tproxy2_net *tn, struct tproxy2_accepted *a,
			      struct nf_conn *ct, void *data)
{
	if (ct)
		nf_tproxy2_ct_unpin(ct);
	return false;
}

/* The namespace's packet path is gone: nothing pins any more.  A kernel
 * socket of the namespace may still be released later: it finds the
 * namespace no longer tproxied.  On module unload the namespace lives on,
 * and so do its connections: they are unpinned.
 */
static void tproxy2_accepted_fini(struct tproxy2_net *tn)
{
	/* No packet path is left to set it again (pre_exit, and a grace
	 * period): a socket released from now on (a kernel socket; a user
	 * socket holds the namespace) looks for nothing.
	 */
	WRITE_ONCE(tn->tproxied, false);
	cancel_delayed_work_sync(&tn->keeper);
	cancel_delayed_work_sync(&tn->sweeper);
	nf_tproxy2_walk_accepted(tn, IPPROTO_TCP, tproxy2_unpin_one, NULL);
	nf_tproxy2_accepted_destroy(tn);
}

/* The packet path goes.  The namespace's exit waits for an RCU grace
 * period after every pre_exit (ops_undo_list()): the lookups that started
 * before, here and in the tproxy table, are done by then.
 */
static void __net_exit tproxy2_net_pre_exit(struct net *net)
{
	struct tproxy2_net *tn = tproxy2_pernet(net);
	int i;

	for (i = 0; i < TPROXY2_FAMILIES; i++)
		if (tn->ops[i])
			nf_tproxy2_unregister_lookups(net, tn->ops[i]);
}

static void __net_exit tproxy2_net_exit(struct net *net)
{
	static const u8 family[TPROXY2_FAMILIES] = {
		[TPROXY2_IPV4] = NFPROTO_IPV4,
		[TPROXY2_IPV6] = NFPROTO_IPV6,
	};
	struct tproxy2_net *tn = tproxy2_pernet(net);
	struct tproxy2_tables *t;
	int i;

	nf_tproxy2_proc_exit(net);
	tproxy2_accepted_fini(tn);
	t = rcu_dereference_protected(tn->tables, 1);
	if (!t)
		return;

	/* Only kernel sockets, which hold no namespace reference, can still
	 * have sockrefs here; on module unload, any socket can.  The packet
	 * path is gone (pre_exit), but such a socket may be released now, on
	 * another CPU, and look in the tables under RCU or under tn->lock:
	 * they leave under the lock, and go after a grace period.  Only a
	 * namespace that had sockrefs waits for it.
	 */
	spin_lock_bh(&tn->lock);
	RCU_INIT_POINTER(tn->tables, NULL);
	spin_unlock_bh(&tn->lock);
	synchronize_rcu();
	nf_tproxy2_tables_exit(t);
	kfree(t);
	for (i = 0; i < TPROXY2_FAMILIES; i++) {
		if (!tn->ops[i])
			continue;
		nf_ct_netns_put(net, family[i]);
		kfree(tn->ops[i]);
		tn->ops[i] = NULL;
	}
}

static struct pernet_operations tproxy2_net_ops = {
	.init		= tproxy2_net_init,
	.pre_exit	= tproxy2_net_pre_exit,
	.exit		= tproxy2_net_exit,
	.id		= &nf_tproxy2_net_id,
	.size		= sizeof(struct tproxy2_net),
};

int __init nf_tproxy2_core_init(void)
{
	int err = -ENOMEM;

	/* 128 bytes on 64-bit, as struct tproxy2_sockref says: a thousand
	 * sockrefs on one client address are 128 kilobytes
	 */
	BUILD_BUG_ON(IS_ENABLED(CONFIG_64BIT) &&
		     sizeof(struct tproxy2_sockref) > 128);
	get_random_bytes(&nf_tproxy2_once_key, sizeof(nf_tproxy2_once_key));
	nf_tproxy2_wq = alloc_workqueue("tproxy2", 0, 0);
	if (!nf_tproxy2_wq)
		return -ENOMEM;
	nf_tproxy2_sockref_cache = KMEM_CACHE(tproxy2_sockref, SLAB_ACCOUNT);
	if (!nf_tproxy2_sockref_cache)
		goto err_wq;
	nf_tproxy2_ct_cache = KMEM_CACHE(tproxy2_ct, 0);
	if (!nf_tproxy2_ct_cache)
		goto err_sockref;

	err = register_pernet_subsys(&tproxy2_net_ops);
	if (!err)
		return 0;
	kmem_cache_destroy(nf_tproxy2_ct_cache);
err_sockref:
	kmem_cache_destroy(nf_tproxy2_sockref_cache);
err_wq:
	destroy_workqueue(nf_tproxy2_wq);
	return err;
}

/* Before the socket option goes, on module unload */
void nf_tproxy2_core_stop(void)
{
	WRITE_ONCE(nf_tproxy2_stopped, true);
	synchronize_rcu();	/* the lookups that did not see it */
}

void nf_tproxy2_core_fini(void)
{
	/* the namespaces' exits, with their keepers' and sweepers' works */
	unregister_pernet_subsys(&tproxy2_net_ops);
	destroy_workqueue(nf_tproxy2_wq);
	/* kmem_cache_destroy() waits for the sockrefs' kfree_rcu() itself
	 * (kvfree_rcu_barrier()); the buckets and the entries of
	 * tn->accepted are plain kmalloc() memory
	 */
	kmem_cache_destroy(nf_tproxy2_ct_cache);
	kmem_cache_destroy(nf_tproxy2_sockref_cache);
}
