// SPDX-License-Identifier: GPL-2.0-only
/*
 * TPROXY 2.0 sockrefs, the bottom layer: what the module sets up once (the
 * pernet id, the slab caches, the workqueue, the key of ITP_ONCE's hash)
 * and a namespace's tables of sockrefs, by socket (by_sk) and by foreign
 * address (by_foreign, in buckets of three kinds): a sockref's placement
 * in them, the lookups, the walks and a socket's removal of its sockref.
 * Writers hold tn->lock; the lookups here may run under RCU instead.  The
 * packet path's walk of a bucket for a new connection is in
 * nf_tproxy2_hooks.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/llist.h>
#include <linux/netfilter_ipv4/ip_tproxy.h>
#include <linux/random.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "nf_tproxy2_internal.h"

unsigned int nf_tproxy2_net_id __read_mostly;
struct workqueue_struct *nf_tproxy2_wq __read_mostly;
struct kmem_cache *nf_tproxy2_sockref_cache __read_mostly;
struct kmem_cache *nf_tproxy2_ct_cache __read_mostly;
siphash_key_t nf_tproxy2_once_key __read_mostly;
bool nf_tproxy2_stopped __read_mostly;

/* What every file of the module uses, set up before the pernet operations */
int __init nf_tproxy2_objects_init(void)
{
	/* 128 bytes on 64-bit, as struct tproxy2_sockref says: a thousand
	 * sockrefs on one client address are 128 kilobytes
	 */
	BUILD_BUG_ON(IS_ENABLED(CONFIG_64BIT) &&
		     sizeof(struct tproxy2_sockref) > 128);
	get_random_bytes(&nf_tproxy2_once_key, sizeof(nf_tproxy2_once_key));
	nf_tproxy2_sockref_cache = KMEM_CACHE(tproxy2_sockref, SLAB_ACCOUNT);
	if (!nf_tproxy2_sockref_cache)
		return -ENOMEM;
	nf_tproxy2_ct_cache = KMEM_CACHE(tproxy2_ct, 0);
	if (!nf_tproxy2_ct_cache)
		goto err_sockref;
	nf_tproxy2_wq = alloc_workqueue("tproxy2", 0, 0);
	if (!nf_tproxy2_wq)
		goto err_ct;
	return 0;

err_ct:
	kmem_cache_destroy(nf_tproxy2_ct_cache);
err_sockref:
	kmem_cache_destroy(nf_tproxy2_sockref_cache);
	return -ENOMEM;
}

/* After the pernet operations, whose exits ran the last works */
void nf_tproxy2_objects_fini(void)
{
	destroy_workqueue(nf_tproxy2_wq);
	/* kmem_cache_destroy() waits for the sockrefs' kfree_rcu() itself
	 * (kvfree_rcu_barrier()); the buckets and the entries of
	 * tn->accepted are plain kmalloc() memory
	 */
	kmem_cache_destroy(nf_tproxy2_ct_cache);
	kmem_cache_destroy(nf_tproxy2_sockref_cache);
}

static const struct rhashtable_params tproxy2_sk_params = {
	.head_offset		= offsetof(struct tproxy2_sockref, owner_node),
	.key_offset		= offsetof(struct tproxy2_sockref, sk),
	.key_len		= sizeof_field(struct tproxy2_sockref, sk),
	.automatic_shrinking	= true,
};

static const struct rhashtable_params tproxy2_foreign_params = {
	.head_offset		= offsetof(struct tproxy2_bucket, node),
	.key_offset		= offsetof(struct tproxy2_bucket, key),
	.key_len		= sizeof(struct tproxy2_fkey),
	.automatic_shrinking	= true,
};

int nf_tproxy2_tables_init(struct tproxy2_tables *t)
{
	int err;

	err = rhashtable_init(&t->by_sk, &tproxy2_sk_params);
	if (err)
		return err;
	err = rhashtable_init(&t->by_foreign, &tproxy2_foreign_params);
	if (err)
		rhashtable_destroy(&t->by_sk);
	return err;
}

/* The tables are empty, and no reader is left */
void nf_tproxy2_tables_destroy(struct tproxy2_tables *t)
{
	rhashtable_destroy(&t->by_foreign);
	rhashtable_destroy(&t->by_sk);
}

/* The sockref of @sk.  Under RCU, or under tn->lock (a BH-disabling lock,
 * which holds off RCU's grace periods too): the sockref is freed after one.
 */
struct tproxy2_sockref *nf_tproxy2_find_by_sk(struct tproxy2_tables *t,
					      const struct sock *sk)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_any_held(),
			 "tproxy2 sockref lookup outside RCU and tn->lock");
	return rhashtable_lookup_fast(&t->by_sk, &sk, tproxy2_sk_params);
}

