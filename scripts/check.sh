#!/bin/sh
# check.sh TOP KERNEL OUTDIR [TEST...]
# The whole test run: the host-side tests (tests/host/), then one boot of
# the test kernel for the in-kernel tests (tests/t/) and, for UML, one in
# time-travel mode for those that sleep through months (tests/tt/).  One ok/not ok line
# per test, numbered in one sequence, then "N passed, N failed".
set -u
top=$1 kernel=$2 out=$3
shift 3
mkdir -p "$out"
tap=$out/tap.txt

{
	if [ $# -eq 0 ] || [ -n "${TPT_HOST_TESTS:-}" ]; then
		for t in "$top"/tests/host/*.sh; do
			name=$(basename "$t" .sh)
			if sh "$t" "$top" >"$out/host-$name.log" 2>&1; then
				echo "ok 0 - host/$name"
			else
				echo "not ok 0 - host/$name # $(grep '^FAIL' "$out/host-$name.log" | head -n 1)"
				tail -n 15 "$out/host-$name.log" | sed 's/^/# /'
			fi
		done
	fi
	# tests/t/ in one boot; tests/tt/ (UML only) in a second one, in
	# time-travel mode; named tests go to the boot of their directory
	t_tests="" tt_tests=""
	for name in "$@"; do
		if [ -f "$top/tests/tt/$name" ]; then
			tt_tests="$tt_tests $name"
		else
			t_tests="$t_tests $name"
		fi
	done
	# The time-travel boot spends minutes of one CPU on months of kernel
	# time: it runs beside the other boots (UML uses one CPU each).  Its two
	# tests took 12 minutes each beside them (a clean clone, 2 CPUs): 45
	# minutes, as the boots of tests/t/ get.
	: >"$out/uml-tt.tap"
	if [ "${TPT_VM:-uml}" = uml ] && { [ $# -eq 0 ] || [ -n "$tt_tests" ]; }; then
		# shellcheck disable=SC2086
		TPT_TESTDIR=tests/tt TPT_KERNEL_ARGS="time-travel=inf-cpu nowatchdog" \
			TPT_TEST_TIMEOUT=${TPT_TT_TEST_TIMEOUT:-17280000} \
			TPT_BOOT_TIMEOUT=${TPT_TT_BOOT_TIMEOUT:-2700} \
			sh "$top/scripts/uml-run.sh" "$top" "$kernel" "$out/uml-tt" $tt_tests \
			>"$out/uml-tt.tap" 2>&1 &
	fi
	# All of tests/t/: in two boots side by side, the tests dealt out in
	# turn, so that the run takes half as long on two CPUs.  Each boot of
	# 36 tests takes 15 to 30 minutes beside the other and the time-travel
	# boot on two CPUs, more when the machine is slower: its limit is 45.
	# Named tests: one boot.
	: >"$out/uml2.tap"
	if [ $# -eq 0 ] && [ "${TPT_VM:-uml}" = uml ]; then
		all=$(cd "$top/tests/t" && ls -- *.sh)
		# shellcheck disable=SC2086
		TPT_BOOT_TIMEOUT=${TPT_BOOT_TIMEOUT:-2700} \
			sh "$top/scripts/uml-run.sh" "$top" "$kernel" "$out/uml2" \
			$(echo "$all" | awk 'NR % 2 == 0') >"$out/uml2.tap" 2>&1 &
		# shellcheck disable=SC2086
		TPT_BOOT_TIMEOUT=${TPT_BOOT_TIMEOUT:-2700} \
			sh "$top/scripts/uml-run.sh" "$top" "$kernel" "$out/uml" \
			$(echo "$all" | awk 'NR % 2 == 1')
	elif [ $# -eq 0 ] || [ -n "$t_tests" ]; then
		# shellcheck disable=SC2086
		sh "$top/scripts/uml-run.sh" "$top" "$kernel" "$out/uml" $t_tests
	fi
	wait
	cat "$out/uml2.tap" "$out/uml-tt.tap"
	# The kernel without legacy iptables (TPT_NFT_KERNEL, from make
	# check): the tests of tests/t/ with a line "# tpt-nft-only", again,
	# in a boot of their own after the others, which keep the two CPUs.
	if [ -n "${TPT_NFT_KERNEL:-}" ] && [ "${TPT_VM:-uml}" = uml ]; then
		nft_tests=""
		for name in $(cd "$top/tests/t" && grep -l '^# tpt-nft-only' -- *.sh); do
			if [ $# -eq 0 ] || echo " $t_tests " | grep -qF " $name "; then
				nft_tests="$nft_tests $name"
			fi
		done
		# shellcheck disable=SC2086
		[ -z "$nft_tests" ] ||
			sh "$top/scripts/uml-run.sh" "$top" "$TPT_NFT_KERNEL" "$out/uml-nft" $nft_tests |
			sed 's/^\(\(not \)\{0,1\}ok [0-9]* - \)/\1nft-only kernel: /'
	fi
} | awk '
	/^ok [0-9]+ / { $2 = ++n }
	/^not ok [0-9]+ / { $3 = ++n }
	{ print; fflush() }' | tee "$tap"

pass=$(grep -c '^ok ' "$tap")
fail=$(grep -c '^not ok ' "$tap")
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
