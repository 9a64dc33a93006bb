#!/bin/sh
# kvm-usable.sh TOP KERNEL: exit 0 when KVM boots KERNEL to userspace here,
# with the options the test run launches it with (scripts/qemu.sh); say
# why not on stderr otherwise.  The one place that decides KVM or TCG, for
# .ci/run and for the harness.
#
# /dev/kvm may be there and writable while no kernel boots under KVM: qemu
# aborts at start (-cpu max: "failed to set MSR"), or the guest starts and
# never gets past "Decompressing Linux...".  Only a boot to a marker that
# userspace prints tells.  TPT_KVM_DEV and TPT_KVM_PROBE_TIMEOUT are for
# tests/host/kvm-probe.sh.
set -u
top=$1 kernel=$2
dev=${TPT_KVM_DEV:-/dev/kvm}
limit=${TPT_KVM_PROBE_TIMEOUT:-60}
. "$top/scripts/qemu.sh"

no() {
	echo "kvm-usable: no: $*" >&2
	exit 1
}
[ -w "$dev" ] || no "$dev is not writable"
command -v qemu-system-x86_64 >/dev/null 2>&1 || no "qemu-system-x86_64 is not installed"
[ -f "$kernel" ] || no "no kernel at $kernel"

dir=$(mktemp -d) || no "no temporary directory"
trap 'rm -rf "$dir"' EXIT
qemu_launch kvm "$kernel" "$dir" "$top/tests/uml/probe-init.sh" "" "$limit" \
	>"$dir/console" 2>&1
rc=$?
if tr -d '\r' <"$dir/console" | grep -qx "$QEMU_PROBE_MARKER"; then
	echo "kvm-usable: yes: the kernel reached userspace under KVM" >&2
	exit 0
fi
case $rc in
124 | 137) no "no marker from userspace within ${limit}s; console: $(tr -d '\r' <"$dir/console" | grep . | tail -n 1)" ;;
*) no "qemu exited $rc before userspace: $(tr -d '\r' <"$dir/console" | grep . | grep -v '^Aborted' | tail -n 1)" ;;
esac
