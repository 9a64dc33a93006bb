// SPDX-License-Identifier: GPL-2.0
/*
 * ip6tables-legacy extension for the "tproxy" match: the kernel has one
 * match for both families (struct ipt_tproxy_match_info), and so has
 * userspace: libipt_tproxy.c, registered for IPv6.
 */
#define TPROXY_MT_FAMILY	NFPROTO_IPV6
#include "libipt_tproxy.c"