/* The calling socket's own sockref, if the namespace has tables */
struct tproxy2_sockref *nf_tproxy2_find_locked(struct tproxy2_net *tn,
					       const struct sock *sk)
{
	struct tproxy2_tables *t = tproxy2_tables_locked(tn);

	return t ? nf_tproxy2_find_by_sk(t, sk) : NULL;
}

/* The bucket of @key; under RCU or tn->lock, as nf_tproxy2_find_by_sk() */
struct tproxy2_bucket *nf_tproxy2_find_bucket(struct tproxy2_tables *t,
					      const struct tproxy2_fkey *key)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_any_held(),
			 "tproxy2 bucket lookup outside RCU and tn->lock");
	return rhashtable_lookup_fast(&t->by_foreign, key,
				      tproxy2_foreign_params);
}

/* The bucket of @key, made if need be */
static struct tproxy2_bucket *
tproxy2_bucket_find_or_make(struct tproxy2_net *tn,
			    const struct tproxy2_fkey *key)
{
	struct tproxy2_tables *t = tproxy2_tables_locked(tn);
	struct tproxy2_bucket *b = nf_tproxy2_find_bucket(t, key);

	if (b)
		return b;
	b = kzalloc(sizeof(*b), GFP_ATOMIC | __GFP_ACCOUNT);
	if (!b)
		return NULL;
	b->key = *key;
	INIT_HLIST_NULLS_HEAD(&b->sockrefs, tproxy2_bucket_nulls(b));
	if (rhashtable_insert_fast(&t->by_foreign, &b->node,
				   tproxy2_foreign_params)) {
		kfree(b);
		return NULL;
	}
	WRITE_ONCE(t->buckets[key->kind], t->buckets[key->kind] + 1);
	return b;
}

/* A bucket goes with its last sockref or user */
static void tproxy2_bucket_free_unused(struct tproxy2_net *tn,
				       struct tproxy2_bucket *b)
{
	struct tproxy2_tables *t = tproxy2_tables_locked(tn);

	if (!b || b->users || !hlist_nulls_empty(&b->sockrefs))
		return;
	rhashtable_remove_fast(&t->by_foreign, &b->node, tproxy2_foreign_params);
	WRITE_ONCE(t->buckets[b->key.kind], t->buckets[b->key.kind] - 1);
	kfree_rcu(b, rcu);
}

/* The bucket of lookups a sockref in @p is found by, if any */
static bool tproxy2_mode_key(const struct tproxy2_sockref *sr,
			     const struct tproxy2_place *p,
			     struct tproxy2_fkey *k)
{
	enum tproxy2_fkind kind;

	if (tproxy2_addr_any(&sr->faddr))
		return false;
	if (p->flags & ITP_ESTABLISHED)
		kind = TPROXY2_BY_SESSION;
	else if (p->flags & ITP_LISTEN)
		kind = TPROXY2_BY_LISTEN;
	else
		return false;
	tproxy2_fkey_init(k, kind, sr->family, sr->proto, &sr->faddr, p->fport,
			  &p->raddr, p->rport);
	return true;
}

/* The bucket that counts a sockref in @p as a user of its port, if any */
static bool tproxy2_port_key(const struct tproxy2_sockref *sr,
			     const struct tproxy2_place *p,
			     struct tproxy2_fkey *k)
{
	if (tproxy2_addr_any(&sr->faddr) || !p->fport)
		return false;
	tproxy2_fkey_init(k, TPROXY2_BY_PORT, sr->family, sr->proto, &sr->faddr,
			  p->fport, NULL, 0);
	return true;
}

/* The fields of @sr that decide its buckets */
void nf_tproxy2_place_of(const struct tproxy2_sockref *sr,
			 struct tproxy2_place *p)
{
	p->flags = sr->flags;
	p->raddr = sr->raddr;
	p->rport = sr->rport;
	p->fport = sr->fport;
}

/* Is faddr:fport the foreign address of a sockref?  Callable anywhere: the
 * lookup takes RCU itself, and only its answer is used.
 */
bool nf_tproxy2_port_in_use(struct tproxy2_tables *t, u8 family, u8 proto,
			    const union nf_inet_addr *faddr, __be16 fport)
{
	struct tproxy2_fkey k;
	bool used;

	tproxy2_fkey_init(&k, TPROXY2_BY_PORT, family, proto, faddr, fport,
			  NULL, 0);
	rcu_read_lock();
	used = nf_tproxy2_find_bucket(t, &k);
	rcu_read_unlock();
	return used;
}

