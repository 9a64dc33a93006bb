#!/bin/sh
# bench.sh TOP KERNEL OUTDIR: boot the non-debug kernel once, run
# tests/bench/bench.sh in it, print the figures and write OUTDIR/bench.json.
# A benchmark: it prints figures; it fails only when it could not run.
set -u
top=$1 kernel=$2 out=$3
TPT_TESTDIR=tests/bench TPT_MEM=3G TPT_TEST_TIMEOUT=2400 TPT_BOOT_TIMEOUT=2700 \
	"$top/scripts/uml-run.sh" "$top" "$kernel" "$out/uml" bench.sh || {
	tail -n 40 "$out/uml/logs/bench.log" 2>/dev/null
	exit 1
}
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
