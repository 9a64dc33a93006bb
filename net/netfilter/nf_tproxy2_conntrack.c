// SPDX-License-Identifier: GPL-2.0-only
/*
 * TPROXY 2.0 sockrefs: the conntracks of tproxied connections.  Their pins
 * (see TPROXY2_PIN), the conntracks a sockref owns (its list @cts): how
 * they join it on the packet path and how they are let go of, the lookups
 * of a tproxied conntrack by a tuple, the tables of the connections
 * redirected to local sockets (tn->accepted), and what a socket's release
 * lets go of in them.  The keeper, the sweeper and the pruner, which walk
 * these, are in nf_tproxy2_gc.c; this file only queues them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/llist.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/l3mdev.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_l4proto.h>
#include <net/netfilter/nf_conntrack_timeout.h>
#include <net/netfilter/nf_conntrack_zones.h>

#include "nf_tproxy2_internal.h"

/* UDP has no closing handshake: a released flow goes this long after */
#define TPROXY2_GRACE		HZ

/* A sockref came to own a conntrack, which may die at once (a SYN that the
 * socket answers with a reset): the pruner runs within TPROXY2_PRUNE_DELAY,
 * once for any number of them.
 */
void nf_tproxy2_pruner_soon(struct tproxy2_net *tn)
{
	if (!test_and_set_bit(TPROXY2_PRUNER_DUE, &tn->keeper_flags))
		queue_delayed_work(nf_tproxy2_wq, &tn->pruner,
				   TPROXY2_PRUNE_DELAY);
}

/* A pinned conntrack is to be kept: the keeper runs within the period */
void nf_tproxy2_keeper_start(struct tproxy2_net *tn)
{
	/* nothing if it is queued already, sooner or not */
	queue_delayed_work(nf_tproxy2_wq, &tn->keeper, TPROXY2_KEEP_PERIOD);
}

/* A connection waits for its socket: the keeper runs within TPROXY2_SETTLE.
 * Once per run, so that a stream of connections does not put it off.
 */
void nf_tproxy2_keeper_soon(struct tproxy2_net *tn)
{
	if (!test_and_set_bit(TPROXY2_KEEPER_SOON, &tn->keeper_flags))
		mod_delayed_work(nf_tproxy2_wq, &tn->keeper, TPROXY2_SETTLE);
}

/* The keeper: a pinned conntrack's timeout moves on once a keeper period
 * of it is gone, so that two runs up to twice the period apart (a run put
 * off by one that new connections asked for) leave it a quarter of a day.
 * Conntrack's own refresh leaves a pinned conntrack alone, and an
 * unconfirmed one (its timeout still relative) is left to confirmation.
 */
void nf_tproxy2_ct_keep(struct nf_conn *ct)
{
	if (nf_ct_is_confirmed(ct) &&
	    test_bit(IPS_FIXED_TIMEOUT_BIT, &ct->status) &&
	    nf_ct_expires(ct) < TPROXY2_PIN - TPROXY2_KEEP_PERIOD)
		WRITE_ONCE(ct->timeout, nfct_time_stamp + TPROXY2_PIN);
}

/* The keeper: the socket of a redirected connection exists, pin its
 * conntrack (confirmed: it was found in the table).  A refresh that ran
 * on another CPU just before the pin may still write its state's timeout;
 * the next run moves that on.  Returns whether it was pinned just now.
 */
bool nf_tproxy2_ct_pin_confirmed(struct nf_conn *ct)
{
	if (test_and_set_bit(IPS_FIXED_TIMEOUT_BIT, &ct->status)) {
		nf_tproxy2_ct_keep(ct);
		return false;
	}
	WRITE_ONCE(ct->timeout, nfct_time_stamp + TPROXY2_PIN);
	return true;
}

/* The socket of a pinned TCP connection went: from now on conntrack's own
 * timeouts, starting with that of the connection's current state (the
 * next packet applies conntrack's finer rules, e.g. for unacknowledged
 * data).
 */
