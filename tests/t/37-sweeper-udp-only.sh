#!/bin/sh
# tpt-timeout: 300
# The sweeper's work is the UDP flows redirected to local sockets, not the
# namespace's TCP connections.  With 10,000 redirected TCP connections
# waiting in the router, a user without privilege who closes UDP receivers
# (IP_RECVORIGADDRS) in a loop wakes no sweeper while no UDP flow is
# redirected there; once one is, each sweep looks at that flow alone.
# /proc/net/stat/tproxy2 counts the sweeps and the entries they looked at.
. ../lib.sh
setup_topology
N=10000

# origloop MS: uid 65534 closes receivers in the router for MS ms
origloop() {
	in_r setpriv --reuid=65534 --regid=65534 --clear-groups \
		$BIN/tpt-udp origloop 127.0.0.1:0 $1 >$T/loop 2>&1 || fail "origloop: $(cat $T/loop)"
	loops=$(sed -n 's/^origloop=//p' $T/loop)
	[ "${loops:-0}" -ge 50 ] || fail "the loop closed only ${loops:-0} receivers"
}

sysctl -qw net.netfilter.nf_conntrack_max=$((N * 3))
ipt $R -t tproxy -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 8080 || fail "rule"
ipt $R -t tproxy -A PREROUTING -p udp --dport 53 -j TPROXY --on-port 5353 || fail "udp rule"
# a listener that never accepts, with a short backlog: the other handshakes
# wait, their SYNs retransmitted, each connection redirected and in the table
bg $R $T/listener $BIN/tpt-sockref tcp bind 0.0.0.0:8080 listen sleep 200000
wait_listen $R 8080
bg $C $T/clients $BIN/tpt-soak client $SERVER_IP:80 $N 1 200
tcp=0
for _ in $(seq 120); do
	tcp=$(gc_stat accepted_tcp)
	[ "$tcp" -ge $((N * 9 / 10)) ] && break
	sleep 0.5
done
log "$tcp redirected TCP connections"
[ "$tcp" -ge $((N * 9 / 10)) ] || fail "only $tcp of $N connections redirected"

log "no UDP flow: closing receivers wakes no sweeper"
runs0=$(gc_stat sweeper_runs) seen0=$(gc_stat sweeper_entries)
origloop 2000
sleep 0.3
runs1=$(gc_stat sweeper_runs) seen1=$(gc_stat sweeper_entries)
cat $T/loop
echo "sweeper: $((runs1 - runs0)) runs, $((seen1 - seen0)) entries looked at"
[ "$runs1" = "$runs0" ] || fail "$((runs1 - runs0)) sweeps without a UDP flow"
[ "$seen1" = "$seen0" ] || fail "$((seen1 - seen0)) entries looked at without a UDP flow"

log "one UDP flow: each sweep looks at it alone"
bg $R $T/hold $BIN/tpt-udp hold 0.0.0.0:5353 1 read $T/go
for _ in $(seq 100); do grep -q ready $T/hold && break; sleep 0.1; done
in_c $BIN/tpt-udp sendn 6000 1 $SERVER_IP:53 >/dev/null || fail "sendn"
for _ in $(seq 50); do [ "$(gc_stat accepted_udp)" -ge 1 ] && break; sleep 0.1; done
[ "$(gc_stat accepted_udp)" = 1 ] || fail "$(gc_stat accepted_udp) redirected UDP flows, not 1"
origloop 2000
sleep 0.3
runs2=$(gc_stat sweeper_runs) seen2=$(gc_stat sweeper_entries)
tcp=$(gc_stat accepted_tcp)
echo "sweeper: $((runs2 - runs1)) runs, $((seen2 - seen1)) entries looked at, beside $tcp TCP connections"
[ "$runs2" -gt "$runs1" ] || fail "no sweep after the receivers closed"
# a resize of the table may show an entry twice
[ $((seen2 - seen1)) -le $((2 * (runs2 - runs1))) ] ||
	fail "$((runs2 - runs1)) sweeps looked at $((seen2 - seen1)) entries for one UDP flow"
[ "$tcp" -ge $((N * 9 / 10)) ] || fail "the TCP connections went meanwhile ($tcp left)"
# the flow's receiver still takes it: the sweeps left it
[ "$(gc_stat accepted_udp)" = 1 ] || fail "the UDP flow was swept while its receiver lives"
touch $T/go
