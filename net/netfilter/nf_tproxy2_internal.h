/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TPROXY 2.0 sockrefs: what the files of nf_tproxy2.ko share.  Other modules
 * use <net/netfilter/nf_tproxy2.h>.
 *
 * Layers, bottom first.  A file calls only into files of lower layers,
 * never into one above it (tests/host/layering.sh checks the objects'
 * symbols):
 *
 *   1  nf_tproxy2_tables.c     what the module sets up once (the pernet id,
 *                              the slab caches, the workqueue, the ITP_ONCE
 *                              hash key); the sockref tables: buckets,
 *                              placement, lookups, walks, removal
 *   2  nf_tproxy2_conntrack.c  tproxied conntracks: pins, the conntracks a
 *                              sockref owns, the table of redirected
 *                              connections, UDP flow lookups, what a
 *                              socket's release lets go of
 *   3  nf_tproxy2_gc.c         the keeper, the sweeper and the pruner (the
 *                              background work on those conntracks)
 *   3  nf_tproxy2_hooks.c      the packet path: the NAT lookups, the
 *                              sockref lookups for a new connection,
 *                              nf_tproxy2_redirect()
 *   4  nf_tproxy2_ops.c        the operations on the calling socket's
 *                              sockref, the UDP handoff, ALLOC; a
 *                              namespace's setup with its first sockref
 *   4  nf_tproxy2_proc.c       /proc/net/tproxy, /proc/net/stat/tproxy2
 *   5  nf_tproxy2_sockopt.c    the socket options and their release
 *                              callback
 *   6  nf_tproxy2_core.c       module init and exit, the pernet operations
 *
 * Locks.  tn->lock (a spinlock, taken with BHs off) serialises the writers
 * of a namespace's sockrefs, of their buckets and of the lists of
 * conntracks they own: the operations of IP_TPROXY, the release of a
 * socket that has a sockref, and the keeper.  tn->setup (a mutex)
 * serialises the setup with the first sockref, and keeps the tables while
 * the keeper walks them; tn->tables changes only under both.  The packet
 * path takes neither; see nf_tproxy2_hooks.c for what it does take.
 */
#ifndef _NF_TPROXY2_INTERNAL_H
#define _NF_TPROXY2_INTERNAL_H

#include <linux/list_nulls.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_zones_common.h>
#include <linux/rcupdate.h>
#include <linux/rhashtable-types.h>
#include <linux/siphash.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>

struct nf_conn;
struct nf_conntrack_tuple;
struct nf_conntrack_tuple_hash;
struct nf_hook_ops;
struct sk_buff;

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
 * it over at once (tproxy2_reclaim_tuple() in nf_tproxy2_hooks.c).
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
/* A conntrack that a sockref came to own and that died at once (the reset
 * that answers a SYN the socket does not take, a first packet dropped) is
 * let go of this soon.  One that dies later waits for the keeper's period,
 * or for the pruner's next run.
 */
#define TPROXY2_PRUNE_DELAY	(2 * HZ)
/* How many zones of tproxied UDP flows a namespace keeps track of */
#define TPROXY2_ZONES		8

/**
 * struct tproxy2_sockref - a socket's tie to a foreign address
 * @owner_node: in the namespace's table by owning socket (key @sk)
 * @foreign_node: in the bucket of the foreign-address table that its mode
 *	puts it in: LISTEN by @faddr, @fport; ESTABLISHED by these and
 *	@raddr, @rport.  Other modes are in none.
 * @sk: the owning socket; the sockref holds no reference, it is removed
 *	before the socket goes away.  The packet path only compares it.
 * @faddr: foreign address, of @family; all zero for a mark-only sockref
 * @fport: foreign port (0: any)
 * @lport: local port
 * @laddr: local address the socket was bound to at ASSIGN; zero for any
 * @raddr: remote peer recorded by CONNECT; zero for any
 * @rport: remote port
 * @proto: IPPROTO_TCP or IPPROTO_UDP
 * @family: NFPROTO_IPV4 or NFPROTO_IPV6: the connections it applies to.  An
 *	AF_INET6 socket that talks IPv4 (v4-mapped addresses) has an IPv4 one.
 * @dead: unlinked; conntracks that join @cts after this are released by
 *	whoever added them
 * @grew: a conntrack joined @cts since the pruner last looked
 * @flags: ITP_* mode and modifiers, never ITP_APPLIED
 * @once: 0 until an ITP_ONCE sockref has been applied; then a keyed hash
 *	(siphash) of the peer and port of the connection it was applied to,
 *	never 0: the destination of the socket's own, the source of one to
 *	@faddr.  Another peer passes for that one with a chance of 2^-63, and
 *	the struct stays within two cache lines with IPv6 addresses.
 * @cts: the conntracks this sockref created as CONNECT or ESTABLISHED,
 *	struct tproxy2_ct; each holds a reference to its conntrack.  The
 *	packet path adds to it without a lock; the others take it whole
 *	(llist_del_all()), under the namespace's lock unless they found the
 *	sockref dead, or are the namespace's exit
 * @rcu: for kfree_rcu() after unlinking: the packet path, the keeper's
 *	walk and /proc read it under RCU
 *
 * A sockref belongs to exactly one socket and lives no longer than it: it
 * is created by IP_TPROXY ASSIGN on that socket and removed by UNASSIGN or
 * when the socket is released.  @fport, @flags, @raddr and @rport change
 * under the namespace's lock (nf_tproxy2_place()), and the packet path
 * reads them with READ_ONCE(); @faddr, @family, @proto, @laddr and
 * @lport never change.  The struct is 128 bytes on 64-bit (a build-time
 * check in nf_tproxy2_objects_init()); its slab cache takes more per
 * object in a kernel with slab debugging or KASAN (red zones, metadata).
 */