void nf_tproxy2_ct_unpin(struct nf_conn *ct)
{
	const unsigned int *timeouts;
	unsigned int timeout;

	if (!test_and_clear_bit(IPS_FIXED_TIMEOUT_BIT, &ct->status))
		return;
	rcu_read_lock();	/* a timeout policy goes by RCU */
	timeouts = nf_ct_timeout_lookup(ct);
	if (!timeouts)
		timeouts = nf_tcp_pernet(nf_ct_net(ct))->timeouts;
	timeout = READ_ONCE(timeouts[READ_ONCE(ct->proto.tcp.state)]);
	rcu_read_unlock();
	nf_ct_refresh(ct, timeout);
}

/* The socket of a tproxied UDP flow went: the conntrack follows after a
 * grace time for datagrams still on their way.
 */
static void tproxy2_ct_expire_grace(struct nf_conn *ct)
{
	set_bit(IPS_FIXED_TIMEOUT_BIT, &ct->status);
	if (nf_ct_is_confirmed(ct))
		WRITE_ONCE(ct->timeout, nfct_time_stamp + TPROXY2_GRACE);
	else
		WRITE_ONCE(ct->timeout, TPROXY2_GRACE);
}

/* Pin @ct: while its socket is open it does not time out.  @ct is not
 * confirmed yet, so the timeout set is still relative.
 */
static void tproxy2_ct_pin(struct nf_conn *ct)
{
	nf_ct_refresh(ct, TPROXY2_PIN);
	set_bit(IPS_FIXED_TIMEOUT_BIT, &ct->status);
}

/* A UDP receiver (ITP_LISTEN | ITP_UNIDIR) takes single datagrams, not
 * flows: the mapping @ct made for this one is gone once it is delivered
 * (it expires on confirmation), and the flow's next datagram is looked up
 * afresh, to go to its session socket if there is one by then.  @ct is not
 * confirmed yet: its timeout is still relative.
 */
void nf_tproxy2_ct_expire_on_confirm(struct nf_conn *ct)
{
	set_bit(IPS_FIXED_TIMEOUT_BIT, &ct->status);
	WRITE_ONCE(ct->timeout, 0);
}

/* A conntrack we hold that nobody else will: deleted, or never confirmed
 * (its first packet was dropped).  The table holds a reference of its own.
 */
bool nf_tproxy2_ct_gone(struct nf_conn *ct)
{
	return nf_ct_is_dying(ct) ||
	       (!nf_ct_is_confirmed(ct) &&
		refcount_read(&ct->ct_general.use) == 1);
}

/* A tproxied conntrack whose socket was released (or whose redirected
 * connection never reached one): no socket holds it.
 */
bool nf_tproxy2_ct_released(const struct nf_conn *ct)
{
	return test_bit(IPS_TPROXY_BIT, &ct->status) &&
	       !test_bit(IPS_TPROXY_SOCKREF_BIT, &ct->status) &&
	       !(nf_ct_protonum(ct) == IPPROTO_TCP &&
		 test_bit(IPS_FIXED_TIMEOUT_BIT, &ct->status));
}

/* The owning socket went: TCP goes on with conntrack's own timeouts, UDP
 * after its grace time.
 */
static void tproxy2_ct_socket_gone(struct nf_conn *ct)
{
	if (nf_ct_protonum(ct) == IPPROTO_TCP)
		nf_tproxy2_ct_unpin(ct);
	else
		tproxy2_ct_expire_grace(ct);
}

/* The sockref let go of it (UNASSIGN, a new mode): it goes now */
static void tproxy2_ct_delete(struct nf_conn *ct)
{
	if (!nf_ct_is_confirmed(ct))
		/* on its first packet's way, not in the table yet */
		tproxy2_ct_expire_grace(ct);
	else
		nf_ct_delete(ct, 0, 0);
}