/**
 * tproxy2_place_from - move a sockref from the buckets of @from to those of @to
 * @tn: the namespace's sockrefs; tn->lock is held
 * @sr: the sockref
 * @from: the place it is in now (its fields); NULL for a new sockref, in
 *	no bucket yet
 * @to: its new mode, peer and foreign port
 *
 * Every change of these fields goes through here.  The new buckets are
 * made first, so that without memory nothing changes.  A sockref whose
 * bucket stays the same stays where it is in it.  A lookup that races with
 * a move to another bucket may follow the sockref there; it notices and
 * starts over (tproxy2_scan_bucket() in nf_tproxy2_hooks.c).
 *
 * Return: 0 or -ENOMEM.
 */
static int tproxy2_place_from(struct tproxy2_net *tn, struct tproxy2_sockref *sr,
			      const struct tproxy2_place *from,
			      const struct tproxy2_place *to)
{
	struct tproxy2_tables *t = tproxy2_tables_locked(tn);
	struct tproxy2_bucket *old_mode = NULL, *old_port = NULL;
	struct tproxy2_bucket *new_mode = NULL, *new_port = NULL;
	struct tproxy2_fkey old_key, new_key, k;

	lockdep_assert_held(&tn->lock);
	if (from) {
		if (tproxy2_mode_key(sr, from, &old_key))
			old_mode = nf_tproxy2_find_bucket(t, &old_key);
		if (tproxy2_port_key(sr, from, &k))
			old_port = nf_tproxy2_find_bucket(t, &k);
	}
	if (tproxy2_mode_key(sr, to, &new_key)) {
		if (old_mode && !memcmp(&old_key, &new_key, sizeof(new_key)))
			new_mode = old_mode;
		else
			new_mode = tproxy2_bucket_find_or_make(tn, &new_key);
		if (!new_mode)
			return -ENOMEM;
	}
	if (tproxy2_port_key(sr, to, &k)) {
		new_port = tproxy2_bucket_find_or_make(tn, &k);
		if (!new_port) {
			if (new_mode != old_mode)
				tproxy2_bucket_free_unused(tn, new_mode);
			return -ENOMEM;
		}
		new_port->users++;
	}

	if (old_mode && new_mode != old_mode)
		hlist_nulls_del_rcu(&sr->foreign_node);
	WRITE_ONCE(sr->flags, to->flags);
	tproxy2_addr_write_once(&sr->raddr, &to->raddr);
	WRITE_ONCE(sr->rport, to->rport);
	WRITE_ONCE(sr->fport, to->fport);
	if (new_mode && new_mode != old_mode)
		hlist_nulls_add_head_rcu(&sr->foreign_node, &new_mode->sockrefs);

	if (old_port) {
		old_port->users--;
		tproxy2_bucket_free_unused(tn, old_port);
	}
	if (old_mode != new_mode)
		tproxy2_bucket_free_unused(tn, old_mode);
	return 0;
}

/* Give a sockref of the tables the fields of @to, in their buckets.
 * Returns 0 or -ENOMEM (then nothing changed).
 */
int nf_tproxy2_place(struct tproxy2_net *tn, struct tproxy2_sockref *sr,
		     const struct tproxy2_place *to)
{
	struct tproxy2_place from;

	nf_tproxy2_place_of(sr, &from);
	return tproxy2_place_from(tn, sr, &from, to);
}

/* Out of its buckets; cannot fail: no bucket is made */
static void tproxy2_unplace(struct tproxy2_net *tn, struct tproxy2_sockref *sr)
{
	static const struct tproxy2_place none = {};

	nf_tproxy2_place(tn, sr, &none);
}

/* Into both tables, or neither.  The socket has no sockref yet, so only
 * memory can be missing.  A new sockref has no mode: its buckets (the
 * count of its foreign port) do not point to it, and it is seen by no
 * reader before it is in by_sk, last.
 */
int nf_tproxy2_link(struct tproxy2_net *tn, struct tproxy2_sockref *sr)
{
	struct tproxy2_tables *t = tproxy2_tables_locked(tn);
	struct tproxy2_place to;

	lockdep_assert_held(&tn->lock);
	nf_tproxy2_place_of(sr, &to);
	if (tproxy2_place_from(tn, sr, NULL, &to))
		return -ENOMEM;
	if (rhashtable_insert_fast(&t->by_sk, &sr->owner_node,
				   tproxy2_sk_params)) {
		tproxy2_unplace(tn, sr);
		return -ENOMEM;
	}
	WRITE_ONCE(tn->count, tn->count + 1);
	return 0;
}

/* Out of both tables, freed after RCU readers (kfree_rcu()).  Returns the
 * sockref's conntracks, for the caller to let go of without the lock.
 */
static struct llist_node *tproxy2_unlink(struct tproxy2_net *tn,
					 struct tproxy2_sockref *sr)
{
	struct tproxy2_tables *t = tproxy2_tables_locked(tn);
	struct llist_node *cts;

