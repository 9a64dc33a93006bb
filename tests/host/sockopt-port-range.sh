#!/bin/sh
# Ports in the tools' address parsers (tools/tproxy2-sockopt.c) have a
# range: itp_parse_addr() (IPv4, the test programs) and itp_parse_sockaddr()
# take 0 to 65535 in decimal and nothing else (":70000" was 4464 through
# atoi(), ":80x" was 80).
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
cc -Wall -Wextra -Werror -I"$top/include/uapi" -I"$top/tools" -o "$tmp/t" "$tmp/t.c" \
	"$top/tools/tproxy2-sockopt.c" || fail "does not compile"
"$tmp/t" 1.2.3.4:80 1.2.3.4:0 1.2.3.4:65535 1.2.3.4:070 1.2.3.4 1.2.3.4:70000 1.2.3.4:65536 \
	1.2.3.4:-1 1.2.3.4:80x "1.2.3.4: 80" 1.2.3.4:+80 1.2.3.4:0x50 1.2.3.4: \
	1.2.3.4:99999999999999999999 >"$tmp/out"
cat "$tmp/out"
cat >"$tmp/want" <<'W'
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
diff -u "$tmp/want" "$tmp/out" || fail "a port out of range or malformed was taken"
echo ok