static void tproxy2_put_cts(struct llist_node *cts,
			    void (*let_go)(struct nf_conn *ct))
{
	struct tproxy2_ct *tc, *tmp;

	llist_for_each_entry_safe(tc, tmp, cts, node) {
		struct nf_conn *ct = tc->ct;

		clear_bit(IPS_TPROXY_SOCKREF_BIT, &ct->status);
		let_go(ct);
		nf_ct_put(ct);
		kmem_cache_free(nf_tproxy2_ct_cache, tc);
	}
}

/* Conntracks a sockref owned (a list taken off its @cts) go now.  Called
 * without the namespace's lock, in any context.
 */
void nf_tproxy2_delete_cts(struct llist_node *cts)
{
	tproxy2_put_cts(cts, tproxy2_ct_delete);
}

/* Conntracks a sockref owned are left to what is left of their connection
 * (its socket went).  Called without the namespace's lock, in any context.
 */
void nf_tproxy2_release_cts(struct llist_node *cts)
{
	tproxy2_put_cts(cts, tproxy2_ct_socket_gone);
}

/* Owned conntracks join @sr without a lock.  If @sr was unlinked
 * meanwhile, whoever sees that takes the list and lets go of it: either
 * tproxy2_unlink() (nf_tproxy2_tables.c) sees the new entries, or we see
 * @sr dead.
 */
static void tproxy2_cts_add(struct tproxy2_sockref *sr, struct llist_node *first,
			    struct llist_node *last)
{
	llist_add_batch(first, last, &sr->cts);
	/* pairs with smp_mb() in tproxy2_unlink() */
	smp_mb();
	if (READ_ONCE(sr->dead))
		nf_tproxy2_release_cts(llist_del_all(&sr->cts));
}

/* The packet path: @sr created @ct, which is to live as long as @sr's
 * socket.  One small object per connection, and a reference to @ct.
 * Without memory, it is simply not owned.
 */
void nf_tproxy2_own_ct(struct tproxy2_net *tn, struct tproxy2_sockref *sr,
		       struct nf_conn *ct)
{
	struct tproxy2_ct *tc = kmem_cache_alloc(nf_tproxy2_ct_cache, GFP_ATOMIC);

	if (!tc)
		return;
	nf_conntrack_get(&ct->ct_general);
	tc->ct = ct;
	tc->born = jiffies;
	tproxy2_ct_pin(ct);
	set_bit(IPS_TPROXY_SOCKREF_BIT, &ct->status);
	tproxy2_cts_add(sr, &tc->node, &tc->node);
	WRITE_ONCE(sr->grew, true);
	nf_tproxy2_keeper_start(tn);
	nf_tproxy2_pruner_soon(tn);
}

/* A conntrack zone as one word, never 0 (the flags are NF_CT_FLAG_MARK only) */
static u32 tproxy2_zone_word(const struct nf_conntrack_zone *z)
{
	return BIT(31) | (u32)z->flags << 24 | (u32)z->dir << 16 | z->id;
}

/* The packet path: a tproxied UDP flow is in zone @z.  The first
 * TPROXY2_ZONES zones other than the default one are kept, lock-free.
 */
static void tproxy2_note_zone(struct tproxy2_net *tn,
			      const struct nf_conntrack_zone *z)
{
	u32 w = tproxy2_zone_word(z), old;
	int i;

	if (z->id == NF_CT_DEFAULT_ZONE_ID)
		return;
	for (i = 0; i < TPROXY2_ZONES; i++) {
		old = READ_ONCE(tn->udp_zones[i]);
		if (!old)
			old = cmpxchg(&tn->udp_zones[i], 0, w);
		if (!old || old == w)
			return;
	}
}

/* A conntrack in @zone by @tuple, if it is tproxied; a reference is taken */
static struct nf_conntrack_tuple_hash *
tproxy2_find_tproxied(struct net *net, const struct nf_conntrack_zone *zone,
		      const struct nf_conntrack_tuple *tuple)
{
	struct nf_conntrack_tuple_hash *h = nf_conntrack_find_get(net, zone, tuple);

	if (h && !test_bit(IPS_TPROXY_BIT, &nf_ct_tuplehash_to_ctrack(h)->status)) {
		nf_ct_put(nf_ct_tuplehash_to_ctrack(h));
		h = NULL;
	}
	return h;
}

