#!/bin/sh
# The shared address parser and formatter of tools/tproxy2-sockopt.c (the
# relay, the test programs and the bench use them): a.b.c.d:port and
# [v6]:port in, the same out; a default port; v4-mapped addresses mapped
# and unmapped; bad input refused; ports from 0 to 65535, in decimal.
set -u
top=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cat >"$tmp/t.c" <<'C'
#include "tproxy2-sockopt.h"
#include <stdio.h>

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		struct sockaddr_storage ss;

		if (itp_parse_sockaddr(argv[i], &ss, 7)) {
			printf("%s bad\n", argv[i]);
			continue;
		}
		printf("%s %s len=%u", argv[i], itp_fmt_sockaddr(&ss),
		       (unsigned int)itp_sockaddr_len(&ss));
		itp_sockaddr_unmap(&ss);
		printf(" unmapped=%s", itp_fmt_sockaddr(&ss));
		itp_sockaddr_map(&ss);
		printf(" mapped=%s\n", itp_fmt_sockaddr(&ss));
	}
	return 0;
}
C
cc -Wall -Wextra -Werror -I"$top/include/uapi" -I"$top/tools" -o "$tmp/t" "$tmp/t.c" \
	"$top/tools/tproxy2-sockopt.c" || fail "does not compile"
"$tmp/t" 192.0.2.2:80 "[2001:db8:1::2]:3128" "[::ffff:192.0.2.2]:53" 2001:db8::1 "[::]" \
	198.51.100.2 1.2.3.4:65536 1.2.3.4: "[::1]x" "[::1]:" "[::1" x:1 1.2.3.4:-1 "" >"$tmp/out"
cat "$tmp/out"
cat >"$tmp/want" <<'W'
192.0.2.2:80 192.0.2.2:80 len=16 unmapped=192.0.2.2:80 mapped=[::ffff:192.0.2.2]:80
[2001:db8:1::2]:3128 [2001:db8:1::2]:3128 len=28 unmapped=[2001:db8:1::2]:3128 mapped=[2001:db8:1::2]:3128
[::ffff:192.0.2.2]:53 [::ffff:192.0.2.2]:53 len=28 unmapped=192.0.2.2:53 mapped=[::ffff:192.0.2.2]:53
2001:db8::1 [2001:db8::1]:7 len=28 unmapped=[2001:db8::1]:7 mapped=[2001:db8::1]:7
[::] [::]:7 len=28 unmapped=[::]:7 mapped=[::]:7
198.51.100.2 198.51.100.2:7 len=16 unmapped=198.51.100.2:7 mapped=[::ffff:198.51.100.2]:7
1.2.3.4:65536 bad
1.2.3.4: bad
[::1]x bad
[::1]: bad
[::1 bad
x:1 bad
1.2.3.4:-1 bad
 bad
W
diff -u "$tmp/want" "$tmp/out" || fail "parsed or formatted wrong"

# Ports have a range in both parsers: itp_parse_addr() (IPv4, the test
# programs) and itp_parse_sockaddr() take 0 to 65535 in decimal and nothing
# else (":70000" was 4464 through atoi(), ":80x" was 80).
cat >"$tmp/p.c" <<'C'
#include "tproxy2-sockopt.h"
#include <stdio.h>

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		struct sockaddr_storage ss;
		struct sockaddr_in sin;

		if (itp_parse_addr(argv[i], &sin, 7))
			printf("'%s' addr=bad", argv[i]);
		else
			printf("'%s' addr=%s", argv[i], itp_fmt_addr(&sin));
		if (itp_parse_sockaddr(argv[i], &ss, 7))
			printf(" sockaddr=bad\n");
		else
			printf(" sockaddr=%s\n", itp_fmt_sockaddr(&ss));
	}
	return 0;
}
C
cc -Wall -Wextra -Werror -I"$top/include/uapi" -I"$top/tools" -o "$tmp/p" "$tmp/p.c" \
	"$top/tools/tproxy2-sockopt.c" || fail "does not compile"
"$tmp/p" 1.2.3.4:80 1.2.3.4:0 1.2.3.4:65535 1.2.3.4:070 1.2.3.4 1.2.3.4:70000 1.2.3.4:65536 \
	1.2.3.4:-1 1.2.3.4:80x "1.2.3.4: 80" 1.2.3.4:+80 1.2.3.4:0x50 1.2.3.4: \
	1.2.3.4:99999999999999999999 >"$tmp/pout"
cat "$tmp/pout"
cat >"$tmp/pwant" <<'W'
'1.2.3.4:80' addr=1.2.3.4:80 sockaddr=1.2.3.4:80
'1.2.3.4:0' addr=1.2.3.4:0 sockaddr=1.2.3.4:0
'1.2.3.4:65535' addr=1.2.3.4:65535 sockaddr=1.2.3.4:65535
'1.2.3.4:070' addr=1.2.3.4:70 sockaddr=1.2.3.4:70
'1.2.3.4' addr=1.2.3.4:7 sockaddr=1.2.3.4:7
'1.2.3.4:70000' addr=bad sockaddr=bad
'1.2.3.4:65536' addr=bad sockaddr=bad
'1.2.3.4:-1' addr=bad sockaddr=bad
'1.2.3.4:80x' addr=bad sockaddr=bad
'1.2.3.4: 80' addr=bad sockaddr=bad
'1.2.3.4:+80' addr=bad sockaddr=bad
'1.2.3.4:0x50' addr=bad sockaddr=bad
'1.2.3.4:' addr=bad sockaddr=bad
'1.2.3.4:99999999999999999999' addr=bad sockaddr=bad
W
diff -u "$tmp/pwant" "$tmp/pout" || fail "a port out of range or malformed was taken"
