// SPDX-License-Identifier: GPL-2.0-only
/*
 * TPROXY 2.0 sockrefs: the packet path.
 *
 * For the first packet of a new connection, NAT lookups look for a sockref:
 *  - PREROUTING and OUTPUT: a LISTEN (or ESTABLISHED) sockref whose foreign
 *    address is the destination; the connection is redirected to its socket;
 *  - POSTROUTING: a CONNECT (or ESTABLISHED) sockref whose socket sends the
 *    packet; the source is translated to the foreign address.
 * The lookups are registered in a namespace when its first sockref is made,
 * so namespaces that never use sockrefs pay nothing.  The tproxy table's
 * target redirects through nf_tproxy2_redirect().
 *
 * Locks.  All of this runs in a netfilter hook, under RCU, and takes
 * neither tn->lock nor tn->setup.  The tables, the sockrefs and their
 * buckets are found under RCU (nf_tproxy2_find_by_sk(),
 * nf_tproxy2_find_bucket(), the walk of a bucket here); a conntrack a
 * sockref owns joins its lock-free list (llist, nf_tproxy2_own_ct()).
 * One lock of ours can be taken: a bucket lock of tn->accepted, to insert
 * or replace an entry (nf_tproxy2_accepted_add()).  The others are not
 * ours: conntrack's and NAT's (nf_nat_setup_info(), nf_ct_kill() of an
 * older conntrack), the timer's and the workqueue's (queueing the keeper),
 * the slab allocator's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/ip.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/netfilter_ipv4/ip_tproxy.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <net/ip.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_zones.h>
#include <net/netfilter/nf_nat.h>
#include <net/netfilter/nf_nat_redirect.h>
#include <net/netfilter/nf_tproxy2.h>

#include "nf_tproxy2_internal.h"

/* Sets IPS_TPROXY, and lets the namespace know that sockets closing in it
 * may take tproxied conntracks with them.
 */
static void tproxy2_mark_ct(struct net *net, struct nf_conn *ct)
{
	struct tproxy2_net *tn = tproxy2_pernet(net);

	set_bit(IPS_TPROXY_BIT, &ct->status);
	if (!READ_ONCE(tn->tproxied))
		WRITE_ONCE(tn->tproxied, true);
}

/* nf_nat_setup_info() for a mapping that NAT helpers leave alone: the
 * proxy that the connection goes to speaks its protocol itself, and a
 * helper rewriting what it relays would corrupt it.  A manip that is set
 * up already (by a nat table rule that ran first) stands.  The bit is set
 * after the mapping, non-atomically with it: the conntrack is unconfirmed,
 * only this CPU sees it, and the helpers look at the bit later, at their
 * own hook.
 */
static unsigned int tproxy2_nat_setup(struct nf_conn *ct,
				      const struct nf_nat_range2 *range,
				      enum nf_nat_manip_type maniptype)
{
	unsigned int verdict;

	if (nf_nat_initialized(ct, maniptype))
		return NF_ACCEPT;
	verdict = nf_nat_setup_info(ct, range, maniptype);
	if (verdict == NF_ACCEPT)
		set_bit(IPS_NAT_NO_HELPER_BIT, &ct->status);
	return verdict;
}

/* The destination mapping of nf_tproxy2_redirect(), without the entry in
 * tn->accepted
 */
static unsigned int tproxy2_redirect_map(struct sk_buff *skb, struct nf_conn *ct,
					 unsigned int hooknum,
					 const union nf_inet_addr *laddr,
					 __be16 lport)
{
	struct nf_nat_range2 range = {};
	unsigned int verdict;

	if (lport) {
		range.flags = NF_NAT_RANGE_PROTO_SPECIFIED;
		range.min_proto.all = lport;
		range.max_proto.all = lport;
	}
	if (!tproxy2_addr_any(laddr)) {
		range.flags |= NF_NAT_RANGE_MAP_IPS;
		range.min_addr = *laddr;
		range.max_addr = *laddr;
		verdict = tproxy2_nat_setup(ct, &range, NF_NAT_MANIP_DST);
	} else {
		/* where REDIRECT would go; the helpers keep off it as in
		 * tproxy2_nat_setup()
		 */
		if (!IS_ENABLED(CONFIG_IPV6) || nf_ct_l3num(ct) == NFPROTO_IPV4)
			verdict = nf_nat_redirect_ipv4(skb, &range, hooknum);
		else
			verdict = nf_nat_redirect_ipv6(skb, &range, hooknum);
		if (verdict == NF_ACCEPT)
			set_bit(IPS_NAT_NO_HELPER_BIT, &ct->status);
	}
	if (verdict == NF_ACCEPT)
		tproxy2_mark_ct(nf_ct_net(ct), ct);
	return verdict;
}

