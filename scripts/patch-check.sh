#!/bin/sh
# patch-check.sh TOP TARBALL
# dist/series/ as a reviewer bisects it: on a pristine tree, one patch after
# the other, and after each one checkpatch --strict on its mail and an
# incremental build of two kernels, TPROXY 2.0 and the helpers the series
# changes built in (kernel/builtin.config) and as modules
# (kernel/modules.config).  Every prefix must build without a warning; once
# the series has added them, our objects must be among the results.  Then
# the single diff, applied to another pristine tree, must give the same
# tree as the series.
# PATCH_CHECK_FROM=N builds from the prefix before patch N on: the earlier
# prefixes are applied and checkpatch-checked, not built (to check patches
# added at the end without building every prefix again).  CC is the
# compiler (the Makefile passes ccache where it is installed).
set -eu
top=$1 tarball=$2
from=${PATCH_CHECK_FROM:-1}
cc=${CC:-gcc}
work=$top/build/patch-check
jobs=$(($(nproc) + 1))
rm -rf "$work"
mkdir -p "$work/src" "$work/single"
echo "  UNPACK  $tarball"
tar -xf "$tarball" -C "$work/src" --strip-components=1
tar -xf "$tarball" -C "$work/single" --strip-components=1
die() { echo "patch-check: $*" >&2; exit 1; }

# $1: y or m; every object of ours that the series has added so far was built
built() {
	for f in $(cd "$top" && find net -name '*.c'); do
		[ ! -f "$work/src/$f" ] || [ -f "$work/o-$1/${f%.c}.o" ] ||
			die "$f was not built (=$1)"
	done
}

# The files the series changes or adds: none of them may warn.
touched=$(sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$top"/dist/series/*.patch | sort -u)

n=0
for m in "$top"/dist/series/*.patch; do
	case $(basename "$m") in 0000-*) continue ;; esac
	n=$((n + 1))
	name=$(basename "$m")
	echo "  PATCH   $name"
	patch -p1 -s -F0 --no-backup-if-mismatch -d "$work/src" <"$m" || die "$name does not apply"
	out=$(cd "$work/src" && perl scripts/checkpatch.pl --strict --terse "$m" 2>&1) ||
		{ echo "$out"; die "checkpatch: $name"; }
	echo "$out" | grep -q ': \(ERROR\|WARNING\|CHECK\):' && { echo "$out"; die "checkpatch: $name"; }
	if [ "$n" -lt $((from - 1)) ]; then
		echo "  SKIPPED the builds (PATCH_CHECK_FROM=$from)"
		continue
	fi
	for cfg in y m; do
		o=$work/o-$cfg
		frag=$top/kernel/builtin.config
		[ $cfg = m ] && frag=$top/kernel/modules.config
		KCONFIG_NOT_YET=1 sh "$top/scripts/kconfig.sh" um "$work/src" "$o" "$frag" >/dev/null
		targets=linux
		[ $cfg = m ] && targets="linux modules"
		# shellcheck disable=SC2086
		make -s -C "$work/src" ARCH=um O="$o" CC="$cc" -j"$jobs" $targets \
			>"$work/build-$n-$cfg.log" 2>&1 ||
			{ tail -n 30 "$work/build-$n-$cfg.log"; die "$name: the =$cfg build fails"; }
		for f in $touched; do
			if grep "$f:.*warning:" "$work/build-$n-$cfg.log"; then
				die "$name: =$cfg: $f warns"
			fi
		done
		built $cfg
		echo "  BUILT   =$cfg after $name"
	done
done
[ "$n" -gt 0 ] || die "dist/series/ is empty"
for m in iptable_tproxy ipt_TPROXY2 xt_tproxy2 nf_tproxy2 ip6table_tproxy ip6t_TPROXY2 nft_tproxy2; do
	f=$(find "$work/o-m/net" -name "$m.ko" | head -n 1)
	[ -n "$f" ] || die "$m.ko was not built"
	echo "  MODULE  ${f#"$work/o-m/"}"
done

patch -p1 -s -F0 -d "$work/single" <"$top/dist/tproxy2-6.12.patch" || die "the single diff does not apply"
diff -r "$work/src" "$work/single" >/dev/null || die "the single diff and the series give different trees"
if [ "$from" -gt 1 ]; then
	echo "patch-check: the $n mails are checkpatch clean; the prefixes from $((from - 1)) to $n build, =y and =m"
else
	echo "patch-check: each of the $n prefixes of the series builds, =y and =m, and is checkpatch clean"
fi
