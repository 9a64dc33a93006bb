/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TPROXY 2.0 sockrefs: the tie between a socket and a foreign address.
 *
 * A sockref belongs to exactly one socket and lives no longer than it: it is
 * created by IP_TPROXY ASSIGN on that socket and removed by UNASSIGN or when
 * the socket is released.  Sockrefs are per network namespace.  Writers hold
 * the namespace's lock; the packet path finds sockrefs under RCU and takes
 * no lock of the namespace: a conntrack a sockref owns joins the sockref's
 * lock-free list.
 */
#ifndef _NF_TPROXY2_H
#define _NF_TPROXY2_H

#include <linux/list_nulls.h>
#include <linux/llist.h>
#include <linux/rcupdate.h>
#include <linux/rhashtable-types.h>
#include <linux/types.h>
#include <net/sock.h>

/**
 * struct tproxy2_sockref - a socket's tie to a foreign address
 * @owner_node: in the namespace's table by owning socket (key @sk)
 * @foreign_node: in the bucket of the foreign-address table that its mode
 *	puts it in: LISTEN by @faddr, @fport; ESTABLISHED by these and
 *	@raddr, @rport.  Other modes are in none.
 * @sk: the owning socket; the sockref holds no reference, it is removed
 *	before the socket goes away.  The packet path only compares it.
 * @faddr: foreign address; 0 for a mark-only sockref
 * @fport: foreign port (0: any)
 * @lport: local port
 * @laddr: local address the socket was bound to at ASSIGN; 0 for any
 * @raddr: remote peer recorded by CONNECT; 0 for any
 * @rport: remote port
 * @proto: IPPROTO_TCP or IPPROTO_UDP
 * @dead: unlinked; conntracks that join @cts after this are released by
 *	whoever added them
 * @flags: ITP_* mode and modifiers, never ITP_APPLIED
 * @used: bit 0 set once an ITP_ONCE sockref has been applied
 * @once_peer: the peer of the connection it was applied to: the
 *	destination of the socket's own, the source of one to @faddr
 * @once_peer_port: and its port
 * @cts: the conntracks this sockref created as CONNECT or ESTABLISHED,
 *	struct tproxy2_ct; each holds a reference to its conntrack.  The
 *	packet path adds to it without a lock; the others take it whole
 *	(llist_del_all()), under the namespace's lock unless they found the
 *	sockref dead, or are the namespace's exit
 * @rcu: for freeing after readers are done
 *
 * @fport, @flags, @raddr and @rport change under the namespace's lock
 * (tproxy2_place()), and the packet path reads them with READ_ONCE();
 * @faddr, @proto, @laddr and @lport never change.  A sockref is
 * within 96 bytes on 64-bit.
 */
struct tproxy2_sockref {
	struct rhash_head	owner_node;
	struct hlist_nulls_node	foreign_node;
	const struct sock	*sk;
	__be32			faddr;
	__be16			fport;
	__be16			lport;
	__be32			laddr;
	__be32			raddr;
	__be16			rport;
	u8			proto;
	bool			dead;
	u32			flags;
	unsigned long		used;
	__be32			once_peer;
	__be16			once_peer_port;
	struct llist_head	cts;
	struct rcu_head		rcu;
};

#define TPROXY2_USED_BIT	0

struct nf_conn;

/**
 * nf_tproxy2_mark_ct - mark a connection as tproxied
 * @net: its namespace
 * @ct: the connection, whose NAT mapping TPROXY 2.0 just set up
 *
 * Sets IPS_TPROXY, and lets the namespace know that sockets closing in it
 * may take tproxied conntracks with them.
 */
void nf_tproxy2_mark_ct(struct net *net, struct nf_conn *ct);

unsigned int nf_tproxy2_redirect(struct sk_buff *skb, unsigned int hooknum,
				 __be32 laddr, __be16 lport);

int tproxy2_sockref_init(void);
void tproxy2_sockref_stop(void);
void tproxy2_sockref_fini(void);

int tproxy2_sockref_assign(struct sock *sk, __be32 faddr, __be16 fport);
int tproxy2_sockref_unassign(struct sock *sk);
int tproxy2_sockref_set_flags(struct sock *sk, u32 flags);
int tproxy2_sockref_set_remote(struct sock *sk, __be32 raddr, __be16 rport);
int tproxy2_sockref_alloc_port(struct sock *sk);
void tproxy2_sockref_release(struct sock *sk);
int tproxy2_sockref_query(struct sock *sk, __be32 *addr, __be16 *port,
			  u32 *flags);

#endif /* _NF_TPROXY2_H */