/* A tproxied UDP flow's conntrack by one of its tuples, in the default zone
 * or one that tproxied UDP flows were seen in; a reference is taken.
 */
struct nf_conntrack_tuple_hash *
nf_tproxy2_find_udp_flow(struct net *net, const struct nf_conntrack_tuple *tuple)
{
	struct tproxy2_net *tn = tproxy2_pernet(net);
	struct nf_conntrack_tuple_hash *h;
	struct nf_conntrack_zone zone;
	int i;

	h = tproxy2_find_tproxied(net, &nf_ct_zone_dflt, tuple);
	for (i = 0; !h && i < TPROXY2_ZONES; i++) {
		u32 w = READ_ONCE(tn->udp_zones[i]);

		if (!w)
			break;
		zone.id = w & 0xffff;
		zone.dir = (w >> 16) & 0xff;
		zone.flags = (w >> 24) & 0x7f;
		h = tproxy2_find_tproxied(net, &zone, tuple);
	}
	return h;
}

/* ---- tn->accepted: the connections redirected to local sockets ---- */

static const struct rhashtable_params tproxy2_accepted_params = {
	.head_offset		= offsetof(struct tproxy2_accepted, node),
	.key_offset		= offsetof(struct tproxy2_accepted, key),
	.key_len		= sizeof(struct tproxy2_conn_key),
	.automatic_shrinking	= true,
};

int nf_tproxy2_accepted_init(struct tproxy2_net *tn)
{
	int err;

	err = rhashtable_init(&tn->accepted[TPROXY2_ACCEPTED_TCP],
			      &tproxy2_accepted_params);
	if (err)
		return err;
	err = rhashtable_init(&tn->accepted[TPROXY2_ACCEPTED_UDP],
			      &tproxy2_accepted_params);
	if (err)
		rhashtable_destroy(&tn->accepted[TPROXY2_ACCEPTED_TCP]);
	return err;
}

/* The table of @proto's redirected connections */
static struct rhashtable *tproxy2_accepted_of(struct tproxy2_net *tn, u8 proto)
{
	return &tn->accepted[proto == IPPROTO_UDP ? TPROXY2_ACCEPTED_UDP :
						    TPROXY2_ACCEPTED_TCP];
}

/* How many connections of @proto (0: both) are redirected to local sockets */
unsigned int nf_tproxy2_accepted_count(struct tproxy2_net *tn, u8 proto)
{
	if (proto)
		return atomic_read(&tproxy2_accepted_of(tn, proto)->nelems);
	return atomic_read(&tn->accepted[TPROXY2_ACCEPTED_TCP].nelems) +
	       atomic_read(&tn->accepted[TPROXY2_ACCEPTED_UDP].nelems);
}

static void tproxy2_accepted_free(void *ptr, void *arg)
{
	kfree(ptr);
}

/* Nothing walks the table any more: a failed namespace init, or its exit */
void nf_tproxy2_accepted_destroy(struct tproxy2_net *tn)
{
	int i;

	for (i = 0; i < TPROXY2_ACCEPTED_PROTOS; i++)
		rhashtable_free_and_destroy(&tn->accepted[i],
					    tproxy2_accepted_free, NULL);
}

/* The packet path: @a goes into tn->accepted, or is freed.  Takes a bucket
 * lock of the table.  Returns false if the table took no entry for it
 * (without memory), true if it has one, @a or an older one.
 */
static bool tproxy2_accepted_insert(struct tproxy2_net *tn,
				    struct tproxy2_accepted *a)
{
	struct rhashtable *ht = tproxy2_accepted_of(tn, a->key.proto);
	struct tproxy2_accepted *old;

