#!/bin/sh
# The fuzzer of 50-sockopt-fuzz with failslab failing its worker threads'
# allocations (task-filter: only the tasks with make-it-fail, which each
# worker sets for itself): ENOMEM is an expected errno of every call and at
# least one comes back; no other unexpected errno, every sockref gone at the
# end; the kernel log is checked after the boot.  15 s here (make fuzz
# FAILSLAB=1 DURATION=... for long runs); TPT_FUZZ_PROBABILITY (percent,
# default 5).
. ../lib.sh

FS=/sys/kernel/debug/failslab
[ -d $FS ] || fail "no $FS (CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_DEBUG_FS)"
# failslab's knobs as they were, restored at the exit
saved=""
for k in probability interval times space verbose task-filter ignore-gfp-wait; do
	saved="$saved $k=$(cat $FS/$k)"
done
restore() {
	for kv in $saved; do
		echo "${kv#*=}" >"$FS/${kv%%=*}"
	done
}
trap 'restore; cleanup' EXIT
# verbose 0: no stack in the kernel log for each failure (the harness takes
# a "Call Trace:" for a splat)
echo 0 >$FS/verbose && echo Y >$FS/task-filter && echo N >$FS/ignore-gfp-wait &&
	echo 1 >$FS/interval && echo -1 >$FS/times && echo 0 >$FS/space &&
	echo "${TPT_FUZZ_PROBABILITY:-5}" >$FS/probability || fail "failslab's knobs"

$BIN/tpt-fuzz "${TPT_FUZZ_SECONDS:-15}" 3 failslab >$T/out 2>&1
rc=$?
restore
saved=""
tail -n 20 $T/out
[ $rc = 0 ] || fail "$(tail -n 1 $T/out)"
expect_in $T/out "^fuzz: failslab on the workers: [1-9][0-9]* ENOMEM$" "no ENOMEM came back"
expect_in $T/out " 0 unexpected, 0 sockrefs left$" "the summary"
