#!/bin/sh
# make bench, inside the non-debug UML kernel: the figures P1-P8 of
# issues 7 and 14, and P1 and P3 over IPv6 (issue 16), as medians over
# rounds, in one boot.  Setups, interleaved
# a b c d, b c d a, ... so that drift hits all alike:
#   a  tproxy2: the tproxy table redirects, the proxy connects from the
#      client's address with IP_TPROXY
#   b  mainline TPROXY v4: mangle TPROXY + IP_TRANSPARENT, -m socket and a
#      policy route for the replies
#   c  nat REDIRECT and a plain connect
#   d  no proxy
#   n  tproxy2 with nft: the tproxy2 statement in an inet nat chain instead
#      of the tproxy table (the same proxy)
# and the same four for IPv6 (a6 b6 c6 d6 n6: ip6tables' tables, IPV6_TPROXY,
# mainline TPROXY with IPV6_TRANSPARENT, REDIRECT, nft), in the same rounds, for
# P1 and P3 over IPv6.
# The same proxy program (tpt-bench proxy) serves a-c and a6-c6: it listens
# in both families.
# Besides: one system call's cost (syscall_us), the unit of P10 (the proxy's
# socket work, tproxy2 less v4) and of P1's gap; and, when the host runs perf
# (TPT_BENCH_PROFILE), a profile of each setup at the end (profile()).
. ../lib.sh
B=$TPT_TOP/build/bin/tpt-bench
ROUNDS=${TPT_BENCH_ROUNDS:-8}
RR_SECONDS=3
BULK_SECONDS=3
CONC=16
OUT=$(dirname "$TPT_RESULTS")/bench.json
RAW=$T/raw

setup_topology
for ns in $C $R $S; do
	ip netns exec $ns sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
	ip netns exec $ns sysctl -qw net.ipv4.tcp_tw_reuse=1
	# without timestamps a server in TIME_WAIT takes a new SYN from a port
	# that another setup's connection used: no 1 s SYN retries
	ip netns exec $ns sysctl -qw net.ipv4.tcp_timestamps=0
	ip netns exec $ns sysctl -qw net.core.somaxconn=4096
	ip netns exec $ns sysctl -qw net.ipv4.tcp_max_syn_backlog=4096
	# No TIME_WAIT sockets.  Without timestamps tcp_tw_reuse does nothing:
	# a minute of them (tens of thousands) would fill the port range, and
	# every connect() would search longer for a free port than the one
	# before, a drift in every setup.  And the server's, left by setup d
	# (the client's own connections), would meet setup a's: tproxy2 gives
	# the proxy's connections the client's address, and a SYN whose
	# sequence number is below a TIME_WAIT socket's is answered with an
	# ACK, then a reset and a retry a second later.
	ip netns exec $ns sysctl -qw net.ipv4.tcp_max_tw_buckets=0
done
# the same for the router's conntracks of closed connections
in_r sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_time_wait=2
sysctl -qw net.netfilter.nf_conntrack_max=600000
sysctl -qw net.netfilter.nf_conntrack_buckets=262144
in_r sysctl -qw net.netfilter.nf_conntrack_udp_timeout=600
# v4's replies: a policy route delivers what -m socket marks
in_r ip rule add fwmark 1 lookup 100
in_r ip route add local 0.0.0.0/0 dev lo table 100
in_r ip -6 rule add fwmark 1 lookup 100
in_r ip -6 route add local ::/0 dev lo table 100

bg $S $T/srv $B server $SERVER_IP:80
bg $S $T/sink $B sink $SERVER_IP:81
bg $S $T/srv6 $B server "[$SERVER_IP6]:80"
bg $S $T/sink6 $B sink "[$SERVER_IP6]:81"
bg $R $T/p2 $B proxy tproxy2 3128
bg $R $T/p4 $B proxy v4 3129
bg $R $T/pr $B proxy redirect 3130
for p in 3128 3129 3130; do wait_listen $R $p; done
wait_listen $S 80
wait_listen $S 81

flush() {
	for x in ipt ip6t; do
		for t in tproxy mangle nat; do $x $R -t $t -F; done
		$x $R -t mangle -X 2>/dev/null
	done
	in_r "$NFT" delete table inet bench 2>/dev/null
}

