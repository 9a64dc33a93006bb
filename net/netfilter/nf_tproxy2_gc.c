// SPDX-License-Identifier: GPL-2.0-only
/*
 * TPROXY 2.0 sockrefs: a namespace's background work on its tproxied
 * conntracks, as nf_conncount.c keeps its gc.  The keeper pins and keeps
 * pinned the conntracks of tproxied TCP connections (see TPROXY2_PIN) and
 * lets go of those whose connection is gone; the sweeper lets go of the UDP
 * flows whose datagrams no socket takes any more; the pruner lets go of the
 * dead conntracks that sockrefs came to own.  Each runs only while there is
 * work of its kind, and costs the namespace's own tproxied connections
 * and sockrefs, never the conntrack table: the sweeper the UDP flows, not
 * the TCP connections.  /proc/net/stat/tproxy2 counts what they did.
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

/* Does a socket of the namespace take the datagrams of a redirected UDP
 * flow?  A session socket connected to the peer, or a receiver.  Under RCU.
 */
static bool tproxy2_flow_taken(struct net *net, const struct tproxy2_accepted *a)
{
	const struct tproxy2_conn_key *k = &a->key;
	struct sock *sk;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "tproxy2 UDP lookup outside RCU");
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
	unsigned int n;

	n = nf_tproxy2_walk_accepted(tn, IPPROTO_UDP, tproxy2_sweep_one, NULL);
	WRITE_ONCE(tn->stats.sweeper_runs, tn->stats.sweeper_runs + 1);
	WRITE_ONCE(tn->stats.sweeper_entries, tn->stats.sweeper_entries + n);
	/* a receiver released shortly before the walk, or during it, may not
	 * have left the socket table when the walk looked
	 */
	if (time_before(start, READ_ONCE(tn->sweep_last) + TPROXY2_SWEEP_DELAY))
		queue_delayed_work(nf_tproxy2_wq, &tn->sweeper,
				   TPROXY2_SWEEP_DELAY);
}

/* A UDP receiver (IP_RECVORIGADDRS, not connected) is released.  It is
 * still in the socket table: the sweeper runs a moment later, if there are
 * UDP flows to sweep.  However many receivers close, it is queued once,
 * and runs at most once per TPROXY2_SWEEP_DELAY; no memory is allocated.
 */
void nf_tproxy2_receiver_gone(struct tproxy2_net *tn, struct sock *sk)
{
	const struct inet_sock *inet = inet_sk(sk);

	if (inet->inet_dport || !inet->inet_num ||
	    !nf_tproxy2_accepted_count(tn, IPPROTO_UDP))
		return;
	WRITE_ONCE(tn->sweep_last, jiffies);
	queue_delayed_work(nf_tproxy2_wq, &tn->sweeper, TPROXY2_SWEEP_DELAY);
}

/* ---- the keeper ---- */

enum tproxy2_sk_state {
	TPROXY2_SK_GONE,	/* none, or in TIME_WAIT: released */
	TPROXY2_SK_WAITING,	/* the handshake is not complete yet */
	TPROXY2_SK_OPEN,	/* accepted, or in the accept queue */
	TPROXY2_SK_FLOW,	/* a UDP flow: the sweeper's, unpinned */
};

/* Where is the socket of a redirected connection?  Under RCU. */
static enum tproxy2_sk_state tproxy2_socket_state(struct net *net,
						  const struct tproxy2_accepted *a)
{
	struct inet_hashinfo *hinfo = net->ipv4.tcp_death_row.hashinfo;
	const struct tproxy2_conn_key *k = &a->key;
	enum tproxy2_sk_state state;
	struct sock *sk;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "tproxy2 TCP lookup outside RCU");
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
	unsigned int n;

	n = nf_tproxy2_walk_accepted(tn, 0, tproxy2_keep_one, &waiting);
	WRITE_ONCE(tn->stats.keeper_runs, tn->stats.keeper_runs + 1);
	WRITE_ONCE(tn->stats.keeper_entries, tn->stats.keeper_entries + n);
	return waiting;
}

/* The keeper and the pruner: the conntracks @sr owns are kept pinned, and
 * the references to deleted ones go.  The packet path may add to the list
 * meanwhile: it takes no lock, and the list is taken whole.  Returns
 * whether any are left; @young: whether one of them joined less than
 * TPROXY2_PRUNE_DELAY ago.
 */
