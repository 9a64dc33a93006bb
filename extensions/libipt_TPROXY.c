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
 * It also has mainline's IPv6 revision 1, so that it can stand in for the
 * system's libxt_TPROXY.so, which libxtables would load first: make install
 * puts it there (the system's file diverted), and -j TPROXY then works in
 * the tproxy table with no XTABLES_LIBDIR, and mangle rules of both
 * families as before.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* for afinfo, as the extensions shipped with iptables have it */
#define XTABLES_INTERNAL
#include <xtables.h>
#include <linux/netfilter/xt_TPROXY.h>
#include <linux/netfilter_ipv4/ipt_TPROXY.h>

enum {
	O_ON_PORT = 0,
	O_ON_IP,
	O_MARK,
};

/* What the options said, until the final check fills in the layout. */
struct tproxy_udata {
	uint16_t port;		/* network order */
	struct in_addr addr;
	uint32_t mark, mask;
	bool mainline;		/* --tproxy-mark seen */
};

#define TPROXY_V1_REVISION	1

/* The kernel has TPROXY 2.0's revision: a rule without --tproxy-mark is one */
static bool tproxy_kernel_has_v2;

static const struct xt_option_entry tproxy_tg_opts[] = {
	{.name = "on-port", .id = O_ON_PORT, .type = XTTYPE_STRING,
	 .flags = XTOPT_MAND},
	{.name = "on-ip", .id = O_ON_IP, .type = XTTYPE_HOST},
	{.name = "tproxy-mark", .id = O_MARK, .type = XTTYPE_MARKMASK32},
	XTOPT_TABLEEND,
};

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

static struct xt_entry_target *tproxy_entry(const void *data)
{
	return (struct xt_entry_target *)((const char *)data -
					  offsetof(struct xt_entry_target, data));
}

/* Give the target being built the layout of the revision the rule needs. */
static void tproxy_set_revision(struct xt_entry_target **tp, uint8_t revision)
{
	size_t info = revision == IPT_TPROXY_REVISION ?
		      sizeof(struct ipt_tproxy_target_info) :
		      sizeof(struct xt_tproxy_target_info_v1);
	size_t size = XT_ALIGN(sizeof(struct xt_entry_target)) + XT_ALIGN(info);
	struct xt_entry_target *t = *tp;

	if (t->u.user.revision == revision && t->u.target_size == size)
		return;
	t = xtables_realloc(t, size);
	memset(t->data, 0, size - XT_ALIGN(sizeof(struct xt_entry_target)));
	t->u.target_size = size;
	t->u.user.revision = revision;
	*tp = t;
}

/* A number from 0 to 65535 or a service name; libxtables' XTTYPE_PORT
 * silently takes numbers modulo 65536.
 */
static uint16_t tproxy_parse_port(const char *arg)
{
	unsigned int port;
	int service;

	if (xtables_strtoui(arg, NULL, &port, 0, UINT16_MAX))
		return htons(port);
	service = xtables_service_to_port(arg, NULL);
	if (service < 0 || arg[0] == '-' || (arg[0] >= '0' && arg[0] <= '9'))
		xtables_error(PARAMETER_PROBLEM,
			      "TPROXY: --on-port \"%s\" is not a port (0-65535) or a service name",
			      arg);
	return htons(service);
}

static void tproxy_tg_parse(struct xt_option_call *cb)
{
	struct tproxy_udata *u = cb->udata;

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
	tproxy_set_revision(cb->target,
			    u->mainline || !tproxy_kernel_has_v2 ?
			    TPROXY_V1_REVISION : IPT_TPROXY_REVISION);
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

/* Mainline's revision holds an address of the rule's family. */
static const char *tproxy_v1_addr(const struct xt_tproxy_target_info_v1 *info)
{
	return afinfo->family == NFPROTO_IPV6 ?
	       xtables_ip6addr_to_numeric(&info->laddr.in6) :
	       xtables_ipaddr_to_numeric(&info->laddr.in);
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
		       tproxy_v1_addr(info), ntohs(info->lport),
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
		       ntohs(info->lport), tproxy_v1_addr(info),
		       info->mark_value, info->mark_mask);
	}
}

/* Mainline's IPv6 revision, as the system's libxt_TPROXY.so has it, so that
 * this file can stand in for that one (make install puts it there):
 * ip6tables' -t mangle -j TPROXY rules keep working.
 */
#define s struct xt_tproxy_target_info_v1
static const struct xt_option_entry tproxy_tg6_opts[] = {
	{.name = "on-port", .id = O_ON_PORT, .type = XTTYPE_PORT,
	 .flags = XTOPT_MAND | XTOPT_NBO | XTOPT_PUT, XTOPT_POINTER(s, lport)},
	{.name = "on-ip", .id = O_ON_IP, .type = XTTYPE_HOST,
	 .flags = XTOPT_PUT, XTOPT_POINTER(s, laddr)},
	{.name = "tproxy-mark", .id = O_MARK, .type = XTTYPE_MARKMASK32},
	XTOPT_TABLEEND,
};
#undef s

static void tproxy_tg6_parse(struct xt_option_call *cb)
{
	struct xt_tproxy_target_info_v1 *info = cb->data;

	xtables_option_parse(cb);
	if (cb->entry->id == O_MARK) {
		info->mark_value = cb->val.mark;
		info->mark_mask = cb->val.mask;
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
	{
		/* mainline's IPv6 revision; libxtables ignores it in iptables */
		.name		= "TPROXY",
		.revision	= TPROXY_V1_REVISION,
		.family		= NFPROTO_IPV6,
		.version	= XTABLES_VERSION,
		.size		= XT_ALIGN(sizeof(struct xt_tproxy_target_info_v1)),
		.userspacesize	= XT_ALIGN(sizeof(struct xt_tproxy_target_info_v1)),
		.help		= tproxy_tg_help,
		.print		= tproxy_tg_print,
		.save		= tproxy_tg_save,
		.x6_parse	= tproxy_tg6_parse,
		.x6_options	= tproxy_tg6_opts,
	},
};

static __attribute__((constructor)) void tproxy_tg_ldr(void)
{
	/* ip6tables: mainline's IPv6 revision is all there is. */
	if (afinfo->family == NFPROTO_IPV6) {
		xtables_register_target(&tproxy_tg_reg[2]);
		return;
	}
	/* A kernel without TPROXY 2.0: mainline's revision alone, as the
	 * system's libxt_TPROXY.so would register it.
	 */
	if (!xtables_compatible_revision("TPROXY", IPT_TPROXY_REVISION,
					 afinfo->so_rev_target)) {
		xtables_register_target(&tproxy_tg_reg[1]);
		return;
	}
	tproxy_kernel_has_v2 = true;
	/* libxtables lists only the best revision the kernel supports of
	 * the extensions registered at one time, and prints rules of any
	 * other revision as "[unsupported revision]".  Registering the
	 * second revision after the first was taken lists both, so that
	 * tproxy and mangle rules both print.
	 */
	xtables_register_target(&tproxy_tg_reg[0]);
	xtables_find_target("TPROXY", XTF_DONT_LOAD);
	xtables_register_target(&tproxy_tg_reg[1]);
	xtables_find_target("TPROXY", XTF_DONT_LOAD);
}
