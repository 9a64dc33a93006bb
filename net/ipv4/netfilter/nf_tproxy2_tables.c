// SPDX-License-Identifier: GPL-2.0-only
/*
 * TPROXY 2.0 sockrefs: a namespace's tables of sockrefs, by socket (by_sk)
 * and by foreign address (by_foreign, in buckets of three kinds), and a
 * sockref's placement in them.  Writers hold tn->lock; the lookups here
 * may run under RCU instead.  The packet path's lookups for a new
 * connection, which walk a bucket, are in nf_tproxy2_hooks.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/llist.h>
#include <linux/netfilter_ipv4/ip_tproxy.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>

#include "nf_tproxy2_internal.h"

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

/* The socket's sockref.  Caller holds tn->lock, or RCU. */
struct tproxy2_sockref *nf_tproxy2_find_by_sk(struct tproxy2_tables *t,
					      const struct sock *sk)
{
	return rhashtable_lookup_fast(&t->by_sk, &sk, tproxy2_sk_params);
}

/* The calling socket's own sockref, if the namespace has tables; caller
 * holds tn->lock.
 */
struct tproxy2_sockref *nf_tproxy2_find_locked(struct tproxy2_net *tn,
					       const struct sock *sk)
{
	struct tproxy2_tables *t = tproxy2_tables_locked(tn);

	return t ? nf_tproxy2_find_by_sk(t, sk) : NULL;
}

/* The bucket of @key.  Caller holds tn->lock, or RCU. */
struct tproxy2_bucket *nf_tproxy2_find_bucket(struct tproxy2_tables *t,
					      const struct tproxy2_fkey *key)
{
	return rhashtable_lookup_fast(&t->by_foreign, key,
				      tproxy2_foreign_params);
}

/* The bucket of @key, made if need be; caller holds tn->lock. */
static struct tproxy2_bucket *
tproxy2_bucket_find_or_make(struct tproxy2_tables *t,
			    const struct tproxy2_fkey *key)
{
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

/* A bucket goes with its last sockref or user; caller holds tn->lock. */
static void tproxy2_bucket_free_unused(struct tproxy2_tables *t,
				       struct tproxy2_bucket *b)
{
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

	tproxy2_fkey_init(&k, TPROXY2_BY_PORT, family, proto, faddr, fport,
			  NULL, 0);
	return nf_tproxy2_find_bucket(t, &k);
}

/**
 * tproxy2_place_from - move a sockref from the buckets of @from to those of @to
 * @t: the namespace's tables
 * @sr: the sockref
 * @from: the place it is in now (its fields); NULL for a new sockref, in
 *	no bucket yet
 * @to: its new mode, peer and foreign port
 *
 * Every change of these fields goes through here.  The new buckets are
 * made first, so that without memory nothing changes.  A sockref whose
 * bucket stays the same stays where it is in it.  A lookup that races with
 * a move to another bucket may follow the sockref there; it notices and
 * starts over (tproxy2_scan_bucket() in nf_tproxy2_hooks.c).  Caller holds
 * tn->lock, or is the namespace's exit, with no one else left.  Returns 0
 * or -ENOMEM.
 */
static int tproxy2_place_from(struct tproxy2_tables *t,
			      struct tproxy2_sockref *sr,
			      const struct tproxy2_place *from,
			      const struct tproxy2_place *to)
{
	struct tproxy2_bucket *old_mode = NULL, *old_port = NULL;
	struct tproxy2_bucket *new_mode = NULL, *new_port = NULL;
	struct tproxy2_fkey old_key, new_key, k;

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
			new_mode = tproxy2_bucket_find_or_make(t, &new_key);
		if (!new_mode)
			return -ENOMEM;
	}
	if (tproxy2_port_key(sr, to, &k)) {
		new_port = tproxy2_bucket_find_or_make(t, &k);
		if (!new_port) {
			if (new_mode != old_mode)
				tproxy2_bucket_free_unused(t, new_mode);
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
		tproxy2_bucket_free_unused(t, old_port);
	}
	if (old_mode != new_mode)
		tproxy2_bucket_free_unused(t, old_mode);
	return 0;
}

/* Give a sockref of the tables the fields of @to, in their buckets.
 * Caller holds tn->lock.  Returns 0 or -ENOMEM (then nothing changed).
 */
int nf_tproxy2_place(struct tproxy2_tables *t, struct tproxy2_sockref *sr,
		     const struct tproxy2_place *to)
{
	struct tproxy2_place from;

	nf_tproxy2_place_of(sr, &from);
	return tproxy2_place_from(t, sr, &from, to);
}

/* Out of its buckets; caller holds tn->lock, or is the namespace's exit */
static void tproxy2_unplace(struct tproxy2_tables *t, struct tproxy2_sockref *sr)
{
	static const struct tproxy2_place none = {};

	/* cannot fail: no bucket is made */
	nf_tproxy2_place(t, sr, &none);
}

/* Into both tables, or neither: caller holds tn->lock.  The socket has
 * no sockref yet, so only memory can be missing.  A new sockref has no
 * mode: its buckets (the count of its foreign port) do not point to it,
 * and it is seen by no reader before it is in by_sk, last.
 */
int nf_tproxy2_link(struct tproxy2_tables *t, struct tproxy2_sockref *sr)
{
	struct tproxy2_place to;

	nf_tproxy2_place_of(sr, &to);
	if (tproxy2_place_from(t, sr, NULL, &to))
		return -ENOMEM;
	if (rhashtable_insert_fast(&t->by_sk, &sr->owner_node,
				   tproxy2_sk_params)) {
		tproxy2_unplace(t, sr);
		return -ENOMEM;
	}
	return 0;
}

/* Out of both tables, freed after RCU readers (kfree_rcu()).  Caller holds
 * tn->lock; returns the sockref's conntracks, for the caller to let go of
 * without the lock.
 */
struct llist_node *nf_tproxy2_unlink(struct tproxy2_net *tn,
				     struct tproxy2_sockref *sr)
{
	struct tproxy2_tables *t = tproxy2_tables_locked(tn);
	struct llist_node *cts;

	rhashtable_remove_fast(&t->by_sk, &sr->owner_node, tproxy2_sk_params);
	tproxy2_unplace(t, sr);
	WRITE_ONCE(sr->dead, true);
	/* pairs with smp_mb() in tproxy2_cts_add() (nf_tproxy2_hooks.c) */
	smp_mb();
	cts = llist_del_all(&sr->cts);
	WRITE_ONCE(tn->count, tn->count - 1);
	kfree_rcu(sr, rcu);
	return cts;
}

/* A sockref left at the namespace's exit; no reader is left. */
static void tproxy2_free_sockref_at_exit(void *ptr, void *arg)
{
	struct tproxy2_sockref *sr = ptr;

	tproxy2_unplace(arg, sr);
	/* on module unload their connections live on, unpinned */
	nf_tproxy2_release_cts(llist_del_all(&sr->cts));
	kmem_cache_free(nf_tproxy2_sockref_cache, sr);
}

/* The namespace's exit: the sockrefs left in the tables go with them (only
 * kernel sockets, or any on module unload, can still have one).  No reader
 * is left.
 */
void nf_tproxy2_tables_exit(struct tproxy2_tables *t)
{
	rhashtable_free_and_destroy(&t->by_sk, tproxy2_free_sockref_at_exit, t);
	rhashtable_destroy(&t->by_foreign);	/* empty by now */
}
