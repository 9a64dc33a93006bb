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
#include <netinet/in.h>
#include <stdio.h>
/* libc's netinet/in.h before the kernel's linux/in.h */
#include "tproxy_xt.h"
#include <linux/netfilter/xt_TPROXY.h>
#include <linux/netfilter_ipv6/ip6t_TPROXY.h>

/* What the options said, until the final check fills in the layout. */
struct tproxy6_udata {
	uint16_t port;		/* network order */
	struct in6_addr addr;
	uint32_t mark, mask;
	bool mainline;		/* --tproxy-mark seen */
};

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
	struct tproxy6_udata *u = cb->udata;
	bool v1;

	if (cb->entry->id == O_ON_IP)
		tproxy_check_family(cb->arg, NFPROTO_IPV6);
	xtables_option_parse(cb);
	switch (cb->entry->id) {
	case O_ON_PORT:
		u->port = tproxy_parse_port(cb->arg);
		break;
	case O_ON_IP:
		u->addr = cb->val.haddr.in6;
		break;
	case O_MARK:
		u->mark = cb->val.mark;
		u->mask = cb->val.mask;
		u->mainline = true;
		break;
	}
	v1 = u->mainline || !tproxy6_kernel_has_v2;
	tproxy_set_revision(cb->target,
			    v1 ? TPROXY_V1_REVISION : IP6T_TPROXY_REVISION,
			    v1 ? sizeof(struct xt_tproxy_target_info_v1) :
				 sizeof(struct ip6t_tproxy_target_info));
}

static void tproxy6_tg_check(struct xt_fcheck_call *cb)
{
	const struct tproxy6_udata *u = cb->udata;
	struct xt_entry_target *t = tproxy_entry(cb->data);

	if (t->u.user.revision == IP6T_TPROXY_REVISION) {
		struct ip6t_tproxy_target_info *info = cb->data;

		if (IN6_IS_ADDR_MULTICAST(&u->addr))
			xtables_error(PARAMETER_PROBLEM,
				      "TPROXY: --on-ip must be a unicast address");
		if (IN6_IS_ADDR_V4MAPPED(&u->addr))
			xtables_error(PARAMETER_PROBLEM,
				      "TPROXY: --on-ip must be an IPv6 address, not a v4-mapped one (the IPv4 table redirects IPv4)");
		info->lport = u->port;
		info->laddr = u->addr;
	} else {
		struct xt_tproxy_target_info_v1 *info = cb->data;

		info->lport = u->port;
		info->laddr.in6 = u->addr;
		info->mark_value = u->mark;
		info->mark_mask = u->mask;
	}
}

static void tproxy6_tg_print(const void *ip, const struct xt_entry_target *t,
			     int numeric)
{
	if (t->u.user.revision == IP6T_TPROXY_REVISION) {
		const struct ip6t_tproxy_target_info *info = (const void *)t->data;

		printf(" TPROXY redirect [%s]:%u",
		       xtables_ip6addr_to_numeric(&info->laddr), ntohs(info->lport));
	} else {
		/* as the system's libxt_TPROXY.so prints it */
		const struct xt_tproxy_target_info_v1 *info = (const void *)t->data;

		printf(" TPROXY redirect %s:%u mark 0x%x/0x%x",
		       xtables_ip6addr_to_numeric(&info->laddr.in6), ntohs(info->lport),
		       info->mark_value, info->mark_mask);
	}
}

static void tproxy6_tg_save(const void *ip, const struct xt_entry_target *t)
{
	if (t->u.user.revision == IP6T_TPROXY_REVISION) {
		const struct ip6t_tproxy_target_info *info = (const void *)t->data;

		printf(" --on-port %u", ntohs(info->lport));
		if (!IN6_IS_ADDR_UNSPECIFIED(&info->laddr))
			printf(" --on-ip %s", xtables_ip6addr_to_numeric(&info->laddr));
	} else {
		const struct xt_tproxy_target_info_v1 *info = (const void *)t->data;

		printf(" --on-port %u --on-ip %s --tproxy-mark 0x%x/0x%x",
		       ntohs(info->lport), xtables_ip6addr_to_numeric(&info->laddr.in6),
		       info->mark_value, info->mark_mask);
	}
}

static struct xtables_target tproxy6_tg_reg[] = {
	{
		/* TPROXY 2.0, and mainline's when --tproxy-mark is given */
		.name		= "TPROXY",
		.revision	= IP6T_TPROXY_REVISION,
		.family		= NFPROTO_IPV6,
		.version	= XTABLES_VERSION,
		.size		= XT_ALIGN(sizeof(struct ip6t_tproxy_target_info)),
		.userspacesize	= XT_ALIGN(sizeof(struct ip6t_tproxy_target_info)),
		.udata_size	= sizeof(struct tproxy6_udata),
		.help		= tproxy6_tg_help,
		.print		= tproxy6_tg_print,
		.save		= tproxy6_tg_save,
		.x6_parse	= tproxy6_tg_parse,
		.x6_fcheck	= tproxy6_tg_check,
		.x6_options	= tproxy6_tg_opts,
	},
	{
		/* mainline's, for its rules in mangle (and kernels without TPROXY 2.0) */
		.name		= "TPROXY",
		.revision	= TPROXY_V1_REVISION,
		.family		= NFPROTO_IPV6,
		.version	= XTABLES_VERSION,
		.size		= XT_ALIGN(sizeof(struct xt_tproxy_target_info_v1)),
		.userspacesize	= XT_ALIGN(sizeof(struct xt_tproxy_target_info_v1)),
		.udata_size	= sizeof(struct tproxy6_udata),
		.help		= tproxy6_tg_help,
		.print		= tproxy6_tg_print,
		.save		= tproxy6_tg_save,
		.x6_parse	= tproxy6_tg_parse,
		.x6_fcheck	= tproxy6_tg_check,
		.x6_options	= tproxy6_tg_opts,
	},
};

static __attribute__((constructor)) void tproxy6_tg_ldr(void)
{
	/* in libxt_TPROXY.so iptables loads this too: libipt_TPROXY.c's */
	if (afinfo->family != NFPROTO_IPV6)
		return;
	tproxy6_kernel_has_v2 = tproxy_register(&tproxy6_tg_reg[0], &tproxy6_tg_reg[1]);
}
