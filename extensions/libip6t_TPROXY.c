// SPDX-License-Identifier: GPL-2.0
/*
 * ip6tables-legacy extension for the TPROXY target, both of them, the
 * IPv6 twin of libipt_TPROXY.c:
 *
 *  - TPROXY 2.0 in the ip6tables "tproxy" table (kernel revision 2):
 *	-j TPROXY --on-port PORT [--on-ip ADDR]
 *  - mainline TPROXY in the mangle table (kernel revision 1):
 *	-j TPROXY --on-port PORT [--on-ip ADDR] --tproxy-mark VALUE[/MASK]
 *
 * --tproxy-mark tells them apart, as in iptables: libxtables loads one
 * "TPROXY" extension and does not know the table when it parses a rule.
 */
#include "tproxy_xt.h"
#include <linux/netfilter_ipv6/ip6t_TPROXY.h>

/* The kernel has TPROXY 2.0's revision: a rule without --tproxy-mark is one */
static bool tproxy6_kernel_has_v2;

static const struct xt_option_entry tproxy6_tg_opts[] = TPROXY_TG_OPTS;

static void tproxy6_tg_help(void)
{
	static bool shown;	/* both revisions are listed: say it once */

	if (shown)
		return;
	shown = true;
	printf(
"TPROXY target options:\n"
"  --on-port port		Redirect to this port; 0 keeps the original port\n"
"  --on-ip ip6			Redirect to this address (default: the primary\n"
"				address of the incoming interface, ::1 for\n"
"				locally generated packets)\n"
"In the tproxy table (TPROXY 2.0) that is all: the connection is redirected\n"
"by NAT and the proxy reads the original destination with\n"
"IP6T_SO_ORIGINAL_DST.\n"
"In the mangle table (mainline TPROXY, IP_TRANSPARENT listeners) also give\n"
"  --tproxy-mark value[/mask]	Mark packets for policy routing\n");
}

static void tproxy6_tg_parse(struct xt_option_call *cb)
{
	tproxy_parse(cb, tproxy6_kernel_has_v2, IP6T_TPROXY_REVISION,
		     sizeof(struct ip6t_tproxy_target_info));
}

static void tproxy6_tg_check(struct xt_fcheck_call *cb)
{
	const struct tproxy_udata *u = cb->udata;
	struct ip6t_tproxy_target_info *info = cb->data;

	if (tproxy_entry(cb->data)->u.user.revision != IP6T_TPROXY_REVISION) {
		tproxy_v1_check(cb->data, u);
		return;
	}
	if (IN6_IS_ADDR_MULTICAST(&u->addr.in6))
		xtables_error(PARAMETER_PROBLEM,
			      "TPROXY: --on-ip must be a unicast address");
	if (IN6_IS_ADDR_V4MAPPED(&u->addr.in6))
		xtables_error(PARAMETER_PROBLEM,
			      "TPROXY: --on-ip must be an IPv6 address, not a v4-mapped one (the IPv4 table redirects IPv4)");
	info->lport = tproxy_port(u);
	info->laddr = u->addr.in6;
}

static void tproxy6_tg_print(const void *ip, const struct xt_entry_target *t,
			     int numeric)
{
	const struct ip6t_tproxy_target_info *info = (const void *)t->data;

	if (t->u.user.revision != IP6T_TPROXY_REVISION) {
		tproxy_v1_print(t);
		return;
	}
	printf(" TPROXY redirect [%s]:%u",
	       xtables_ip6addr_to_numeric(&info->laddr), ntohs(info->lport));
}

static void tproxy6_tg_save(const void *ip, const struct xt_entry_target *t)
{
	const struct ip6t_tproxy_target_info *info = (const void *)t->data;

	if (t->u.user.revision != IP6T_TPROXY_REVISION) {
		tproxy_v1_save(t);
		return;
	}
	printf(" --on-port %u", ntohs(info->lport));
	if (!IN6_IS_ADDR_UNSPECIFIED(&info->laddr))
		printf(" --on-ip %s", xtables_ip6addr_to_numeric(&info->laddr));
}

static struct xtables_target tproxy6_tg_reg[] = {
	/* TPROXY 2.0, and mainline's when --tproxy-mark is given */
	TPROXY_TG_REG(IP6T_TPROXY_REVISION, NFPROTO_IPV6,
		      sizeof(struct ip6t_tproxy_target_info), tproxy6),
	/* mainline's, for its rules in mangle (and kernels without TPROXY 2.0) */
	TPROXY_TG_REG(TPROXY_V1_REVISION, NFPROTO_IPV6,
		      sizeof(struct xt_tproxy_target_info_v1), tproxy6),
};

static __attribute__((constructor)) void tproxy6_tg_ldr(void)
{
	/* in libxt_TPROXY.so iptables loads this too: libipt_TPROXY.c's */
	if (afinfo->family != NFPROTO_IPV6)
		return;
	tproxy6_kernel_has_v2 = tproxy_register(&tproxy6_tg_reg[0], &tproxy6_tg_reg[1]);
}