/* See <net/netfilter/nf_tproxy2.h>.  A conntrack that was confirmed before
 * (a flow older than the NAT hooks of its namespace) is left alone, as nat
 * table rules leave it.
 */
unsigned int nf_tproxy2_redirect(struct sk_buff *skb, unsigned int hooknum,
				 const union nf_inet_addr *laddr, __be16 lport)
{
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct = nf_ct_get(skb, &ctinfo);
	unsigned int verdict;

	if (!ct || nf_ct_is_confirmed(ct))
		return NF_ACCEPT;
	verdict = tproxy2_redirect_map(skb, ct, hooknum, laddr, lport);
	if (verdict == NF_ACCEPT)
		nf_tproxy2_accepted_add(nf_ct_net(ct), ct, skb, hooknum);
	return verdict;
}
EXPORT_SYMBOL_GPL(nf_tproxy2_redirect);

/* A conntrack a released socket left holds the tuple a new mapping needs:
 * the new one wins.
 */
static void tproxy2_reclaim_tuple(struct nf_conn *ct,
				  const union nf_inet_addr *faddr,
				  __be16 fport)
{
	const struct nf_conntrack_tuple *orig = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	struct nf_conntrack_tuple tuple = {
		.src.l3num	= orig->src.l3num,
		.src.u3		= orig->dst.u3,
		.src.u.all	= orig->dst.u.all,
		.dst.u3		= *faddr,
		.dst.u.all	= fport,
		.dst.protonum	= orig->dst.protonum,
	};
	struct nf_conntrack_tuple_hash *h;
	struct nf_conn *old;

	h = nf_conntrack_find_get(nf_ct_net(ct), nf_ct_zone(ct), &tuple);
	if (!h)
		return;
	old = nf_ct_tuplehash_to_ctrack(h);
	if (old != ct && nf_tproxy2_ct_released(old))
		nf_ct_kill(old);
	nf_ct_put(old);
}

/* Does an ITP_ONCE sockref apply to a new connection with this peer?  To
 * the first only, and to that one again: its conntrack may be made anew
 * (the first SYN was dropped by a filter rule after the mapping, or reset,
 * and is retransmitted), and that is still the one connection.  The peer
 * is the destination of the socket's own connections, the source of those
 * to its foreign address.
 */
static bool tproxy2_claim_once(struct tproxy2_sockref *sr, u32 flags,
			       const union nf_inet_addr *peer, __be16 peer_port)
{
	const struct {
		union nf_inet_addr	addr;
		__be16			port;
		u16			zero;
	} key = { .addr = *peer, .port = peer_port };
	s64 h, old;

	if (!(flags & ITP_ONCE))
		return true;
	/* in one word, set once: the first connection's peer wins */
	h = siphash(&key, sizeof(key), &nf_tproxy2_once_key) | 1;
	old = atomic64_cmpxchg(&sr->once, 0, h);
	return !old || old == h;
}

/* The sockref of bucket @k that applies to a new connection from
 * saddr:sport.  A sockref that moves to another bucket under our feet
 * takes the walk along: its fields are checked again, and a walk that
 * ends in another bucket starts over.  Under RCU.
 */
