// SPDX-License-Identifier: GPL-2.0-only
/*
 * TPROXY 2.0 sockrefs: the operations of IP_TPROXY and IPV6_TPROXY, each on
 * the calling socket's own sockref (nf_tproxy2_sockopt.c checks the
 * arguments and the capability).  They change a sockref under the
 * namespace's lock, and let go of conntracks without it.  ITP_ESTABLISHED
 * on a UDP sockref hands the flow over from its receiver; ALLOC picks a
 * free foreign port.  A namespace's first sockref of a family sets up its
 * tables, conntrack and the NAT lookups of that family.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/netfilter_ipv4/ip_tproxy.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_zones.h>

#include "nf_tproxy2_internal.h"

/* Bound to a port and not connected; the address may be any */
static bool tproxy2_assignable(const struct sock *sk)
{
	const struct inet_sock *inet = inet_sk(sk);

	sock_owned_by_me(sk);
	return inet->inet_num && !inet->inet_dport &&
	       (sk->sk_protocol != IPPROTO_TCP ||
		sk->sk_state == TCP_CLOSE || sk->sk_state == TCP_LISTEN);
}

/* Is an AF_INET6 socket bound to a v4-mapped address? */
static bool tproxy2_bound_v4mapped(const struct sock *sk)
{
#if IS_ENABLED(CONFIG_IPV6)
	return sk->sk_family == AF_INET6 &&
	       ipv6_addr_v4mapped(&sk->sk_v6_rcv_saddr);
#else
	return false;
#endif
}

/* Can the socket's connections be of @family?  An AF_INET6 socket talks
 * IPv4 unless it is IPV6_V6ONLY or bound to a native IPv6 address (which
 * makes it one), IPv6 unless it is bound to a v4-mapped address.
 */
static bool tproxy2_sock_talks(const struct sock *sk, u8 family)
{
	if (sk->sk_family == AF_INET)
		return family == NFPROTO_IPV4;
	if (family == NFPROTO_IPV6)
		return !tproxy2_bound_v4mapped(sk);
#if IS_ENABLED(CONFIG_IPV6)
	return !ipv6_only_sock(sk) &&
	       (ipv6_addr_any(&sk->sk_v6_rcv_saddr) || tproxy2_bound_v4mapped(sk));
#else
	return false;
#endif
}

/* The family of a new sockref (NFPROTO_UNSPEC: a mark-only one, of the
 * socket's bound address), or an error
 */
static int tproxy2_assign_family(const struct sock *sk, u8 family)
{
	sock_owned_by_me(sk);
	if (!tproxy2_assignable(sk))
		return -EINVAL;
	if (family == NFPROTO_UNSPEC)
		family = tproxy2_bound_v4mapped(sk) ? NFPROTO_IPV4 : NFPROTO_IPV6;
	if (!tproxy2_sock_talks(sk, family))
		return -EAFNOSUPPORT;
	return family;
}

static int tproxy2_family_index(u8 family)
{
	return family == NFPROTO_IPV4 ? TPROXY2_IPV4 : TPROXY2_IPV6;
}

/* The namespace's tables, set up with its first sockref, and conntrack and
 * the NAT lookups of @family, with its first sockref of that family: an
 * IPv4 proxy does not turn on IPv6 connection tracking.  Once set, the
 * tables and the lookups live as long as the namespace, which the calling
 * socket holds.
 */
static struct tproxy2_tables *tproxy2_setup(struct net *net, u8 family)
{
	struct tproxy2_net *tn = tproxy2_pernet(net);
	int i = tproxy2_family_index(family);
	struct tproxy2_tables *t, *new = NULL;
	struct nf_hook_ops *ops;
	int err;

	/* Without a lock: once set, the tables go only at the namespace's
	 * exit, and the calling socket holds the namespace (check_net()).  On
	 * module unload they go before the namespace, but only once no
	 * socket option call is left: nf_sockopt holds the module for it.
	 */
	t = rcu_dereference_check(tn->tables, check_net(net));
	/* pairs with smp_store_release() below: the lookups are in place */
	if (likely(t && smp_load_acquire(&tn->ops[i])))
		return t;

