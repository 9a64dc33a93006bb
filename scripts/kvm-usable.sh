#!/bin/sh
# kvm-usable.sh: exit 0 when qemu actually starts a KVM guest here.
# /dev/kvm may exist while KVM cannot start (nested MSR errors): try it.
# With no kernel the firmware idles, so a guest still running after 5 s
# (timeout's 124) has started.
[ -w /dev/kvm ] || exit 1
command -v qemu-system-x86_64 >/dev/null 2>&1 || exit 1
timeout 5 qemu-system-x86_64 -accel kvm -M q35 -m 128 -display none \
	-monitor none -serial none -nodefaults </dev/null >/dev/null 2>&1
[ $? = 124 ]
