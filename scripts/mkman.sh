#!/bin/sh
# mkman.sh OUT TARGET.man TARGET6.man MATCH.man MATCH6.man: a standalone
# page from the extensions' man fragments (iptables' own format, merged
# into iptables-extensions(8) when built with iptables); each IPv6 fragment
# follows its IPv4 one.
set -eu
out=$1 target=$2 target6=$3 match=$4 match6=$5
{
	printf '%s\n' '.TH IPTABLES-TPROXY2 8 "2026" "tproxy2" "iptables extensions"'
	printf '%s\n' '.SH NAME'
	printf '%s\n' 'iptables-tproxy2 \- the TPROXY target and the tproxy match of TPROXY 2.0'
	printf '%s\n' '.SH SYNOPSIS'
	printf '%s\n' '\fBiptables\-legacy \-t tproxy\fP ... \fB\-j TPROXY \-\-on\-port\fP \fIport\fP [\fB\-\-on\-ip\fP \fIaddress\fP]'
	printf '%s\n' '.br'
	printf '%s\n' '\fBip6tables\-legacy \-t tproxy\fP ... \fB\-j TPROXY \-\-on\-port\fP \fIport\fP [\fB\-\-on\-ip\fP \fIaddress6\fP]'
	printf '%s\n' '.br'
	printf '%s\n' '\fBiptables\-legacy\fP | \fBip6tables\-legacy\fP ... \fB\-m tproxy\fP [[\fB!\fP] \fB\-\-tproxied\fP] [[\fB!\fP] \fB\-\-sockref\fP]'
	printf '%s\n' '.SH TARGET'
	printf '%s\n' '.SS TPROXY'
	cat "$target"
	printf '%s\n' '.SS TPROXY (IPv6)'
	cat "$target6"
	printf '%s\n' '.SH MATCH'
	printf '%s\n' '.SS tproxy'
	cat "$match"
	printf '%s\n' '.SS tproxy (IPv6)'
	cat "$match6"
	printf '%s\n' '.SH FILES'
	printf '%s\n' 'The extensions are \fIlibipt_TPROXY.so\fP, \fIlibip6t_TPROXY.so\fP, \fIlibipt_tproxy.so\fP'
	printf '%s\n' 'and \fIlibip6t_tproxy.so\fP in the xtables directory.  libxtables loads'
	printf '%s\n' '\fIlibxt_TPROXY.so\fP first, for both families: \fBmake install\fP puts the two'
	printf '%s\n' 'TPROXY extensions there in one file under that name (they also speak mainline'\''s'
	printf '%s\n' 'TPROXY, IPv4 and IPv6), and diverts the system'\''s file to'
	printf '%s\n' '\fIlibxt_TPROXY.so.distrib\fP with \fBdpkg\-divert\fP(1); \fBmake uninstall\fP puts it'
	printf '%s\n' 'back.'
	printf '%s\n' '.SH SEE ALSO'
	printf '%s\n' '.BR ip_tproxy (7),'
	printf '%s\n' '.BR tproxy\-relay (8),'
	printf '%s\n' '.BR iptables\-extensions (8)'
} >"$out"
