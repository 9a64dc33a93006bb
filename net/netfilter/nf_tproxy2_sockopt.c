// SPDX-License-Identifier: GPL-2.0-only
/*
 * TPROXY 2.0 socket API: setsockopt/getsockopt(SOL_IP, IP_TPROXY) with
 * struct in_tproxy, and (SOL_IPV6, IPV6_TPROXY) with struct in6_tproxy; and
 * IP_RECVORIGADDRS/IPV6_RECVORIGADDRS, which turn on the control messages
 * with a UDP datagram's addresses before NAT (delivered by the UDP receive
 * paths).
 *
 * Every operation acts on the calling socket's own sockref.  Every operation
 * that changes state needs CAP_NET_ADMIN in the socket's network namespace.
 * An operation that fails changes nothing.  The errors:
 *
 *   EINVAL      optlen shorter than struct in_tproxy (in6_tproxy), unknown
 *               op, unsupported version, bad flag set, ESTABLISHED before
 *               CONNECT, ASSIGN on an unbound or connected socket, ALLOC
 *               without a foreign address or with a foreign port already set
 *   EPERM       no CAP_NET_ADMIN in the socket's namespace
 *   EOPNOTSUPP  not a TCP or UDP socket
 *   EAFNOSUPPORT  an address of a family the socket or the sockref does not
 *               talk (see below)
 *   EEXIST      ASSIGN on a socket that has a sockref
 *   EADDRINUSE  ASSIGN of a foreign ip:port another socket has, without
 *               SO_REUSEADDR
 *   ENOENT      the socket has no sockref
 *   ENOMEM      ASSIGN: no memory for the sockref or the namespace's first
 *               tables; ASSIGN, FLAGS, CONNECT, ALLOC: none for a bucket of
 *               the foreign-address table
 *   EADDRNOTAVAIL  ALLOC found no free foreign port
 *   EFAULT      bad user pointer
 *
 * A sockref is of one family: the foreign address's.  IPV6_TPROXY takes
 * AF_INET6 sockets (on AF_INET ones the kernel answers before netfilter sees
 * the call: ENOPROTOOPT to setsockopt, EOPNOTSUPP to getsockopt);
 * IP_TPROXY takes AF_INET sockets and AF_INET6 ones that talk IPv4.  So
 * that a dual-stack proxy (an AF_INET6 socket talking IPv4 through
 * v4-mapped addresses) works as an IPv4 one does:
 *  - a v4-mapped foreign address (::ffff:a.b.c.d) given to IPV6_TPROXY makes
 *    an IPv4 sockref, the one IP_TPROXY makes of a.b.c.d; the foreign
 *    address :: (mark-only) is of the family of the socket's bound address;
 *  - an IPv4 sockref needs a socket that talks IPv4: AF_INET, or AF_INET6
 *    without IPV6_V6ONLY, bound to :: or a v4-mapped address; an IPv6 one
 *    needs an AF_INET6 socket that is not bound to a v4-mapped address.
 *    ASSIGN fails with EAFNOSUPPORT otherwise;
 *  - CONNECT's peer must be of the sockref's family, or zero (any peer,
 *    through either option); else EAFNOSUPPORT;
 *  - QUERY through IPV6_TPROXY gives an IPv4 sockref's address v4-mapped;
 *    QUERY through IP_TPROXY of an IPv6 sockref fails with EAFNOSUPPORT.
 *    The other operations work through either option.
 *
 * The release callback of both options removes a TCP or UDP socket's
 * sockref and lets go of the conntracks it held.
 *
 * IP_RECVORIGADDRS and IPV6_RECVORIGADDRS take an int (or, like the other
 * IP_RECV* options, a single byte): non-zero turns the messages on.  Both
 * set one flag of the socket, and need no capability.
 *
 *   EINVAL      optlen below 1
 *   EOPNOTSUPP  not a UDP socket
 *   EFAULT      bad user pointer
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/capability.h>
#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4/ip_tproxy.h>
#include <linux/netfilter_ipv6/ip6_tproxy.h>
#include <linux/sockptr.h>
#include <linux/uaccess.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/sock.h>

#include "nf_tproxy2_internal.h"

#define ITP_MODES	(ITP_CONNECT | ITP_LISTEN | ITP_ESTABLISHED)
#define ITP_MODIFIERS	(ITP_ONCE | ITP_MARK | ITP_UNIDIR)

/* A request to either option, or its answer: the address is in its
 * sockref family
 */