static bool tproxy2_scan_owned(struct tproxy2_net *tn,
			       struct tproxy2_sockref *sr, bool *young)
{
	struct llist_node *first = NULL, *last = NULL;
	struct tproxy2_ct *tc, *tmp;
	unsigned long pruned = 0;
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
			pruned++;
			continue;
		}
		nf_tproxy2_ct_keep(tc->ct);
		if (time_before(jiffies, tc->born + TPROXY2_PRUNE_DELAY))
			*young = true;
		tc->node.next = first;
		first = &tc->node;
		if (!last)
			last = first;
	}
	/* not dead: that is set under the lock */
	if (first)
		llist_add_batch(first, last, &sr->cts);
	WRITE_ONCE(tn->stats.pruned, tn->stats.pruned + pruned);
	spin_unlock_bh(&tn->lock);
	return first;
}

static bool tproxy2_keep_owned(struct tproxy2_net *tn, struct tproxy2_sockref *sr)
{
	bool young = false;

	return tproxy2_scan_owned(tn, sr, &young);
}

/* The pruner, for each sockref: one that came to own a conntrack since the
 * last run has the dead ones of its list let go of.  One that joined just
 * before may die just after (the reset of the socket on another CPU): the
 * sockref is looked at again on the next run while it has such.
 */
static bool tproxy2_prune_owned(struct tproxy2_net *tn, struct tproxy2_sockref *sr)
{
	bool young = false;

	WRITE_ONCE(tn->stats.pruner_entries, tn->stats.pruner_entries + 1);
	if (!READ_ONCE(sr->grew))
		return false;
	/* Cleared before the list is taken (llist_del_all() is an xchg(),
	 * fully ordered): a conntrack that joins after that sets it again,
	 * and queues the next run.
	 */
	WRITE_ONCE(sr->grew, false);
	tproxy2_scan_owned(tn, sr, &young);
	if (young) {
		WRITE_ONCE(sr->grew, true);
		nf_tproxy2_pruner_soon(tn);
	}
	return false;
}

/* The pruner: within TPROXY2_PRUNE_DELAY of a sockref's new conntrack,
 * the dead conntracks of the sockrefs that came to own one go.  A peer
 * that sends SYNs to a sockref's foreign address from ever new ports
 * makes conntracks that the reset of the socket kills at once: held
 * until the keeper's next period, each would count against
 * nf_conntrack_max for hours.  The walk reads every sockref once; only
 * the lists of those that grew are taken, under the namespace's lock.
 */
void nf_tproxy2_pruner_work(struct work_struct *work)
{
	struct tproxy2_net *tn = container_of(to_delayed_work(work),
					      struct tproxy2_net, pruner);

	/* a conntrack owned from now on queues the pruner again */
	clear_bit(TPROXY2_PRUNER_DUE, &tn->keeper_flags);
	/* pairs with test_and_set_bit() in nf_tproxy2_pruner_soon() */
	smp_mb__after_atomic();
	WRITE_ONCE(tn->stats.pruner_runs, tn->stats.pruner_runs + 1);
	mutex_lock(&tn->setup);		/* the tables stay */
	nf_tproxy2_walk_sockrefs(tn, tproxy2_prune_owned);
	mutex_unlock(&tn->setup);
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
	more = nf_tproxy2_accepted_count(tn, 0) || READ_ONCE(tn->count);
	if (time_before(jiffies, READ_ONCE(tn->owned_next))) {
		if (more)
			nf_tproxy2_keeper_start(tn);
		return;
	}
	WRITE_ONCE(tn->owned_next, jiffies + TPROXY2_KEEP_PERIOD);
	more = nf_tproxy2_accepted_count(tn, 0);
	mutex_lock(&tn->setup);		/* the tables stay */
	more |= nf_tproxy2_walk_sockrefs(tn, tproxy2_keep_owned);
	mutex_unlock(&tn->setup);
	if (more)
		nf_tproxy2_keeper_start(tn);
}

/* The namespace goes: its packet path is gone, so nothing queues them again
 * but a kernel socket's release (the sweeper), which finds the namespace
 * no longer tproxied: it was cleared before.
 */
void nf_tproxy2_gc_net_exit(struct tproxy2_net *tn)
{
	cancel_delayed_work_sync(&tn->keeper);
	cancel_delayed_work_sync(&tn->sweeper);
	cancel_delayed_work_sync(&tn->pruner);
}
