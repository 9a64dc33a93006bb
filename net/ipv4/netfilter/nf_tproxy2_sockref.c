// SPDX-License-Identifier: GPL-2.0-only
/*
 * TPROXY 2.0 sockrefs: the per-namespace tables and the packet path.
 *
 * For the first packet of a new connection, NAT lookups at NF_IP_PRI_TPROXY - 1
 * (ahead of the tproxy table's rules) look for a sockref:
 *  - PREROUTING and OUTPUT: a LISTEN (or ESTABLISHED) sockref whose foreign
 *    address is the destination; the connection is redirected to its socket;
 *  - POSTROUTING: a CONNECT (or ESTABLISHED) sockref whose socket sends the
 *    packet; the source is translated to the foreign address.
 * The lookups are registered in a namespace when its first sockref is made,
 * so namespaces that never use sockrefs pay nothing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/llist.h>
#include <linux/ip.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv4/ip_tproxy.h>
#include <linux/proc_fs.h>
#include <linux/random.h>
#include <linux/rhashtable.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/workqueue.h>
#include <net/inet_hashtables.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/l3mdev.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_l4proto.h>
#include <net/netfilter/nf_conntrack_timeout.h>
#include <net/netfilter/nf_conntrack_zones.h>
#include <net/netfilter/nf_nat.h>
#include <net/netfilter/nf_nat_redirect.h>
#include <net/netfilter/nf_tproxy2.h>
#include <net/udp.h>

/* A tproxied TCP connection's conntrack never times out while a socket of
 * it is open, for any uptime and any HZ: it is pinned (IPS_FIXED_TIMEOUT
 * keeps conntrack's own refresh off it) with a timeout of a day, and the
 * namespace's keeper moves that timeout on once a quarter of it is gone,
 * as conntrack itself does for offloaded flows.  A sockref's own
 * connection is pinned on its first packet; one redirected to a local
 * socket is pinned by the keeper once that socket exists (a SYN that no
 * socket takes is never pinned).  From the socket's release on, conntrack's
 * own TCP state timeouts apply, as to any NAT'd connection: queued data, a
 * zero window, the closing handshake and retransmissions all pass through
 * the mapping.  A new mapping that needs the tuple of a released one takes
 * it over at once (tproxy2_reclaim).
 */
#define TPROXY2_PIN		NF_CT_DAY
/* The keeper runs this often while there are pinned conntracks... */
#define TPROXY2_KEEP_PERIOD	(TPROXY2_PIN / 4)
/* ...and this soon after a connection was redirected to a local socket, and
 * again while one waits for its socket: until then the connection follows
 * conntrack's own timeouts, none of which is shorter than this while it is
 * open in both directions.  The keeper's cost is the namespace's own
 * tproxied connections, not the conntrack table.
 */
#define TPROXY2_SETTLE		(30 * HZ)
#define TPROXY2_KEEPER_SOON	0
/* How many zones of tproxied UDP flows a namespace keeps track of */
#define TPROXY2_ZONES		8
/* UDP has no closing handshake: a released flow goes this long after */
#define TPROXY2_GRACE		HZ
/* A UDP receiver's release is this long before it leaves the socket table */
#define TPROXY2_SWEEP_DELAY	(HZ / 10)

/* A conntrack a sockref created and owns */
struct tproxy2_ct {
	struct llist_node	node;
	struct nf_conn		*ct;
};

/* The kinds of bucket in by_foreign */
enum tproxy2_fkind {
	TPROXY2_BY_PORT,	/* every sockref with this foreign port */
	TPROXY2_BY_LISTEN,	/* LISTEN sockrefs (without ESTABLISHED) */
	TPROXY2_BY_SESSION,	/* ESTABLISHED sockrefs, by their peer too */
	TPROXY2_BY_KINDS
};

/* The tables grow and shrink with the sockrefs in them: an insertion and a
 * removal cost the same with ten sockrefs as with a hundred thousand, and
 * so does a lookup, but for the sockrefs that share its very key (sessions
 * of one peer, listeners with SO_REUSEADDR), which it walks in order.  A
 * packet a socket sends is matched through by_sk: a socket has one sockref
 * at most.  A packet to a foreign address is matched through by_foreign,
 * whose buckets are keyed by what the lookup knows of the packet (struct
 * tproxy2_fkey).
 */
struct tproxy2_tables {
	struct rhashtable	by_sk;
	struct rhashtable	by_foreign;
	unsigned int		buckets[TPROXY2_BY_KINDS];	/* of each kind */
};

/* The key of a bucket; @raddr and @rport only for TPROXY2_BY_SESSION */
struct tproxy2_fkey {
	__be32	faddr;
	__be32	raddr;
	__be16	fport;
	__be16	rport;
	u8	proto;
	u8	kind;
	u16	zero;
};

/**
 * struct tproxy2_bucket - the sockrefs of one key of by_foreign
 * @node: in by_foreign
 * @key: the key
 * @sockrefs: TPROXY2_BY_LISTEN, TPROXY2_BY_SESSION: the sockrefs, newest
 *	first.  Sockrefs that share a key are sessions with the same peer or
 *	listeners with SO_REUSEADDR: a lookup takes the first that applies,
 *	and a removal unlinks in O(1).
 * @users: TPROXY2_BY_PORT: how many sockrefs have this foreign port.  That
 *	is all that ASSIGN and ALLOC need to know of them.
 * @rcu: for freeing after readers are done
 *
 * A bucket exists while it has sockrefs or users.  Changes are made under
 * the namespace's lock; the packet path reads under RCU.
 */
struct tproxy2_bucket {
	struct rhash_head	node;
	struct tproxy2_fkey	key;
	struct hlist_nulls_head	sockrefs;
	unsigned int		users;
	struct rcu_head		rcu;
};

/* What decides a sockref's buckets */
struct tproxy2_place {
	u32	flags;
	__be32	raddr;
	__be16	rport;
	__be16	fport;
};

/* A connection that the tproxy table or a LISTEN sockref redirected to a
 * local socket, by that socket's own view of it (the conntrack's reply
 * tuple): its release finds the entry in one lookup.
 */
struct tproxy2_conn_key {
	__be32	laddr;
	__be32	raddr;
	__be16	lport;
	__be16	rport;
	u8	proto;
	u8	zero[3];
};

/* Such a connection (TCP or UDP), in tn->accepted until its socket is
 * released or the keeper finds it gone.  It holds no reference to the
 * conntrack (a SYN flood must not keep conntracks allocated): the keeper,
 * the sweeper and the release look the conntrack up by the key, in @zone.
 * @dif, @sdif: the interface it came in on, as the socket lookup on input
 * has them (the VRF master and the slave), for a socket bound to one.
 */
struct tproxy2_accepted {
	struct rhash_head		node;
	struct tproxy2_conn_key		key;
	struct nf_conntrack_zone	zone;
	int				dif;
	int				sdif;
	struct rcu_head			rcu;
};

static const struct rhashtable_params tproxy2_accepted_params = {
	.head_offset		= offsetof(struct tproxy2_accepted, node),
	.key_offset		= offsetof(struct tproxy2_accepted, key),
	.key_len		= sizeof(struct tproxy2_conn_key),
	.automatic_shrinking	= true,
};

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

/**
 * struct tproxy2_net - the sockrefs of a network namespace
 * @lock: serialises the writers of the sockrefs, their buckets and the
 *	lists of conntracks they own; the packet path takes no lock of ours
 * @setup: serialises the one-time setup of @tables and the NAT lookups
 * @tables: allocated with the namespace's first sockref
 * @ops: the NAT lookups, registered with @tables
 * @count: number of sockrefs, so that the empty case costs one read
 * @tproxied: a connection was tproxied here; closing sockets look for theirs
 * @accepted: the connections redirected to local sockets; lookups and
 *	the walks run under RCU, and no lock of ours is taken
 * @keeper: pins and keeps pinned conntracks, lets go of the ones whose
 *	connection is gone; queued while there are any
 * @keeper_flags: TPROXY2_KEEPER_SOON: queued to run within TPROXY2_SETTLE
 * @owned_next: when the keeper walks the sockrefs' conntracks next
 * @sweeper: a UDP receiver went: the flows that no socket takes any more
 *	go.  One work item, so that closing sockets queue it once at most.
 * @sweep_last: when a receiver was last released; the sweeper runs again
 *	if that was less than TPROXY2_SWEEP_DELAY before its walk began, or
 *	after
 * @udp_zones: the zones other than the default one that tproxied UDP flows
 *	were seen in (tproxy2_zone_word()), for the lookups that know a flow's
 *	tuple but not its zone; filled in on the packet path without a lock
 * @net: the namespace, for the keeper and the sweeper
 */
struct tproxy2_net {
	spinlock_t			lock;	/* the writers */
	struct mutex			setup;	/* the first sockref */
	struct tproxy2_tables __rcu	*tables;
	struct nf_hook_ops		*ops;
	unsigned int			count;
	bool				tproxied;
	struct rhashtable		accepted;
	struct delayed_work		keeper;
	unsigned long			keeper_flags;
	unsigned long			owned_next;
	struct delayed_work		sweeper;
	unsigned long			sweep_last;
	u32				udp_zones[TPROXY2_ZONES];
	struct net			*net;
};

static unsigned int tproxy2_net_id __read_mostly;
static struct workqueue_struct *tproxy2_wq __read_mostly;
static struct kmem_cache *tproxy2_sockref_cache __read_mostly;
static struct kmem_cache *tproxy2_ct_cache __read_mostly;
/* The module is going: sockets closed from now on may leave sockrefs behind
 * (the release callback goes with the socket option), which nothing may
 * look at any more
 */
static bool tproxy2_stopped __read_mostly;

static struct tproxy2_net *tproxy2_pernet(const struct net *net)
{
	return net_generic(net, tproxy2_net_id);
}

/* Caller holds tn->lock, or RCU. */
static struct tproxy2_sockref *
tproxy2_find_by_sk(struct tproxy2_tables *t, const struct sock *sk)
{
	return rhashtable_lookup_fast(&t->by_sk, &sk, tproxy2_sk_params);
}