static struct tproxy2_sockref *
tproxy2_scan_bucket(struct tproxy2_tables *t, const struct tproxy2_fkey *k,
		    const union nf_inet_addr *saddr, __be16 sport, u32 *flagsp)
{
	struct hlist_nulls_node *node;
	struct tproxy2_sockref *sr;
	struct tproxy2_bucket *b;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "tproxy2 bucket walk outside RCU");
begin:
	b = nf_tproxy2_find_bucket(t, k);
	if (!b)
		return NULL;
	hlist_nulls_for_each_entry_rcu(sr, node, &b->sockrefs, foreign_node) {
		u32 flags = READ_ONCE(sr->flags);

		if (sr->proto != k->proto || sr->family != k->family ||
		    READ_ONCE(sr->fport) != k->fport)
			continue;
		if (k->kind == TPROXY2_BY_SESSION ?
		    !(flags & ITP_ESTABLISHED) ||
		    !tproxy2_addr_eq_once(&sr->raddr, &k->raddr) ||
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

/* What the lookups know of a new connection's first packet, from its
 * conntrack: the source, and the destination as the packet has it at this
 * hook (after DNAT, at POSTROUTING)
 */
struct tproxy2_pkt {
	const union nf_inet_addr	*saddr;
	const union nf_inet_addr	*daddr;
	__be16				sport;
	__be16				dport;
	u8				family;
	u8				proto;
};

/* The sockref for a new connection from saddr:sport to daddr:dport.  A
 * session socket (ESTABLISHED) of this peer comes before a listener, so
 * that a UDP flow goes to its session even where a receiver listens on the
 * same foreign address; an exact foreign port comes before a sockref for
 * any port, and so does an exact peer port.  Six bucket lookups at most,
 * none of a kind the namespace has no bucket of, each started over if a
 * sockref moved under its feet.
 */
static struct tproxy2_sockref *
tproxy2_lookup_foreign(struct tproxy2_tables *t, const struct tproxy2_pkt *p,
		       u32 *flagsp)
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
		tproxy2_fkey_init(&k, order[i].kind, p->family, p->proto,
				  p->daddr, order[i].any_fport ? 0 : p->dport,
				  p->saddr, order[i].any_rport ? 0 : p->sport);
		sr = tproxy2_scan_bucket(t, &k, p->saddr, p->sport, flagsp);
		if (sr)
			return sr;
	}
	return NULL;
}

/* A CONNECT (or ESTABLISHED) sockref of the socket sending this packet */
static struct tproxy2_sockref *
tproxy2_lookup_local(struct tproxy2_tables *t, const struct sock *sk,
		     const struct tproxy2_pkt *p, u32 *flagsp)
{
	struct tproxy2_sockref *sr = sk ? nf_tproxy2_find_by_sk(t, sk) : NULL;
	union nf_inet_addr raddr;
	__be16 rport;
	u32 flags;

	if (!sr || sr->proto != p->proto || sr->family != p->family ||
	    sr->lport != p->sport ||
	    (!tproxy2_addr_any(&sr->laddr) &&
	     !nf_inet_addr_cmp(&sr->laddr, p->saddr)))
		return NULL;
	flags = READ_ONCE(sr->flags);
	tproxy2_addr_read_once(&raddr, &sr->raddr);
	rport = READ_ONCE(sr->rport);
	if (!(flags & (ITP_CONNECT | ITP_ESTABLISHED)))
		return NULL;
	if ((!tproxy2_addr_any(&raddr) && !nf_inet_addr_cmp(&raddr, p->daddr)) ||
	    (rport && rport != p->dport))
		return NULL;
	if ((flags & ITP_ESTABLISHED) && tproxy2_addr_any(&raddr))
		return NULL;
	if (!tproxy2_claim_once(sr, flags, p->daddr, p->dport))
		return NULL;
	*flagsp = flags;
	return sr;
}

