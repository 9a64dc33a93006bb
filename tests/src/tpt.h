/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the tproxy2 test programs. */
#ifndef TPT_H
#define TPT_H

#include <netinet/in.h>
#include <stddef.h>

#include "tproxy2-sockopt.h"

/* Print "msg: strerror" and exit 2 (a test program's setup failed). */
void tpt_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Parse "a.b.c.d:port" (port may be omitted when defport >= 0). */
void tpt_parse_addr(const char *s, struct sockaddr_in *sin, int defport);
/* "a.b.c.d:port" in a static buffer (one of two, so two may be printed at once). */
const char *tpt_fmt(const struct sockaddr_in *sin);
/* Relay both ways between a and b until both sides closed. */
void tpt_relay(int a, int b);
/* Read until newline or EOF; returns length (without NUL), -1 on error. */
ssize_t tpt_read_line(int fd, char *buf, size_t len);
int tpt_write_all(int fd, const void *buf, size_t len);
/* Connect with a timeout in seconds; returns 0 or -errno. */
int tpt_connect(int fd, const struct sockaddr_in *dst, int timeout);

#endif
