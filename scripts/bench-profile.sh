#!/bin/sh
# bench-profile.sh DIR JSON SECONDS: the profiles make bench recorded
# (DIR/NAME.data, SECONDS each, scripts/bench.sh) as text, with the run's
# medians (JSON, bench.json) to turn shares into time per operation.
# First a line per profile, then each one's top functions: overall, the
# guest kernel's alone, and TPROXY 2.0's.
#  - Only the UML kernel process counts (the pid with the most samples; a
#    recording without --no-inherit also has the guest's processes).
#  - The guest kernel is the UML binary (dso "linux"); "[k]" is the host
#    kernel working for it (UML's system call traps, page faults and
#    switches); the rest is UML's own libc calls (ptrace, wait4).
#  - TPROXY 2.0's share is that of the guest's symbols named *tproxy2*
#    (its static functions may be inlined into them, never into other
#    code).  The NAT and conntrack work it asks for (the server side's
#    translation, say) is netfilter's, in the guest column.
#  - An operation is a connection (rr-*: the median rate of its setup), one
#    round of the proxy's socket work (setup*: its median time) or one
#    system call; the rate while perf records is taken to be the median's.
set -u
dir=$1 json=$2 seconds=$3
TOP=${TPT_PROF_TOP:-10}

what() {
	case $1 in
	rr-a) echo "new connections, tproxy table + IP_TPROXY" ;;
	rr-b) echo "new connections, mainline TPROXY (v4)" ;;
	rr-c) echo "new connections, nat REDIRECT" ;;
	rr-n) echo "new connections, nft tproxy2 + IP_TPROXY" ;;
	rr-a6) echo "IPv6 new connections, tproxy table + IPV6_TPROXY" ;;
	rr-b6) echo "IPv6 new connections, mainline TPROXY" ;;
	rr-c6) echo "IPv6 new connections, nat REDIRECT" ;;
	rr-n6) echo "IPv6 new connections, nft tproxy2 + IPV6_TPROXY" ;;
	setup-tproxy2) echo "socket, bind, ASSIGN, FLAGS, close" ;;
	setup-v4) echo "socket, IP_TRANSPARENT, bind, close" ;;
	setup-plain) echo "socket, bind, close" ;;
	setup6-tproxy2) echo "IPv6 socket, bind, ASSIGN, FLAGS, close" ;;
	setup6-v4) echo "IPv6 socket, IPV6_TRANSPARENT, bind, close" ;;
	setup6-plain) echo "IPv6 socket, bind, close" ;;
	syscall) echo "getppid() in a loop" ;;
	*) echo "$1" ;;
	esac
}

# median KEY FIELD: a number of bench.json's medians
median() {
	sed -n "s/^ *\"$1\": {.*\"$2\": \([0-9.]*\).*/\1/p" "$json" | head -n 1
}

# the median time of one operation of profile $1, in µs
op_us() {
	case $1 in
	rr-a) r=$(median conns_per_s tproxy2) ;;
	rr-b) r=$(median conns_per_s v4) ;;
	rr-c) r=$(median conns_per_s redirect) ;;
	rr-n) r=$(median nft_conns_per_s ipv4) ;;
	rr-a6) r=$(median ipv6_conns_per_s tproxy2) ;;
	rr-b6) r=$(median ipv6_conns_per_s mainline) ;;
	rr-c6) r=$(median ipv6_conns_per_s redirect) ;;
	rr-n6) r=$(median nft_conns_per_s ipv6) ;;
	setup-plain) median proxy_socket_setup_us redirect; return ;;
	setup-*) median proxy_socket_setup_us "${1#setup-}"; return ;;
	setup6-plain) median ipv6_proxy_socket_setup_us redirect; return ;;
	setup6-v4) median ipv6_proxy_socket_setup_us mainline; return ;;
	setup6-*) median ipv6_proxy_socket_setup_us "${1#setup6-}"; return ;;
	syscall) sed -n 's/^ *"syscall_us": \([0-9.]*\).*/\1/p' "$json"; return ;;
	*) return ;;
	esac
	awk -v r="$r" 'BEGIN { if (r > 0) printf "%.1f", 1e6 / r }'
}

# the UML kernel's pid in recording $1
uml_pid() {
	perf script -i "$1" -F pid 2>/dev/null | sort | uniq -c | sort -rn |
		awk 'NR == 1 { print $2 }'
}

# report FILE: "PERCENT DSO [.]|[k] SYMBOL" lines of the UML kernel process
report() {
	perf report -i "$1" --pid "$(uml_pid "$1")" --stdio --no-children \
		--sort dso,sym -q 2>/dev/null
}

echo "Per operation, in µs: its median time (op); the UML kernel process's CPU"
echo "time (cpu), of which in the guest kernel (guest) and in TPROXY 2.0's own"
echo "functions (tproxy2)."
echo
printf "%-15s %-48s %8s %8s %8s %8s\n" profile operation "op" cpu guest tproxy2
for f in "$dir"/*.data; do
	[ -f "$f" ] || continue
	n=${f##*/}
	n=${n%.data}
	pid=$(uml_pid "$f")
	# the CPU time the UML kernel process's samples stand for (µs)
	cpu=$(perf script -i "$f" -F pid,period 2>/dev/null |
		awk -v p="$pid" '$1 == p { s += $2 } END { printf "%.0f", s / 1000 }')
	report "$f" | awk -v n="$n" -v w="$(what "$n")" -v op="$(op_us "$n")" \
		-v cpu="$cpu" -v secs="$seconds" '
		{ p = $1; sub("%", "", p) }
		$2 == "linux" { g += p }
		$2 == "linux" && $4 ~ /tproxy2/ { t += p }
		END {
			ops = (op > 0) ? secs * 1e6 / op : 0
			c = (ops > 0) ? cpu / ops : 0
			printf "%-15s %-48s %8.1f %8.1f %8.1f %8.2f\n", n, w, op, c, c * g / 100, c * t / 100
		}'
done
for f in "$dir"/*.data; do
	[ -f "$f" ] || continue
	n=${f##*/}
	n=${n%.data}
	echo
	echo "== $n: $(what "$n")"
	report "$f" | head -n "$TOP"
	echo "   the guest kernel's:"
	report "$f" | awk '$2 == "linux"' | head -n "$TOP"
	echo "   TPROXY 2.0's:"
	report "$f" | awk '$2 == "linux" && $4 ~ /tproxy2/' | head -n 8
done