/* Set up the mapping that @sr, found for @ct's first packet, asks for */
static unsigned int tproxy2_sockref_nat(struct sk_buff *skb, struct nf_conn *ct,
					struct tproxy2_sockref *sr, u32 flags,
					const struct nf_hook_state *state)
{
	struct tproxy2_net *tn = tproxy2_pernet(state->net);
	__be16 fport = READ_ONCE(sr->fport);	/* once: an UNASSIGN clears it */
	struct nf_nat_range2 range = {};
	unsigned int verdict;

	/* A mark-only sockref, or ITP_MARK: no translation */
	if (tproxy2_addr_any(&sr->faddr) || (flags & ITP_MARK)) {
		tproxy2_mark_ct(state->net, ct);
		if (flags & (ITP_CONNECT | ITP_ESTABLISHED))
			nf_tproxy2_own_ct(tn, sr, ct);
		return NF_ACCEPT;
	}

	if (state->hook == NF_INET_POST_ROUTING) {
		range.flags = NF_NAT_RANGE_MAP_IPS;
		range.min_addr = sr->faddr;
		range.max_addr = sr->faddr;
		if (fport) {
			range.flags |= NF_NAT_RANGE_PROTO_SPECIFIED;
			range.min_proto.all = fport;
			range.max_proto.all = fport;
			tproxy2_reclaim_tuple(ct, &sr->faddr, fport);
		}
		verdict = tproxy2_nat_setup(ct, &range, NF_NAT_MANIP_SRC);
		if (verdict == NF_ACCEPT)
			tproxy2_mark_ct(state->net, ct);
	} else {
		verdict = tproxy2_redirect_map(skb, ct, state->hook, &sr->laddr,
					       sr->lport);
	}

	if (verdict != NF_ACCEPT) {
		/* no mapping made: an ITP_ONCE sockref is not used up */
		if (flags & ITP_ONCE)
			atomic64_set(&sr->once, 0);
		return verdict;
	}
	if (flags & (ITP_CONNECT | ITP_ESTABLISHED))
		nf_tproxy2_own_ct(tn, sr, ct);
	else if ((flags & ITP_UNIDIR) && sr->proto == IPPROTO_UDP)
		nf_tproxy2_ct_expire_on_confirm(ct);
	else
		/* a LISTEN socket's connections belong to the sockets it
		 * accepts, a UDP receiver's flows to whichever socket takes
		 * their datagrams
		 */
		nf_tproxy2_accepted_add(state->net, ct, skb, state->hook);
	return NF_ACCEPT;
}

/* NAT lookup: run by the NAT core for the first packet of a connection,
 * of either family.  What it needs of the packet is in the conntrack,
 * whose tuple conntrack took from the reassembled packet.
 */
