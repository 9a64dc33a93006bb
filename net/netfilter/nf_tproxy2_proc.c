// SPDX-License-Identifier: GPL-2.0-only
/*
 * TPROXY 2.0 sockrefs: /proc/net/tproxy, a line per sockref of the
 * namespace: proto local foreign remote flags; and /proc/net/stat/tproxy2,
 * what the namespace's background work did.
 *
 * An open file walks by_sk once, under RCU, resuming where the last read
 * left off: no lock of ours is taken.  Sockrefs come and go meanwhile: one
 * that comes may be missed, one that goes is skipped; if the table is
 * resized during the read, the walk starts over in the new one and the
 * lines already read come again.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/netfilter_ipv4/ip_tproxy.h>
#include <linux/proc_fs.h>
#include <linux/rhashtable.h>
#include <linux/seq_file.h>
#include <net/inet_sock.h>

#include "nf_tproxy2_internal.h"

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
		/* The namespace's first sockref comes after the open.  Once
		 * set, the tables live as long as the namespace, which the
		 * open file holds, or, on module unload, until the proc entry
		 * is removed, which waits for the open files to be done.
		 */
		pi->t = rcu_dereference_check(tproxy2_pernet(pi->net)->tables,
					      check_net(pi->net));
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
	const char *proto = sr->proto == IPPROTO_TCP ? "tcp" : "udp";
	const struct inet_sock *inet;
	union nf_inet_addr raddr;
	u32 flags;

	if (READ_ONCE(nf_tproxy2_stopped))
		return SEQ_SKIP;	/* its socket may be gone */
	inet = inet_sk(sr->sk);
	flags = READ_ONCE(sr->flags);
	if ((flags & ITP_ONCE) && tproxy2_once_used(sr))
		flags |= ITP_APPLIED;
	tproxy2_addr_read_once(&raddr, &sr->raddr);
	if (sr->family == NFPROTO_IPV4) {
		__be32 laddr = READ_ONCE(inet->inet_rcv_saddr) ?:
			       READ_ONCE(inet->inet_saddr);

		seq_printf(seq, "%s %pI4:%u %pI4:%u %pI4:%u 0x%08x\n", proto,
			   &laddr, ntohs(sr->lport),
			   &sr->faddr.ip, ntohs(READ_ONCE(sr->fport)),
			   &raddr.ip, ntohs(READ_ONCE(sr->rport)), flags);
	} else {
		/* the address the sockref was made with: IPv6 addresses
		 * cannot be read from the socket atomically
		 */
		seq_printf(seq, "%s6 [%pI6c]:%u [%pI6c]:%u [%pI6c]:%u 0x%08x\n",
			   proto, &sr->laddr.in6, ntohs(sr->lport),
			   &sr->faddr.in6, ntohs(READ_ONCE(sr->fport)),
			   &raddr.in6, ntohs(READ_ONCE(sr->rport)), flags);
	}
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

/* As the other files of /proc/net/stat: a line of names, then one of
 * hexadecimal values.  The counters of the keeper, the sweeper and the
 * pruner (struct tproxy2_gc_stats), then the redirected connections of
 * each protocol that they look after.
 */
static int tproxy2_stat_show(struct seq_file *seq, void *v)
{
	struct tproxy2_net *tn = tproxy2_pernet(seq_file_single_net(seq));
	const struct tproxy2_gc_stats *st = &tn->stats;

	seq_puts(seq, "keeper_runs keeper_entries sweeper_runs sweeper_entries pruner_runs pruner_entries pruned accepted_tcp accepted_udp\n");
	seq_printf(seq, "%08lx %08lx %08lx %08lx %08lx %08lx %08lx %08x %08x\n",
		   READ_ONCE(st->keeper_runs), READ_ONCE(st->keeper_entries),
		   READ_ONCE(st->sweeper_runs), READ_ONCE(st->sweeper_entries),
		   READ_ONCE(st->pruner_runs), READ_ONCE(st->pruner_entries),
		   READ_ONCE(st->pruned),
		   nf_tproxy2_accepted_count(tn, IPPROTO_TCP),
		   nf_tproxy2_accepted_count(tn, IPPROTO_UDP));
	return 0;
}

int nf_tproxy2_proc_init(struct net *net)
{
	if (!proc_create_data("tproxy", 0444, net->proc_net, &tproxy2_proc_ops,
			      net))
		return -ENOMEM;
	if (!proc_create_net_single("tproxy2", 0444, net->proc_net_stat,
				    tproxy2_stat_show, NULL)) {
		remove_proc_entry("tproxy", net->proc_net);
		return -ENOMEM;
	}
	return 0;
}

void nf_tproxy2_proc_exit(struct net *net)
{
	remove_proc_entry("tproxy2", net->proc_net_stat);
	remove_proc_entry("tproxy", net->proc_net);
}
