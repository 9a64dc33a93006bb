/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TPROXY 2.0: what nf_tproxy2.ko offers other modules (the tproxy tables'
 * TPROXY targets, the nf_tables tproxy2 expression).  Its sockrefs, the
 * ties between a socket and a foreign address that IP_TPROXY makes, are
 * its own.
 */
#ifndef _NF_TPROXY2_H
#define _NF_TPROXY2_H

#include <linux/types.h>
#include <linux/netfilter.h>

struct sk_buff;

/**
 * nf_tproxy2_redirect - redirect a new connection to a local address
 * @skb: the connection's first packet, with its conntrack, not confirmed
 *	yet: the callers run among the NAT core's lookups, which see
 *	only packets that have one
 * @hooknum: NF_INET_PRE_ROUTING or NF_INET_LOCAL_OUT
 * @laddr: the address, of the conntrack's family; all zero for the
 *	primary address of the incoming interface, or loopback for locally
 *	generated packets
 * @lport: the port; 0 keeps the original one
 *
 * The destination mapping is set up without NAT helpers, and the conntrack
 * is marked tproxied; a TCP connection's conntrack is pinned while the
 * socket that accepts it is open, a UDP flow's goes with the last socket
 * that takes its datagrams.  A conntrack that was confirmed before is left
 * alone.
 *
 * References: the caller holds RCU (a netfilter hook) and the skb, and the
 * skb holds its conntrack; nf_tproxy2_redirect() takes no reference to
 * it, and the entry it keeps for the connection in the namespace's table
 * of redirected connections holds none either: it finds the conntrack
 * again by its tuple.  A caller needs no reference to nf_tproxy2.ko of its
 * own: its use of this symbol keeps the module loaded.  No lock of the
 * namespace's sockrefs is taken.
 *
 * Return: the verdict, NF_ACCEPT or NF_DROP.
 */
unsigned int nf_tproxy2_redirect(struct sk_buff *skb, unsigned int hooknum,
				 const union nf_inet_addr *laddr, __be16 lport);

#endif /* _NF_TPROXY2_H */
