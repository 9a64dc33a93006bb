#!/bin/sh
# kconfig.sh ARCH SRCDIR OUTDIR FRAGMENT...
# ARCH defconfig + the fragments, then olddefconfig; fail when a requested
# symbol did not survive (with KCONFIG_NOT_YET=1, a symbol that no Kconfig
# file of SRCDIR defines yet may be missing: a prefix of the series).
# OUTDIR/.config is only rewritten when it changes.
set -eu
arch=$1 src=$2 out=$3
shift 3
tmp=$out/.config.new.d
rm -rf "$tmp"
mkdir -p "$tmp"
make -s -C "$src" ARCH="$arch" O="$tmp" defconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$tmp" "$tmp/.config" "$@" >/dev/null
make -s -C "$src" ARCH="$arch" O="$tmp" olddefconfig >/dev/null

bad=0
# defined SYMBOL: some Kconfig file of the tree has "config SYMBOL"
defined() {
	grep -rqsx --include="Kconfig*" "config ${1#CONFIG_}" "$src"
}
for frag in "$@"; do
	while read -r line; do
		case "$line" in
		CONFIG_*=*)
			if [ "${KCONFIG_NOT_YET:-0}" = 1 ] && ! defined "${line%%=*}"; then
				continue
			fi
			grep -qx "$line" "$tmp/.config" || {
				echo "kconfig: $line requested but the result has:" \
				     "$(grep "^${line%%=*}=\|^# ${line%%=*} is not set" "$tmp/.config" || echo nothing)" >&2
				bad=1
			}
			;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			if grep -q "^$sym=" "$tmp/.config"; then
				echo "kconfig: $sym must not be set" >&2
				bad=1
			fi
			;;
		esac
	done <"$frag"
done
[ "$bad" = 0 ] || { echo "kconfig: requested symbols were dropped" >&2; exit 1; }

mkdir -p "$out"
if ! cmp -s "$tmp/.config" "$out/.config"; then
	cp "$tmp/.config" "$out/.config"
	echo "  CONFIG  $out/.config"
fi
rm -rf "$tmp"
