#!/bin/sh
# Run inside the test kernel: each test script in its own process, with a
# time limit, its output in $TPT_LOGS/NAME.log, one ok/not ok line in
# $TPT_RESULTS.
top=$TPT_TOP
dir=$top/${TPT_TESTDIR:-tests/t}
cd "$dir" || { echo "not ok 1 - the tests are not reachable at $dir" >>"$TPT_RESULTS"; exit 1; }
tests="$*"
[ -n "$tests" ] || tests=$(ls *.sh)
limit=${TPT_TEST_TIMEOUT:-240}

# A test about to time out: where its tasks wait.  Only what needs no lock
# of the task's memory (a task stuck in a fault holds it): comm and the
# kernel stacks of the threads that are in a system call.
dump_stacks() {
	echo "=== about to time out: where the tasks in system calls wait"
	echo w >/proc/sysrq-trigger
	for t in /proc/[0-9]*/task/[0-9]*; do
		st=$(cat "$t/stack" 2>/dev/null)
		case $st in *handle_syscall*|*do_syscall*) ;; *) continue ;; esac
		echo "--- ${t#/proc/} $(cat "$t/comm" 2>/dev/null) $(cut -d' ' -f3 "$t/stat" 2>/dev/null)"
		echo "$st"
	done
}

n=0
for t in $tests; do
	t=${t%.sh}
	n=$((n + 1))
	echo "=== $t"
	start=$(date +%s)
	# a test may ask for more time ("# tpt-timeout: SECONDS"), never less
	tl=$(sed -n 's/^# tpt-timeout: \([0-9][0-9]*\)$/\1/p' "./$t.sh" | head -n 1)
	[ -n "$tl" ] && [ "$tl" -gt "$limit" ] || tl=$limit
	timeout -k 5 "$tl" sh "./$t.sh" >"$TPT_LOGS/$t.log" 2>&1 &
	tpid=$!
	(sleep $((tl - 3)) && kill -0 $tpid 2>/dev/null && dump_stacks >>"$TPT_LOGS/$t.log" 2>&1) &
	wpid=$!
	wait $tpid
	rc=$?
	kill $wpid 2>/dev/null
	echo "=== $t: exit $rc after $(($(date +%s) - start)) s"
	if [ $rc -eq 0 ]; then
		echo "ok $n - $t" >>"$TPT_RESULTS"
	else
		reason=$(grep '^FAIL' "$TPT_LOGS/$t.log" | head -n 1)
		[ $rc -eq 124 ] && reason="timed out"
		echo "not ok $n - $t${reason:+ # $reason}" >>"$TPT_RESULTS"
	fi
done
