// SPDX-License-Identifier: GPL-2.0
/*
 * iptables-legacy extension for the TPROXY target, both of them:
 *
 *  - TPROXY 2.0 in the "tproxy" table (kernel revision 2):
 *	-j TPROXY --on-port PORT [--on-ip ADDR]
 *  - mainline TPROXY v4 in the mangle table (kernel revision 1):
 *	-j TPROXY --on-port PORT [--on-ip ADDR] --tproxy-mark VALUE[/MASK]
 *
 * This file has to speak both because libxtables loads one "TPROXY"
 * extension per program and does not know the table when it parses a rule.
 * --tproxy-mark is what tells them apart: only mainline's target marks, and
 * iptables-save prints mainline rules with their mark, so a save/restore
 * round trip gives back the same revision.
 *
 * libip6t_TPROXY.c is its IPv6 twin (tproxy_xt.h what they share).  Linked
 * together they stand in for the system's libxt_TPROXY.so, which
 * libxtables would load first for both families: make install puts that
 * libxt_TPROXY.so there (the system's file diverted), and -j TPROXY then
 * works in the tproxy tables with no XTABLES_LIBDIR, and mangle rules of
 * both families as before.
 */
#include "tproxy_xt.h"
#include <linux/netfilter_ipv4/ipt_TPROXY.h>

/* The kernel has TPROXY 2.0's revision: a rule without --tproxy-mark is one */
static bool tproxy_kernel_has_v2;

static const struct xt_option_entry tproxy_tg_opts[] = TPROXY_TG_OPTS;

static void tproxy_tg_help(void)
{
	static bool shown;	/* both revisions are listed: say it once */

	if (shown)
		return;
	shown = true;
	printf(
"TPROXY target options:\n"
"  --on-port port		Redirect to this port; 0 keeps the original port\n"
"  --on-ip ip			Redirect to this address (default: the primary\n"
"				address of the incoming interface, 127.0.0.1 for\n"
"				locally generated packets)\n"
"In the tproxy table (TPROXY 2.0) that is all: the connection is redirected\n"
"by NAT and the proxy reads the original destination with SO_ORIGINAL_DST.\n"
"In the mangle table (mainline TPROXY, IP_TRANSPARENT listeners) also give\n"
"  --tproxy-mark value[/mask]	Mark packets for policy routing\n");
}

static void tproxy_tg_parse(struct xt_option_call *cb)
{
	tproxy_parse(cb, tproxy_kernel_has_v2, IPT_TPROXY_REVISION,
		     sizeof(struct ipt_tproxy_target_info));
}

static void tproxy_tg_check(struct xt_fcheck_call *cb)
{
	const struct tproxy_udata *u = cb->udata;
	struct ipt_tproxy_target_info *info = cb->data;

	if (tproxy_entry(cb->data)->u.user.revision != IPT_TPROXY_REVISION) {
		tproxy_v1_check(cb->data, u);
		return;
	}
	if (IN_MULTICAST(ntohl(u->addr.ip)) || u->addr.ip == htonl(INADDR_BROADCAST))
		xtables_error(PARAMETER_PROBLEM,
			      "TPROXY: --on-ip must be a unicast address");
	info->lport = tproxy_port(u);
	info->laddr = u->addr.ip;
}

static void tproxy_tg_print(const void *ip, const struct xt_entry_target *t,
			    int numeric)
{
	const struct ipt_tproxy_target_info *info = (const void *)t->data;

	if (t->u.user.revision != IPT_TPROXY_REVISION) {
		tproxy_v1_print(t);
		return;
	}
	printf(" TPROXY redirect %s:%u",
	       xtables_ipaddr_to_numeric((const struct in_addr *)&info->laddr),
	       ntohs(info->lport));
}

static void tproxy_tg_save(const void *ip, const struct xt_entry_target *t)
{
	const struct ipt_tproxy_target_info *info = (const void *)t->data;

	if (t->u.user.revision != IPT_TPROXY_REVISION) {
		tproxy_v1_save(t);
		return;
	}
	printf(" --on-port %u", ntohs(info->lport));
	if (info->laddr)
		printf(" --on-ip %s",
		       xtables_ipaddr_to_numeric((const struct in_addr *)&info->laddr));
}

static struct xtables_target tproxy_tg_reg[] = {
	/* TPROXY 2.0, and mainline's when --tproxy-mark is given */
	TPROXY_TG_REG(IPT_TPROXY_REVISION, NFPROTO_IPV4,
		      sizeof(struct ipt_tproxy_target_info), tproxy),
	/* mainline's, for its rules in mangle (and kernels without TPROXY 2.0) */
	TPROXY_TG_REG(TPROXY_V1_REVISION, NFPROTO_IPV4,
		      sizeof(struct xt_tproxy_target_info_v1), tproxy),
};

static __attribute__((constructor)) void tproxy_tg_ldr(void)
{
	/* in libxt_TPROXY.so ip6tables loads this too: libip6t_TPROXY.c's */
	if (afinfo->family != NFPROTO_IPV4)
		return;
	tproxy_kernel_has_v2 = tproxy_register(&tproxy_tg_reg[0], &tproxy_tg_reg[1]);
}
