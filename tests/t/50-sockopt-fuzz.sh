#!/bin/sh
# IP_TPROXY and IPV6_TPROXY fuzzing, on AF_INET and AF_INET6 (dual-stack and
# IPV6_V6ONLY) sockets (30 s here; make fuzz DURATION=... for long runs):
# only documented errnos, every sockref gone at the end; the kernel log is
# checked after the boot.
. ../lib.sh
$BIN/tpt-fuzz "${TPT_FUZZ_SECONDS:-30}" 3 >$T/out 2>&1
rc=$?
tail -n 20 $T/out
[ $rc = 0 ] || fail "$(tail -n 1 $T/out)"