	lockdep_assert_held(&tn->lock);
	rhashtable_remove_fast(&t->by_sk, &sr->owner_node, tproxy2_sk_params);
	tproxy2_unplace(tn, sr);
	WRITE_ONCE(sr->dead, true);
	/* pairs with smp_mb() in tproxy2_cts_add() (nf_tproxy2_conntrack.c) */
	smp_mb();
	cts = llist_del_all(&sr->cts);
	WRITE_ONCE(tn->count, tn->count - 1);
	kfree_rcu(sr, rcu);
	return cts;
}

/* Remove the socket's sockref, if it has one: returns whether it had, and
 * in @cts the conntracks it owned, for the caller to let go of.  A socket
 * without a sockref costs one lookup under RCU, and no lock.
 */
bool nf_tproxy2_remove_sockref(struct tproxy2_net *tn, const struct sock *sk,
			       struct llist_node **cts)
{
	struct tproxy2_sockref *sr;
	struct tproxy2_tables *t;

	*cts = NULL;
	rcu_read_lock();
	t = rcu_dereference(tn->tables);
	sr = t ? nf_tproxy2_find_by_sk(t, sk) : NULL;
	rcu_read_unlock();
	if (!sr)
		return false;

	spin_lock_bh(&tn->lock);
	sr = nf_tproxy2_find_locked(tn, sk);
	if (sr)
		*cts = tproxy2_unlink(tn, sr);
	spin_unlock_bh(&tn->lock);
	return sr;
}

/**
 * nf_tproxy2_walk_sockrefs - call @fn on every sockref of a namespace
 * @tn: the namespace's sockrefs; tn->setup is held, so that the tables stay
 * @fn: called under RCU, without tn->lock; returns whether to count the
 *	sockref
 *
 * A batch at a time: a sockref that comes or goes meanwhile may be missed,
 * one may be seen twice if the table is resized.  The cost is the
 * namespace's own sockrefs.
 *
 * Return: whether @fn returned true for any.
 */
bool nf_tproxy2_walk_sockrefs(struct tproxy2_net *tn,
			      bool (*fn)(struct tproxy2_net *tn,
					 struct tproxy2_sockref *sr))
{
	struct tproxy2_tables *t = tproxy2_tables_setup(tn);
	struct rhashtable_iter iter;
	struct tproxy2_sockref *sr;
	unsigned int n = 0;
	bool any = false;

	if (!t)
		return false;
	rhashtable_walk_enter(&t->by_sk, &iter);
	rhashtable_walk_start(&iter);
	while ((sr = rhashtable_walk_next(&iter))) {
		if (IS_ERR(sr))
			continue;
		any |= fn(tn, sr);
		if (++n % 256 == 0) {
			rhashtable_walk_stop(&iter);
			cond_resched();
			rhashtable_walk_start(&iter);
		}
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
	return any;
}

/* A sockref left at the namespace's exit; no reader is left.  Its
 * conntracks join @arg, for the caller to let go of.
 */
static void tproxy2_free_sockref_at_exit(void *ptr, void *arg)
{
	struct tproxy2_sockref *sr = ptr;
	struct llist_node *node, *next;

	llist_for_each_safe(node, next, llist_del_all(&sr->cts))
		llist_add(node, arg);

	kmem_cache_free(nf_tproxy2_sockref_cache, sr);
}

static void tproxy2_free_bucket_at_exit(void *ptr, void *arg)
{
	kfree(ptr);
}

/**
 * nf_tproxy2_tables_net_exit - the tables of a namespace that goes
 * @tn: the namespace's sockrefs; its packet path is gone
 *
 * Only kernel sockets, which hold no namespace reference, can still have
 * sockrefs here; on module unload, any socket can.  Such a socket may be
 * released now, on another CPU, and look in the tables under RCU or under
 * tn->lock: they leave under the lock, and go after a grace period.  Only a
 * namespace that had sockrefs waits for it.
 *
 * Return: the conntracks the sockrefs left owned, for the caller to let go
 * of (on module unload their connections live on).
 */
struct llist_node *nf_tproxy2_tables_net_exit(struct tproxy2_net *tn)
{
	LLIST_HEAD(cts);
	struct tproxy2_tables *t;

	mutex_lock(&tn->setup);
	t = tproxy2_tables_setup(tn);
	if (t) {
		spin_lock_bh(&tn->lock);
		RCU_INIT_POINTER(tn->tables, NULL);
		spin_unlock_bh(&tn->lock);
	}
	mutex_unlock(&tn->setup);
	if (!t)
		return NULL;
	synchronize_rcu();
	rhashtable_free_and_destroy(&t->by_sk, tproxy2_free_sockref_at_exit,
				    &cts);
	rhashtable_free_and_destroy(&t->by_foreign, tproxy2_free_bucket_at_exit,
				    NULL);
	kfree(t);
	return llist_del_all(&cts);
}
