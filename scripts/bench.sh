#!/bin/sh
# bench.sh TOP KERNEL OUTDIR: boot the non-debug kernel once, run
# tests/bench/bench.sh in it, print the figures and write OUTDIR/bench.json.
# With perf on the host (TPT_BENCH_PROFILE=0 turns it off), the guest's
# kernel is profiled as well: where each setup's time goes, written to
# OUTDIR/profile.txt.
# A benchmark: it prints figures; it fails only when it could not run.
set -u
top=$1 kernel=$2 out=$3
PROF_SECONDS=${TPT_PROF_SECONDS:-8}
prof=$out/prof
rm -rf "$prof"
mkdir -p "$prof"

# record NAME: the UML kernel process, PROF_SECONDS of cpu-clock samples.
# The guest's own processes are other host processes (UML's address
# spaces), its children: --no-inherit leaves them out.  What is sampled is
# the guest kernel (the UML binary), UML's libc calls, and the host kernel's
# work for it ([k]: the system call traps, page faults and switches of UML).
record() {
	pid=$(cat "$out"/uml/umldir/*/pid 2>/dev/null | head -n 1)
	# else the first process of the boot that runs the kernel's binary
	[ -n "$pid" ] || for p in $(pgrep -f "uml_dir=$out/uml/umldir"); do
		if [ "$(readlink /proc/$p/exe)" = "$(readlink -f "$kernel")" ]; then
			pid=$p
			break
		fi
	done
	[ -n "$pid" ] || return 0
	perf record -q --no-inherit -e cpu-clock -p "$pid" -o "$prof/$1.data" \
		-- sleep "$PROF_SECONDS" >"$prof/$1.log" 2>&1
}

# answer the guest's requests (bench.sh's profile()) until the boot ends
watch() {
	d=$out/uml/prof
	while kill -0 "$1" 2>/dev/null; do
		for s in "$d"/*.start; do
			[ -f "$s" ] || continue
			name=${s##*/}
			name=${name%.start}
			record "$name"
			rm -f "$s"
			touch "$d/$name.done"
		done
		sleep 0.2
	done
}

profile_env=
if [ "${TPT_BENCH_PROFILE:-1}" != 0 ] && command -v perf >/dev/null; then
	profile_env=1
fi
TPT_BENCH_PROFILE=$profile_env TPT_TESTDIR=tests/bench TPT_MEM=3G TPT_TEST_TIMEOUT=2700 \
	TPT_BOOT_TIMEOUT=3000 "$top/scripts/uml-run.sh" "$top" "$kernel" "$out/uml" bench.sh &
run=$!
[ -z "$profile_env" ] || watch $run &
wait $run || {
	tail -n 40 "$out/uml/logs/bench.log" 2>/dev/null
	exit 1
}
wait
cp "$out/uml/bench.json" "$out/bench.json"
grep -E "^(--- |sockref:|conntracks:)" "$out/uml/logs/bench.log" | grep -v "^--- round" || true
echo
echo "figure                                              ratio   goal"
sed -n 's/^ *"\(P[0-9][a-z]*_[a-z0-9_]*\)": { "value": \([^,]*\), "goal": "\([^"]*\)" },*$/\1 \2 \3/p' \
	"$out/bench.json" | while read -r name value goal1 goal2; do
	printf "%-52s %7s   %s %s\n" "$name" "$value" "$goal1" "$goal2"
done
echo
echo "medians: $out/bench.json"
[ -n "$profile_env" ] &&
	sh "$top/scripts/bench-profile.sh" "$prof" "$out/bench.json" "$PROF_SECONDS" >"$out/profile.txt" &&
	echo "profile: $out/profile.txt"
exit 0