	old = rhashtable_lookup_get_insert_fast(ht, &a->node,
						tproxy2_accepted_params);
	if (IS_ERR(old)) {
		kfree(a);
		return false;
	}
	if (!old)
		return true;
	/* An entry for the same socket tuple stands (one whose socket went
	 * without a release): the conntrack that has the tuple now is the
	 * one the keeper finds, in the zone and from the interface of the
	 * newest connection.
	 */
	if (old->zone.id == a->zone.id && old->zone.dir == a->zone.dir &&
	    old->dif == a->dif && old->sdif == a->sdif)
		kfree(a);
	else if (rhashtable_replace_fast(ht, &old->node, &a->node,
					 tproxy2_accepted_params))
		kfree(a);
	else
		kfree_rcu(old, rcu);
	return true;
}

/* The interface a redirected connection comes in on, as inet_iif() and
 * inet_sdif() will give it to the socket lookup
 */
static void tproxy2_in_dif(const struct sk_buff *skb, unsigned int hooknum,
			   int *dif, int *sdif)
{
	int master;

	if (hooknum != NF_INET_PRE_ROUTING) {
		*dif = LOOPBACK_IFINDEX;
		*sdif = 0;
		return;
	}
	rcu_read_lock();
	master = l3mdev_master_ifindex_rcu(skb->dev);
	rcu_read_unlock();
	*dif = master ?: skb->dev->ifindex;
	*sdif = master ? skb->dev->ifindex : 0;
}

/**
 * nf_tproxy2_accepted_add - note a connection redirected to a local socket
 * @net: its namespace
 * @ct: its conntrack, just mapped, not confirmed yet
 * @skb: its first packet
 * @hooknum: the hook it was redirected at
 *
 * The packet path: the connection gets an entry in tn->accepted, which
 * holds no reference to @ct.  TCP: the keeper pins it once that socket
 * exists (the handshake is complete), until the socket is released.  UDP:
 * it goes once no socket takes its datagrams any more (the sweeper).  The
 * entries are bounded by the conntrack table's size; without memory, or
 * beyond that, the connection follows conntrack's own timeouts alone.
 */
void nf_tproxy2_accepted_add(struct net *net, struct nf_conn *ct,
			     const struct sk_buff *skb, unsigned int hooknum)
{
	const struct nf_conntrack_tuple *reply = &ct->tuplehash[IP_CT_DIR_REPLY].tuple;
	struct tproxy2_net *tn = tproxy2_pernet(net);
	unsigned int max = READ_ONCE(nf_conntrack_max);
	struct tproxy2_accepted *a;

	if (max && nf_tproxy2_accepted_count(tn, 0) >= max)
		return;
	a = kmalloc(sizeof(*a), GFP_ATOMIC);
	if (!a)
		return;
	memset(&a->key, 0, sizeof(a->key));
	a->key.proto = nf_ct_protonum(ct);
	a->key.family = nf_ct_l3num(ct);
	a->key.laddr = reply->src.u3;
	a->key.lport = reply->src.u.all;
	a->key.raddr = reply->dst.u3;
	a->key.rport = reply->dst.u.all;
	a->zone = *nf_ct_zone(ct);
	if (a->key.proto == IPPROTO_UDP)
		tproxy2_note_zone(tn, &a->zone);
	tproxy2_in_dif(skb, hooknum, &a->dif, &a->sdif);
	if (tproxy2_accepted_insert(tn, a))
		nf_tproxy2_keeper_soon(tn);
}

/* The entry of @key, under RCU */
struct tproxy2_accepted *
nf_tproxy2_accepted_find(struct tproxy2_net *tn,
			 const struct tproxy2_conn_key *key)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(),
			 "tproxy2 accepted lookup outside RCU");
	return rhashtable_lookup(tproxy2_accepted_of(tn, key->proto), key,
				 tproxy2_accepted_params);
}

/* The conntrack of a redirected connection, by the socket's view of it;
 * a reference is taken.  Under RCU, which keeps @a.
 */