setup() {
	flush
	# no setup inherits another's conntracks (mappings, half-closed
	# connections): each starts from an empty table
	in_r conntrack -F >/dev/null 2>&1
	in_r conntrack -F -f ipv6 >/dev/null 2>&1
	# a6-d6: the same rules in ip6tables
	x=ipt
	case $1 in *6) x=ip6t ;; esac
	case $1 in
	a|a6) $x $R -t tproxy -A PREROUTING -p tcp -m multiport --dports 80,81 \
		-j TPROXY --on-port 3128 ;;
	b|b6) $x $R -t mangle -N DIVERT
	   $x $R -t mangle -A DIVERT -j MARK --set-mark 1
	   $x $R -t mangle -A DIVERT -j ACCEPT
	   $x $R -t mangle -A PREROUTING -p tcp -m socket -j DIVERT
	   $x $R -t mangle -A PREROUTING -p tcp -m multiport --dports 80,81 \
		-j TPROXY --on-port 3129 --tproxy-mark 1 ;;
	c|c6) $x $R -t nat -A PREROUTING -p tcp -m multiport --dports 80,81 \
		-j REDIRECT --to-ports 3130 ;;
	n|n6) in_r "$NFT" -f - <<-RULES ;;
		table inet bench {
			chain pre {
				type nat hook prerouting priority dstnat - 30;
				tcp dport { 80, 81 } tproxy2 to :3128
			}
		}
		RULES
	d|d6) ;;
	esac
}

# server S PORT: the server's address:port for setup S
server() {
	case $1 in
	*6) echo "[$SERVER_IP6]:$2" ;;
	*) echo "$SERVER_IP:$2" ;;
	esac
}

# measure NAME CMD...: one figure, appended to $RAW as "NAME VALUE"
measure() {
	name=$1
	shift
	v=$("$@" | sed -n 's/^[a-z_]*=\([0-9.]*\).*/\1/p' | head -n 1)
	echo "$name ${v:-0}" >>"$RAW"
	echo "$name ${v:-0}"
}

median() {
	grep "^$1 " "$RAW" | cut -d' ' -f2 | sort -n |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# last NAME: the value last measured for NAME
last() {
	grep "^$1 " "$RAW" | tail -n 1 | cut -d' ' -f2
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "null" }'
}

SETUPS="a b c d n a6 b6 c6 d6 n6"
NSETUPS=10
log "warm-up"
for s in $SETUPS; do
	setup $s
	in_c $B rr "$(server $s 80)" 1 $CONC >/dev/null
done

for r in $(seq "$ROUNDS"); do
	log "round $r"
	echo "router conntracks $(in_r cat /proc/sys/net/netfilter/nf_conntrack_count)," \
		"client TIME_WAIT sockets $(in_c ss -Htan state time-wait | wc -l)"
	# each setup goes first in turn: no setup always follows the same one
	# (round r starts at the r-th of them and wraps around)
	k=$(( (r - 1) % NSETUPS ))
	order=$(echo $SETUPS $SETUPS | cut -d' ' -f$((k + 1))-$((k + NSETUPS)))
	for s in $order; do
		setup $s
		measure "rr_$s" in_c $B rr "$(server $s 80)" $RR_SECONDS $CONC
		measure "bulk_$s" in_c $B bulk "$(server $s 81)" $BULK_SECONDS
	done
	# P1's gap within the round: the time per connection of a less b (µs)
	for f in "" 6; do
		awk -v a="$(last rr_a$f)" -v b="$(last rr_b$f)" -v k="p1gap$f" \
		    'BEGIN { if (a > 0 && b > 0) printf "%s %.1f\n", k, 1e6 / a - 1e6 / b }' >>"$RAW"
	done
done

