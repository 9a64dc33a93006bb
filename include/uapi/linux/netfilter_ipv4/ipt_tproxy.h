/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * "tproxy" match: connections that TPROXY 2.0 redirected or translated.
 */
#ifndef _IPT_TPROXY_H_match
#define _IPT_TPROXY_H_match

#include <linux/types.h>

/* struct ipt_tproxy_match_info.flags and .invert */
#define IPT_TPROXY_TPROXIED	0x1	/* the conntrack has IPS_TPROXY */
#define IPT_TPROXY_SOCKREF	0x2	/* ... and IPS_TPROXY_SOCKREF */
#define IPT_TPROXY_MASK		(IPT_TPROXY_TPROXIED | IPT_TPROXY_SOCKREF)

/**
 * struct ipt_tproxy_match_info - the tproxy match
 * @flags: the conditions to test, IPT_TPROXY_*; all must hold
 * @invert: those of @flags whose sense is inverted
 */
struct ipt_tproxy_match_info {
	__u8 flags;
	__u8 invert;
};

#endif /* _IPT_TPROXY_H_match */