struct tproxy2_req {
	u32			op;
	u32			arg;	/* version or flags */
	u8			family;
	union nf_inet_addr	addr;
	__be16			port;
};

static bool tproxy2_version_ok(u32 version)
{
	/* major and minor must match; the rest is the client's business */
	return (version >> 16) == (TPROXY_FULLVERSION >> 16);
}

static int tproxy2_check_flags(u32 flags)
{
	if (flags & ~(ITP_MODES | ITP_MODIFIERS))
		return -EINVAL;
	if (hweight32(flags & ITP_MODES) != 1)
		return -EINVAL;
	return 0;
}

static bool tproxy2_inet_sock(const struct sock *sk)
{
	return sk->sk_family == AF_INET ||
	       (IS_ENABLED(CONFIG_IPV6) && sk->sk_family == AF_INET6);
}

static bool tproxy2_sock_ok(const struct sock *sk)
{
	return tproxy2_inet_sock(sk) &&
	       ((sk->sk_type == SOCK_STREAM && sk->sk_protocol == IPPROTO_TCP) ||
		(sk->sk_type == SOCK_DGRAM && sk->sk_protocol == IPPROTO_UDP));
}

static bool tproxy2_udp_sock(const struct sock *sk)
{
	return tproxy2_inet_sock(sk) && sk->sk_type == SOCK_DGRAM &&
	       sk->sk_protocol == IPPROTO_UDP;
}

static int tproxy2_set_recvorigaddrs(struct sock *sk, sockptr_t arg,
				     unsigned int len)
{
	int val = 0;
	u8 byte;

	if (len < 1)
		return -EINVAL;
	if (len >= sizeof(val)) {
		if (copy_from_sockptr(&val, arg, sizeof(val)))
			return -EFAULT;
	} else {
		if (copy_from_sockptr(&byte, arg, 1))
			return -EFAULT;
		val = byte;
	}
	if (!tproxy2_udp_sock(sk))
		return -EOPNOTSUPP;
	inet_assign_bit(ORIGADDRS, sk, val);
	return 0;
}

static int tproxy2_get_recvorigaddrs(struct sock *sk, void __user *user,
				     int *len)
{
	int val;
	u8 byte;

	if (*len < 1)
		return -EINVAL;
	if (!tproxy2_udp_sock(sk))
		return -EOPNOTSUPP;
	val = inet_test_bit(ORIGADDRS, sk);
	byte = val;
	if (*len >= (int)sizeof(val)) {
		if (copy_to_user(user, &val, sizeof(val)))
			return -EFAULT;
		*len = sizeof(val);
	} else {
		if (copy_to_user(user, &byte, 1))
			return -EFAULT;
		*len = 1;
	}
	return 0;
}

/* The operation of a request that passed the checks of its option */
static int tproxy2_set(struct sock *sk, const struct tproxy2_req *req)
{
	int err;

	switch (req->op) {
	case TPROXY_VERSION:
		return tproxy2_version_ok(req->arg) ? 0 : -EINVAL;
	case TPROXY_ASSIGN:
	case TPROXY_UNASSIGN:
	case TPROXY_FLAGS:
	case TPROXY_ALLOC:
	case TPROXY_CONNECT:
		break;
	default:
		return -EINVAL;
	}

	if (!ns_capable(sock_net(sk)->user_ns, CAP_NET_ADMIN))
		return -EPERM;
	if (!tproxy2_sock_ok(sk))
		return -EOPNOTSUPP;

	switch (req->op) {
	case TPROXY_ASSIGN:
		return nf_tproxy2_assign(sk, req->family, &req->addr, req->port);
	case TPROXY_UNASSIGN:
		return nf_tproxy2_unassign(sk);
	case TPROXY_FLAGS:
		err = tproxy2_check_flags(req->arg);
		return err ?: nf_tproxy2_set_flags(sk, req->arg);
	case TPROXY_ALLOC:
		return nf_tproxy2_alloc_port(sk);
	default: /* TPROXY_CONNECT */
		return nf_tproxy2_set_remote(sk, req->family, &req->addr,
					     req->port);
	}
}

