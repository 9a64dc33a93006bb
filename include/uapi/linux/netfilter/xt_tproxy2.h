/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * "tproxy" match (xt_tproxy2): connections that TPROXY 2.0 redirected or
 * translated.  One match for iptables and ip6tables.
 */
#ifndef _XT_TPROXY2_H
#define _XT_TPROXY2_H

#include <linux/types.h>

/* struct xt_tproxy_match_info.flags and .invert */
#define XT_TPROXY_TPROXIED	0x1	/* the conntrack has IPS_TPROXY */
#define XT_TPROXY_SOCKREF	0x2	/* ... and IPS_TPROXY_SOCKREF */
#define XT_TPROXY_MASK		(XT_TPROXY_TPROXIED | XT_TPROXY_SOCKREF)

/**
 * struct xt_tproxy_match_info - the tproxy match
 * @flags: the conditions to test, XT_TPROXY_*; all must hold
 * @invert: those of @flags whose sense is inverted
 */
struct xt_tproxy_match_info {
	__u8 flags;
	__u8 invert;
};

#endif /* _XT_TPROXY2_H */