struct tproxy2_sockref {
	struct rhash_head	owner_node;
	struct hlist_nulls_node	foreign_node;
	const struct sock	*sk;
	union nf_inet_addr	faddr;
	union nf_inet_addr	laddr;
	union nf_inet_addr	raddr;
	__be16			fport;
	__be16			lport;
	__be16			rport;
	u8			proto;
	u8			family;
	bool			dead;
	bool			grew;
	u32			flags;
	atomic64_t		once;
	struct llist_head	cts;
	struct rcu_head		rcu;
};

/* A conntrack a sockref created and owns, on its @cts, since @born
 * (jiffies): the pruner looks at it again while it is that young
 */
struct tproxy2_ct {
	struct llist_node	node;
	struct nf_conn		*ct;
	unsigned long		born;
};

/* Has an ITP_ONCE sockref been applied? */
static inline bool tproxy2_once_used(const struct tproxy2_sockref *sr)
{
	return atomic64_read(&sr->once);
}

/* The zero address of either family: a mark-only sockref's, any peer */
static inline bool tproxy2_addr_any(const union nf_inet_addr *a)
{
	return !(a->all[0] | a->all[1] | a->all[2] | a->all[3]);
}

/* An address a writer may change under the packet path (@raddr): read and
 * written word by word.  A lookup that races with a change may see words of
 * the old peer and of the new, and match neither, or a peer made of both:
 * a socket that changes its peer (CONNECT) while it sends races with itself,
 * and the packet path never reads the fields of a sockref as one set.
 */
static inline bool tproxy2_addr_eq_once(const union nf_inet_addr *shared,
					const union nf_inet_addr *a)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(a->all); i++)
		if (READ_ONCE(shared->all[i]) != a->all[i])
			return false;
	return true;
}

static inline void tproxy2_addr_read_once(union nf_inet_addr *a,
					  const union nf_inet_addr *shared)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(a->all); i++)
		a->all[i] = READ_ONCE(shared->all[i]);
}

static inline void tproxy2_addr_write_once(union nf_inet_addr *shared,
					   const union nf_inet_addr *a)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(a->all); i++)
		WRITE_ONCE(shared->all[i], a->all[i]);
}

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
	union nf_inet_addr	faddr;
	union nf_inet_addr	raddr;
	__be16			fport;
	__be16			rport;
	u8			proto;
	u8			family;
	u8			kind;
	u8			zero;
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
 * @rcu: for kfree_rcu() once it is out of by_foreign
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

/* What ends a bucket's list of sockrefs: its address, unique among the
 * buckets a reader under RCU may still be in.  A lookup that ends on another
 * value followed a sockref that moved to another bucket, and starts over.
 */
static inline unsigned long tproxy2_bucket_nulls(const struct tproxy2_bucket *b)
{
	return (unsigned long)b >> 1;
}

