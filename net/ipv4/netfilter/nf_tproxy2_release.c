// SPDX-License-Identifier: GPL-2.0-only
/*
 * TPROXY 2.0 sockrefs: what outlives a socket and what does not.  The
 * release callback of a TCP or UDP socket (removes its sockref, lets go of
 * its conntracks), the namespace's sweeper (UDP flows whose datagrams no
 * socket takes any more) and its keeper (pins of tproxied TCP conntracks,
 * see TPROXY2_PIN).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/llist.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/inet_hashtables.h>
#include <net/inet6_hashtables.h>
#include <net/inet_sock.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/tcp.h>
#include <net/udp.h>
#include <net/ipv6.h>

#include "nf_tproxy2_internal.h"

/* A UDP receiver's release is this long before it leaves the socket table */
#define TPROXY2_SWEEP_DELAY	(HZ / 10)

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
 * conntrack's own timeouts.  Called under RCU; no lock of ours is taken
 * but a bucket lock of tn->accepted.
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
	ct = nf_tproxy2_accepted_find_ct(sock_net(sk), a);
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
		nf_tproxy2_ct_expire_grace(ct);
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

#if IS_ENABLED(CONFIG_IPV6)
	if (k->family == NFPROTO_IPV6)
		sk = __udp6_lib_lookup(net, &k->raddr.in6, k->rport,
				       &k->laddr.in6, k->lport, a->dif, a->sdif,
				       net->ipv4.udp_table, NULL);
	else
#endif
		sk = __udp4_lib_lookup(net, k->raddr.ip, k->rport, k->laddr.ip,
				       k->lport, a->dif, a->sdif,
				       net->ipv4.udp_table, NULL);
	return sk && !sock_flag(sk, SOCK_DEAD);
}

/* The sweeper: a UDP flow whose datagrams no socket takes goes */
static bool tproxy2_sweep_one(struct tproxy2_net *tn, struct tproxy2_accepted *a,
			      struct nf_conn *ct, void *data)
{
	bool unlinked;

	if (ct && tproxy2_flow_taken(tn->net, a))
		return false;
	unlinked = nf_tproxy2_accepted_unlink(tn, a);
	if (unlinked && ct)
		nf_ct_kill(ct);
	return unlinked;
}

/* A UDP receiver went: the flows redirected to local sockets (by the
 * tproxy table, or a LISTEN sockref) whose datagrams no socket takes any
 * more go now, not after their conntrack timeout.  UDP has no closing
 * handshake to wait for.
 */
void nf_tproxy2_sweeper_work(struct work_struct *work)
{
	struct tproxy2_net *tn = container_of(to_delayed_work(work),
					      struct tproxy2_net, sweeper);
	unsigned long start = jiffies;

	nf_tproxy2_walk_accepted(tn, IPPROTO_UDP, tproxy2_sweep_one, NULL);
	/* a receiver released shortly before the walk, or during it, may not
	 * have left the socket table when the walk looked
	 */
	if (time_before(start, READ_ONCE(tn->sweep_last) + TPROXY2_SWEEP_DELAY))
		queue_delayed_work(nf_tproxy2_wq, &tn->sweeper,
				   TPROXY2_SWEEP_DELAY);
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
	queue_delayed_work(nf_tproxy2_wq, &tn->sweeper, TPROXY2_SWEEP_DELAY);
}

/* The release callback of the socket option, from inet_release(), under
 * RCU (__nf_sockopt_release())
 */
void nf_tproxy2_release(struct sock *sk)
{
	struct llist_node *cts;
	struct tproxy2_net *tn;

	if (sk->sk_protocol != IPPROTO_TCP && sk->sk_protocol != IPPROTO_UDP)
		return;
	tn = tproxy2_pernet(sock_net(sk));
	if (READ_ONCE(tn->tproxied)) {
		if (sk->sk_protocol == IPPROTO_TCP) {
			tproxy2_release_accepted(tn, sk);
		} else {
			tproxy2_release_udp_flow(sk);
			if (inet_test_bit(ORIGADDRS, sk))
				tproxy2_release_receiver(tn, sk);
		}
	}
	/* the connection still has to close through the mapping */
	if (READ_ONCE(tn->count) && nf_tproxy2_remove_sockref(tn, sk, &cts))
		nf_tproxy2_release_cts(cts);
}

/* ---- the keeper ---- */

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
	struct inet_hashinfo *hinfo = net->ipv4.tcp_death_row.hashinfo;
	const struct tproxy2_conn_key *k = &a->key;
	enum tproxy2_sk_state state;
	struct sock *sk;

#if IS_ENABLED(CONFIG_IPV6)
	if (k->family == NFPROTO_IPV6)
		sk = __inet6_lookup_established(net, hinfo, &k->raddr.in6,
						k->rport, &k->laddr.in6,
						ntohs(k->lport), a->dif,
						a->sdif);
	else
#endif
		sk = __inet_lookup_established(net, hinfo, k->raddr.ip,
					       k->rport, k->laddr.ip,
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
		if (nf_tproxy2_ct_pin_confirmed(ct)) {
			*waiting = true;
			if (nf_tproxy2_accepted_find(tn, &a->key) != a)
				nf_tproxy2_ct_unpin(ct);
		}
		break;
	case TPROXY2_SK_WAITING:
		*waiting = true;
		break;
	case TPROXY2_SK_FLOW:
		break;
	case TPROXY2_SK_GONE:
		unlinked = nf_tproxy2_accepted_unlink(tn, a);
		if (unlinked && ct)
			nf_tproxy2_ct_unpin(ct);
		break;
	}
	return unlinked;
}

/* Returns whether a redirected connection still waits for its socket */
static bool tproxy2_keep_accepted(struct tproxy2_net *tn)
{
	bool waiting = false;

	nf_tproxy2_walk_accepted(tn, 0, tproxy2_keep_one, &waiting);
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
		if (nf_tproxy2_ct_gone(tc->ct)) {
			nf_ct_put(tc->ct);
			kmem_cache_free(nf_tproxy2_ct_cache, tc);
			continue;
		}
		nf_tproxy2_ct_keep(tc->ct);
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
void nf_tproxy2_keeper_work(struct work_struct *work)
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
	/* pairs with test_and_set_bit() in nf_tproxy2_keeper_soon() */
	smp_mb__after_atomic();
	if (tproxy2_keep_accepted(tn))
		nf_tproxy2_keeper_soon(tn);

	/* The sockrefs' own conntracks were pinned on their first packet:
	 * they need the keeper once a period only, not on the runs that
	 * new redirected connections ask for.
	 */
	more = atomic_read(&tn->accepted.nelems) || READ_ONCE(tn->count);
	if (time_before(jiffies, READ_ONCE(tn->owned_next))) {
		if (more)
			nf_tproxy2_keeper_start(tn);
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
		nf_tproxy2_keeper_start(tn);
}