log "the proxy's socket work per connection, without the connection, and one system call by itself"
# Each setup goes first in turn, and each round's differences are taken
# within the round (P10: tproxy2 less v4, in that round's system calls):
# the medians of the differences, not the difference of the medians,
# which moved by half a system call between runs.
for r in 1 2 3 4 5 6; do
	case $((r % 3)) in
	1) order="tproxy2 v4 plain" ;;
	2) order="v4 plain tproxy2" ;;
	0) order="plain tproxy2 v4" ;;
	esac
	measure syscall in_r $B syscall 20000
	for m in $order; do
		measure "setup_$m" in_r $B setup 5000 $m $CLIENT_IP
		measure "setup6_$m" in_r $B setup 5000 $m $CLIENT_IP6
	done
	for f in setup setup6; do
		awk -v a="$(last ${f}_tproxy2)" -v b="$(last ${f}_v4)" -v s="$(last syscall)" \
			-v k="p10_$f" 'BEGIN { if (s > 0) printf "%s %.3f\n", k, (a - b) / s }' >>"$RAW"
	done
done

# idle_sockrefs N [FOREIGN]: N idle sockrefs in the router until stop_idle
idle_sockrefs() {
	bg $R $T/idle $B idle "$@"
	idle=$!
	for _ in $(seq 600); do grep -q ready $T/idle && break; sleep 0.1; done
	grep -q ready $T/idle || { cat $T/idle; fail "idle sockrefs"; }
}
stop_idle() {
	kill $idle
	wait $idle 2>/dev/null
}

log "P4: new connections with 10 and with 100000 idle sockrefs (setup a)"
setup a
for r in 1 2 3; do
	for n in 10 100000; do
		idle_sockrefs $n
		[ $n = 100000 ] && [ $r = 1 ] && {
			obj=$(cat /sys/kernel/slab/tproxy2_sockref/object_size)
			slab=$(cat /sys/kernel/slab/tproxy2_sockref/slab_size)
			echo "sockref: object_size $obj slab_size $slab"
		}
		measure "idle_$n" in_c $B rr $SERVER_IP:80 $RR_SECONDS $CONC
		stop_idle
	done
done

log "P4b: new connections with 10 and with 100000 sockrefs on the client's address (setup a)"
setup a
for r in 1 2 3; do
	for n in 10 100000; do
		idle_sockrefs $n $CLIENT_IP
		measure "shared_$n" in_c $B rr $SERVER_IP:80 $RR_SECONDS $CONC
		stop_idle
	done
done

log "P8: closing sockets without a sockref, beside 100000 sockrefs and none"
flush
for r in 1 2 3; do
	for n in 0 100000; do
		[ $n = 0 ] || idle_sockrefs $n
		# an address of its own: the idle sockrefs hold most ports of
		# 127.0.0.1 and .2, which a wildcard bind would need free
		measure "closeplain_$n" in_r $B closeplain 20000 127.200.0.1
		[ $n = 0 ] || stop_idle
	done
done

log "P7: ALLOC beside 1000 and 1000000 conntracks, in their namespace and in another"
flush
OTHER=ot$$
EXTRA_NS=$OTHER
ip netns add $OTHER
ip -n $OTHER link set lo up
sysctl -qw net.netfilter.nf_conntrack_max=1200000
in_r ip route add 203.0.113.0/24 via $SERVER_IP
ipt $R -A FORWARD -m conntrack --ctstate NEW -j ACCEPT
for n in 1000 1000000; do
	in_r conntrack -F >/dev/null 2>&1
	in_c $B fill $n 203.0.113.0
	echo "conntracks: $(in_r cat /proc/sys/net/netfilter/nf_conntrack_count)"
	for r in 1 2 3; do
		measure "alloc_own_$n" in_r $B alloc 2000 $CLIENT_IP
		measure "alloc_other_$n" ip netns exec $OTHER $B alloc 2000 $CLIENT_IP
		# the same calls without ALLOC: what a big table costs the rest
		measure "noalloc_own_$n" in_r $B noalloc 2000 $CLIENT_IP
	done
done
in_r conntrack -F >/dev/null 2>&1
ipt $R -F FORWARD

log "P5: closing 1000 sockets that own conntracks, beside 1000 and 200000 others"
flush
for r in 1 2 3; do
	for n in 1000 200000; do
		in_r conntrack -F >/dev/null 2>&1
		in_c $B fill $n 198.51.100.0
		echo "conntracks: $(in_r cat /proc/sys/net/netfilter/nf_conntrack_count)"
		measure "close_$n" in_r $B close 1000 $SERVER_IP:9 $CLIENT_IP
		sleep 1.5
	done
done
in_r conntrack -F >/dev/null 2>&1

