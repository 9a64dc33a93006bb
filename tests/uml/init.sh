#!/bin/sh
# PID 1 of the UML test kernel.  The host's root is mounted read-only; the
# results go to TPT_OUT on the host through a second, writable hostfs mount.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# Scratch space on /run, not /tmp: the checkout under test may live in /tmp
mount -t tmpfs tmpfs /run
mkdir -p /run/tmp
export TMPDIR=/run/tmp
mount -t debugfs debugfs /sys/kernel/debug
# UML: hostfs; qemu (make check-smp): the 9p share tagged "out"
mount -t hostfs -o "$TPT_OUT" none /mnt 2>/dev/null ||
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out /mnt
ip link set lo up
# Time-travel mode: months pass while tasks sleep, at the pace of the
# kernel's periodic work (each wake-up costs real time).  kmemleak's own
# scans (every 10 minutes of kernel time) would take hours: the scans at
# the end stay.  The neighbour tables' housekeeping runs every few seconds.
if grep -q time-travel /proc/cmdline; then
	[ -w /sys/kernel/debug/kmemleak ] && echo scan=off >/sys/kernel/debug/kmemleak
	for f in ipv4 ipv6; do
		sysctl -qw net.$f.neigh.default.interval_probe_time_ms=86400000
		sysctl -qw net.$f.neigh.default.base_reachable_time_ms=86400000
	done
fi

# the kernel command line splits on spaces: the tests come comma-separated
TPT_RESULTS=/mnt/results TPT_LOGS=/mnt/logs sh "$TPT_TOP/tests/run-guest.sh" $(echo "$TPT_TESTS" | tr "," " ") \
	>/mnt/run-guest.log 2>&1

# kmemleak reports objects only after two scans and a few seconds of age
if [ -w /sys/kernel/debug/kmemleak ]; then
	sleep 6
	# a last short task: the objects of the one before, freed by RCU
	# once it exited, are gone by now; its own are too young to count
	# (in time-travel mode nothing else passes time here)
	sleep 0.5
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >/mnt/kmemleak
fi
dmesg >/mnt/dmesg
touch /mnt/done
sync
echo o >/proc/sysrq-trigger
sleep 10
