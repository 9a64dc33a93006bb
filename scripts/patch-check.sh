#!/bin/sh
# patch-check.sh TOP TARBALL
# The dist/ patch, as a distro builder uses it: it applies with patch -p1 to
# a pristine linux-source-6.12, and a kernel with our options as modules
# (=m) builds from it, our modules among the results.
set -eu
top=$1 tarball=$2
work=$top/build/patch-check
rm -rf "$work"
mkdir -p "$work/src"
echo "  UNPACK  $tarball"
tar -xf "$tarball" -C "$work/src" --strip-components=1
patch -p1 -s --dry-run -d "$work/src" <"$top/dist/tproxy2-6.12.patch"
patch -p1 -s -d "$work/src" <"$top/dist/tproxy2-6.12.patch"
echo "  PATCHED $work/src"
sh "$top/scripts/kconfig.sh" um "$work/src" "$work/o" "$top/kernel/modules.config"
make -s -C "$work/src" ARCH=um O="$work/o" -j"$(($(nproc) + 1))" linux modules
for m in iptable_tproxy ipt_TPROXY2 ipt_tproxy nf_tproxy2; do
	f=$(find "$work/o/net" -name "$m.ko" | head -n 1)
	[ -n "$f" ] || { echo "patch-check: $m.ko was not built" >&2; exit 1; }
	echo "  MODULE  ${f#"$work/o/"}"
done
echo "patch-check: the patch applies and builds with TPROXY 2.0 as modules"
