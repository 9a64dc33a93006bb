/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What libipt_TPROXY.c and libip6t_TPROXY.c share: each registers TPROXY
 * 2.0's revision 2 (the tproxy table) and mainline's revision 1 (the
 * mangle table) of its family, with the same options, and a rule takes the
 * layout of one or the other once its options are parsed: --tproxy-mark
 * makes it mainline's.  All of mainline's revision is here; each file has
 * the layout of its own revision 2.
 */
#ifndef TPROXY_XT_H
#define TPROXY_XT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* libc's netinet/in.h before the kernel's linux/in.h */
#include <arpa/inet.h>
#include <netdb.h>
/* for afinfo, as the extensions shipped with iptables have it */
#ifndef XTABLES_INTERNAL
#define XTABLES_INTERNAL
#endif
#include <xtables.h>
#include <linux/netfilter/xt_TPROXY.h>

/* mainline's revision, xt_TPROXY's struct xt_tproxy_target_info_v1 */
#define TPROXY_V1_REVISION	1

enum {
	O_ON_PORT = 0,
	O_ON_IP,
	O_MARK,
};

/* What the options said, until the final check fills in the layout.  The
 * port is read both ways, and the final check takes the one of the rule's
 * revision: TPROXY 2.0's strictly, mainline's exactly as iptables 1.8.9's
 * own libxt_TPROXY.so reads it.
 */
struct tproxy_udata {
	uint16_t port;		/* network order: TPROXY 2.0's reading */
	uint16_t v1port;	/* network order: mainline's reading */
	bool port_given, port_ok, v1port_ok;
	char portarg[64];	/* for the message */
	union nf_inet_addr addr;
	uint32_t mark, mask;
	bool mainline;		/* --tproxy-mark seen */
};

/* The options of both revisions. */
#define TPROXY_TG_OPTS { \
	{.name = "on-port", .id = O_ON_PORT, .type = XTTYPE_STRING, \
	 .flags = XTOPT_MAND}, \
	{.name = "on-ip", .id = O_ON_IP, .type = XTTYPE_HOST}, \
	{.name = "tproxy-mark", .id = O_MARK, .type = XTTYPE_MARKMASK32}, \
	XTOPT_TABLEEND, \
}

/* The size every registration has: the larger of the two layouts.  iptables
 * -C and -D compare a rule with the mask of whichever registration
 * libxtables finds by name, which may be that of the other revision; the
 * rule itself gets its own revision's size (tproxy_set_revision()).
 */
#define TPROXY_TG_SIZE(info) \
	XT_ALIGN((info) > sizeof(struct xt_tproxy_target_info_v1) ? (info) : \
		 sizeof(struct xt_tproxy_target_info_v1))

/* A registration of revision @rev, @info bytes of rule data, of @fam; the
 * functions are PFX_tg_help, PFX_tg_print and so on.
 */
#define TPROXY_TG_REG(rev, fam, info, pfx) { \
	.name		= "TPROXY", \
	.revision	= (rev), \
	.family		= (fam), \
	.version	= XTABLES_VERSION, \
	.size		= TPROXY_TG_SIZE(info), \
	.userspacesize	= TPROXY_TG_SIZE(info), \
	.udata_size	= sizeof(struct tproxy_udata), \
	.help		= pfx##_tg_help, \
	.print		= pfx##_tg_print, \
	.save		= pfx##_tg_save, \
	.x6_parse	= pfx##_tg_parse, \
	.x6_fcheck	= pfx##_tg_check, \
	.x6_options	= pfx##_tg_opts, \
}

static inline struct xt_entry_target *tproxy_entry(const void *data)
{
	return (struct xt_entry_target *)((const char *)data -
					  offsetof(struct xt_entry_target, data));
}

/* Give the target being built the layout of @revision, @info bytes. */
static inline void tproxy_set_revision(struct xt_entry_target **tp,
				       uint8_t revision, size_t info)
{
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

/* TPROXY 2.0's revision: a decimal number from 0 to 65535 (leading zeros
 * are decimal, as iptables reads them: 010 is 10) or a service name, in
 * network order; false if it is neither.  libxtables' XTTYPE_PORT silently
 * takes numbers modulo 65536.
 */
static inline bool tproxy_parse_port(const char *arg, uint16_t *port)
{
	unsigned long v = 0;
	const char *p = arg;
	int service;

	if (*p >= '0' && *p <= '9') {
		for (; *p >= '0' && *p <= '9'; p++)
			if ((v = v * 10 + (*p - '0')) > UINT16_MAX)
				return false;
		if (*p)
			return false;
		*port = htons(v);
		return true;
	}
	if (*arg == '-' || *arg == '+' || *arg == ' ' || !*arg)
		return false;
	service = xtables_service_to_port(arg, NULL);
	if (service < 0)
		return false;
	*port = htons(service);
	return true;
}

/* Mainline's revisions (0 and 1): --on-port exactly as iptables 1.8.9's
 * libxt_TPROXY.so reads it (XTTYPE_PORT, xtables_getportbyname():
 * getaddrinfo(), which takes a decimal number, leading zeros and all, modulo
 * 65536, or a service name), so that a rule saved or written for it means
 * the same port with ours installed in its place.  Network order.
 */
static inline bool tproxy_parse_port_v1(const char *arg, uint16_t *port)
{
	struct addrinfo *res = NULL, *p;
	bool ok = false;

	if (getaddrinfo(NULL, arg, NULL, &res) != 0)
		return false;
	for (p = res; p; p = p->ai_next) {
		if (p->ai_family == AF_INET6) {
			*port = ((const struct sockaddr_in6 *)p->ai_addr)->sin6_port;
			ok = true;
			break;
		}
		if (p->ai_family == AF_INET) {
			*port = ((const struct sockaddr_in *)p->ai_addr)->sin_port;
			ok = true;
			break;
		}
	}
	freeaddrinfo(res);
	return ok;
}

/* The port of TPROXY 2.0's revision, or the message */
static inline uint16_t tproxy_port(const struct tproxy_udata *u)
{
	/* without --on-port, libxtables says it is missing after this check */
	if (u->port_given && !u->port_ok)
		xtables_error(PARAMETER_PROBLEM,
			      "TPROXY: --on-port \"%s\" is not a port (0-65535) or a service name",
			      u->portarg);
	return u->port;
}

/* --on-ip ARG, before libxtables parses it as a host of the rule's
 * family: an address of the other family gets a message that says so
 * (libxtables' own would be getaddrinfo's).
 */
static inline void tproxy_check_family(const char *arg)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (afinfo->family == NFPROTO_IPV6 && inet_pton(AF_INET, arg, buf) == 1)
		xtables_error(PARAMETER_PROBLEM,
			      "TPROXY: --on-ip %s is an IPv4 address: ip6tables redirects IPv6 connections (iptables redirects IPv4 ones)",
			      arg);
	if (afinfo->family == NFPROTO_IPV4 && inet_pton(AF_INET6, arg, buf) == 1)
		xtables_error(PARAMETER_PROBLEM,
			      "TPROXY: --on-ip %s is an IPv6 address: iptables redirects IPv4 connections (ip6tables redirects IPv6 ones)",
			      arg);
}

