#!/bin/sh
# The KVM-or-TCG decision (scripts/kvm-usable.sh) against a qemu that
# imitates each kind of machine: one that aborts at start (-cpu max on a
# half-working /dev/kvm), one whose guest starts but never reaches
# userspace, one that works; and /dev/kvm missing.  The probe must boot
# with the launch's own options (scripts/qemu.sh).
set -u
top=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

mkdir "$tmp/bin"
: >"$tmp/kvm"
: >"$tmp/bzImage"
# The imitation: FAKE_QEMU says which machine; the arguments are kept.
cat >"$tmp/bin/qemu-system-x86_64" <<'FAKE'
#!/bin/sh
echo "$*" >"$FAKE_ARGS"
case $FAKE_QEMU in
abort)
	echo "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69" >&2
	exit 134 ;;
hang)
	echo "Decompressing Linux... Parsing ELF... done."
	exec sleep 600 ;;
kernel-only)
	echo "Kernel command line: console=ttyS0 init=/x/probe-init.sh"
	echo "Run /x/probe-init.sh as init process"
	exit 0 ;;
works)
	echo "Decompressing Linux... Parsing ELF... done."
	printf 'Booting the kernel.\r\n'
	init=$(echo "$*" | sed -n 's/.* init=\([^ ]*\).*/\1/p')
	# what the guest's PID 1 would print, with UML's and qemu's CRLF
	. "$(dirname "$init")/../../scripts/qemu.sh"
	printf '%s\r\n' "$QEMU_PROBE_MARKER"
	exit 0 ;;
esac
FAKE
chmod +x "$tmp/bin/qemu-system-x86_64"

probe() {
	FAKE_QEMU=$1 FAKE_ARGS=$tmp/args PATH=$tmp/bin:$PATH TPT_KVM_DEV=$2 \
		TPT_KVM_PROBE_TIMEOUT=3 sh "$top/scripts/kvm-usable.sh" "$top" "$tmp/bzImage" \
		2>"$tmp/why"
}

probe works "$tmp/kvm" || fail "a qemu that boots to userspace: the probe said no ($(cat "$tmp/why"))"
echo "works: yes ($(cat "$tmp/why"))"
# the options of the launch (scripts/qemu.sh), not a probe of its own
for opt in "-accel kvm" "-cpu max" "-smp 2" "-M q35" "-kernel $tmp/bzImage" "init=$top/tests/uml/probe-init.sh"; do
	case " $(cat "$tmp/args") " in
	*" $opt "*) ;;
	*) fail "the probe did not pass '$opt': $(cat "$tmp/args")" ;;
	esac
done

probe abort "$tmp/kvm" && fail "a qemu that aborts at start: the probe said yes"
grep -q "MSR" "$tmp/why" || fail "the abort's reason is not given: $(cat "$tmp/why")"
echo "abort: no ($(cat "$tmp/why"))"

start=$(date +%s)
probe hang "$tmp/kvm" && fail "a guest that never reaches userspace: the probe said yes"
[ $(($(date +%s) - start)) -lt 20 ] || fail "the hanging guest was not stopped at the probe's limit"
grep -q "within 3s" "$tmp/why" || fail "the hang's reason is not given: $(cat "$tmp/why")"
echo "hang: no ($(cat "$tmp/why"))"

probe kernel-only "$tmp/kvm" && fail "the kernel's echo of its command line counted as userspace"
echo "kernel-only: no ($(cat "$tmp/why"))"

rm -f "$tmp/args"
probe works "$tmp/no-such-kvm" && fail "no /dev/kvm: the probe said yes"
[ ! -e "$tmp/args" ] || fail "no /dev/kvm, yet qemu was started"
echo "no /dev/kvm: no ($(cat "$tmp/why"))"
echo "PASS"