/* Caller holds tn->lock, or RCU. */
static struct tproxy2_bucket *tproxy2_bucket_find(struct tproxy2_tables *t,
						  const struct tproxy2_fkey *key)
{
	return rhashtable_lookup_fast(&t->by_foreign, key,
				      tproxy2_foreign_params);
}

/* What ends a bucket's list of sockrefs: its address, unique among the
 * buckets a reader under RCU may still be in.  A lookup that ends on another
 * value followed a sockref that moved to another bucket, and starts over.
 */
static unsigned long tproxy2_bucket_nulls(const struct tproxy2_bucket *b)
{
	return (unsigned long)b >> 1;
}

/* The bucket of @key, made if need be; caller holds tn->lock. */
static struct tproxy2_bucket *tproxy2_bucket_get(struct tproxy2_tables *t,
						 const struct tproxy2_fkey *key)
{
	struct tproxy2_bucket *b = tproxy2_bucket_find(t, key);

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

/* A bucket goes with its last sockref; caller holds tn->lock. */
static void tproxy2_bucket_put(struct tproxy2_tables *t, struct tproxy2_bucket *b)
{
	if (!b || b->users || !hlist_nulls_empty(&b->sockrefs))
		return;
	rhashtable_remove_fast(&t->by_foreign, &b->node, tproxy2_foreign_params);
	WRITE_ONCE(t->buckets[b->key.kind], t->buckets[b->key.kind] - 1);
	kfree_rcu(b, rcu);
}

static void tproxy2_fkey_init(struct tproxy2_fkey *k, enum tproxy2_fkind kind,
			      u8 proto, __be32 faddr, __be16 fport,
			      __be32 raddr, __be16 rport)
{
	memset(k, 0, sizeof(*k));
	k->kind = kind;
	k->proto = proto;
	k->faddr = faddr;
	k->fport = fport;
	if (kind == TPROXY2_BY_SESSION) {
		k->raddr = raddr;
		k->rport = rport;
	}
}

/* The bucket of lookups a sockref in @p is found by, if any */
static bool tproxy2_mode_key(const struct tproxy2_sockref *sr,
			     const struct tproxy2_place *p,
			     struct tproxy2_fkey *k)
{
	enum tproxy2_fkind kind;

	if (!sr->faddr)
		return false;
	if (p->flags & ITP_ESTABLISHED)
		kind = TPROXY2_BY_SESSION;
	else if (p->flags & ITP_LISTEN)
		kind = TPROXY2_BY_LISTEN;
	else
		return false;
	tproxy2_fkey_init(k, kind, sr->proto, sr->faddr, p->fport, p->raddr,
			  p->rport);
	return true;
}

/* The bucket that counts a sockref in @p as a user of its port, if any */
static bool tproxy2_port_key(const struct tproxy2_sockref *sr,
			     const struct tproxy2_place *p,
			     struct tproxy2_fkey *k)
{
	if (!sr->faddr || !p->fport)
		return false;
	tproxy2_fkey_init(k, TPROXY2_BY_PORT, sr->proto, sr->faddr, p->fport,
			  0, 0);
	return true;
}

static void tproxy2_place_of(const struct tproxy2_sockref *sr,
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
static bool tproxy2_port_in_use(struct tproxy2_tables *t, u8 proto,
				__be32 faddr, __be16 fport)
{
	struct tproxy2_fkey k;

	tproxy2_fkey_init(&k, TPROXY2_BY_PORT, proto, faddr, fport, 0, 0);
	return tproxy2_bucket_find(t, &k);
}

/**
 * tproxy2_place - give a sockref the fields of @to, in their buckets
 * @t: the namespace's tables
 * @sr: the sockref
 * @to: its new mode, peer and foreign port
 * @hashed: @sr is in the buckets of its current fields (not a new one)
 *
 * Every change of these fields goes through here.  The new buckets are
 * made first, so that without memory nothing changes.  A sockref whose
 * bucket stays the same stays where it is in it.  A lookup that races with
 * a move to another bucket may follow the sockref there; it notices and
 * starts over (tproxy2_scan_bucket()).  Caller holds tn->lock, or is the
 * namespace's exit, with no one else left.  Returns 0 or -ENOMEM.
 */
static int tproxy2_place(struct tproxy2_tables *t, struct tproxy2_sockref *sr,
			 const struct tproxy2_place *to, bool hashed)
{
	struct tproxy2_bucket *old_mode = NULL, *old_port = NULL;
	struct tproxy2_bucket *new_mode = NULL, *new_port = NULL;
	struct tproxy2_fkey old_key, new_key, k;
	struct tproxy2_place from;

	if (hashed) {
		tproxy2_place_of(sr, &from);
		if (tproxy2_mode_key(sr, &from, &old_key))
			old_mode = tproxy2_bucket_find(t, &old_key);
		if (tproxy2_port_key(sr, &from, &k))
			old_port = tproxy2_bucket_find(t, &k);
	}
	if (tproxy2_mode_key(sr, to, &new_key)) {
		if (old_mode && !memcmp(&old_key, &new_key, sizeof(new_key)))
			new_mode = old_mode;
		else
			new_mode = tproxy2_bucket_get(t, &new_key);
		if (!new_mode)
			return -ENOMEM;
	}
	if (tproxy2_port_key(sr, to, &k)) {
		new_port = tproxy2_bucket_get(t, &k);
		if (!new_port) {
			if (new_mode != old_mode)
				tproxy2_bucket_put(t, new_mode);
			return -ENOMEM;
		}
		new_port->users++;
	}

	if (old_mode && new_mode != old_mode)
		hlist_nulls_del_rcu(&sr->foreign_node);
	WRITE_ONCE(sr->flags, to->flags);
	WRITE_ONCE(sr->raddr, to->raddr);
	WRITE_ONCE(sr->rport, to->rport);
	WRITE_ONCE(sr->fport, to->fport);
	if (new_mode && new_mode != old_mode)
		hlist_nulls_add_head_rcu(&sr->foreign_node, &new_mode->sockrefs);

	if (old_port) {
		old_port->users--;
		tproxy2_bucket_put(t, old_port);
	}
	if (old_mode != new_mode)
		tproxy2_bucket_put(t, old_mode);
	return 0;
}

/* Out of its buckets; caller holds tn->lock, or is the namespace's exit */
static void tproxy2_unplace(struct tproxy2_tables *t, struct tproxy2_sockref *sr)
{
	static const struct tproxy2_place none = {};

	/* cannot fail: no bucket is made */
	tproxy2_place(t, sr, &none, true);
}

void nf_tproxy2_mark_ct(struct net *net, struct nf_conn *ct)
{
	struct tproxy2_net *tn = tproxy2_pernet(net);

	set_bit(IPS_TPROXY_BIT, &ct->status);
	if (!READ_ONCE(tn->tproxied))
		WRITE_ONCE(tn->tproxied, true);
}
EXPORT_SYMBOL_GPL(nf_tproxy2_mark_ct);

/* Pin @ct: while its socket is open it does not time out.  @ct is not
 * confirmed yet, so the timeout set is still relative.
 */
static void tproxy2_ct_pin(struct nf_conn *ct)
{
	nf_ct_refresh(ct, TPROXY2_PIN);
	set_bit(IPS_FIXED_TIMEOUT_BIT, &ct->status);
}

/* The keeper: a pinned conntrack's timeout moves on once a keeper period
 * of it is gone, so that two runs up to twice the period apart (a run put
 * off by one that new connections asked for) leave it a quarter of a day.
 * Conntrack's own refresh leaves a pinned conntrack alone, and an
 * unconfirmed one (its timeout still relative) is left to confirmation.
 */
static void tproxy2_ct_keep(struct nf_conn *ct)
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
static bool tproxy2_ct_pin_confirmed(struct nf_conn *ct)
{
	if (test_and_set_bit(IPS_FIXED_TIMEOUT_BIT, &ct->status)) {
		tproxy2_ct_keep(ct);
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
static void tproxy2_ct_unpin(struct nf_conn *ct)
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

/* A conntrack we hold that nobody else will: deleted, or never confirmed
 * (its first packet was dropped).  The table holds a reference of its own.
 */
static bool tproxy2_ct_gone(struct nf_conn *ct)
{
	return nf_ct_is_dying(ct) ||
	       (!nf_ct_is_confirmed(ct) &&
		refcount_read(&ct->ct_general.use) == 1);
}

/* A pinned conntrack is to be kept: the keeper runs within the period */
static void tproxy2_keeper_start(struct tproxy2_net *tn)
{
	/* nothing if it is queued already, sooner or not */
	queue_delayed_work(tproxy2_wq, &tn->keeper, TPROXY2_KEEP_PERIOD);
}

/* A connection waits for its socket: the keeper runs within TPROXY2_SETTLE.
 * Once per run, so that a stream of connections does not put it off.
 */
static void tproxy2_keeper_soon(struct tproxy2_net *tn)
{
	if (!test_and_set_bit(TPROXY2_KEEPER_SOON, &tn->keeper_flags))
		mod_delayed_work(tproxy2_wq, &tn->keeper, TPROXY2_SETTLE);
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
static struct nf_conntrack_tuple_hash *
tproxy2_find_udp_flow(struct net *net, const struct nf_conntrack_tuple *tuple)
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

/* A connection was just redirected to a local socket (@ct is not confirmed
 * yet).  TCP: the keeper pins it once that socket exists (the handshake is
 * complete), until the socket is released.  UDP: it goes once no socket
 * takes its datagrams any more (the sweeper).  The entries are bounded by
 * the conntrack table's size; without memory, or beyond that, the
 * connection follows conntrack's own timeouts alone.
 */
static void tproxy2_hold_accepted(struct net *net, struct nf_conn *ct,
				  const struct sk_buff *skb, unsigned int hooknum)
{
	const struct nf_conntrack_tuple *reply = &ct->tuplehash[IP_CT_DIR_REPLY].tuple;
	struct tproxy2_net *tn = tproxy2_pernet(net);
	unsigned int max = READ_ONCE(nf_conntrack_max);
	struct tproxy2_accepted *a, *old;

	if (max && atomic_read(&tn->accepted.nelems) >= max)
		return;
	a = kmalloc(sizeof(*a), GFP_ATOMIC);
	if (!a)
		return;
	memset(&a->key, 0, sizeof(a->key));
	a->key.proto = nf_ct_protonum(ct);
	a->key.laddr = reply->src.u3.ip;	a->key.lport = reply->src.u.all;
	a->key.raddr = reply->dst.u3.ip;
	a->key.rport = reply->dst.u.all;
	a->zone = *nf_ct_zone(ct);
	if (a->key.proto == IPPROTO_UDP)
		tproxy2_note_zone(tn, &a->zone);
	tproxy2_in_dif(skb, hooknum, &a->dif, &a->sdif);
	old = rhashtable_lookup_get_insert_fast(&tn->accepted, &a->node,
						tproxy2_accepted_params);
	if (IS_ERR(old)) {
		kfree(a);
		return;
	}
	if (old) {
		/* An entry for the same socket tuple stands (one whose socket
		 * went without a release): the conntrack that has the tuple now
		 * is the one the keeper finds, in the zone and from the
		 * interface of the newest connection.
		 */
		if (old->zone.id == a->zone.id && old->zone.dir == a->zone.dir &&
		    old->dif == a->dif && old->sdif == a->sdif)
			kfree(a);
		else if (rhashtable_replace_fast(&tn->accepted, &old->node,
						 &a->node, tproxy2_accepted_params))
			kfree(a);
		else
			kfree_rcu(old, rcu);
	}
	tproxy2_keeper_soon(tn);
}

/* The destination mapping of nf_tproxy2_redirect(), without the hold */
static unsigned int tproxy2_redirect_map(struct sk_buff *skb, struct nf_conn *ct,
					 unsigned int hooknum, __be32 laddr,
					 __be16 lport)
{
	struct nf_nat_range2 range = {};
	unsigned int verdict;

	if (lport) {
		range.flags = NF_NAT_RANGE_PROTO_SPECIFIED;
		range.min_proto.all = lport;
		range.max_proto.all = lport;
	}
	if (laddr) {
		range.flags |= NF_NAT_RANGE_MAP_IPS;
		range.min_addr.ip = laddr;
		range.max_addr.ip = laddr;
		verdict = nf_nat_setup_info_flags(ct, &range, NF_NAT_MANIP_DST,
						  NF_NAT_SETUP_NO_HELPER);
	} else {
		/* where REDIRECT would go; it has no flags to pass */
		verdict = nf_nat_redirect_ipv4(skb, &range, hooknum);
		if (verdict == NF_ACCEPT)
			set_bit(IPS_NAT_NO_HELPER_BIT, &ct->status);
	}
	if (verdict == NF_ACCEPT)
		nf_tproxy2_mark_ct(nf_ct_net(ct), ct);
	return verdict;
}

/**
 * nf_tproxy2_redirect - redirect a new connection to a local address
 * @skb: the connection's first packet; it has an unconfirmed conntrack
 * @hooknum: NF_INET_PRE_ROUTING or NF_INET_LOCAL_OUT
 * @laddr: the address; 0 for the primary address of the incoming
 *	interface, or loopback for locally generated packets
 * @lport: the port; 0 keeps the original one
 *
 * The destination mapping is set up without NAT helpers, and the conntrack
 * is marked tproxied; a TCP connection's conntrack is pinned while the
 * socket that accepts it is open, a UDP flow's goes with the last socket
 * that takes its datagrams.  A conntrack that was confirmed
 * before (a flow older than the NAT hooks of its namespace) is left alone,
 * as nat table rules leave it.  Returns the verdict.
 */
unsigned int nf_tproxy2_redirect(struct sk_buff *skb, unsigned int hooknum,
				 __be32 laddr, __be16 lport)
{
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct = nf_ct_get(skb, &ctinfo);
	unsigned int verdict;

	if (nf_ct_is_confirmed(ct))
		return NF_ACCEPT;
	verdict = tproxy2_redirect_map(skb, ct, hooknum, laddr, lport);
	if (verdict == NF_ACCEPT)
		tproxy2_hold_accepted(nf_ct_net(ct), ct, skb, hooknum);
	return verdict;
}
EXPORT_SYMBOL_GPL(nf_tproxy2_redirect);

/* The socket of a tproxied UDP flow went: the conntrack follows after a
 * grace time for datagrams still on their way.
 */
static void tproxy2_ct_expire(struct nf_conn *ct)
{
	set_bit(IPS_FIXED_TIMEOUT_BIT, &ct->status);
	if (nf_ct_is_confirmed(ct))
		WRITE_ONCE(ct->timeout, nfct_time_stamp + TPROXY2_GRACE);
	else
		WRITE_ONCE(ct->timeout, TPROXY2_GRACE);
}

/* A released socket's conntrack: TCP goes on with conntrack's own
 * timeouts, UDP after its grace time.
 */
static void tproxy2_ct_release(struct nf_conn *ct)
{
	if (nf_ct_protonum(ct) == IPPROTO_TCP)
		tproxy2_ct_unpin(ct);
	else
		tproxy2_ct_expire(ct);
}

/* Let go of conntracks a sockref owned: delete them now, or (@grace) leave
 * them to what is left of their connection.  Called without the
 * namespace's lock, in any context.
 */
static void tproxy2_put_cts(struct llist_node *cts, bool grace)
{
	struct tproxy2_ct *tc, *tmp;

	llist_for_each_entry_safe(tc, tmp, cts, node) {
		struct nf_conn *ct = tc->ct;

		clear_bit(IPS_TPROXY_SOCKREF_BIT, &ct->status);
		if (grace)
			tproxy2_ct_release(ct);
		else if (!nf_ct_is_confirmed(ct))
			/* on its first packet's way, not in the table yet */
			tproxy2_ct_expire(ct);
		else
			nf_ct_delete(ct, 0, 0);
		nf_ct_put(ct);
		kmem_cache_free(tproxy2_ct_cache, tc);
	}
}

/* Owned conntracks join @sr on the packet path.  No lock is taken.  If @sr was unlinked
 * meanwhile, whoever sees that takes the list and lets go of it: either
 * tproxy2_unlink() sees the new entries, or we see @sr dead.
 */
static void tproxy2_cts_add(struct tproxy2_sockref *sr, struct llist_node *first,
			    struct llist_node *last)
{
	llist_add_batch(first, last, &sr->cts);
	/* pairs with smp_mb() in tproxy2_unlink() */
	smp_mb();
	if (READ_ONCE(sr->dead))
		tproxy2_put_cts(llist_del_all(&sr->cts), true);
}

static struct tproxy2_tables *tproxy2_tables(struct tproxy2_net *tn)
{
	return rcu_dereference_protected(tn->tables, lockdep_is_held(&tn->lock));
}

/* Caller holds tn->lock; returns the sockref's conntracks. */
static struct llist_node *tproxy2_unlink(struct tproxy2_net *tn,
					 struct tproxy2_sockref *sr)
{
	struct tproxy2_tables *t = tproxy2_tables(tn);
	struct llist_node *cts;

	rhashtable_remove_fast(&t->by_sk, &sr->owner_node, tproxy2_sk_params);
	tproxy2_unplace(t, sr);
	WRITE_ONCE(sr->dead, true);
	/* pairs with smp_mb() in tproxy2_cts_add() */
	smp_mb();
	cts = llist_del_all(&sr->cts);
	WRITE_ONCE(tn->count, tn->count - 1);
	kfree_rcu(sr, rcu);
	return cts;
}

/* A UDP receiver (ITP_LISTEN | ITP_UNIDIR) takes single datagrams, not
 * flows: the mapping @ct made for this one is gone once it is delivered,
 * and the flow's next datagram is looked up afresh, to go to its session
 * socket if there is one by then.  @ct is not confirmed yet: its timeout
 * is still relative.
 */
static void tproxy2_ct_once(struct nf_conn *ct)
{
	set_bit(IPS_FIXED_TIMEOUT_BIT, &ct->status);
	WRITE_ONCE(ct->timeout, 0);
}

/* The packet path: @sr created @ct, which is to live as long as @sr's
 * socket.  One small object per connection, and no lock.  Without memory,
 * it is simply not owned.
 */
static void tproxy2_own_ct(struct tproxy2_net *tn, struct tproxy2_sockref *sr,
			   struct nf_conn *ct)
{
	struct tproxy2_ct *tc = kmem_cache_alloc(tproxy2_ct_cache, GFP_ATOMIC);

	if (!tc)
		return;
	nf_conntrack_get(&ct->ct_general);
	tc->ct = ct;
	tproxy2_ct_pin(ct);
	set_bit(IPS_TPROXY_SOCKREF_BIT, &ct->status);
	tproxy2_cts_add(sr, &tc->node, &tc->node);
	tproxy2_keeper_start(tn);
}

/* A tproxied conntrack whose socket was released (or whose redirected
 * connection never reached one): no socket holds it.
 */
static bool tproxy2_ct_released(const struct nf_conn *ct)
{
	return test_bit(IPS_TPROXY_BIT, &ct->status) &&
	       !test_bit(IPS_TPROXY_SOCKREF_BIT, &ct->status) &&
	       !(nf_ct_protonum(ct) == IPPROTO_TCP &&
		 test_bit(IPS_FIXED_TIMEOUT_BIT, &ct->status));
}

/* A conntrack a released socket left holds the tuple a new mapping needs:
 * the new one wins.
 */
static void tproxy2_reclaim(struct nf_conn *ct, __be32 faddr, __be16 fport)
{
	const struct nf_conntrack_tuple *orig = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	struct nf_conntrack_tuple tuple = {
		.src.l3num	= NFPROTO_IPV4,
		.src.u3.ip	= orig->dst.u3.ip,
		.src.u.all	= orig->dst.u.all,
		.dst.u3.ip	= faddr,
		.dst.u.all	= fport,
		.dst.protonum	= orig->dst.protonum,
	};
	struct nf_conntrack_tuple_hash *h;
	struct nf_conn *old;

	h = nf_conntrack_find_get(nf_ct_net(ct), nf_ct_zone(ct), &tuple);
	if (!h)
		return;
	old = nf_ct_tuplehash_to_ctrack(h);
	if (old != ct && tproxy2_ct_released(old))
		nf_ct_kill(old);
	nf_ct_put(old);
}

/* ---- packet path ---- */

/* Does an ITP_ONCE sockref apply to a new connection with this peer?  To
 * the first only, and to that one again: its conntrack may be made anew
 * (the first SYN was dropped by a filter rule after the mapping, or reset,
 * and is retransmitted), and that is still the one connection.  The peer
 * is the destination of the socket's own connections, the source of those
 * to its foreign address.
 */
static bool tproxy2_claim_once(struct tproxy2_sockref *sr, u32 flags,
			       __be32 peer, __be16 peer_port)
{
	if (!(flags & ITP_ONCE))
		return true;
	if (!test_and_set_bit(TPROXY2_USED_BIT, &sr->used)) {
		WRITE_ONCE(sr->once_peer, peer);
		WRITE_ONCE(sr->once_peer_port, peer_port);
		return true;
	}
	return READ_ONCE(sr->once_peer) == peer &&
	       READ_ONCE(sr->once_peer_port) == peer_port;
}

/* The sockref of bucket @k that applies to a new connection from
 * saddr:sport.  A sockref that moves to another bucket under our feet
 * takes the walk along: its fields are checked again, and a walk that
 * ends in another bucket starts over.  Caller holds RCU.
 */
static struct tproxy2_sockref *
tproxy2_scan_bucket(struct tproxy2_tables *t, const struct tproxy2_fkey *k,
		    __be32 saddr, __be16 sport, u32 *flagsp)
{
	struct hlist_nulls_node *node;
	struct tproxy2_sockref *sr;
	struct tproxy2_bucket *b;

begin:
	b = rhashtable_lookup(&t->by_foreign, k, tproxy2_foreign_params);
	if (!b)
		return NULL;
	hlist_nulls_for_each_entry_rcu(sr, node, &b->sockrefs, foreign_node) {
		u32 flags = READ_ONCE(sr->flags);

		if (sr->proto != k->proto || READ_ONCE(sr->fport) != k->fport)
			continue;
		if (k->kind == TPROXY2_BY_SESSION ?
		    !(flags & ITP_ESTABLISHED) ||
		    READ_ONCE(sr->raddr) != k->raddr ||
		    READ_ONCE(sr->rport) != k->rport :
		    (flags & (ITP_LISTEN | ITP_ESTABLISHED)) != ITP_LISTEN)
			continue;
		if (!tproxy2_claim_once(sr, flags, saddr, sport))
			continue;
		*flagsp = flags;
		return sr;
	}
	if (get_nulls_value(node) != tproxy2_bucket_nulls(b))
		goto begin;
	return NULL;
}

/* The sockref for a new connection from saddr:sport to daddr:dport.  A
 * session socket (ESTABLISHED) of this peer comes before a listener, so
 * that a UDP flow goes to its session even where a receiver listens on the
 * same foreign address; an exact foreign port comes before a sockref for
 * any port, and so does an exact peer port.  Six bucket lookups, each
 * started over if a sockref moved under its feet.
 */
static struct tproxy2_sockref *
tproxy2_lookup_foreign(struct tproxy2_tables *t, u8 proto, __be32 daddr,
		       __be16 dport, __be32 saddr, __be16 sport, u32 *flagsp)
{
	static const struct {
		u8	kind;
		bool	any_fport;
		bool	any_rport;
	} order[] = {
		{ TPROXY2_BY_SESSION,	false,	false },
		{ TPROXY2_BY_SESSION,	false,	true },
		{ TPROXY2_BY_SESSION,	true,	false },
		{ TPROXY2_BY_SESSION,	true,	true },
		{ TPROXY2_BY_LISTEN,	false,	false },
		{ TPROXY2_BY_LISTEN,	true,	false },
	};
	struct tproxy2_sockref *sr;
	struct tproxy2_fkey k;
	int i;

	for (i = 0; i < ARRAY_SIZE(order); i++) {
		/* Squid's and HAProxy's sockrefs (CONNECT) are in none */
		if (!READ_ONCE(t->buckets[order[i].kind]))
			continue;
		tproxy2_fkey_init(&k, order[i].kind, proto, daddr,
				  order[i].any_fport ? 0 : dport, saddr,
				  order[i].any_rport ? 0 : sport);
		sr = tproxy2_scan_bucket(t, &k, saddr, sport, flagsp);
		if (sr)
			return sr;
	}
	return NULL;
}

/* A CONNECT (or ESTABLISHED) sockref of the socket sending this packet */
static struct tproxy2_sockref *
tproxy2_lookup_local(struct tproxy2_tables *t, const struct sock *sk, u8 proto,
		     __be32 saddr, __be16 sport, __be32 daddr, __be16 dport,
		     u32 *flagsp)
{
	struct tproxy2_sockref *sr = sk ? tproxy2_find_by_sk(t, sk) : NULL;
	u32 flags;
	__be32 raddr;
	__be16 rport;

	if (!sr || sr->proto != proto || sr->lport != sport ||
	    (sr->laddr && sr->laddr != saddr))
		return NULL;
	flags = READ_ONCE(sr->flags);
	raddr = READ_ONCE(sr->raddr);
	rport = READ_ONCE(sr->rport);
	if (!(flags & (ITP_CONNECT | ITP_ESTABLISHED)))
		return NULL;
	if ((raddr && raddr != daddr) || (rport && rport != dport))
		return NULL;
	if ((flags & ITP_ESTABLISHED) && !raddr)
		return NULL;
	if (!tproxy2_claim_once(sr, flags, daddr, dport))
		return NULL;
	*flagsp = flags;
	return sr;
}

static unsigned int tproxy2_nat(struct sk_buff *skb, struct nf_conn *ct,
				struct tproxy2_sockref *sr, u32 flags,
				const struct nf_hook_state *state)
{
	struct tproxy2_net *tn = tproxy2_pernet(state->net);
	__be16 fport = READ_ONCE(sr->fport);	/* once: an UNASSIGN clears it */
	struct nf_nat_range2 range = {};
	unsigned int verdict;

	/* A mark-only sockref, or ITP_MARK: no translation */
	if (!sr->faddr || (flags & ITP_MARK)) {
		nf_tproxy2_mark_ct(state->net, ct);
		if (flags & (ITP_CONNECT | ITP_ESTABLISHED))
			tproxy2_own_ct(tn, sr, ct);
		return NF_ACCEPT;
	}

	if (state->hook == NF_INET_POST_ROUTING) {
		range.flags = NF_NAT_RANGE_MAP_IPS;
		range.min_addr.ip = sr->faddr;
		range.max_addr.ip = sr->faddr;
		if (fport) {
			range.flags |= NF_NAT_RANGE_PROTO_SPECIFIED;
			range.min_proto.all = fport;
			range.max_proto.all = fport;
			tproxy2_reclaim(ct, sr->faddr, fport);
		}
		verdict = nf_nat_setup_info_flags(ct, &range, NF_NAT_MANIP_SRC,
						  NF_NAT_SETUP_NO_HELPER);
		if (verdict == NF_ACCEPT)
			nf_tproxy2_mark_ct(state->net, ct);
	} else {
		verdict = tproxy2_redirect_map(skb, ct, state->hook, sr->laddr,
					       sr->lport);
	}

	if (verdict != NF_ACCEPT) {
		/* no mapping made: an ITP_ONCE sockref is not used up */
		if (flags & ITP_ONCE)
			clear_bit(TPROXY2_USED_BIT, &sr->used);
		return verdict;
	}
	if (flags & (ITP_CONNECT | ITP_ESTABLISHED))
		tproxy2_own_ct(tn, sr, ct);
	else if ((flags & ITP_UNIDIR) && sr->proto == IPPROTO_UDP)
		tproxy2_ct_once(ct);
	else
		/* a LISTEN socket's connections belong to the sockets it
		 * accepts, a UDP receiver's flows to whichever socket takes
		 * their datagrams
		 */
		tproxy2_hold_accepted(state->net, ct, skb, state->hook);
	return NF_ACCEPT;
}

/* NAT lookup: run by the NAT core for the first packet of a connection */
static unsigned int tproxy2_nat_lookup(void *priv, struct sk_buff *skb,
				       const struct nf_hook_state *state)
{
	struct tproxy2_net *tn = tproxy2_pernet(state->net);
	const struct iphdr *iph = ip_hdr(skb);
	struct tproxy2_sockref *sr;
	struct tproxy2_tables *t;
	enum ip_conntrack_info ctinfo;
	__be16 _ports[2];
	const __be16 *ports;
	struct nf_conn *ct;
	u32 flags = 0;

	if (!READ_ONCE(tn->count) || READ_ONCE(tproxy2_stopped))
		return NF_ACCEPT;
	if ((iph->protocol != IPPROTO_TCP && iph->protocol != IPPROTO_UDP) ||
	    ip_is_fragment(iph))
		return NF_ACCEPT;
	ct = nf_ct_get(skb, &ctinfo);
	if (!ct)
		return NF_ACCEPT;
	ports = skb_header_pointer(skb, ip_hdrlen(skb), sizeof(_ports), _ports);
	if (!ports)
		return NF_ACCEPT;

	t = rcu_dereference(tn->tables);
	if (!t)
		return NF_ACCEPT;

	if (state->hook == NF_INET_POST_ROUTING) {
		sr = tproxy2_lookup_local(t, skb_to_full_sk(skb), iph->protocol,
					  iph->saddr, ports[0], iph->daddr,
					  ports[1], &flags);
	} else {
		/* A proxy's own sockets that have sockrefs talk to the real
		 * foreign addresses: its listeners must not take that back.
		 */
		if (state->hook == NF_INET_LOCAL_OUT && skb->sk &&
		    tproxy2_find_by_sk(t, skb_to_full_sk(skb)))
			return NF_ACCEPT;
		sr = tproxy2_lookup_foreign(t, iph->protocol, iph->daddr,
					    ports[1], iph->saddr, ports[0],
					    &flags);
	}
	if (!sr)
		return NF_ACCEPT;
	/* The flow's conntrack is older than the sockref's mapping (it was
	 * made before the NAT lookups were registered here): no mapping can
	 * be set up on it any more.  The sockref takes the flow over: that
	 * conntrack goes and, so that nothing leaves untranslated, this
	 * packet with it; the next one makes a conntrack that is mapped.
	 */
	if (nf_ct_is_confirmed(ct)) {
		if (test_bit(IPS_TPROXY_BIT, &ct->status))
			return NF_ACCEPT;
		nf_ct_kill(ct);
		return NF_DROP;
	}

	return tproxy2_nat(skb, ct, sr, flags, state);
}

static const struct nf_hook_ops tproxy2_nat_ops[] = {
	{
		.hook		= tproxy2_nat_lookup,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_PRE_ROUTING,
		.priority	= NF_IP_PRI_TPROXY - 1,
	},
	{
		.hook		= tproxy2_nat_lookup,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP_PRI_TPROXY - 1,
	},
	{
		.hook		= tproxy2_nat_lookup,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_POST_ROUTING,
		.priority	= NF_IP_PRI_TPROXY - 1,
	},
};

/* ---- the namespace's tables ---- */

static void tproxy2_unregister_lookups(struct net *net, struct nf_hook_ops *ops,
				       int n)
{
	while (n)
		nf_nat_ipv4_unregister_fn(net, &ops[--n]);
}

static int tproxy2_tables_init(struct tproxy2_tables *t)
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
static void tproxy2_tables_destroy(struct tproxy2_tables *t)
{
	rhashtable_destroy(&t->by_foreign);
	rhashtable_destroy(&t->by_sk);
}

/* The first sockref of a namespace: tables, conntrack and NAT lookups. */
static struct tproxy2_tables *tproxy2_tables_get(struct net *net)
{
	struct tproxy2_net *tn = tproxy2_pernet(net);
	struct tproxy2_tables *t;
	struct nf_hook_ops *ops;
	int i, err;

	/* once set, the tables live as long as the namespace */
	t = rcu_dereference_check(tn->tables, true);
	if (likely(t))
		return t;

	mutex_lock(&tn->setup);
	t = rcu_dereference_protected(tn->tables, lockdep_is_held(&tn->setup));
	if (t)
		goto out;

	err = -ENOMEM;
	t = kzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT);
	ops = kmemdup(tproxy2_nat_ops, sizeof(tproxy2_nat_ops), GFP_KERNEL);
	if (!t || !ops)
		goto err_free;

	err = tproxy2_tables_init(t);
	if (err)
		goto err_free;
	err = nf_ct_netns_get(net, NFPROTO_IPV4);
	if (err)
		goto err_destroy;

	for (i = 0; i < ARRAY_SIZE(tproxy2_nat_ops); i++) {
		err = nf_nat_ipv4_register_fn(net, &ops[i]);
		if (err) {
			tproxy2_unregister_lookups(net, ops, i);
			nf_ct_netns_put(net, NFPROTO_IPV4);
			goto err_destroy;
		}
	}
	tn->ops = ops;
	rcu_assign_pointer(tn->tables, t);
out:
	mutex_unlock(&tn->setup);
	return t;

err_destroy:
	tproxy2_tables_destroy(t);
err_free:
	mutex_unlock(&tn->setup);
	kfree(ops);
	kfree(t);
	return ERR_PTR(err);
}

/* The calling socket's own sockref; caller holds tn->lock. */
static struct tproxy2_sockref *tproxy2_own(struct tproxy2_net *tn,
					   const struct sock *sk)
{
	struct tproxy2_tables *t = tproxy2_tables(tn);

	return t ? tproxy2_find_by_sk(t, sk) : NULL;
}

/* ---- the operations of IP_TPROXY, on the calling socket's sockref ---- */

/* Into both tables, or neither: caller holds tn->lock.  The socket has
 * no sockref yet, so only memory can be missing.  A new sockref has no
 * mode: its buckets (the count of its foreign port) do not point to it,
 * and it is seen by no reader before it is in by_sk, last.
 */
static int tproxy2_link(struct tproxy2_tables *t, struct tproxy2_sockref *sr)
{
	struct tproxy2_place to;

	tproxy2_place_of(sr, &to);
	if (tproxy2_place(t, sr, &to, false))
		return -ENOMEM;
	if (rhashtable_insert_fast(&t->by_sk, &sr->owner_node,
				   tproxy2_sk_params)) {
		tproxy2_unplace(t, sr);
		return -ENOMEM;
	}
	return 0;
}

/* Bound to a port and not connected; the address may be any.  Caller
 * holds the socket's lock.
 */
static bool tproxy2_assignable(const struct sock *sk)
{
	const struct inet_sock *inet = inet_sk(sk);

	return inet->inet_num && !inet->inet_dport &&
	       (sk->sk_protocol != IPPROTO_TCP ||
		sk->sk_state == TCP_CLOSE || sk->sk_state == TCP_LISTEN);
}

int tproxy2_sockref_assign(struct sock *sk, __be32 faddr, __be16 fport)
{
	struct tproxy2_net *tn = tproxy2_pernet(sock_net(sk));
	struct inet_sock *inet = inet_sk(sk);
	struct tproxy2_sockref *sr;
	struct tproxy2_tables *t;
	int err = 0;

	/* A socket that cannot have a sockref does not set up the
	 * namespace's tables and NAT lookups; checked again below, locked.
	 */
	lock_sock(sk);
	err = tproxy2_assignable(sk) ? 0 : -EINVAL;
	release_sock(sk);
	if (err)
		return err;

	t = tproxy2_tables_get(sock_net(sk));
	if (IS_ERR(t))
		return PTR_ERR(t);

	sr = kmem_cache_zalloc(tproxy2_sockref_cache, GFP_KERNEL_ACCOUNT);
	if (!sr)
		return -ENOMEM;

	lock_sock(sk);
	if (!tproxy2_assignable(sk)) {
		err = -EINVAL;
		goto out;
	}

	init_llist_head(&sr->cts);
	sr->sk = sk;
	sr->proto = sk->sk_protocol;
	sr->laddr = inet->inet_rcv_saddr;
	sr->lport = htons(inet->inet_num);
	sr->faddr = faddr;
	sr->fport = faddr ? fport : 0;

	spin_lock_bh(&tn->lock);
	if (tproxy2_find_by_sk(t, sk)) {
		err = -EEXIST;
	} else if (sr->faddr && sr->fport && !sk->sk_reuse &&
		   tproxy2_port_in_use(t, sr->proto, sr->faddr, sr->fport)) {
		err = -EADDRINUSE;
	} else {
		err = tproxy2_link(t, sr);
		if (!err) {
			WRITE_ONCE(tn->count, tn->count + 1);
			sr = NULL;
		}
	}
	spin_unlock_bh(&tn->lock);
out:
	release_sock(sk);
	if (sr)
		kmem_cache_free(tproxy2_sockref_cache, sr);
	return err;
}

/* Remove the socket's sockref, if it has one; its conntracks go now, or
 * (@grace) are left to their connection.  A socket without a sockref
 * costs one lookup under RCU, and no lock.
 */
static bool tproxy2_remove(struct tproxy2_net *tn, struct sock *sk, bool grace)
{
	struct llist_node *cts = NULL;
	struct tproxy2_sockref *sr;
	struct tproxy2_tables *t;

	rcu_read_lock();
	t = rcu_dereference(tn->tables);
	sr = t ? tproxy2_find_by_sk(t, sk) : NULL;
	rcu_read_unlock();
	if (!sr)
		return false;

	spin_lock_bh(&tn->lock);
	sr = tproxy2_own(tn, sk);
	if (sr)
		cts = tproxy2_unlink(tn, sr);
	spin_unlock_bh(&tn->lock);
	tproxy2_put_cts(cts, grace);
	return sr;
}

int tproxy2_sockref_unassign(struct sock *sk)
{
	return tproxy2_remove(tproxy2_pernet(sock_net(sk)), sk, false) ? 0 : -ENOENT;
}

/* A UDP session socket takes over its flow (ITP_ESTABLISHED) from a
 * receiver.  The conntrack that steered the flow's first datagrams to the
 * receiver (by a tproxy table rule or a LISTEN sockref) would go on doing
 * so: it goes.  The flow's next datagram makes a new one, and the session's
 * sockref, now in the tables, maps it.  A datagram that was already past the
 * old mapping on another CPU still reaches the receiver; the proxy forwards
 * it through the session.  Waiting for those (an RCU grace period) would
 * cost every new session milliseconds on SMP.  The session's own
 * conntracks are left alone.  The flow's conntrack is looked for in the
 * zones tproxied UDP flows were seen in.
 */
static void tproxy2_udp_handoff(struct net *net, __be32 raddr, __be16 rport,
				__be32 faddr, __be16 fport)
{
	struct nf_conntrack_tuple tuple = {
		.src.l3num	= NFPROTO_IPV4,
		.src.u3.ip	= raddr,
		.src.u.all	= rport,
		.dst.u3.ip	= faddr,
		.dst.u.all	= fport,
		.dst.protonum	= IPPROTO_UDP,
	};
	struct nf_conntrack_tuple_hash *h;
	struct nf_conn *ct;

	h = tproxy2_find_udp_flow(net, &tuple);
	if (!h)
		return;
	ct = nf_ct_tuplehash_to_ctrack(h);
	if (NF_CT_DIRECTION(h) == IP_CT_DIR_ORIGINAL && tproxy2_ct_released(ct))
		nf_ct_kill(ct);
	nf_ct_put(ct);
}

int tproxy2_sockref_set_flags(struct sock *sk, u32 flags)
{
	struct tproxy2_net *tn = tproxy2_pernet(sock_net(sk));
	__be32 raddr = 0, faddr = 0;
	__be16 rport = 0, fport = 0;
	struct llist_node *cts = NULL;
	struct tproxy2_sockref *sr;
	struct tproxy2_place to;
	int err = 0;

	spin_lock_bh(&tn->lock);
	sr = tproxy2_own(tn, sk);
	if (!sr)
		err = -ENOENT;
	else if ((flags & ITP_ESTABLISHED) && !sr->raddr)
		err = -EINVAL;	/* ESTABLISHED needs the peer from CONNECT */
	else if (flags == sr->flags)
		sr = NULL;	/* the mode it has: its connections stay */
	if (!err && sr) {
		tproxy2_place_of(sr, &to);
		to.flags = flags;
		err = tproxy2_place(tproxy2_tables(tn), sr, &to, true);
	}
	if (!err && sr) {
		/* a new mode: what the old one created goes */
		cts = llist_del_all(&sr->cts);
		clear_bit(TPROXY2_USED_BIT, &sr->used);
		if ((flags & ITP_ESTABLISHED) && sr->proto == IPPROTO_UDP) {
			raddr = sr->raddr;
			rport = sr->rport;
			faddr = sr->faddr;
			fport = sr->fport;
		}
	}
	spin_unlock_bh(&tn->lock);
	tproxy2_put_cts(cts, false);
	if (rport && faddr && fport)
		tproxy2_udp_handoff(sock_net(sk), raddr, rport, faddr, fport);
	return err;
}

int tproxy2_sockref_set_remote(struct sock *sk, __be32 raddr, __be16 rport)
{
	struct tproxy2_net *tn = tproxy2_pernet(sock_net(sk));
	struct tproxy2_sockref *sr;
	struct tproxy2_place to;
	int err = -ENOENT;

	spin_lock_bh(&tn->lock);
	sr = tproxy2_own(tn, sk);
	if (sr && (sr->flags & ITP_ESTABLISHED) && !raddr) {
		err = -EINVAL;	/* ESTABLISHED needs a peer */
	} else if (sr) {
		tproxy2_place_of(sr, &to);
		to.raddr = raddr;
		to.rport = rport;
		err = tproxy2_place(tproxy2_tables(tn), sr, &to, true);
	}
	spin_unlock_bh(&tn->lock);
	return err;
}

int tproxy2_sockref_query(struct sock *sk, __be32 *addr, __be16 *port,
			  u32 *flags)
{
	struct tproxy2_net *tn = tproxy2_pernet(sock_net(sk));
	const struct inet_sock *inet = inet_sk(sk);
	struct tproxy2_sockref *sr;

	spin_lock_bh(&tn->lock);
	sr = tproxy2_own(tn, sk);
	if (sr) {
		if (sr->faddr) {
			*addr = sr->faddr;
			*port = sr->fport;
		} else {
			/* mark-only: the socket's own address */
			*addr = inet->inet_rcv_saddr ?: inet->inet_saddr;
			*port = inet->inet_sport;
		}
		*flags = sr->flags;
		if ((sr->flags & ITP_ONCE) && test_bit(TPROXY2_USED_BIT, &sr->used))
			*flags |= ITP_APPLIED;
	}
	spin_unlock_bh(&tn->lock);
	return sr ? 0 : -ENOENT;
}

/* Does a conntrack of the namespace's default zone connect faddr:port with
 * the peer raddr:rport, in either direction?  A mapping of the two would
 * clash with it.  Two lookups, whatever the size of the conntrack table.
 */
static bool tproxy2_peer_uses(struct net *net, u8 proto, __be32 faddr,
			      __be16 port, __be32 raddr, __be16 rport)
{
	struct nf_conntrack_tuple tuple = {
		.src.l3num	= NFPROTO_IPV4,
		.dst.protonum	= proto,
	};
	struct nf_conntrack_tuple_hash *h;
	int i;

	for (i = 0; i < 2; i++) {
		tuple.src.u3.ip = i ? raddr : faddr;
		tuple.src.u.all = i ? rport : port;
		tuple.dst.u3.ip = i ? faddr : raddr;
		tuple.dst.u.all = i ? port : rport;
		h = nf_conntrack_find_get(net, &nf_ct_zone_dflt, &tuple);
		if (h) {
			nf_ct_put(nf_ct_tuplehash_to_ctrack(h));
			return true;
		}
	}
	return false;
}

/* A foreign port is in use when a sockref of the namespace has it, or,
 * for a sockref that knows its peer (TPROXY_CONNECT), when a conntrack
 * connects it with that peer.  The ports of the local range are tried
 * from a random one on, without our lock, and the first free one is
 * taken under it if it is still free then.  The cost is the port range at
 * worst; the conntrack table's size does not count.
 */
int tproxy2_sockref_alloc_port(struct sock *sk)
{
	struct net *net = sock_net(sk);
	struct tproxy2_net *tn = tproxy2_pernet(net);
	int low, high, range, i, err;
	struct tproxy2_sockref *sr;
	struct tproxy2_tables *t;
	__be32 faddr, raddr;
	struct tproxy2_place to;
	__be16 rport;
	u32 offset;
	u8 proto;

	spin_lock_bh(&tn->lock);
	t = tproxy2_tables(tn);
	sr = tproxy2_own(tn, sk);
	err = !sr ? -ENOENT : (!sr->faddr || sr->fport) ? -EINVAL : 0;
	if (!err) {
		faddr = sr->faddr;
		raddr = sr->raddr;
		rport = sr->rport;
		proto = sr->proto;
	}
	spin_unlock_bh(&tn->lock);
	if (err)
		return err;

	inet_get_local_port_range(net, &low, &high);
	range = high - low + 1;
	offset = get_random_u32_below(range);

	err = -EADDRNOTAVAIL;
	for (i = 0; err == -EADDRNOTAVAIL && i < range; i++) {
		__be16 port = htons(low + (offset + i) % range);

		if (i && i % 256 == 0)
			cond_resched();
		if (tproxy2_port_in_use(t, proto, faddr, port) ||
		    (raddr && rport &&
		     tproxy2_peer_uses(net, proto, faddr, port, raddr, rport)))
			continue;

		spin_lock_bh(&tn->lock);
		sr = tproxy2_own(tn, sk);
		/* the socket may have changed its sockref meanwhile */
		if (!sr) {
			err = -ENOENT;
		} else if (sr->faddr != faddr || sr->fport) {
			err = -EINVAL;
		} else if (!tproxy2_port_in_use(t, proto, faddr, port)) {
			tproxy2_place_of(sr, &to);
			to.fport = port;
			err = tproxy2_place(t, sr, &to, true);
		}
		spin_unlock_bh(&tn->lock);
	}
	return err;
}

/* The conntrack of a redirected connection, by the socket's view of it;
 * a reference is taken.  Caller holds RCU.
 */
static struct nf_conn *tproxy2_accepted_ct(struct net *net,
					   const struct tproxy2_accepted *a)
{
	struct nf_conntrack_tuple tuple = {
		.src.l3num	= NFPROTO_IPV4,
		.src.u3.ip	= a->key.laddr,
		.src.u.all	= a->key.lport,
		.dst.u3.ip	= a->key.raddr,
		.dst.u.all	= a->key.rport,
		.dst.protonum	= a->key.proto,
	};
	struct nf_conntrack_tuple_hash *h;
	struct nf_conn *ct;

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

/* Take @a out of tn->accepted: true for the one caller that did */
static bool tproxy2_accepted_unlink(struct tproxy2_net *tn,
				    struct tproxy2_accepted *a)
{
	if (rhashtable_remove_fast(&tn->accepted, &a->node,
				   tproxy2_accepted_params))
		return false;
	kfree_rcu(a, rcu);
	return true;
}

/* What a walk of tn->accepted does with an entry and its conntrack (NULL
 * if that is gone; a reference is held): returns whether it unlinked it.
 */
typedef bool (*tproxy2_accepted_fn)(struct tproxy2_net *tn,
				    struct tproxy2_accepted *a,
				    struct nf_conn *ct, void *data);

/* Walk the entries of @proto (0: all) under RCU, a batch at a time.  The
 * cost is the namespace's own redirected connections.
 */
static void tproxy2_walk_accepted(struct tproxy2_net *tn, u8 proto,
				  tproxy2_accepted_fn fn, void *data)
{
	struct rhashtable_iter iter;
	struct tproxy2_accepted *a;
	unsigned int n = 0;
	bool unlinked;

	rhashtable_walk_enter(&tn->accepted, &iter);
	rhashtable_walk_start(&iter);
	while ((a = rhashtable_walk_next(&iter))) {
		struct nf_conn *ct;

		if (IS_ERR(a))
			continue;	/* -EAGAIN: resized; some seen twice */
		if (proto && a->key.proto != proto)
			continue;
		ct = tproxy2_accepted_ct(tn->net, a);
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
}

/* A TCP socket whose connection was redirected to it (by the tproxy table
 * or a LISTEN sockref) is released: the connection goes on under
 * conntrack's own timeouts.  Called under RCU; no lock is taken.
 */
static void tproxy2_release_accepted(struct tproxy2_net *tn, struct sock *sk)
{
	const struct inet_sock *inet = inet_sk(sk);
	struct tproxy2_conn_key key = {
		.laddr	= inet->inet_saddr,
		.lport	= inet->inet_sport,
		.raddr	= inet->inet_daddr,
		.rport	= inet->inet_dport,
		.proto	= IPPROTO_TCP,
	};
	struct tproxy2_accepted *a;
	struct nf_conn *ct;

	if (!key.rport)
		return;
	a = rhashtable_lookup(&tn->accepted, &key, tproxy2_accepted_params);
	if (!a)
		return;
	/* unlinked first: a keeper that pins after this sees it gone */
	ct = tproxy2_accepted_ct(sock_net(sk), a);
	if (!tproxy2_accepted_unlink(tn, a))
		goto out;
	if (ct)
		tproxy2_ct_unpin(ct);
out:
	if (ct)
		nf_ct_put(ct);
}

/* A connected UDP socket closes: if its flow was tproxied (by the table,
 * or through a LISTEN sockref), the conntrack goes after the grace time.
 * Its reply direction is the socket's own view: local -> peer.  It is
 * looked for in the zones tproxied UDP flows were seen in.
 */
static void tproxy2_release_conn(struct sock *sk)
{
	const struct inet_sock *inet = inet_sk(sk);
	struct nf_conntrack_tuple tuple = {
		.src.l3num	= NFPROTO_IPV4,
		.src.u3.ip	= inet->inet_saddr,
		.src.u.all	= inet->inet_sport,
		.dst.u3.ip	= inet->inet_daddr,
		.dst.u.all	= inet->inet_dport,
		.dst.protonum	= sk->sk_protocol,
	};
	struct nf_conntrack_tuple_hash *h;
	struct nf_conn *ct;

	if (!inet->inet_dport)
		return;
	h = tproxy2_find_udp_flow(sock_net(sk), &tuple);
	if (!h)
		return;
	ct = nf_ct_tuplehash_to_ctrack(h);
	if (tproxy2_ct_released(ct))
		tproxy2_ct_expire(ct);
	nf_ct_put(ct);
}

/* Does a socket of the namespace take the datagrams of a redirected UDP
 * flow?  A session socket connected to the peer, or a receiver.  Caller
 * holds RCU.
 */
static bool tproxy2_flow_taken(struct net *net, const struct tproxy2_accepted *a)
{
	const struct tproxy2_conn_key *k = &a->key;
	struct sock *sk;

	sk = __udp4_lib_lookup(net, k->raddr, k->rport, k->laddr, k->lport,
			       a->dif, a->sdif, net->ipv4.udp_table, NULL);
	return sk && !sock_flag(sk, SOCK_DEAD);
}

/* The sweeper: a UDP flow whose datagrams no socket takes goes */
static bool tproxy2_sweep_one(struct tproxy2_net *tn, struct tproxy2_accepted *a,
			      struct nf_conn *ct, void *data)
{
	bool unlinked;

	if (ct && tproxy2_flow_taken(tn->net, a))
		return false;
	unlinked = tproxy2_accepted_unlink(tn, a);
	if (unlinked && ct)
		nf_ct_kill(ct);
	return unlinked;
}

/* A UDP receiver went: the flows redirected to local sockets (by the
 * tproxy table, or a LISTEN sockref) whose datagrams no socket takes any
 * more go now, not after their conntrack timeout.  UDP has no closing
 * handshake to wait for.
 */
static void tproxy2_sweeper_work(struct work_struct *work)
{
	struct tproxy2_net *tn = container_of(to_delayed_work(work),
					      struct tproxy2_net, sweeper);
	unsigned long start = jiffies;

	tproxy2_walk_accepted(tn, IPPROTO_UDP, tproxy2_sweep_one, NULL);
	/* a receiver released shortly before the walk, or during it, may not
	 * have left the socket table when the walk looked
	 */
	if (time_before(start, READ_ONCE(tn->sweep_last) + TPROXY2_SWEEP_DELAY))
		queue_delayed_work(tproxy2_wq, &tn->sweeper, TPROXY2_SWEEP_DELAY);
}

/* A UDP receiver (IP_RECVORIGADDRS, not connected) is released.  It is
 * still in the socket table: the sweeper runs a moment later.  However
 * many receivers close, it is queued once, and runs at most once per
 * TPROXY2_SWEEP_DELAY; no memory is allocated.
 */
static void tproxy2_release_receiver(struct tproxy2_net *tn, struct sock *sk)
{
	const struct inet_sock *inet = inet_sk(sk);

	if (inet->inet_dport || !inet->inet_num ||
	    !atomic_read(&tn->accepted.nelems))
		return;
	WRITE_ONCE(tn->sweep_last, jiffies);
	queue_delayed_work(tproxy2_wq, &tn->sweeper, TPROXY2_SWEEP_DELAY);
}

void tproxy2_sockref_release(struct sock *sk)
{
	struct tproxy2_net *tn;

	if (sk->sk_protocol != IPPROTO_TCP && sk->sk_protocol != IPPROTO_UDP)
		return;
	tn = tproxy2_pernet(sock_net(sk));
	if (READ_ONCE(tn->tproxied)) {
		if (sk->sk_protocol == IPPROTO_TCP) {
			tproxy2_release_accepted(tn, sk);
		} else {
			tproxy2_release_conn(sk);
			if (inet_test_bit(ORIGADDRS, sk))
				tproxy2_release_receiver(tn, sk);
		}
	}
	/* the connection still has to close through the mapping */
	if (READ_ONCE(tn->count))
		tproxy2_remove(tn, sk, true);
}

/* ---- the keeper ---- */

enum tproxy2_sk_state {
	TPROXY2_SK_GONE,	/* none, or in TIME_WAIT: released */
	TPROXY2_SK_WAITING,	/* the handshake is not complete yet */
	TPROXY2_SK_OPEN,	/* accepted, or in the accept queue */
	TPROXY2_SK_FLOW,	/* a UDP flow: the sweeper's, unpinned */
};

/* Where is the socket of a redirected connection?  Caller holds RCU. */
static enum tproxy2_sk_state tproxy2_socket_state(struct net *net,
						  const struct tproxy2_accepted *a)
{
	const struct tproxy2_conn_key *k = &a->key;
	enum tproxy2_sk_state state;
	struct sock *sk;

	sk = __inet_lookup_established(net, net->ipv4.tcp_death_row.hashinfo,
				       k->raddr, k->rport, k->laddr,
				       ntohs(k->lport), a->dif, a->sdif);
	if (!sk)
		return TPROXY2_SK_GONE;
	if (sk->sk_state == TCP_TIME_WAIT)
		state = TPROXY2_SK_GONE;
	else if (sk->sk_state == TCP_NEW_SYN_RECV)
		state = TPROXY2_SK_WAITING;
	else
		state = TPROXY2_SK_OPEN;
	sock_gen_put(sk);
	return state;
}

/* The keeper, for each redirected connection: one whose socket exists is
 * pinned and kept, the others (never accepted, or gone) are unpinned and
 * dropped.  @data: set when one still waits for its socket.
 */
static bool tproxy2_keep_one(struct tproxy2_net *tn, struct tproxy2_accepted *a,
			     struct nf_conn *ct, void *data)
{
	enum tproxy2_sk_state state;
	bool *waiting = data;
	bool unlinked = false;

	if (!ct)
		state = TPROXY2_SK_GONE;
	else if (a->key.proto != IPPROTO_TCP)
		state = TPROXY2_SK_FLOW;
	else
		state = tproxy2_socket_state(tn->net, a);
	/* no socket yet, the handshake still going: the SYN may have
	 * been dropped at a full accept queue and be retransmitted
	 */
	if (state == TPROXY2_SK_GONE && ct &&
	    READ_ONCE(ct->proto.tcp.state) < TCP_CONNTRACK_ESTABLISHED)
		state = TPROXY2_SK_WAITING;
	switch (state) {
	case TPROXY2_SK_OPEN:
		/* A release that unlinked it meanwhile unpins, or we see it
		 * unlinked and do.  A refresh that tested the bit just before
		 * the pin may write its own timeout: a run soon sets it right.
		 */
		if (tproxy2_ct_pin_confirmed(ct)) {
			*waiting = true;
			if (rhashtable_lookup(&tn->accepted, &a->key,
					      tproxy2_accepted_params) != a)
				tproxy2_ct_unpin(ct);
		}
		break;
	case TPROXY2_SK_WAITING:
		*waiting = true;
		break;
	case TPROXY2_SK_FLOW:
		break;
	case TPROXY2_SK_GONE:
		unlinked = tproxy2_accepted_unlink(tn, a);
		if (unlinked && ct)
			tproxy2_ct_unpin(ct);
		break;
	}
	return unlinked;
}

/* Returns whether a redirected connection still waits for its socket */
static bool tproxy2_keep_accepted(struct tproxy2_net *tn)
{
	bool waiting = false;

	tproxy2_walk_accepted(tn, 0, tproxy2_keep_one, &waiting);
	return waiting;
}

/* The keeper: the conntracks @sr owns are kept pinned, and the references
 * to deleted ones go.  The packet path may add to the list meanwhile: it
 * takes no lock, and the list is taken whole.  Returns whether any are
 * left.
 */
static bool tproxy2_keep_owned(struct tproxy2_net *tn, struct tproxy2_sockref *sr)
{
	struct llist_node *first = NULL, *last = NULL;
	struct tproxy2_ct *tc, *tmp;
	struct llist_node *cts;

	spin_lock_bh(&tn->lock);
	if (sr->dead) {
		spin_unlock_bh(&tn->lock);
		return false;
	}
	cts = llist_del_all(&sr->cts);
	llist_for_each_entry_safe(tc, tmp, cts, node) {
		if (tproxy2_ct_gone(tc->ct)) {
			nf_ct_put(tc->ct);
			kmem_cache_free(tproxy2_ct_cache, tc);
			continue;
		}
		tproxy2_ct_keep(tc->ct);
		tc->node.next = first;
		first = &tc->node;
		if (!last)
			last = first;
	}
	/* not dead: that is set under the lock */
	if (first)
		llist_add_batch(first, last, &sr->cts);
	spin_unlock_bh(&tn->lock);
	return first;
}

/* Every TPROXY2_KEEP_PERIOD while there are tproxied connections or
 * owned conntracks, and within TPROXY2_SETTLE of a new redirected one: pins
 * are set and moved on, and the references to deleted owned conntracks go.
 * The cost is the namespace's own tproxied connections and sockrefs.
 */
static void tproxy2_keeper_work(struct work_struct *work)
{
	struct tproxy2_net *tn = container_of(to_delayed_work(work),
					      struct tproxy2_net, keeper);
	struct rhashtable_iter iter;
	struct tproxy2_sockref *sr;
	struct tproxy2_tables *t;
	unsigned int n = 0;
	bool more;

	/* A connection redirected from now on asks for another run: its
	 * entry is inserted before it tests the bit, and we walk after
	 * clearing it, so one of the two sees the other.
	 */
	clear_bit(TPROXY2_KEEPER_SOON, &tn->keeper_flags);
	/* pairs with test_and_set_bit() in tproxy2_keeper_soon() */
	smp_mb__after_atomic();
	if (tproxy2_keep_accepted(tn))
		tproxy2_keeper_soon(tn);

	/* The sockrefs' own conntracks were pinned on their first packet:
	 * they need the keeper once a period only, not on the runs that
	 * new redirected connections ask for.
	 */
	more = atomic_read(&tn->accepted.nelems) || READ_ONCE(tn->count);
	if (time_before(jiffies, READ_ONCE(tn->owned_next))) {
		if (more)
			tproxy2_keeper_start(tn);
		return;
	}
	WRITE_ONCE(tn->owned_next, jiffies + TPROXY2_KEEP_PERIOD);
	more = atomic_read(&tn->accepted.nelems);
	/* once set, the tables go only after the keeper is cancelled */
	t = rcu_dereference_check(tn->tables, true);
	if (t) {
		rhashtable_walk_enter(&t->by_sk, &iter);
		rhashtable_walk_start(&iter);
		while ((sr = rhashtable_walk_next(&iter))) {
			if (IS_ERR(sr))
				continue;
			more |= tproxy2_keep_owned(tn, sr);
			if (++n % 256 == 0) {
				rhashtable_walk_stop(&iter);
				cond_resched();
				rhashtable_walk_start(&iter);
			}
		}
		rhashtable_walk_stop(&iter);
		rhashtable_walk_exit(&iter);
	}
	if (more)
		tproxy2_keeper_start(tn);
}

/* ---- /proc/net/tproxy: proto local foreign remote flags ---- */

/* An open file walks by_sk once, under RCU, resuming where the last read
 * left off: no lock of ours is taken.  Sockrefs come and go meanwhile: one
 * that comes may be missed, one that goes is skipped; if the table is
 * resized during the read, the walk starts over in the new one and the
 * lines already read come again.
 */
struct tproxy2_proc_iter {
	struct net		*net;
	struct tproxy2_tables	*t;
	struct rhashtable_iter	iter;
};

static struct tproxy2_sockref *tproxy2_proc_next_sr(struct tproxy2_proc_iter *pi)
{
	struct tproxy2_sockref *sr;

	do {
		sr = rhashtable_walk_next(&pi->iter);
	} while (IS_ERR(sr) || (sr && READ_ONCE(sr->dead)));
	return sr;
}

static void *tproxy2_proc_start(struct seq_file *seq, loff_t *pos)
{
	struct tproxy2_proc_iter *pi = seq->private;
	struct tproxy2_sockref *sr;

	if (!pi->t) {
		/* the namespace's first sockref comes after the open */
		pi->t = rcu_dereference_check(tproxy2_pernet(pi->net)->tables, true);
		if (!pi->t)
			return NULL;
		rhashtable_walk_enter(&pi->t->by_sk, &pi->iter);
	} else if (!*pos) {
		/* read again from the start */
		rhashtable_walk_exit(&pi->iter);
		rhashtable_walk_enter(&pi->t->by_sk, &pi->iter);
	}
	rhashtable_walk_start(&pi->iter);
	/* the one the last read did not show, if it is still there */
	sr = rhashtable_walk_peek(&pi->iter);
	if (IS_ERR(sr) || (sr && READ_ONCE(sr->dead)))
		sr = tproxy2_proc_next_sr(pi);
	return sr;
}

static void *tproxy2_proc_next(struct seq_file *seq, void *v, loff_t *pos)
{
	++*pos;
	return tproxy2_proc_next_sr(seq->private);
}

static void tproxy2_proc_stop(struct seq_file *seq, void *v)
{
	struct tproxy2_proc_iter *pi = seq->private;

	if (pi->t)
		rhashtable_walk_stop(&pi->iter);
}

/* Under RCU: the socket's memory stays a socket for as long (TCP sockets
 * are SLAB_TYPESAFE_BY_RCU, a bound UDP socket is SOCK_RCU_FREE), and the
 * sockref goes before it.
 */
static int tproxy2_proc_show(struct seq_file *seq, void *v)
{
	const struct tproxy2_sockref *sr = v;
	const struct inet_sock *inet;
	__be32 laddr;
	u32 flags;

	if (READ_ONCE(tproxy2_stopped))
		return SEQ_SKIP;	/* its socket may be gone */
	inet = inet_sk(sr->sk);
	laddr = READ_ONCE(inet->inet_rcv_saddr) ?: READ_ONCE(inet->inet_saddr);
	flags = READ_ONCE(sr->flags);
	if ((flags & ITP_ONCE) && test_bit(TPROXY2_USED_BIT, &sr->used))
		flags |= ITP_APPLIED;
	seq_printf(seq, "%s %pI4:%u %pI4:%u %pI4:%u 0x%08x\n",
		   sr->proto == IPPROTO_TCP ? "tcp" : "udp",
		   &laddr, ntohs(sr->lport),
		   &sr->faddr, ntohs(READ_ONCE(sr->fport)),
		   &sr->raddr, ntohs(READ_ONCE(sr->rport)), flags);
	return 0;
}

static const struct seq_operations tproxy2_proc_seq_ops = {
	.start	= tproxy2_proc_start,
	.next	= tproxy2_proc_next,
	.stop	= tproxy2_proc_stop,
	.show	= tproxy2_proc_show,
};

static int tproxy2_proc_open(struct inode *inode, struct file *file)
{
	struct tproxy2_proc_iter *pi;

	pi = __seq_open_private(file, &tproxy2_proc_seq_ops, sizeof(*pi));
	if (!pi)
		return -ENOMEM;
	/* as proc_net's own files: the open file holds the namespace */
	pi->net = maybe_get_net(pde_data(inode));
	if (!pi->net) {
		seq_release_private(inode, file);
		return -ENXIO;
	}
	return 0;
}

static int tproxy2_proc_release(struct inode *inode, struct file *file)
{
	struct tproxy2_proc_iter *pi = ((struct seq_file *)file->private_data)->private;

	if (pi->t)
		rhashtable_walk_exit(&pi->iter);
	put_net(pi->net);
	return seq_release_private(inode, file);
}

static const struct proc_ops tproxy2_proc_ops = {
	.proc_open	= tproxy2_proc_open,
	.proc_read_iter	= seq_read_iter,
	.proc_lseek	= seq_lseek,
	.proc_release	= tproxy2_proc_release,
};

/* ---- namespaces ---- */

static int __net_init tproxy2_net_init(struct net *net)
{
	struct tproxy2_net *tn = tproxy2_pernet(net);
	int err;

	spin_lock_init(&tn->lock);
	mutex_init(&tn->setup);
	INIT_DELAYED_WORK(&tn->keeper, tproxy2_keeper_work);
	INIT_DELAYED_WORK(&tn->sweeper, tproxy2_sweeper_work);
	tn->net = net;
	tn->owned_next = jiffies;
	err = rhashtable_init(&tn->accepted, &tproxy2_accepted_params);
	if (err)
		return err;
	if (!proc_create_data("tproxy", 0444, net->proc_net, &tproxy2_proc_ops,
			      net)) {
		rhashtable_destroy(&tn->accepted);
		return -ENOMEM;
	}
	return 0;
}

static void tproxy2_accepted_free(void *ptr, void *arg)
{
	kfree(ptr);
}

/* At the namespace's exit */
static bool tproxy2_unpin_one(struct tproxy2_net *tn, struct tproxy2_accepted *a,
			      struct nf_conn *ct, void *data)
{
	if (ct)
		tproxy2_ct_unpin(ct);
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
	tproxy2_walk_accepted(tn, IPPROTO_TCP, tproxy2_unpin_one, NULL);
	rhashtable_free_and_destroy(&tn->accepted, tproxy2_accepted_free, NULL);
}

/* The packet path goes.  The namespace's exit waits for an RCU grace
 * period after every pre_exit (ops_undo_list()): the lookups that started
 * before, here and in the tproxy table, are done by then.
 */
static void __net_exit tproxy2_net_pre_exit(struct net *net)
{
	struct tproxy2_net *tn = tproxy2_pernet(net);

	if (tn->ops)
		tproxy2_unregister_lookups(net, tn->ops,
					   ARRAY_SIZE(tproxy2_nat_ops));
}

/* A sockref left at the namespace's exit; no reader is left. */
static void tproxy2_sockref_free(void *ptr, void *arg)
{
	struct tproxy2_sockref *sr = ptr;

	tproxy2_unplace(arg, sr);
	/* on module unload their connections live on, unpinned */
	tproxy2_put_cts(llist_del_all(&sr->cts), true);
	kmem_cache_free(tproxy2_sockref_cache, sr);
}

static void __net_exit tproxy2_net_exit(struct net *net)
{
	struct tproxy2_net *tn = tproxy2_pernet(net);
	struct tproxy2_tables *t;

	remove_proc_entry("tproxy", net->proc_net);
	tproxy2_accepted_fini(tn);
	t = rcu_dereference_protected(tn->tables, 1);
	if (!t)
		return;

	/* Only kernel sockets, which hold no namespace reference, can still
	 * have sockrefs here; on module unload, any socket can.  No reader
	 * is left (pre_exit).
	 */
	RCU_INIT_POINTER(tn->tables, NULL);
	rhashtable_free_and_destroy(&t->by_sk, tproxy2_sockref_free, t);
	rhashtable_destroy(&t->by_foreign);	/* empty by now */
	nf_ct_netns_put(net, NFPROTO_IPV4);
	kfree(t);
	kfree(tn->ops);
	tn->ops = NULL;
}

static struct pernet_operations tproxy2_net_ops = {
	.init		= tproxy2_net_init,
	.pre_exit	= tproxy2_net_pre_exit,
	.exit		= tproxy2_net_exit,
	.id		= &tproxy2_net_id,
	.size		= sizeof(struct tproxy2_net),
};

int __init tproxy2_sockref_init(void)
{
	int err = -ENOMEM;

	/* a sockref is to cost at most 128 bytes (make bench, P6) */
	BUILD_BUG_ON(IS_ENABLED(CONFIG_64BIT) &&
		     sizeof(struct tproxy2_sockref) > 128);
	tproxy2_wq = alloc_workqueue("tproxy2", 0, 0);
	if (!tproxy2_wq)
		return -ENOMEM;
	tproxy2_sockref_cache = KMEM_CACHE(tproxy2_sockref, SLAB_ACCOUNT);
	if (!tproxy2_sockref_cache)
		goto err_wq;
	tproxy2_ct_cache = KMEM_CACHE(tproxy2_ct, 0);
	if (!tproxy2_ct_cache)
		goto err_sockref;

	err = register_pernet_subsys(&tproxy2_net_ops);
	if (!err)
		return 0;
	kmem_cache_destroy(tproxy2_ct_cache);
err_sockref:
	kmem_cache_destroy(tproxy2_sockref_cache);
err_wq:
	destroy_workqueue(tproxy2_wq);
	return err;
}

/* Before the socket option goes, on module unload */
void tproxy2_sockref_stop(void)
{
	WRITE_ONCE(tproxy2_stopped, true);
	synchronize_rcu();	/* the lookups that did not see it */
}

void tproxy2_sockref_fini(void)
{
	unregister_pernet_subsys(&tproxy2_net_ops);	/* and their works */
	destroy_workqueue(tproxy2_wq);
	/* kmem_cache_destroy() waits for the sockrefs' kfree_rcu() itself */
	kmem_cache_destroy(tproxy2_ct_cache);
	kmem_cache_destroy(tproxy2_sockref_cache);
}
