#!/bin/sh
# mkman.sh OUT TARGET.man MATCH.man: a standalone page from the extensions'
# man fragments (iptables' own format, merged into iptables-extensions(8)
# when built with iptables).
set -eu
out=$1 target=$2 match=$3
{
	echo '.TH IPTABLES-TPROXY2 8 "2026" "tproxy2" "iptables extensions"'
	echo '.SH NAME'
	echo 'iptables-tproxy2 \- the TPROXY target and the tproxy match of TPROXY 2.0'
	echo '.SH SYNOPSIS'
	echo '\fBiptables\-legacy \-t tproxy\fP ... \fB\-j TPROXY \-\-on\-port\fP \fIport\fP [\fB\-\-on\-ip\fP \fIaddress\fP]'
	echo '.br'
	echo '\fBiptables\-legacy\fP ... \fB\-m tproxy\fP [[\fB!\fP] \fB\-\-tproxied\fP] [[\fB!\fP] \fB\-\-sockref\fP]'
	echo '.SH TARGET'
	echo '.SS TPROXY'
	cat "$target"
	echo '.SH MATCH'
	echo '.SS tproxy'
	cat "$match"
	echo '.SH FILES'
	echo 'The extensions are \fIlibipt_TPROXY.so\fP and \fIlibipt_tproxy.so\fP.  Where the'
	echo 'xtables directory also holds \fIlibxt_TPROXY.so\fP, put'
	echo '\fI/usr/local/lib/xtables\-tproxy2\fP first in \fBXTABLES_LIBDIR\fP.'
	echo '.SH SEE ALSO'
	echo '.BR ip_tproxy (7),'
	echo '.BR tproxy\-relay (8),'
	echo '.BR iptables\-extensions (8)'
} >"$out"
