#!/bin/sh
# Allocation failures, one at a time (/proc/thread-self/fail-nth, failslab),
# through every call of the era proxies' sequences in both families (Squid,
# HAProxy usesrc, Zorp's listener, outgoing, mark-only, UDP receiver and
# session, UNASSIGN, the close), the first ASSIGN of a namespace, and
# namespace creation (tpt-failnth): each failure a documented errno, nothing
# half-made, the call good again without the injection, no sockref left;
# the kernel log is checked after the boot.
. ../lib.sh

FS=/sys/kernel/debug/failslab
[ -w /proc/thread-self/fail-nth ] || fail "no /proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION)"
[ -d $FS ] || fail "no $FS (CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_DEBUG_FS)"
# failslab fails sleeping allocations only with ignore-gfp-wait N; verbose
# 0: no stack in the kernel log for each injected failure (a "Call Trace:"
# is a splat to the harness); cache-filter stays as it is (off)
old_gfp=$(cat $FS/ignore-gfp-wait)
old_verbose=$(cat $FS/verbose)
restore() {
	echo "$old_gfp" >$FS/ignore-gfp-wait
	echo "$old_verbose" >$FS/verbose
}
trap 'restore; cleanup' EXIT
echo N >$FS/ignore-gfp-wait || fail "ignore-gfp-wait"
echo 0 >$FS/verbose || fail "verbose"
[ "$(cat $FS/cache-filter)" = N ] || fail "failslab's cache-filter is on"

setup_topology
in_r ip addr add 203.0.113.1/32 dev lo
in_r ip addr add 2001:db8:ff::1/128 dev lo
bg $S $T/srv4 $BIN/tpt-server $SERVER_IP:80
bg $S $T/srv6 $BIN/tpt-server "[$SERVER_IP6]:80"
wait_listen $S 80

start=$(date +%s)
in_r $BIN/tpt-failnth calls $ROUTER_SIP 203.0.113.1 $CLIENT_IP $SERVER_IP:80 >$T/v4 2>&1
rc4=$?
in_r $BIN/tpt-failnth calls "[$ROUTER_SIP6]" "[2001:db8:ff::1]" "[$CLIENT_IP6]" \
	"[$SERVER_IP6]:80" >$T/v6 2>&1
rc6=$?
# a namespace takes about 900 allocations that failslab may fail, each
# walked (about 45 s); TPT_FAILNTH_NETNS_RUNS=N walks a sample of N
$BIN/tpt-failnth netns ${TPT_FAILNTH_NETNS_RUNS:-1500} >$T/ns 2>&1
rcns=$?
cat $T/v4 $T/v6 $T/ns
echo "--- $(($(date +%s) - start)) s"

for f in v4 v6 ns; do
	expect_not_in $T/$f "FAIL" "tpt-failnth $f: an unexpected outcome"
done
[ $rc4 = 0 ] || fail "tpt-failnth calls (IPv4) exited with $rc4"
[ $rc6 = 0 ] || fail "tpt-failnth calls (IPv6) exited with $rc6"
[ $rcns = 0 ] || fail "tpt-failnth netns exited with $rcns"

# injected: a walk that injects nothing proves nothing
injected() {
	sed -n "s/^failnth: $2: [0-9]* calls walked, \([0-9]*\) faults injected, 0 unexpected$/\1/p" $T/$1
}
for f in "v4 IPv4" "v6 IPv6" "ns netns"; do
	set -- $f
	n=$(injected $1 $2)
	[ -n "$n" ] || fail "no summary of $2"
	[ "$n" -ge 20 ] || fail "$2: only $n faults injected"
done
# every sequence's walk injected something, and ASSIGN's documented ENOMEM
# came back, in both families (also for the namespace's first sockref)
for f in v4 v6; do
	for s in squid haproxy zorp-listen zorp-out zorp-mark zorp-receiver zorp-session unassign \
		"first ASSIGN of a namespace" "first ASSIGN of a namespace (after the other family's)"; do
		grep -q "^failnth: IPv[46] $s: [0-9]* calls walked, [1-9][0-9]* faults injected$" $T/$f ||
			fail "$f: the walk of $s injected nothing"
	done
	expect_in $T/$f "^failnth: ASSIGN(client:0):.* ENOMEM=[1-9]" "$f: no ENOMEM from ASSIGN"
	expect_in $T/$f "^failnth: socket(tcp):.* ENOMEM=[1-9]" "$f: no ENOMEM from socket()"
done
expect_in $T/ns "^failnth: unshare(CLONE_NEWNET): .*ENOMEM=[1-9]" "no ENOMEM from unshare"

in_r cat /proc/net/tproxy >$T/proc
[ ! -s $T/proc ] || { cat $T/proc; fail "sockrefs left"; }

# what the walks leaked (kmemleak reports objects a few seconds old, after
# two scans); the harness scans again at the end of the boot
KL=/sys/kernel/debug/kmemleak
if [ -w $KL ]; then
	sleep 6
	echo scan >$KL
	echo scan >$KL
	awk '/^unreferenced object/ { keep = 0 } /comm "tpt-failnth"/ { keep = 1 } keep' $KL >$T/leaks
	[ ! -s $T/leaks ] || { cat $KL; fail "kmemleak: objects of tpt-failnth leaked"; }
fi