/* One option of a rule; then the rule has the layout of TPROXY 2.0's
 * revision @rev2 (@rev2_info bytes) unless it is mainline's: a mark, or a
 * kernel without TPROXY 2.0 (!@has_v2).
 */
static inline void tproxy_parse(struct xt_option_call *cb, bool has_v2,
				uint8_t rev2, size_t rev2_info)
{
	struct tproxy_udata *u = cb->udata;
	bool v1;

	if (cb->entry->id == O_ON_IP)
		tproxy_check_family(cb->arg);
	xtables_option_parse(cb);
	switch (cb->entry->id) {
	case O_ON_PORT:
		snprintf(u->portarg, sizeof(u->portarg), "%s", cb->arg);
		u->port_given = true;
		u->port_ok = tproxy_parse_port(cb->arg, &u->port);
		u->v1port_ok = tproxy_parse_port_v1(cb->arg, &u->v1port);
		break;
	case O_ON_IP:
		u->addr = cb->val.haddr;
		break;
	case O_MARK:
		u->mark = cb->val.mark;
		u->mask = cb->val.mask;
		u->mainline = true;
		break;
	}
	v1 = u->mainline || !has_v2;
	tproxy_set_revision(cb->target, v1 ? TPROXY_V1_REVISION : rev2,
			    v1 ? sizeof(struct xt_tproxy_target_info_v1) : rev2_info);
}

static inline const char *tproxy_addr(const union nf_inet_addr *a)
{
	return afinfo->family == NFPROTO_IPV6 ? xtables_ip6addr_to_numeric(&a->in6) :
						xtables_ipaddr_to_numeric(&a->in);
}

/* Mainline's revision: its rule data, and how the system's libxt_TPROXY.so
 * prints and saves it.
 */
static inline void tproxy_v1_check(void *data, const struct tproxy_udata *u)
{
	struct xt_tproxy_target_info_v1 *info = data;

	/* iptables 1.8.9's own message */
	if (u->port_given && !u->v1port_ok)
		xtables_error(PARAMETER_PROBLEM, "Port \"%s\" does not resolve to anything.",
			      u->portarg);
	info->lport = u->v1port;
	info->laddr = u->addr;
	info->mark_value = u->mark;
	info->mark_mask = u->mask;
}

static inline void tproxy_v1_print(const struct xt_entry_target *t)
{
	const struct xt_tproxy_target_info_v1 *info = (const void *)t->data;

	printf(" TPROXY redirect %s:%u mark 0x%x/0x%x", tproxy_addr(&info->laddr),
	       ntohs(info->lport), info->mark_value, info->mark_mask);
}

static inline void tproxy_v1_save(const struct xt_entry_target *t)
{
	const struct xt_tproxy_target_info_v1 *info = (const void *)t->data;

	printf(" --on-port %u --on-ip %s --tproxy-mark 0x%x/0x%x",
	       ntohs(info->lport), tproxy_addr(&info->laddr),
	       info->mark_value, info->mark_mask);
}

/* Register @v2 (TPROXY 2.0) and @v1 (mainline's) of one family, or @v1
 * alone on a kernel without TPROXY 2.0, as the system's libxt_TPROXY.so
 * would.  Returns whether the kernel has revision 2.
 *
 * libxtables lists only the best revision the kernel supports of the
 * extensions registered at one time, and prints rules of any other
 * revision as "[unsupported revision]".  Registering the second revision
 * after the first was taken lists both, so that tproxy and mangle rules
 * both print.
 */
static inline bool tproxy_register(struct xtables_target *v2,
				   struct xtables_target *v1)
{
	if (!xtables_compatible_revision("TPROXY", v2->revision,
					 afinfo->so_rev_target)) {
		xtables_register_target(v1);
		return false;
	}
	xtables_register_target(v2);
	xtables_find_target("TPROXY", XTF_DONT_LOAD);
	xtables_register_target(v1);
	xtables_find_target("TPROXY", XTF_DONT_LOAD);
	return true;
}

#endif /* TPROXY_XT_H */