/* @raddr is read for TPROXY2_BY_SESSION only, and may be NULL for the others */
static inline void tproxy2_fkey_init(struct tproxy2_fkey *k,
				     enum tproxy2_fkind kind, u8 family, u8 proto,
				     const union nf_inet_addr *faddr,
				     __be16 fport,
				     const union nf_inet_addr *raddr,
				     __be16 rport)
{
	memset(k, 0, sizeof(*k));
	k->kind = kind;
	k->family = family;
	k->proto = proto;
	k->faddr = *faddr;
	k->fport = fport;
	if (kind == TPROXY2_BY_SESSION) {
		k->raddr = *raddr;
		k->rport = rport;
	}
}

/* What decides a sockref's buckets */
struct tproxy2_place {
	u32			flags;
	union nf_inet_addr	raddr;
	__be16			rport;
	__be16			fport;
};

/* A connection that the tproxy table or a LISTEN sockref redirected to a
 * local socket, by that socket's own view of it (the conntrack's reply
 * tuple): its release finds the entry in one lookup.
 */
struct tproxy2_conn_key {
	union nf_inet_addr	laddr;
	union nf_inet_addr	raddr;
	__be16			lport;
	__be16			rport;
	u8			proto;
	u8			family;
	u8			zero[2];
};

/* Such a connection (TCP or UDP), in tn->accepted until its socket is
 * released or the keeper finds it gone.  It holds no reference to the
 * conntrack (a SYN flood must not keep conntracks allocated): the keeper,
 * the sweeper and the release look the conntrack up by the key, in @zone.
 * @dif, @sdif: the interface it came in on, as the socket lookup on input
 * has them (the VRF master and the slave), for a socket bound to one.
 * @rcu: for kfree_rcu() once it is out of tn->accepted.
 */
struct tproxy2_accepted {
	struct rhash_head		node;
	struct tproxy2_conn_key		key;
	struct nf_conntrack_zone	zone;
	int				dif;
	int				sdif;
	struct rcu_head			rcu;
};

/* The families of tn->ops */
enum {
	TPROXY2_IPV4,
	TPROXY2_IPV6,
	TPROXY2_FAMILIES
};

/* tn->keeper_flags: the keeper is queued to run within TPROXY2_SETTLE... */
#define TPROXY2_KEEPER_SOON	0
/* ...the pruner is queued */
#define TPROXY2_PRUNER_DUE	1

/* The tables of tn->accepted, by protocol: the sweeper walks the UDP flows
 * alone, however many TCP connections there are
 */
enum {
	TPROXY2_ACCEPTED_TCP,
	TPROXY2_ACCEPTED_UDP,
	TPROXY2_ACCEPTED_PROTOS
};

/**
 * struct tproxy2_gc_stats - what a namespace's background work did, for
 *	/proc/net/stat/tproxy2
 * @keeper_runs: runs of the keeper
 * @keeper_entries: redirected connections it looked at
 * @sweeper_runs: runs of the sweeper
 * @sweeper_entries: UDP flows it looked at
 * @pruner_runs: runs of the pruner
 * @pruner_entries: sockrefs it read
 * @pruned: conntracks that sockrefs owned and the pruner or the keeper
 *	let go of, dead
 *
 * Each is written by one work item only (@pruned by both under the
 * namespace's lock), and read without a lock.
 */
struct tproxy2_gc_stats {
	unsigned long	keeper_runs;
	unsigned long	keeper_entries;
	unsigned long	sweeper_runs;
	unsigned long	sweeper_entries;
	unsigned long	pruner_runs;
	unsigned long	pruner_entries;
	unsigned long	pruned;
};

/**
 * struct tproxy2_net - the sockrefs of a network namespace
 * @lock: serialises the writers of the sockrefs, their buckets and the
 *	lists of conntracks they own; never taken on the packet path
 * @setup: serialises the one-time setup of @tables and the NAT lookups
 * @tables: allocated with the namespace's first sockref
 * @ops: the NAT lookups of each family (TPROXY2_IPV4, TPROXY2_IPV6),
 *	registered with the first sockref of the family; @tables comes with
 *	the first of either
 * @count: number of sockrefs, so that the empty case costs one read
 * @tproxied: a connection was tproxied here; closing sockets look for theirs
 * @accepted: the connections redirected to local sockets, a table for
 *	each protocol (TPROXY2_ACCEPTED_TCP, TPROXY2_ACCEPTED_UDP); lookups
 *	and the walks run under RCU, an insertion or a removal takes a
 *	bucket lock of the table (its own), never @lock
 * @keeper: pins and keeps pinned conntracks, lets go of the ones whose
 *	connection is gone; queued while there are any
 * @keeper_flags: TPROXY2_KEEPER_SOON, TPROXY2_PRUNER_DUE
 * @owned_next: when the keeper walks the sockrefs' conntracks next
 * @sweeper: a UDP receiver went: the flows that no socket takes any more
 *	go.  One work item, so that closing sockets queue it once at most.
 * @sweep_last: when a receiver was last released; the sweeper runs again
 *	if that was less than TPROXY2_SWEEP_DELAY before its walk began, or
 *	after
 * @pruner: a sockref came to own a conntrack: within TPROXY2_PRUNE_DELAY,
 *	the dead conntracks of the sockrefs that did go
 * @stats: what the keeper, the sweeper and the pruner did
 * @udp_zones: the zones other than the default one that tproxied UDP flows
 *	were seen in (tproxy2_note_zone()), for the lookups that know a
 *	flow's tuple but not its zone; filled in on the packet path without
 *	a lock
 * @net: the namespace, for the keeper and the sweeper
 */
