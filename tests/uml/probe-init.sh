#!/bin/sh
# PID 1 of the KVM probe (scripts/kvm-usable.sh): userspace was reached.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
. "$(dirname "$0")/../../scripts/qemu.sh"
mount -t proc proc /proc
echo "$QEMU_PROBE_MARKER"
echo o >/proc/sysrq-trigger
sleep 10