static unsigned int tproxy2_nat_lookup(void *priv, struct sk_buff *skb,
				       const struct nf_hook_state *state)
{
	struct tproxy2_net *tn = tproxy2_pernet(state->net);
	const struct nf_conntrack_tuple *orig, *reply;
	enum ip_conntrack_info ctinfo;
	struct tproxy2_sockref *sr;
	struct tproxy2_tables *t;
	struct tproxy2_pkt p;
	struct nf_conn *ct;
	u32 flags = 0;

	if (!READ_ONCE(tn->count) || READ_ONCE(nf_tproxy2_stopped))
		return NF_ACCEPT;
	ct = nf_ct_get(skb, &ctinfo);
	if (!ct)
		return NF_ACCEPT;
	p.proto = nf_ct_protonum(ct);
	if (p.proto != IPPROTO_TCP && p.proto != IPPROTO_UDP)
		return NF_ACCEPT;

	t = rcu_dereference(tn->tables);
	if (!t)
		return NF_ACCEPT;

	orig = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	reply = &ct->tuplehash[IP_CT_DIR_REPLY].tuple;
	p.family = nf_ct_l3num(ct);
	p.saddr = &orig->src.u3;
	p.sport = orig->src.u.all;
	if (state->hook == NF_INET_POST_ROUTING) {
		/* where the packet goes now: after a DNAT of OUTPUT */
		p.daddr = &reply->src.u3;
		p.dport = reply->src.u.all;
		sr = tproxy2_lookup_local(t, skb_to_full_sk(skb), &p, &flags);
	} else {
		/* A proxy's own sockets that have sockrefs talk to the real
		 * foreign addresses: its listeners must not take that back.
		 */
		if (state->hook == NF_INET_LOCAL_OUT && skb->sk &&
		    nf_tproxy2_find_by_sk(t, skb_to_full_sk(skb)))
			return NF_ACCEPT;
		p.daddr = &orig->dst.u3;
		p.dport = orig->dst.u.all;
		sr = tproxy2_lookup_foreign(t, &p, &flags);
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

	return tproxy2_sockref_nat(skb, ct, sr, flags, state);
}

/* The lookups of each family.  The NAT core runs a family's lookups in
 * priority order, and nf_tables takes nat chains at priorities above
 * NF_IP_PRI_CONNTRACK only: at it, a sockref comes before every nat chain
 * and before the tproxy and nat tables' rules, whatever their priority.
 */
static const struct nf_hook_ops tproxy2_nat_ops4[] = {
	{
		.hook		= tproxy2_nat_lookup,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_PRE_ROUTING,
		.priority	= NF_IP_PRI_CONNTRACK,
	},
	{
		.hook		= tproxy2_nat_lookup,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP_PRI_CONNTRACK,
	},
	{
		.hook		= tproxy2_nat_lookup,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_POST_ROUTING,
		.priority	= NF_IP_PRI_CONNTRACK,
	},
};

static const struct nf_hook_ops tproxy2_nat_ops6[] = {
	{
		.hook		= tproxy2_nat_lookup,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_PRE_ROUTING,
		.priority	= NF_IP6_PRI_CONNTRACK,
	},
	{
		.hook		= tproxy2_nat_lookup,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP6_PRI_CONNTRACK,
	},
	{
		.hook		= tproxy2_nat_lookup,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_POST_ROUTING,
		.priority	= NF_IP6_PRI_CONNTRACK,
	},
};

static int tproxy2_register_fn(struct net *net, const struct nf_hook_ops *ops)
{
	if (!IS_ENABLED(CONFIG_IPV6) || ops->pf == NFPROTO_IPV4)
		return nf_nat_ipv4_register_fn(net, ops);
	return nf_nat_ipv6_register_fn(net, ops);
}

static void tproxy2_unregister_fn(struct net *net, const struct nf_hook_ops *ops)
{
	if (!IS_ENABLED(CONFIG_IPV6) || ops->pf == NFPROTO_IPV4)
		nf_nat_ipv4_unregister_fn(net, ops);
	else
		nf_nat_ipv6_unregister_fn(net, ops);
}

static void tproxy2_unregister_first(struct net *net, struct nf_hook_ops *ops,
				     int n)
{
	while (n)
		tproxy2_unregister_fn(net, &ops[--n]);
}

/* The NAT lookups of @family in @net, registered; the caller kfree()s what
 * is returned after nf_tproxy2_unregister_lookups() and an RCU grace period.
 */
struct nf_hook_ops *nf_tproxy2_register_lookups(struct net *net, u8 family)
{
	const struct nf_hook_ops *tmpl = family == NFPROTO_IPV4 ?
					 tproxy2_nat_ops4 : tproxy2_nat_ops6;
	struct nf_hook_ops *ops;
	int i, err;

	BUILD_BUG_ON(ARRAY_SIZE(tproxy2_nat_ops4) != TPROXY2_NAT_HOOKS ||
		     ARRAY_SIZE(tproxy2_nat_ops6) != TPROXY2_NAT_HOOKS);
	ops = kmemdup(tmpl, sizeof(tproxy2_nat_ops4), GFP_KERNEL);
	if (!ops)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < TPROXY2_NAT_HOOKS; i++) {
		err = tproxy2_register_fn(net, &ops[i]);
		if (err) {
			tproxy2_unregister_first(net, ops, i);
			kfree(ops);
			return ERR_PTR(err);
		}
	}
	return ops;
}

void nf_tproxy2_unregister_lookups(struct net *net, struct nf_hook_ops *ops)
{
	tproxy2_unregister_first(net, ops, TPROXY2_NAT_HOOKS);
}
