#!/bin/sh
# uml-run.sh TOP KERNEL OUTDIR [TEST...]
# Boot the UML test kernel once, run the tests inside it (all of
# tests/t/*.sh when none are named), print one ok/not ok line per test and
# one for the kernel log.  Exit 1 on any failure.
# With TPT_VM=qemu, KERNEL is an x86_64 bzImage booted under qemu with
# TPT_SMP CPUs (make check-smp): KVM where it boots the kernel, TCG
# otherwise.
set -u
top=$1 kernel=$2 out=$3
shift 3
tests=$(echo "$*" | tr " " ",")
timeout=${TPT_BOOT_TIMEOUT:-900}

rm -rf "$out"
mkdir -p "$out/logs" "$out/umldir"
: >"$out/results"

env="TPT_TOP=$top TPT_OUT=$out TPT_TESTDIR=${TPT_TESTDIR:-tests/t} TPT_TESTS=$tests"
# the tests' knobs reach the guest's environment on the kernel command line
for v in TPT_TEST_TIMEOUT TPT_FUZZ_SECONDS TPT_FUZZ_PROBABILITY TPT_SOAK_CONNECTIONS TPT_REUSE_CYCLES \
	 TPT_PARALLEL_CYCLES TPT_BENCH_ROUNDS TPT_BENCH_PROFILE TPT_UDP_LOSS_MS TPT_TT_DAYS; do
	eval "val=\${$v:-}"
	[ -z "$val" ] || env="$env $v=$val"
done
if [ "${TPT_VM:-uml}" = qemu ]; then
	# KVM where it boots this kernel, TCG otherwise (scripts/kvm-usable.sh)
	. "$top/scripts/qemu.sh"
	accel=tcg
	sh "$top/scripts/kvm-usable.sh" "$top" "$kernel" && accel=kvm
	echo "# qemu: ${TPT_SMP:-2} CPUs, accel=$accel" >&2
	qemu_launch $accel "$kernel" "$out" "$top/tests/uml/init.sh" "$env" "$timeout" \
		>"$out/console.log" 2>&1
	rc=$?
else
	# UML backs guest memory with a file in $TMPDIR, which must be tmpfs.
	# shellcheck disable=SC2086
	TMPDIR=/dev/shm timeout -k 10 "$timeout" "$kernel" mem="${TPT_MEM:-768M}" \
		rootfstype=hostfs rootflags=/ ro init="$top/tests/uml/init.sh" \
		uml_dir="$out/umldir" ${TPT_KERNEL_ARGS:-} $env </dev/null >"$out/console.log" 2>&1
	rc=$?
fi

pass=0
fail=0
# shellcheck disable=SC2013
while IFS= read -r line; do
	echo "$line"
	case "$line" in
	"ok "*) pass=$((pass + 1)) ;;
	"not ok "*) fail=$((fail + 1)) ;;
	esac
done <"$out/results"

if [ $((pass + fail)) = 0 ]; then
	echo "not ok 1 - no test ran inside the kernel ($out/run-guest.log: $(head -n 1 "$out/run-guest.log" 2>/dev/null))"
	fail=1
fi
n=$((pass + fail + 1))
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	echo "not ok $n - kernel: the test boot timed out after ${timeout}s (console: $out/console.log)"
	fail=$((fail + 1))
elif [ ! -f "$out/done" ]; then
	echo "not ok $n - kernel: the test boot did not finish (exit $rc; console: $out/console.log)"
	tail -n 30 "$out/console.log" | tr -d '\r' | sed 's/^/# /'
	fail=$((fail + 1))
else
	splat=$(tr -d '\r' <"$out/dmesg" | grep -E 'BUG:|WARNING:|KASAN|possible recursive locking|possible circular locking|inconsistent lock state|suspicious RCU usage|Call Trace:|kernel BUG|Oops' | head -n 5)
	leaks=$(grep -c 'unreferenced object' "$out/kmemleak" 2>/dev/null)
	if [ -n "$splat" ]; then
		echo "not ok $n - kernel log: splat in dmesg ($out/dmesg)"
		echo "$splat" | sed 's/^/# /'
		fail=$((fail + 1))
	elif [ "${leaks:-0}" != 0 ]; then
		echo "not ok $n - kernel log: kmemleak found $leaks object(s) ($out/kmemleak)"
		head -n 20 "$out/kmemleak" | sed 's/^/# /'
		fail=$((fail + 1))
	else
		echo "ok $n - kernel log: no BUG, WARNING, KASAN, lockdep or kmemleak report"
		pass=$((pass + 1))
	fi
fi

[ "$fail" = 0 ]
