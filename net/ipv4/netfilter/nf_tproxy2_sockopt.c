// SPDX-License-Identifier: GPL-2.0-only
/*
 * TPROXY 2.0 socket API: setsockopt/getsockopt(SOL_IP, IP_TPROXY), and
 * IP_RECVORIGADDRS, which turns on IP_ORIGADDRS control messages on a UDP
 * socket (delivered by the UDP receive path).
 *
 * Every operation acts on the calling socket's own sockref.  Every operation
 * that changes state needs CAP_NET_ADMIN in the socket's network namespace.
 * An operation that fails changes nothing.  The errors:
 *
 *   EINVAL      optlen shorter than struct in_tproxy, unknown op, unsupported
 *               version, bad flag set, ESTABLISHED before CONNECT, ASSIGN on
 *               an unbound or connected socket, ALLOC without a foreign
 *               address or with a foreign port already set
 *   EPERM       no CAP_NET_ADMIN in the socket's namespace
 *   EOPNOTSUPP  not a TCP or UDP socket
 *   EEXIST      ASSIGN on a socket that has a sockref
 *   EADDRINUSE  ASSIGN of a foreign ip:port another socket has, without
 *               SO_REUSEADDR
 *   ENOENT      the socket has no sockref
 *   EADDRNOTAVAIL  ALLOC found no free foreign port
 *   EFAULT      bad user pointer
 *
 * IP_RECVORIGADDRS takes an int (or, like the other IP_RECV* options, a
 * single byte): non-zero turns the messages on.  It needs no capability.
 *
 *   EINVAL      optlen below 1
 *   EOPNOTSUPP  not an IPv4 UDP socket
 *   EFAULT      bad user pointer
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/capability.h>
#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4/ip_tproxy.h>
#include <linux/sockptr.h>
#include <linux/uaccess.h>
#include <net/inet_sock.h>
#include <net/sock.h>

#include "nf_tproxy2_internal.h"

#define ITP_MODES	(ITP_CONNECT | ITP_LISTEN | ITP_ESTABLISHED)
#define ITP_MODIFIERS	(ITP_ONCE | ITP_MARK | ITP_UNIDIR)

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

static bool tproxy2_sock_ok(const struct sock *sk)
{
	return sk->sk_family == AF_INET &&
	       ((sk->sk_type == SOCK_STREAM && sk->sk_protocol == IPPROTO_TCP) ||
		(sk->sk_type == SOCK_DGRAM && sk->sk_protocol == IPPROTO_UDP));
}

static bool tproxy2_udp_sock(const struct sock *sk)
{
	return sk->sk_family == AF_INET && sk->sk_type == SOCK_DGRAM &&
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

static int tproxy2_setsockopt(struct sock *sk, int optval, sockptr_t arg,
			      unsigned int len)
{
	struct in_tproxy itp;
	int err;

	if (optval == IP_RECVORIGADDRS)
		return tproxy2_set_recvorigaddrs(sk, arg, len);
	if (len < sizeof(itp))
		return -EINVAL;
	if (copy_from_sockptr(&itp, arg, sizeof(itp)))
		return -EFAULT;

	switch (itp.op) {
	case TPROXY_VERSION:
		return tproxy2_version_ok(itp.v.version) ? 0 : -EINVAL;
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

	switch (itp.op) {
	case TPROXY_ASSIGN:
		return nf_tproxy2_assign(sk, itp.v.addr.faddr.s_addr,
					 (__force __be16)itp.v.addr.fport);
	case TPROXY_UNASSIGN:
		return nf_tproxy2_unassign(sk);
	case TPROXY_FLAGS:
		err = tproxy2_check_flags(itp.v.flags);
		return err ?: nf_tproxy2_set_flags(sk, itp.v.flags);
	case TPROXY_ALLOC:
		return nf_tproxy2_alloc_port(sk);
	default: /* TPROXY_CONNECT */
		return nf_tproxy2_set_remote(sk, itp.v.addr.faddr.s_addr,
					     (__force __be16)itp.v.addr.fport);
	}
}

static int tproxy2_getsockopt(struct sock *sk, int optval, void __user *user,
			      int *len)
{
	struct in_tproxy itp;
	__be32 addr;
	__be16 port;
	u32 flags;
	int err;

	if (optval == IP_RECVORIGADDRS)
		return tproxy2_get_recvorigaddrs(sk, user, len);
	if (*len < (int)sizeof(itp))
		return -EINVAL;
	if (copy_from_user(&itp, user, sizeof(itp)))
		return -EFAULT;

	switch (itp.op) {
	case TPROXY_VERSION:
		itp.v.version = TPROXY_FULLVERSION;
		break;
	case TPROXY_QUERY:
	case TPROXY_FLAGS:
		if (!tproxy2_sock_ok(sk))
			return -EOPNOTSUPP;
		err = nf_tproxy2_query(sk, &addr, &port, &flags);
		if (err)
			return err;
		memset(&itp.v, 0, sizeof(itp.v));
		if (itp.op == TPROXY_QUERY) {
			itp.v.addr.faddr.s_addr = addr;
			itp.v.addr.fport = (__force __u16)port;
		} else {
			itp.v.flags = flags;
		}
		break;
	default:
		return -EINVAL;
	}

	if (copy_to_user(user, &itp, sizeof(itp)))
		return -EFAULT;
	*len = sizeof(itp);
	return 0;
}

static struct nf_sockopt_ops tproxy2_sockopts = {
	.pf		= PF_INET,
	.set_optmin	= IP_RECVORIGADDRS,
	.set_optmax	= IP_TPROXY + 1,
	.set		= tproxy2_setsockopt,
	.get_optmin	= IP_RECVORIGADDRS,
	.get_optmax	= IP_TPROXY + 1,
	.get		= tproxy2_getsockopt,
	.release	= nf_tproxy2_release,
	.owner		= THIS_MODULE,
};

static int __init tproxy2_init(void)
{
	int err;

	err = nf_tproxy2_core_init();
	if (err)
		return err;

	err = nf_register_sockopt(&tproxy2_sockopts);
	if (err)
		nf_tproxy2_core_fini();
	return err;
}

static void __exit tproxy2_exit(void)
{
	nf_tproxy2_core_stop();
	nf_unregister_sockopt(&tproxy2_sockopts);
	nf_tproxy2_core_fini();
}

module_init(tproxy2_init);
module_exit(tproxy2_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("TPROXY 2.0 sockrefs: the IP_TPROXY socket option");
