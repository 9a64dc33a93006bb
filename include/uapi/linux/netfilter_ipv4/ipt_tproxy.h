/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * "tproxy" match: the names of its first header, for userspace that
 * includes it.  The match is xt_tproxy2, <linux/netfilter/xt_tproxy2.h>.
 */
#ifndef _IPT_TPROXY_H_match
#define _IPT_TPROXY_H_match

#include <linux/netfilter/xt_tproxy2.h>

#define IPT_TPROXY_TPROXIED	XT_TPROXY_TPROXIED
#define IPT_TPROXY_SOCKREF	XT_TPROXY_SOCKREF
#define IPT_TPROXY_MASK		XT_TPROXY_MASK

#define ipt_tproxy_match_info	xt_tproxy_match_info

#endif /* _IPT_TPROXY_H_match */