for k in rr_a rr_b rr_c rr_d rr_n bulk_a bulk_b bulk_c bulk_d \
	 rr_a6 rr_b6 rr_c6 rr_d6 rr_n6 bulk_a6 bulk_b6 bulk_c6 bulk_d6 \
	 idle_10 idle_100000 shared_10 shared_100000 \
	 closeplain_0 closeplain_100000 alloc_own_1000 alloc_own_1000000 alloc_other_1000 alloc_other_1000000 \
	 noalloc_own_1000 noalloc_own_1000000 \
	 close_1000 close_200000 \
	 setup_tproxy2 setup_v4 setup_plain setup6_tproxy2 setup6_v4 setup6_plain syscall; do
	eval "m_$k=$(median $k)"
done
p1=$(ratio "$m_rr_a" "$m_rr_b")
p2=$(ratio "$m_rr_a" "$m_rr_c")
p3=$(ratio "$m_bulk_a" "$m_bulk_c")
p1v6=$(ratio "$m_rr_a6" "$m_rr_b6")
p3v6=$(ratio "$m_bulk_a6" "$m_bulk_c6")
p9=$(ratio "$m_rr_n" "$m_rr_a")
p9v6=$(ratio "$m_rr_n6" "$m_rr_a6")
# P10: the median of the rounds' differences (each in its round's system
# calls); P1's gap: the median of the rounds' differences per connection,
# in system calls
p10=$(median p10_setup)
p10v6=$(median p10_setup6)
insyscalls() {
	awk -v a="$1" -v s="$m_syscall" 'BEGIN { if (a != "" && s > 0) printf "%.3f", a / s; else print "null" }'
}
p1gap=$(insyscalls "$(median p1gap)")
p1gapv6=$(insyscalls "$(median p1gap6)")
p4=$(ratio "$m_idle_100000" "$m_idle_10")
p5=$(ratio "$m_close_200000" "$m_close_1000")
p4b=$(ratio "$m_shared_100000" "$m_shared_10")
p7own=$(ratio "$m_alloc_own_1000000" "$m_alloc_own_1000")
p7other=$(ratio "$m_alloc_other_1000000" "$m_alloc_other_1000")
p7ctl=$(ratio "$m_noalloc_own_1000000" "$m_noalloc_own_1000")
p8=$(ratio "$m_closeplain_100000" "$m_closeplain_0")

