#!/bin/sh
# mkman.sh OUT TARGET.man MATCH.man: a standalone page from the extensions'
# man fragments (iptables' own format, merged into iptables-extensions(8)
# when built with iptables).
set -eu
out=$1 target=$2 match=$3
{
	printf '%s\n' '.TH IPTABLES-TPROXY2 8 "2026" "tproxy2" "iptables extensions"'
	printf '%s\n' '.SH NAME'
	printf '%s\n' 'iptables-tproxy2 \- the TPROXY target and the tproxy match of TPROXY 2.0'
	printf '%s\n' '.SH SYNOPSIS'
	printf '%s\n' '\fBiptables\-legacy \-t tproxy\fP ... \fB\-j TPROXY \-\-on\-port\fP \fIport\fP [\fB\-\-on\-ip\fP \fIaddress\fP]'
	printf '%s\n' '.br'
	printf '%s\n' '\fBiptables\-legacy\fP ... \fB\-m tproxy\fP [[\fB!\fP] \fB\-\-tproxied\fP] [[\fB!\fP] \fB\-\-sockref\fP]'
	printf '%s\n' '.SH TARGET'
	printf '%s\n' '.SS TPROXY'
	cat "$target"
	printf '%s\n' '.SH MATCH'
	printf '%s\n' '.SS tproxy'
	cat "$match"
	printf '%s\n' '.SH FILES'
	printf '%s\n' 'The extensions are \fIlibipt_TPROXY.so\fP and \fIlibipt_tproxy.so\fP in the xtables'
	printf '%s\n' 'directory.  libxtables loads \fIlibxt_TPROXY.so\fP first: \fBmake install\fP puts'
	printf '%s\n' '\fIlibipt_TPROXY.so\fP there under that name too (it also speaks mainline'\''s'
	printf '%s\n' 'TPROXY, IPv4 and IPv6), and diverts the system'\''s file to'
	printf '%s\n' '\fIlibxt_TPROXY.so.distrib\fP with \fBdpkg\-divert\fP(1); \fBmake uninstall\fP puts it'
	printf '%s\n' 'back.'
	printf '%s\n' '.SH SEE ALSO'
	printf '%s\n' '.BR ip_tproxy (7),'
	printf '%s\n' '.BR tproxy\-relay (8),'
	printf '%s\n' '.BR iptables\-extensions (8)'
} >"$out"
