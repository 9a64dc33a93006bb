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
 * libip6t_TPROXY.c is its IPv6 twin.  Linked together they stand in for
 * the system's libxt_TPROXY.so, which libxtables would load first for
 * both families: make install puts that libxt_TPROXY.so there (the
 * system's file diverted), and -j TPROXY then works in the tproxy tables
 * with no XTABLES_LIBDIR, and mangle rules of both families as before.
 */
#include <stdio.h>
/* libc's netinet/in.h before the kernel's linux/in.h */
#include "tproxy_xt.h"
#include <linux/netfilter/xt_TPROXY.h>
#include <linux/netfilter_ipv4/ipt_TPROXY.h>

/* What the options said, until the final check fills in the layout. */
struct tproxy_udata {
	uint16_t port;		/* network order */
	struct in_addr addr;
	uint32_t mark, mask;
	bool mainline;		/* --tproxy-mark seen */
};

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
	struct tproxy_udata *u = cb->udata;
	bool v1;

	if (cb->entry->id == O_ON_IP)
		tproxy_check_family(cb->arg, NFPROTO_IPV4);
	xtables_option_parse(cb);
	switch (cb->entry->id) {
	case O_ON_PORT:
		u->port = tproxy_parse_port(cb->arg);
		break;
	case O_ON_IP:
		u->addr = cb->val.haddr.in;
		break;
	case O_MARK:
		u->mark = cb->val.mark;
		u->mask = cb->val.mask;
		u->mainline = true;
		break;
	}
	v1 = u->mainline || !tproxy_kernel_has_v2;
	tproxy_set_revision(cb->target,
			    v1 ? TPROXY_V1_REVISION : IPT_TPROXY_REVISION,
			    v1 ? sizeof(struct xt_tproxy_target_info_v1) :
				 sizeof(struct ipt_tproxy_target_info));
}

static void tproxy_tg_check(struct xt_fcheck_call *cb)
{
	const struct tproxy_udata *u = cb->udata;
	struct xt_entry_target *t = tproxy_entry(cb->data);

	if (t->u.user.revision == IPT_TPROXY_REVISION) {
		struct ipt_tproxy_target_info *info = cb->data;

		if (IN_MULTICAST(ntohl(u->addr.s_addr)) ||
		    u->addr.s_addr == htonl(INADDR_BROADCAST))
			xtables_error(PARAMETER_PROBLEM,
				      "TPROXY: --on-ip must be a unicast address");
		info->lport = u->port;
		info->laddr = u->addr.s_addr;
	} else {
		struct xt_tproxy_target_info_v1 *info = cb->data;

		info->lport = u->port;
		info->laddr.in = u->addr;
		info->mark_value = u->mark;
		info->mark_mask = u->mask;
	}
}

static void tproxy_tg_print(const void *ip, const struct xt_entry_target *t,
			    int numeric)
{
	if (t->u.user.revision == IPT_TPROXY_REVISION) {
		const struct ipt_tproxy_target_info *info = (const void *)t->data;

		printf(" TPROXY redirect %s:%u",
		       xtables_ipaddr_to_numeric((const struct in_addr *)&info->laddr),
		       ntohs(info->lport));
	} else {
		const struct xt_tproxy_target_info_v1 *info = (const void *)t->data;

		printf(" TPROXY redirect %s:%u mark 0x%x/0x%x",
		       xtables_ipaddr_to_numeric(&info->laddr.in), ntohs(info->lport),
		       info->mark_value, info->mark_mask);
	}
}

static void tproxy_tg_save(const void *ip, const struct xt_entry_target *t)
{
	if (t->u.user.revision == IPT_TPROXY_REVISION) {
		const struct ipt_tproxy_target_info *info = (const void *)t->data;

		printf(" --on-port %u", ntohs(info->lport));
		if (info->laddr)
			printf(" --on-ip %s",
			       xtables_ipaddr_to_numeric((const struct in_addr *)&info->laddr));
	} else {
		const struct xt_tproxy_target_info_v1 *info = (const void *)t->data;

		printf(" --on-port %u --on-ip %s --tproxy-mark 0x%x/0x%x",
		       ntohs(info->lport), xtables_ipaddr_to_numeric(&info->laddr.in),
		       info->mark_value, info->mark_mask);
	}
}

static struct xtables_target tproxy_tg_reg[] = {
	{
		/* TPROXY 2.0, and mainline's when --tproxy-mark is given */
		.name		= "TPROXY",
		.revision	= IPT_TPROXY_REVISION,
		.family		= NFPROTO_IPV4,
		.version	= XTABLES_VERSION,
		.size		= XT_ALIGN(sizeof(struct ipt_tproxy_target_info)),
		.userspacesize	= XT_ALIGN(sizeof(struct ipt_tproxy_target_info)),
		.udata_size	= sizeof(struct tproxy_udata),
		.help		= tproxy_tg_help,
		.print		= tproxy_tg_print,
		.save		= tproxy_tg_save,
		.x6_parse	= tproxy_tg_parse,
		.x6_fcheck	= tproxy_tg_check,
		.x6_options	= tproxy_tg_opts,
	},
	{
		/* mainline's, for its rules in mangle (and kernels without TPROXY 2.0) */
		.name		= "TPROXY",
		.revision	= TPROXY_V1_REVISION,
		.family		= NFPROTO_IPV4,
		.version	= XTABLES_VERSION,
		.size		= XT_ALIGN(sizeof(struct xt_tproxy_target_info_v1)),
		.userspacesize	= XT_ALIGN(sizeof(struct xt_tproxy_target_info_v1)),
		.udata_size	= sizeof(struct tproxy_udata),
		.help		= tproxy_tg_help,
		.print		= tproxy_tg_print,
		.save		= tproxy_tg_save,
		.x6_parse	= tproxy_tg_parse,
		.x6_fcheck	= tproxy_tg_check,
		.x6_options	= tproxy_tg_opts,
	},
};

static __attribute__((constructor)) void tproxy_tg_ldr(void)
{
	/* in libxt_TPROXY.so ip6tables loads this too: libip6t_TPROXY.c's */
	if (afinfo->family != NFPROTO_IPV4)
		return;
	tproxy_kernel_has_v2 = tproxy_register(&tproxy_tg_reg[0], &tproxy_tg_reg[1]);
}
