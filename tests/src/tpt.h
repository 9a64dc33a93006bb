/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the tproxy2 test programs. */
#ifndef TPT_H
#define TPT_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#include "tproxy2-sockopt.h"

/* An address of either family (the family is sa.sa_family) */
union tpt_sa {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr_storage ss;
};

/* Print "msg: strerror" and exit 2 (a test program's setup failed). */
void tpt_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Parse "a.b.c.d:port" (port may be omitted when defport >= 0); IPv4 only. */
void tpt_parse_addr(const char *s, struct sockaddr_in *sin, int defport);
/* Parse "a.b.c.d:port" or "[v6]:port" (the port may be omitted when
 * defport >= 0: "a.b.c.d", "[v6]" or a bare "v6").
 */
void tpt_parse(const char *s, union tpt_sa *a, int defport);
/* "a.b.c.d:port" (AF_INET) or "[v6]:port" (AF_INET6; a v4-mapped address as
 * "[::ffff:a.b.c.d]:port") in a static buffer, one of four.
 */
const char *tpt_fmt(const void *sa);
/* The length of a sockaddr of sa's family */
socklen_t tpt_salen(const void *sa);
/* Is sa an AF_INET6 address of the v4-mapped kind? */
int tpt_is_mapped(const void *sa);
/* The IPv4 address of a v4-mapped AF_INET6 one (other addresses are copied) */
void tpt_unmap(union tpt_sa *a);
/* The wildcard address (port 0) of a family */
void tpt_any(union tpt_sa *a, int family);
/* The original destination of an accepted TCP connection that NAT
 * redirected: SO_ORIGINAL_DST for AF_INET and v4-mapped sockets,
 * IP6T_SO_ORIGINAL_DST for IPv6 ones.  0 or -1 with errno.
 */
int tpt_orig_dst(int fd, union tpt_sa *orig);
/* Relay both ways between a and b until both sides closed. */
void tpt_relay(int a, int b);
/* Read until newline or EOF; returns length (without NUL), -1 on error. */
ssize_t tpt_read_line(int fd, char *buf, size_t len);
int tpt_write_all(int fd, const void *buf, size_t len);
/* Connect to a sockaddr of either family with a timeout in seconds;
 * returns 0 or -errno.
 */
int tpt_connect(int fd, const void *dst, int timeout);

/*
 * The TPROXY calls for either family.  The level is the foreign address's:
 * an AF_INET address goes through IP_TPROXY (struct in_tproxy), an AF_INET6
 * one (v4-mapped too) through IPV6_TPROXY (struct in6_tproxy).  The calls
 * without an address take the level: SOL_IP or SOL_IPV6.  0 or -1 with errno.
 */
int tpt_tproxy_assign(int fd, const union tpt_sa *faddr);
int tpt_tproxy_connect(int fd, const union tpt_sa *raddr);
/* QUERY at level: *faddr comes back AF_INET (SOL_IP) or AF_INET6 */
int tpt_tproxy_query(int fd, int level, union tpt_sa *faddr);
/* VERSION, FLAGS, UNASSIGN, ALLOC: one word (or none) */
int tpt_tproxy_set_word(int fd, int level, __u32 op, __u32 word);
int tpt_tproxy_get_word(int fd, int level, __u32 op, __u32 *word);
/* The level of a socket's own family */
int tpt_sock_level(int fd);

#endif