cat >"$OUT" <<EOF
{
  "kernel": "$(uname -r) UML, no KASAN/lockdep/kmemleak",
  "rounds": $ROUNDS,
  "medians": {
    "conns_per_s": { "tproxy2": $m_rr_a, "v4": $m_rr_b, "redirect": $m_rr_c, "none": $m_rr_d },
    "bulk_mbytes_per_s": { "tproxy2": $m_bulk_a, "v4": $m_bulk_b, "redirect": $m_bulk_c, "none": $m_bulk_d },
    "ipv6_conns_per_s": { "tproxy2": $m_rr_a6, "mainline": $m_rr_b6, "redirect": $m_rr_c6, "none": $m_rr_d6 },
    "ipv6_bulk_mbytes_per_s": { "tproxy2": $m_bulk_a6, "mainline": $m_bulk_b6, "redirect": $m_bulk_c6, "none": $m_bulk_d6 },
    "nft_conns_per_s": { "ipv4": $m_rr_n, "ipv6": $m_rr_n6 },
    "conns_per_s_idle_sockrefs": { "10": $m_idle_10, "100000": $m_idle_100000 },
    "conns_per_s_sockrefs_on_one_address": { "10": $m_shared_10, "100000": $m_shared_100000 },
    "close_us_no_sockref": { "0_sockrefs": $m_closeplain_0, "100000_sockrefs": $m_closeplain_100000 },
    "alloc_us": { "own_1000": $m_alloc_own_1000, "own_1000000": $m_alloc_own_1000000, "other_1000": $m_alloc_other_1000, "other_1000000": $m_alloc_other_1000000 },
    "noalloc_us": { "own_1000": $m_noalloc_own_1000, "own_1000000": $m_noalloc_own_1000000 },
    "close_us_1000_sockets": { "1000_conntracks": $m_close_1000, "200000_conntracks": $m_close_200000 },
    "proxy_socket_setup_us": { "tproxy2": $m_setup_tproxy2, "v4": $m_setup_v4, "redirect": $m_setup_plain },
    "ipv6_proxy_socket_setup_us": { "tproxy2": $m_setup6_tproxy2, "mainline": $m_setup6_v4, "redirect": $m_setup6_plain },
    "syscall_us": $m_syscall,
    "sockref_bytes": { "object_size": $obj, "slab_size": $slab }
  },
  "ratios": {
    "P1_tproxy2_vs_v4_conns": { "value": $p1, "goal": ">= 1.0" },
    "P2_tproxy2_vs_redirect_conns": { "value": $p2, "goal": ">= 0.95" },
    "P3_tproxy2_vs_redirect_bulk": { "value": $p3, "goal": ">= 0.98" },
    "P1_ipv6_tproxy2_vs_mainline_conns": { "value": $p1v6, "goal": ">= 1.0" },
    "P3_ipv6_tproxy2_vs_redirect_bulk": { "value": $p3v6, "goal": ">= 0.98" },
    "P4_100000_vs_10_idle_sockrefs_conns": { "value": $p4, "goal": ">= 0.95" },
    "P4b_100000_vs_10_sockrefs_on_one_address_conns": { "value": $p4b, "goal": ">= 0.95" },
    "P5_close_200000_vs_1000_conntracks": { "value": $p5, "goal": "<= 1.1" },
    "P6_bytes_per_sockref": { "value": $slab, "goal": "<= 128" },
    "P7_alloc_1000000_vs_1000_conntracks_own_ns": { "value": $p7own, "goal": "<= 1.1" },
    "P7_alloc_1000000_vs_1000_conntracks_other_ns": { "value": $p7other, "goal": "<= 1.1" },
    "P7_control_without_alloc_1000000_vs_1000": { "value": $p7ctl, "goal": "(control)" },
    "P8_close_100000_vs_0_sockrefs": { "value": $p8, "goal": "<= 1.05" },
    "P9_nft_vs_tproxy_table_conns": { "value": $p9, "goal": ">= 0.98" },
    "P9_ipv6_nft_vs_tproxy_table_conns": { "value": $p9v6, "goal": ">= 0.98" },
    "P10_setup_tproxy2_less_v4_in_syscalls": { "value": $p10, "goal": "<= 1.2" },
    "P10_ipv6_setup_tproxy2_less_mainline_in_syscalls": { "value": $p10v6, "goal": "<= 1.2" },
    "P1_gap_per_connection_in_syscalls": { "value": $p1gap, "goal": "(why P1)" },
    "P1_ipv6_gap_per_connection_in_syscalls": { "value": $p1gapv6, "goal": "(why P1)" }
  }
}
EOF
cat "$OUT"

# The profile (make bench with perf on the host), after bench.json is
# written: the host records the kernel with perf while a setup's load
# runs.  The guest asks with prof/NAME.start and runs the load until the
# host answers with prof/NAME.done, its recording over (scripts/bench.sh).
# Each load runs longer than a recording (8 s), so that one process covers
# it: the operations recorded are the load's rate times the recording's
# length.  NAME: rr-S for the new connections of setup S, setup-M
# (setup6-M) for the proxy's socket work alone, syscall.
PROF=/mnt/prof
profile() {
	name=$1
	shift
	[ -z "${profile_off:-}" ] || return 0
	mkdir -p $PROF
	rm -f $PROF/$name.done
	touch $PROF/$name.start
	i=0
	while [ ! -f $PROF/$name.done ]; do
		"$@" >/dev/null
		i=$((i + 1))
		if [ $i -ge 3 ]; then
			log "profile $name: the host did not answer, no more profiles"
			profile_off=1
			return
		fi
	done
	log "profiled $name"
}
if [ -n "${TPT_BENCH_PROFILE:-}" ]; then
	log "profiles"
	for s in a b c n a6 b6 c6 n6; do
		setup $s
		profile rr-$s in_c $B rr "$(server $s 80)" 12 $CONC
	done
	flush
	for m in tproxy2 v4 plain; do
		profile setup-$m in_r $B setup 90000 $m $CLIENT_IP
		profile setup6-$m in_r $B setup 90000 $m $CLIENT_IP6
	done
	profile syscall in_r $B syscall 300000
fi