static struct nf_conn *tproxy2_accepted_find_ct(struct net *net,
						const struct tproxy2_accepted *a)
{
	struct nf_conntrack_tuple tuple = {
		.src.l3num	= a->key.family,
		.src.u3		= a->key.laddr,
		.src.u.all	= a->key.lport,
		.dst.u3		= a->key.raddr,
		.dst.u.all	= a->key.rport,
		.dst.protonum	= a->key.proto,
	};
	struct nf_conntrack_tuple_hash *h;
	struct nf_conn *ct;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(),
			 "tproxy2 accepted entry outside RCU");
	h = nf_conntrack_find_get(net, &a->zone, &tuple);
	if (!h)
		return NULL;
	ct = nf_ct_tuplehash_to_ctrack(h);
	if (NF_CT_DIRECTION(h) == IP_CT_DIR_REPLY &&
	    test_bit(IPS_TPROXY_BIT, &ct->status) &&
	    !test_bit(IPS_TPROXY_SOCKREF_BIT, &ct->status))
		return ct;
	nf_ct_put(ct);
	return NULL;
}

/* Take @a out of tn->accepted (freed by kfree_rcu()): true for the one
 * caller that did
 */
bool nf_tproxy2_accepted_unlink(struct tproxy2_net *tn,
				struct tproxy2_accepted *a)
{
	if (rhashtable_remove_fast(tproxy2_accepted_of(tn, a->key.proto),
				   &a->node, tproxy2_accepted_params))
		return false;
	kfree_rcu(a, rcu);
	return true;
}

static unsigned int tproxy2_walk_table(struct tproxy2_net *tn,
				       struct rhashtable *ht,
				       tproxy2_accepted_fn fn, void *data)
{
	struct rhashtable_iter iter;
	struct tproxy2_accepted *a;
	unsigned int n = 0;
	bool unlinked;

	rhashtable_walk_enter(ht, &iter);
	rhashtable_walk_start(&iter);
	while ((a = rhashtable_walk_next(&iter))) {
		struct nf_conn *ct;

		if (IS_ERR(a))
			continue;	/* -EAGAIN: resized; some seen twice */
		ct = tproxy2_accepted_find_ct(tn->net, a);
		unlinked = fn(tn, a, ct, data);
		if (ct)
			nf_ct_put(ct);
		/* not right after unlinking the current entry: the walk
		 * would lose its place in the bucket
		 */
		if (++n % 256 == 0 && !unlinked) {
			rhashtable_walk_stop(&iter);
			cond_resched();
			rhashtable_walk_start(&iter);
		}
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
	return n;
}

/* Walk the entries of @proto (0: both) under RCU, a batch at a time.  The
 * cost is the namespace's own redirected connections of @proto.  Returns
 * how many entries @fn was called on.
 */
unsigned int nf_tproxy2_walk_accepted(struct tproxy2_net *tn, u8 proto,
				      tproxy2_accepted_fn fn, void *data)
{
	unsigned int n = 0;

	if (proto != IPPROTO_UDP)
		n += tproxy2_walk_table(tn, &tn->accepted[TPROXY2_ACCEPTED_TCP],
					fn, data);
	if (proto != IPPROTO_TCP)
		n += tproxy2_walk_table(tn, &tn->accepted[TPROXY2_ACCEPTED_UDP],
					fn, data);
	return n;
}

/* At the namespace's exit */
static bool tproxy2_unpin_one(struct tproxy2_net *tn, struct tproxy2_accepted *a,
			      struct nf_conn *ct, void *data)
{
	if (ct)
		nf_tproxy2_ct_unpin(ct);
	return false;
}

/* The namespace's packet path is gone, and so are the keeper and the
 * sweeper: nothing pins any more.  On module unload the namespace lives on,
 * and so do its connections: they are unpinned.
 */
void nf_tproxy2_accepted_net_exit(struct tproxy2_net *tn)
{
	nf_tproxy2_walk_accepted(tn, IPPROTO_TCP, tproxy2_unpin_one, NULL);
	nf_tproxy2_accepted_destroy(tn);
}

/* ---- a socket's release ---- */

/* A socket's connection as its conntrack's reply tuple has it, local ->
 * peer, in the family the socket talks: an AF_INET6 socket may talk IPv4
 * (v4-mapped addresses).  Returns whether it is connected.
 */
static bool tproxy2_sk_conn_key(const struct sock *sk,
				struct tproxy2_conn_key *key)
{
	const struct inet_sock *inet = inet_sk(sk);

	memset(key, 0, sizeof(*key));
	key->proto = sk->sk_protocol;
	key->lport = inet->inet_sport;
	key->rport = inet->inet_dport;
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6 && !ipv6_addr_v4mapped(&sk->sk_v6_daddr)) {
		key->family = NFPROTO_IPV6;
		key->laddr.in6 = inet6_sk(sk)->saddr;
		key->raddr.in6 = sk->sk_v6_daddr;
		return key->rport;
	}
#endif
	key->family = NFPROTO_IPV4;
	key->laddr.ip = inet->inet_saddr;
	key->raddr.ip = inet->inet_daddr;
	return key->rport;
}

