# qemu.sh: sourced by uml-run.sh and kvm-usable.sh.  How the x86_64 test
# kernel is launched under qemu, in one place: the KVM probe boots with
# exactly the options that the test run then uses.
#
# qemu_launch ACCEL KERNEL SHARE INIT EXTRA LIMIT
#	boot KERNEL with the host's root over 9p (read-only), SHARE as the
#	9p tag "out", INIT as PID 1 and EXTRA appended to the command line;
#	the serial console goes to stdout.  At most LIMIT seconds.
qemu_launch() {
	timeout -k 10 "$6" qemu-system-x86_64 -accel "$1" -M q35 \
		-cpu max -smp "${TPT_SMP:-2}" -m "${TPT_MEM:-2G}" \
		-display none -monitor none -no-reboot -nodefaults -serial stdio \
		-virtfs local,path=/,mount_tag=root,security_model=none,readonly=on \
		-virtfs local,path="$3",mount_tag=out,security_model=none \
		-kernel "$2" \
		-append "console=ttyS0 panic=-1 root=root rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=262144 ro init=$4 $5" \
		</dev/null
}

# What tests/uml/probe-init.sh prints once the kernel reached userspace.
# It is not on the kernel command line, which the kernel echoes.
QEMU_PROBE_MARKER=tproxy2-probe:userspace-reached
