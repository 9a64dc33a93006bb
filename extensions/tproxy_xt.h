/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What libipt_TPROXY.c and libip6t_TPROXY.c share: each registers TPROXY
 * 2.0's revision 2 (the tproxy table) and mainline's revision 1 (the
 * mangle table) of its family, and a rule takes the layout of one or the
 * other once its options are parsed.
 */
#ifndef TPROXY_XT_H
#define TPROXY_XT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
/* for afinfo, as the extensions shipped with iptables have it */
#ifndef XTABLES_INTERNAL
#define XTABLES_INTERNAL
#endif
#include <xtables.h>

/* mainline's revision, xt_TPROXY's struct xt_tproxy_target_info_v1 */
#define TPROXY_V1_REVISION	1

enum {
	O_ON_PORT = 0,
	O_ON_IP,
	O_MARK,
};

/* The options of both revisions: --tproxy-mark makes a rule mainline's. */
#define TPROXY_TG_OPTS { \
	{.name = "on-port", .id = O_ON_PORT, .type = XTTYPE_STRING, \
	 .flags = XTOPT_MAND}, \
	{.name = "on-ip", .id = O_ON_IP, .type = XTTYPE_HOST}, \
	{.name = "tproxy-mark", .id = O_MARK, .type = XTTYPE_MARKMASK32}, \
	XTOPT_TABLEEND, \
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

/* A number from 0 to 65535 or a service name, in network order;
 * libxtables' XTTYPE_PORT silently takes numbers modulo 65536.
 */
static inline uint16_t tproxy_parse_port(const char *arg)
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

/* --on-ip ARG, before libxtables parses it as a host of @family: an
 * address of the other family gets a message that says so (libxtables'
 * own would be getaddrinfo's).
 */
static inline void tproxy_check_family(const char *arg, int family)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (family == NFPROTO_IPV6 && inet_pton(AF_INET, arg, buf) == 1)
		xtables_error(PARAMETER_PROBLEM,
			      "TPROXY: --on-ip %s is an IPv4 address: ip6tables redirects IPv6 connections (iptables redirects IPv4 ones)",
			      arg);
	if (family == NFPROTO_IPV4 && inet_pton(AF_INET6, arg, buf) == 1)
		xtables_error(PARAMETER_PROBLEM,
			      "TPROXY: --on-ip %s is an IPv6 address: iptables redirects IPv4 connections (ip6tables redirects IPv6 ones)",
			      arg);
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