/* A TCP socket whose connection was redirected to it (by the tproxy table
 * or a LISTEN sockref) is released: the connection goes on under
 * conntrack's own timeouts.  Under RCU; no lock of ours is taken but a
 * bucket lock of tn->accepted.
 */
static void tproxy2_release_accepted(struct tproxy2_net *tn, struct sock *sk)
{
	struct tproxy2_conn_key key;
	struct tproxy2_accepted *a;
	struct nf_conn *ct;

	if (!tproxy2_sk_conn_key(sk, &key))
		return;
	a = nf_tproxy2_accepted_find(tn, &key);
	if (!a)
		return;
	/* unlinked first: a keeper that pins after this sees it gone */
	ct = tproxy2_accepted_find_ct(sock_net(sk), a);
	if (!nf_tproxy2_accepted_unlink(tn, a))
		goto out;
	if (ct)
		nf_tproxy2_ct_unpin(ct);
out:
	if (ct)
		nf_ct_put(ct);
}

/* A connected UDP socket closes: if its flow was tproxied (by the table,
 * or through a LISTEN sockref), the conntrack goes after the grace time.
 * Its reply direction is the socket's own view: local -> peer.  It is
 * looked for in the zones tproxied UDP flows were seen in.
 */
static void tproxy2_release_udp_flow(struct sock *sk)
{
	struct nf_conntrack_tuple tuple = {};
	struct nf_conntrack_tuple_hash *h;
	struct tproxy2_conn_key key;
	struct nf_conn *ct;

	if (!tproxy2_sk_conn_key(sk, &key))
		return;
	tuple.src.l3num = key.family;
	tuple.src.u3 = key.laddr;
	tuple.src.u.all = key.lport;
	tuple.dst.u3 = key.raddr;
	tuple.dst.u.all = key.rport;
	tuple.dst.protonum = IPPROTO_UDP;
	h = nf_tproxy2_find_udp_flow(sock_net(sk), &tuple);
	if (!h)
		return;
	ct = nf_ct_tuplehash_to_ctrack(h);
	if (nf_tproxy2_ct_released(ct))
		tproxy2_ct_expire_grace(ct);
	nf_ct_put(ct);
}

/**
 * nf_tproxy2_ct_release_sock - what a released socket's connection lets go of
 * @tn: the namespace's sockrefs, in which connections were tproxied
 * @sk: a TCP or UDP socket being released
 *
 * A TCP connection redirected to @sk goes on under conntrack's own
 * timeouts, a UDP flow after the grace time.  Under RCU (the release
 * callback's, __nf_sockopt_release()).
 */
void nf_tproxy2_ct_release_sock(struct tproxy2_net *tn, struct sock *sk)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(),
			 "tproxy2 socket release outside RCU");
	if (sk->sk_protocol == IPPROTO_TCP)
		tproxy2_release_accepted(tn, sk);
	else
		tproxy2_release_udp_flow(sk);
}