struct tproxy2_net {
	spinlock_t			lock;	/* the writers */
	struct mutex			setup;	/* the first sockref */
	struct tproxy2_tables __rcu	*tables;
	struct nf_hook_ops		*ops[TPROXY2_FAMILIES];
	unsigned int			count;
	bool				tproxied;
	struct rhashtable		accepted[TPROXY2_ACCEPTED_PROTOS];
	struct delayed_work		keeper;
	unsigned long			keeper_flags;
	unsigned long			owned_next;
	struct delayed_work		sweeper;
	unsigned long			sweep_last;
	struct delayed_work		pruner;
	struct tproxy2_gc_stats		stats;
	u32				udp_zones[TPROXY2_ZONES];
	struct net			*net;
};

/* nf_tproxy2_tables.c */
extern unsigned int nf_tproxy2_net_id;
extern struct workqueue_struct *nf_tproxy2_wq;
extern struct kmem_cache *nf_tproxy2_sockref_cache;
extern struct kmem_cache *nf_tproxy2_ct_cache;
/* The key of the hash of an ITP_ONCE sockref's peer (@once) */
extern siphash_key_t nf_tproxy2_once_key;
/* The module is going: sockets closed from now on may leave sockrefs behind
 * (the release callback goes with the socket option), which nothing may
 * look at any more
 */
extern bool nf_tproxy2_stopped;

static inline struct tproxy2_net *tproxy2_pernet(const struct net *net)
{
	return net_generic(net, nf_tproxy2_net_id);
}

/* The namespace's tables, to a holder of tn->lock */
static inline struct tproxy2_tables *tproxy2_tables_locked(struct tproxy2_net *tn)
{
	return rcu_dereference_protected(tn->tables, lockdep_is_held(&tn->lock));
}

/* The namespace's tables, to a holder of tn->setup */
static inline struct tproxy2_tables *tproxy2_tables_setup(struct tproxy2_net *tn)
{
	return rcu_dereference_protected(tn->tables, lockdep_is_held(&tn->setup));
}

int nf_tproxy2_objects_init(void);
void nf_tproxy2_objects_fini(void);
int nf_tproxy2_tables_init(struct tproxy2_tables *t);
void nf_tproxy2_tables_destroy(struct tproxy2_tables *t);
struct llist_node *nf_tproxy2_tables_net_exit(struct tproxy2_net *tn);
struct tproxy2_sockref *nf_tproxy2_find_by_sk(struct tproxy2_tables *t,
					      const struct sock *sk);
struct tproxy2_sockref *nf_tproxy2_find_locked(struct tproxy2_net *tn,
					       const struct sock *sk);
struct tproxy2_bucket *nf_tproxy2_find_bucket(struct tproxy2_tables *t,
					      const struct tproxy2_fkey *key);
bool nf_tproxy2_port_in_use(struct tproxy2_tables *t, u8 family, u8 proto,
			    const union nf_inet_addr *faddr, __be16 fport);
void nf_tproxy2_place_of(const struct tproxy2_sockref *sr,
			 struct tproxy2_place *p);
int nf_tproxy2_place(struct tproxy2_net *tn, struct tproxy2_sockref *sr,
		     const struct tproxy2_place *to);
int nf_tproxy2_link(struct tproxy2_net *tn, struct tproxy2_sockref *sr);
bool nf_tproxy2_remove_sockref(struct tproxy2_net *tn, const struct sock *sk,
			       struct llist_node **cts);
bool nf_tproxy2_walk_sockrefs(struct tproxy2_net *tn,
			      bool (*fn)(struct tproxy2_net *tn,
					 struct tproxy2_sockref *sr));