/* IP_TPROXY and IP_RECVORIGADDRS */
static int tproxy2_setsockopt(struct sock *sk, int optval, sockptr_t arg,
			      unsigned int len)
{
	struct tproxy2_req req = { .family = NFPROTO_IPV4 };
	struct in_tproxy itp;

	if (optval == IP_RECVORIGADDRS)
		return tproxy2_set_recvorigaddrs(sk, arg, len);
	if (len < sizeof(itp))
		return -EINVAL;
	if (copy_from_sockptr(&itp, arg, sizeof(itp)))
		return -EFAULT;

	req.op = itp.op;
	req.arg = itp.v.flags;	/* or .version: the same word */
	req.addr.ip = itp.v.addr.faddr.s_addr;
	req.port = (__force __be16)itp.v.addr.fport;
	return tproxy2_set(sk, &req);
}

/* The get side of either option: @req->op in, the answer out in @req
 * (the version or flags in @arg; the sockref's family, address and port)
 */
static int tproxy2_get(struct sock *sk, struct tproxy2_req *req)
{
	switch (req->op) {
	case TPROXY_VERSION:
		req->arg = TPROXY_FULLVERSION;
		return 0;
	case TPROXY_QUERY:
	case TPROXY_FLAGS:
		if (!tproxy2_sock_ok(sk))
			return -EOPNOTSUPP;
		return nf_tproxy2_query(sk, &req->family, &req->addr,
					&req->port, &req->arg);
	default:
		return -EINVAL;
	}
}

static int tproxy2_getsockopt(struct sock *sk, int optval, void __user *user,
			      int *len)
{
	struct tproxy2_req req = {};
	struct in_tproxy itp;
	int err;

	if (optval == IP_RECVORIGADDRS)
		return tproxy2_get_recvorigaddrs(sk, user, len);
	if (*len < (int)sizeof(itp))
		return -EINVAL;
	if (copy_from_user(&itp, user, sizeof(itp)))
		return -EFAULT;

	req.op = itp.op;
	err = tproxy2_get(sk, &req);
	if (err)
		return err;
	switch (req.op) {
	case TPROXY_VERSION:
		itp.v.version = req.arg;
		break;
	case TPROXY_FLAGS:
		memset(&itp.v, 0, sizeof(itp.v));
		itp.v.flags = req.arg;
		break;
	default: /* TPROXY_QUERY */
		/* an IPv6 sockref's address does not fit */
		if (req.family != NFPROTO_IPV4)
			return -EAFNOSUPPORT;
		memset(&itp.v, 0, sizeof(itp.v));
		itp.v.addr.faddr.s_addr = req.addr.ip;
		itp.v.addr.fport = (__force __u16)req.port;
	}

	if (copy_to_user(user, &itp, sizeof(itp)))
		return -EFAULT;
	*len = sizeof(itp);
	return 0;
}

/* The release callback of both options, from inet_release(), under RCU
 * (__nf_sockopt_release())
 */
static void tproxy2_release(struct sock *sk)
{
	struct llist_node *cts;
	struct tproxy2_net *tn;

	if (sk->sk_protocol != IPPROTO_TCP && sk->sk_protocol != IPPROTO_UDP)
		return;
	tn = tproxy2_pernet(sock_net(sk));
	if (READ_ONCE(tn->tproxied)) {
		nf_tproxy2_ct_release_sock(tn, sk);
		if (sk->sk_protocol == IPPROTO_UDP &&
		    inet_test_bit(ORIGADDRS, sk))
			nf_tproxy2_receiver_gone(tn, sk);
	}
	/* the connection still has to close through the mapping */
	if (READ_ONCE(tn->count) && nf_tproxy2_remove_sockref(tn, sk, &cts))
		nf_tproxy2_release_cts(cts);
}

static struct nf_sockopt_ops tproxy2_sockopts = {
	.pf		= PF_INET,
	.set_optmin	= IP_RECVORIGADDRS,
	.set_optmax	= IP_TPROXY + 1,
	.set		= tproxy2_setsockopt,
	.get_optmin	= IP_RECVORIGADDRS,
	.get_optmax	= IP_TPROXY + 1,
	.get		= tproxy2_getsockopt,
	.release	= tproxy2_release,
	.owner		= THIS_MODULE,
};

