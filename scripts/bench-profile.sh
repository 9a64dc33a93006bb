#!/bin/sh
# bench-profile.sh DIR: the profiles make bench recorded (DIR/NAME.data,
# scripts/bench.sh) as text: a summary line per profile, then each one's
# top functions.  "[.]" is the guest kernel (the UML binary's symbols),
# "[k]" the host kernel working for it (UML's traps and switches).
# TPROXY 2.0's share is that of the symbols named *tproxy2* (its static
# functions may be inlined into them, never into other code).
set -u
dir=$1
TOP=${TPT_PROF_TOP:-15}

what() {
	case $1 in
	rr-a) echo "new connections, tproxy table + IP_TPROXY" ;;
	rr-b) echo "new connections, mainline TPROXY (v4)" ;;
	rr-c) echo "new connections, nat REDIRECT" ;;
	rr-n) echo "new connections, nft tproxy2 + IP_TPROXY" ;;
	rr-a6) echo "new connections, IPv6 tproxy table + IPV6_TPROXY" ;;
	rr-b6) echo "new connections, IPv6 mainline TPROXY" ;;
	rr-c6) echo "new connections, IPv6 nat REDIRECT" ;;
	rr-n6) echo "new connections, IPv6 nft tproxy2 + IPV6_TPROXY" ;;
	setup-tproxy2) echo "socket, bind, ASSIGN, FLAGS, close" ;;
	setup-v4) echo "socket, IP_TRANSPARENT, bind, close" ;;
	setup-plain) echo "socket, bind, close" ;;
	setup6-tproxy2) echo "IPv6: socket, bind, ASSIGN, FLAGS, close" ;;
	setup6-v4) echo "IPv6: socket, IPV6_TRANSPARENT, bind, close" ;;
	setup6-plain) echo "IPv6: socket, bind, close" ;;
	syscall) echo "getppid() in a loop" ;;
	*) echo "$1" ;;
	esac
}

report() {
	perf report -i "$1" --stdio --no-children --sort sym -q 2>/dev/null
}

printf "%-16s %-48s %8s %7s %7s %8s\n" profile what samples "guest%" "host%" "tproxy2%"
for f in "$dir"/*.data; do
	[ -f "$f" ] || continue
	n=${f##*/}
	n=${n%.data}
	samples=$(perf script -i "$f" -F ip 2>/dev/null | wc -l)
	report "$f" | awk -v n="$n" -v w="$(what "$n")" -v s="$samples" '
		{ p = $1; sub("%", "", p) }
		$2 == "[.]" { g += p }
		$2 == "[k]" { h += p }
		$3 ~ /tproxy2/ { t += p }
		END { printf "%-16s %-48s %8d %7.1f %7.1f %8.2f\n", n, w, s, g, h, t }'
done
for f in "$dir"/*.data; do
	[ -f "$f" ] || continue
	n=${f##*/}
	n=${n%.data}
	echo
	echo "== $n: $(what "$n")"
	report "$f" | head -n "$TOP"
	echo "   TPROXY 2.0's functions:"
	report "$f" | awk '$3 ~ /tproxy2/' | head -n 8
done
