// SPDX-License-Identifier: GPL-2.0
/*
 * iptables-legacy extension for the "tproxy" match: connections that
 * TPROXY 2.0 redirected or translated.
 *
 *	-m tproxy			tproxied connections
 *	-m tproxy ! --tproxied		all others (iptables has no "! -m")
 *	-m tproxy [!] --sockref		owned by a sockref (or not)
 *
 * The kernel's match looks at the conntrack only and is the same for both
 * families; libip6t_tproxy.c is this file for ip6tables.
 */
#include <stdio.h>
#include <xtables.h>
#include <linux/netfilter_ipv4/ipt_tproxy.h>

#ifndef TPROXY_MT_FAMILY
#define TPROXY_MT_FAMILY	NFPROTO_IPV4
#endif

enum {
	O_TPROXIED = 0,
	O_SOCKREF,
};

static const struct xt_option_entry tproxy_mt_opts[] = {
	{.name = "tproxied", .id = O_TPROXIED, .type = XTTYPE_NONE,
	 .flags = XTOPT_INVERT},
	{.name = "sockref", .id = O_SOCKREF, .type = XTTYPE_NONE,
	 .flags = XTOPT_INVERT},
	XTOPT_TABLEEND,
};

static void tproxy_mt_help(void)
{
	printf(
"tproxy match options:\n"
"  (none)			the connection was redirected or translated by\n"
"				TPROXY 2.0 (tproxy table or a sockref)\n"
"  [!] --tproxied		the same, or (with !) it was not\n"
"  [!] --sockref		the connection is owned by a proxy's sockref\n");
}

static void tproxy_mt_parse(struct xt_option_call *cb)
{
	struct ipt_tproxy_match_info *info = cb->data;
	unsigned int flag = cb->entry->id == O_TPROXIED ? IPT_TPROXY_TPROXIED :
							  IPT_TPROXY_SOCKREF;

	xtables_option_parse(cb);
	info->flags |= flag;
	if (cb->invert)
		info->invert |= flag;
}

static void tproxy_mt_check(struct xt_fcheck_call *cb)
{
	struct ipt_tproxy_match_info *info = cb->data;

	if (!info->flags)
		info->flags = IPT_TPROXY_TPROXIED;
}

static void tproxy_mt_dump(const struct ipt_tproxy_match_info *info,
			   const char *prefix)
{
	/* the plain "-m tproxy" says it all */
	if (info->flags == IPT_TPROXY_TPROXIED && !info->invert)
		return;
	if (info->flags & IPT_TPROXY_TPROXIED)
		printf("%s %stproxied", info->invert & IPT_TPROXY_TPROXIED ? " !" : "",
		       prefix);
	if (info->flags & IPT_TPROXY_SOCKREF)
		printf("%s %ssockref", info->invert & IPT_TPROXY_SOCKREF ? " !" : "",
		       prefix);
}

static void tproxy_mt_print(const void *ip, const struct xt_entry_match *match,
			    int numeric)
{
	printf(" tproxy");
	tproxy_mt_dump((const void *)match->data, "");
}

static void tproxy_mt_save(const void *ip, const struct xt_entry_match *match)
{
	tproxy_mt_dump((const void *)match->data, "--");
}

static struct xtables_match tproxy_mt_reg = {
	.name		= "tproxy",
	.revision	= 0,
	.family		= TPROXY_MT_FAMILY,
	.version	= XTABLES_VERSION,
	.size		= XT_ALIGN(sizeof(struct ipt_tproxy_match_info)),
	.userspacesize	= XT_ALIGN(sizeof(struct ipt_tproxy_match_info)),
	.help		= tproxy_mt_help,
	.print		= tproxy_mt_print,
	.save		= tproxy_mt_save,
	.x6_parse	= tproxy_mt_parse,
	.x6_fcheck	= tproxy_mt_check,
	.x6_options	= tproxy_mt_opts,
};

static __attribute__((constructor)) void tproxy_mt_ldr(void)
{
	xtables_register_match(&tproxy_mt_reg);
}