#if IS_ENABLED(CONFIG_IPV6)
/* IPV6_TPROXY and IPV6_RECVORIGADDRS */
static int tproxy2_setsockopt6(struct sock *sk, int optval, sockptr_t arg,
			       unsigned int len)
{
	struct tproxy2_req req = {};
	const struct in6_addr *a;
	struct in6_tproxy itp;

	if (optval == IPV6_RECVORIGADDRS)
		return tproxy2_set_recvorigaddrs(sk, arg, len);
	if (len < sizeof(itp))
		return -EINVAL;
	if (copy_from_sockptr(&itp, arg, sizeof(itp)))
		return -EFAULT;

	req.op = itp.op;
	req.arg = itp.v.flags;	/* or .version: the same word */
	req.port = (__force __be16)itp.v.addr.fport;
	a = &itp.v.addr.faddr;
	if (ipv6_addr_v4mapped(a)) {
		req.family = NFPROTO_IPV4;
		req.addr.ip = a->s6_addr32[3];
	} else {
		req.family = NFPROTO_IPV6;
		req.addr.in6 = *a;
		/* a mark-only sockref: of the socket's bound address */
		if (ipv6_addr_any(a))
			req.family = NFPROTO_UNSPEC;
	}
	return tproxy2_set(sk, &req);
}

static int tproxy2_getsockopt6(struct sock *sk, int optval, void __user *user,
			       int *len)
{
	struct tproxy2_req req = {};
	struct in6_tproxy itp;
	int err;

	if (optval == IPV6_RECVORIGADDRS)
		return tproxy2_get_recvorigaddrs(sk, user, len);
	if (*len < (int)sizeof(itp))
		return -EINVAL;
	if (copy_from_user(&itp, user, sizeof(itp)))
		return -EFAULT;

	req.op = itp.op;
	err = tproxy2_get(sk, &req);
	if (err)
		return err;
	switch (req.op) {
	case TPROXY_VERSION:
		itp.v.version = req.arg;
		break;
	case TPROXY_FLAGS:
		memset(&itp.v, 0, sizeof(itp.v));
		itp.v.flags = req.arg;
		break;
	default: /* TPROXY_QUERY: an IPv4 sockref's address v4-mapped */
		memset(&itp.v, 0, sizeof(itp.v));
		if (req.family == NFPROTO_IPV4)
			ipv6_addr_set_v4mapped(req.addr.ip, &itp.v.addr.faddr);
		else
			itp.v.addr.faddr = req.addr.in6;
		itp.v.addr.fport = (__force __u16)req.port;
	}

	if (copy_to_user(user, &itp, sizeof(itp)))
		return -EFAULT;
	*len = sizeof(itp);
	return 0;
}

static struct nf_sockopt_ops tproxy2_sockopts6 = {
	.pf		= PF_INET6,
	.set_optmin	= IPV6_RECVORIGADDRS,
	.set_optmax	= IPV6_TPROXY + 1,
	.set		= tproxy2_setsockopt6,
	.get_optmin	= IPV6_RECVORIGADDRS,
	.get_optmax	= IPV6_TPROXY + 1,
	.get		= tproxy2_getsockopt6,
	.release	= tproxy2_release,
	.owner		= THIS_MODULE,
};

static int tproxy2_register_sockopt6(void)
{
	return nf_register_sockopt(&tproxy2_sockopts6);
}

static void tproxy2_unregister_sockopt6(void)
{
	nf_unregister_sockopt(&tproxy2_sockopts6);
}
#else
static int tproxy2_register_sockopt6(void)
{
	return 0;
}

static void tproxy2_unregister_sockopt6(void)
{
}
#endif

/* Both options, IPv6 first: IP_TPROXY works on AF_INET6 sockets too, and
 * their release callback is the PF_INET6 owner's
 */
int __init nf_tproxy2_sockopt_init(void)
{
	int err;

	err = tproxy2_register_sockopt6();
	if (err)
		return err;
	err = nf_register_sockopt(&tproxy2_sockopts);
	if (err)
		tproxy2_unregister_sockopt6();
	return err;
}

void nf_tproxy2_sockopt_exit(void)
{
	tproxy2_unregister_sockopt6();
	nf_unregister_sockopt(&tproxy2_sockopts);
}