	mutex_lock(&tn->setup);
	t = tproxy2_tables_setup(tn);
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
		/* tn->lock too: the operations read the tables under it */
		spin_lock_bh(&tn->lock);
		rcu_assign_pointer(tn->tables, t);
		spin_unlock_bh(&tn->lock);
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

/* The namespace goes: its NAT lookups go first.  Its exit waits for an RCU
 * grace period after every pre_exit (ops_undo_list()): the lookups that
 * started before, here and in the tproxy table, are done by then.
 */
void nf_tproxy2_setup_pre_exit(struct net *net)
{
	struct tproxy2_net *tn = tproxy2_pernet(net);
	int i;

	for (i = 0; i < TPROXY2_FAMILIES; i++)
		if (tn->ops[i])
			nf_tproxy2_unregister_lookups(net, tn->ops[i]);
}

/* What tproxy2_setup() took of conntrack, after the lookups went */
void nf_tproxy2_setup_exit(struct net *net)
{
	static const u8 family[TPROXY2_FAMILIES] = {
		[TPROXY2_IPV4] = NFPROTO_IPV4,
		[TPROXY2_IPV6] = NFPROTO_IPV6,
	};
	struct tproxy2_net *tn = tproxy2_pernet(net);
	int i;

	for (i = 0; i < TPROXY2_FAMILIES; i++) {
		if (!tn->ops[i])
			continue;
		nf_ct_netns_put(net, family[i]);
		kfree(tn->ops[i]);
		tn->ops[i] = NULL;
	}
}

/* @family is @faddr's, or NFPROTO_UNSPEC for the zero address given to
 * IPV6_TPROXY: the family of the socket's bound address then.
 */
int nf_tproxy2_assign(struct sock *sk, u8 family,
		      const union nf_inet_addr *faddr, __be16 fport)
{
	struct tproxy2_net *tn = tproxy2_pernet(sock_net(sk));
	struct inet_sock *inet = inet_sk(sk);
	struct tproxy2_sockref *sr;
	struct tproxy2_tables *t;
	int err = 0, fam;

	/* A socket that cannot have a sockref does not set up the
	 * namespace's tables and NAT lookups; checked again below, locked.
	 */
	lock_sock(sk);
	fam = tproxy2_assign_family(sk, family);
	release_sock(sk);
	if (fam < 0)
		return fam;

	t = tproxy2_setup(sock_net(sk), fam);
	if (IS_ERR(t))
		return PTR_ERR(t);

	sr = kmem_cache_zalloc(nf_tproxy2_sockref_cache, GFP_KERNEL_ACCOUNT);
	if (!sr)
		return -ENOMEM;

	lock_sock(sk);
	/* a bind() in between may have changed the socket's family */
	err = tproxy2_assign_family(sk, family);
	if (err >= 0 && err != fam)
		err = -EAFNOSUPPORT;
	if (err < 0)
		goto out;
	err = 0;

	init_llist_head(&sr->cts);
	sr->sk = sk;
	sr->proto = sk->sk_protocol;
	sr->family = fam;
	/* an AF_INET6 socket that talks IPv4 has its IPv4 address here, or 0 */
	if (fam == NFPROTO_IPV4)
		sr->laddr.ip = inet->inet_rcv_saddr;
#if IS_ENABLED(CONFIG_IPV6)
	else
		sr->laddr.in6 = sk->sk_v6_rcv_saddr;
#endif
	sr->lport = htons(inet->inet_num);
	sr->faddr = *faddr;
	sr->fport = tproxy2_addr_any(faddr) ? 0 : fport;

	spin_lock_bh(&tn->lock);
	if (nf_tproxy2_find_by_sk(t, sk)) {
		err = -EEXIST;
	} else if (sr->fport && !sk->sk_reuse &&
		   nf_tproxy2_port_in_use(t, fam, sr->proto, &sr->faddr,
					  sr->fport)) {
		err = -EADDRINUSE;
	} else {
		err = nf_tproxy2_link(tn, sr);
		if (!err)
			sr = NULL;
	}
	spin_unlock_bh(&tn->lock);
	/* The sockref names the socket's port: it stays the socket's, as
	 * after a bind() to that port.  A connect() that fails, or a
	 * disconnect, would give back a port that bind() picked, and the
	 * next connect() would take another one, which no sockref names:
	 * the connection would leave from the proxy's own address.
	 */
	if (!err)
		sk->sk_userlocks |= SOCK_BINDPORT_LOCK;
out:
	release_sock(sk);
	if (sr)
		kmem_cache_free(nf_tproxy2_sockref_cache, sr);
	return err;
}

/* UNASSIGN: the sockref's conntracks go with it */
int nf_tproxy2_unassign(struct sock *sk)
{
	struct llist_node *cts;

	if (!nf_tproxy2_remove_sockref(tproxy2_pernet(sock_net(sk)), sk, &cts))
		return -ENOENT;
	nf_tproxy2_delete_cts(cts);
	return 0;
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
static void tproxy2_udp_handoff(struct net *net, u8 family,
				const union nf_inet_addr *raddr, __be16 rport,
				const union nf_inet_addr *faddr, __be16 fport)
{
	struct nf_conntrack_tuple tuple = {
		.src.l3num	= family,
		.src.u3		= *raddr,
		.src.u.all	= rport,
		.dst.u3		= *faddr,
		.dst.u.all	= fport,
		.dst.protonum	= IPPROTO_UDP,
	};
	struct nf_conntrack_tuple_hash *h;
	struct nf_conn *ct;

	h = nf_tproxy2_find_udp_flow(net, &tuple);
	if (!h)
		return;
	ct = nf_ct_tuplehash_to_ctrack(h);
	if (NF_CT_DIRECTION(h) == IP_CT_DIR_ORIGINAL &&
	    nf_tproxy2_ct_released(ct))
		nf_ct_kill(ct);
	nf_ct_put(ct);
}

int nf_tproxy2_set_flags(struct sock *sk, u32 flags)
{
	struct tproxy2_net *tn = tproxy2_pernet(sock_net(sk));
	union nf_inet_addr raddr = {}, faddr = {};
	__be16 rport = 0, fport = 0;
	struct llist_node *cts = NULL;
	struct tproxy2_sockref *sr;
	struct tproxy2_place to;
	u8 family = 0;
	int err;

	spin_lock_bh(&tn->lock);
	sr = nf_tproxy2_find_locked(tn, sk);
	if (!sr) {
		err = -ENOENT;
		goto unlock;
	}
	/* ESTABLISHED needs the peer from CONNECT */
	if ((flags & ITP_ESTABLISHED) && tproxy2_addr_any(&sr->raddr)) {
		err = -EINVAL;
		goto unlock;
	}
	/* the mode it has: its connections stay */
	err = 0;
	if (flags == sr->flags)
		goto unlock;

	nf_tproxy2_place_of(sr, &to);
	to.flags = flags;
	err = nf_tproxy2_place(tn, sr, &to);
	if (err)
		goto unlock;
	/* a new mode: what the old one created goes */
	cts = llist_del_all(&sr->cts);
	atomic64_set(&sr->once, 0);
	if ((flags & ITP_ESTABLISHED) && sr->proto == IPPROTO_UDP) {
		family = sr->family;
		raddr = sr->raddr;
		rport = sr->rport;
		faddr = sr->faddr;
		fport = sr->fport;
	}
unlock:
	spin_unlock_bh(&tn->lock);
	nf_tproxy2_delete_cts(cts);
	if (rport && !tproxy2_addr_any(&faddr) && fport)
		tproxy2_udp_handoff(sock_net(sk), family, &raddr, rport, &faddr,
				    fport);
	return err;
}

/* A peer of another family than the sockref's is refused; the zero address
 * (any peer) is of either
 */
int nf_tproxy2_set_remote(struct sock *sk, u8 family,
			  const union nf_inet_addr *raddr, __be16 rport)
{
	struct tproxy2_net *tn = tproxy2_pernet(sock_net(sk));
	struct tproxy2_sockref *sr;
	struct tproxy2_place to;
	int err = -ENOENT;

	spin_lock_bh(&tn->lock);
	sr = nf_tproxy2_find_locked(tn, sk);
	if (sr && !tproxy2_addr_any(raddr) && family != sr->family) {
		err = -EAFNOSUPPORT;
	} else if (sr && (sr->flags & ITP_ESTABLISHED) && tproxy2_addr_any(raddr)) {
		err = -EINVAL;	/* ESTABLISHED needs a peer */
	} else if (sr) {
		nf_tproxy2_place_of(sr, &to);
		to.raddr = *raddr;
		to.rport = rport;
		err = nf_tproxy2_place(tn, sr, &to);
	}
	spin_unlock_bh(&tn->lock);
	return err;
}

/* The sockref's foreign address, in its family; a mark-only sockref's is
 * the socket's own
 */
int nf_tproxy2_query(struct sock *sk, u8 *family, union nf_inet_addr *addr,
		     __be16 *port, u32 *flags)
{
	struct tproxy2_net *tn = tproxy2_pernet(sock_net(sk));
	const struct inet_sock *inet = inet_sk(sk);
	struct tproxy2_sockref *sr;

	/* the socket's own address, of a mark-only one, does not change */
	lock_sock(sk);
	spin_lock_bh(&tn->lock);
	sr = nf_tproxy2_find_locked(tn, sk);
	if (sr) {
		*family = sr->family;
		if (!tproxy2_addr_any(&sr->faddr)) {
			*addr = sr->faddr;
			*port = sr->fport;
		} else {
			memset(addr, 0, sizeof(*addr));
			if (sr->family == NFPROTO_IPV4)
				addr->ip = inet->inet_rcv_saddr ?: inet->inet_saddr;
#if IS_ENABLED(CONFIG_IPV6)
			else if (!ipv6_addr_any(&sk->sk_v6_rcv_saddr))
				addr->in6 = sk->sk_v6_rcv_saddr;
			else
				addr->in6 = inet6_sk(sk)->saddr;
#endif
			*port = inet->inet_sport;
		}
		*flags = sr->flags;
		if ((sr->flags & ITP_ONCE) && tproxy2_once_used(sr))
			*flags |= ITP_APPLIED;
	}
	spin_unlock_bh(&tn->lock);
	release_sock(sk);
	return sr ? 0 : -ENOENT;
}

/* ---- ALLOC ---- */

/* Does a conntrack of the namespace's default zone connect faddr:port with
 * the peer raddr:rport, in either direction?  A mapping of the two would
 * clash with it.  Two lookups, whatever the size of the conntrack table.
 */
static bool tproxy2_port_used_with_peer(struct net *net, u8 family, u8 proto,
					const union nf_inet_addr *faddr,
					__be16 port,
					const union nf_inet_addr *raddr,
					__be16 rport)
{
	struct nf_conntrack_tuple tuple = {
		.src.l3num	= family,
		.dst.protonum	= proto,
	};
	struct nf_conntrack_tuple_hash *h;
	int i;

	for (i = 0; i < 2; i++) {
		tuple.src.u3 = i ? *raddr : *faddr;
		tuple.src.u.all = i ? rport : port;
		tuple.dst.u3 = i ? *faddr : *raddr;
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
int nf_tproxy2_alloc_port(struct sock *sk)
{
	struct net *net = sock_net(sk);
	struct tproxy2_net *tn = tproxy2_pernet(net);
	union nf_inet_addr faddr, raddr;
	int low, high, range, i, err;
	struct tproxy2_sockref *sr;
	struct tproxy2_tables *t;
	struct tproxy2_place to;
	__be16 rport;
	u8 proto, family;
	u32 offset;

	spin_lock_bh(&tn->lock);
	t = tproxy2_tables_locked(tn);
	sr = nf_tproxy2_find_locked(tn, sk);
	if (!sr) {
		err = -ENOENT;
	} else if (tproxy2_addr_any(&sr->faddr) || sr->fport) {
		err = -EINVAL;	/* no foreign address, or a port already */
	} else {
		err = 0;
		faddr = sr->faddr;
		raddr = sr->raddr;
		rport = sr->rport;
		proto = sr->proto;
		family = sr->family;
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
		if (nf_tproxy2_port_in_use(t, family, proto, &faddr, port) ||
		    (!tproxy2_addr_any(&raddr) && rport &&
		     tproxy2_port_used_with_peer(net, family, proto, &faddr,
						 port, &raddr, rport)))
			continue;

		spin_lock_bh(&tn->lock);
		sr = nf_tproxy2_find_locked(tn, sk);
		/* the socket may have changed its sockref meanwhile */
		if (!sr) {
			err = -ENOENT;
		} else if (!nf_inet_addr_cmp(&sr->faddr, &faddr) || sr->fport) {
			err = -EINVAL;
		} else if (!nf_tproxy2_port_in_use(t, family, proto, &faddr,
						   port)) {
			nf_tproxy2_place_of(sr, &to);
			to.fport = port;
			err = nf_tproxy2_place(tn, sr, &to);
		}
		spin_unlock_bh(&tn->lock);
	}
	return err;
}