/* nf_tproxy2_conntrack.c */
void nf_tproxy2_keeper_start(struct tproxy2_net *tn);
void nf_tproxy2_keeper_soon(struct tproxy2_net *tn);
void nf_tproxy2_pruner_soon(struct tproxy2_net *tn);
void nf_tproxy2_ct_keep(struct nf_conn *ct);
bool nf_tproxy2_ct_pin_confirmed(struct nf_conn *ct);
void nf_tproxy2_ct_unpin(struct nf_conn *ct);
void nf_tproxy2_ct_expire_on_confirm(struct nf_conn *ct);
bool nf_tproxy2_ct_gone(struct nf_conn *ct);
bool nf_tproxy2_ct_released(const struct nf_conn *ct);
void nf_tproxy2_delete_cts(struct llist_node *cts);
void nf_tproxy2_release_cts(struct llist_node *cts);
void nf_tproxy2_own_ct(struct tproxy2_net *tn, struct tproxy2_sockref *sr,
		       struct nf_conn *ct);
struct nf_conntrack_tuple_hash *
nf_tproxy2_find_udp_flow(struct net *net, const struct nf_conntrack_tuple *tuple);
int nf_tproxy2_accepted_init(struct tproxy2_net *tn);
void nf_tproxy2_accepted_destroy(struct tproxy2_net *tn);
void nf_tproxy2_accepted_net_exit(struct tproxy2_net *tn);
void nf_tproxy2_accepted_add(struct net *net, struct nf_conn *ct,
			     const struct sk_buff *skb, unsigned int hooknum);
struct tproxy2_accepted *
nf_tproxy2_accepted_find(struct tproxy2_net *tn,
			 const struct tproxy2_conn_key *key);
bool nf_tproxy2_accepted_unlink(struct tproxy2_net *tn,
				struct tproxy2_accepted *a);
void nf_tproxy2_ct_release_sock(struct tproxy2_net *tn, struct sock *sk);

/* What a walk of tn->accepted does with an entry and its conntrack (NULL
 * if that is gone; a reference is held): returns whether it unlinked it.
 */
typedef bool (*tproxy2_accepted_fn)(struct tproxy2_net *tn,
				    struct tproxy2_accepted *a,
				    struct nf_conn *ct, void *data);

unsigned int nf_tproxy2_walk_accepted(struct tproxy2_net *tn, u8 proto,
				      tproxy2_accepted_fn fn, void *data);
unsigned int nf_tproxy2_accepted_count(struct tproxy2_net *tn, u8 proto);

/* nf_tproxy2_gc.c */
void nf_tproxy2_keeper_work(struct work_struct *work);
void nf_tproxy2_sweeper_work(struct work_struct *work);
void nf_tproxy2_receiver_gone(struct tproxy2_net *tn, struct sock *sk);
void nf_tproxy2_pruner_work(struct work_struct *work);
void nf_tproxy2_gc_net_exit(struct tproxy2_net *tn);

/* nf_tproxy2_hooks.c */
/* PREROUTING, LOCAL_OUT and POSTROUTING */
#define TPROXY2_NAT_HOOKS	3
struct nf_hook_ops *nf_tproxy2_register_lookups(struct net *net, u8 family);
void nf_tproxy2_unregister_lookups(struct net *net, struct nf_hook_ops *ops);

/* nf_tproxy2_ops.c */
void nf_tproxy2_setup_pre_exit(struct net *net);
void nf_tproxy2_setup_exit(struct net *net);
int nf_tproxy2_assign(struct sock *sk, u8 family,
		      const union nf_inet_addr *faddr, __be16 fport);
int nf_tproxy2_unassign(struct sock *sk);
int nf_tproxy2_set_flags(struct sock *sk, u32 flags);
int nf_tproxy2_set_remote(struct sock *sk, u8 family,
			  const union nf_inet_addr *raddr, __be16 rport);
int nf_tproxy2_query(struct sock *sk, u8 *family, union nf_inet_addr *addr,
		     __be16 *port, u32 *flags);
int nf_tproxy2_alloc_port(struct sock *sk);

/* nf_tproxy2_proc.c */
int nf_tproxy2_proc_init(struct net *net);
void nf_tproxy2_proc_exit(struct net *net);

/* nf_tproxy2_sockopt.c */
int nf_tproxy2_sockopt_init(void);
void nf_tproxy2_sockopt_exit(void);

#endif /* _NF_TPROXY2_INTERNAL_H */
