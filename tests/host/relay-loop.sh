#!/bin/sh
# A client that connects straight to the relay's port (not redirected) has
# a conntrack like any other, and SO_ORIGINAL_DST names the relay itself;
# a datagram sent straight to its UDP port likewise.  Both are refused and
# counted, logged once (not line by line), and the relay neither connects
# to itself nor spends its descriptors or CPU.
. "$(dirname "$0")/relay-lib"

bg echo "$PROBE" tcp-echo 127.0.0.2:80
bg userver "$PROBE" udp-echo2 127.0.0.2:5353 -1
start_relay relay -l 0.0.0.0 -p 3128 -u 3128
base=$(nfds "$relay")
t0=$(cputicks "$relay")
in_ns "$PROBE" tcp-open 1 127.0.0.1:3128 >/dev/null
in_ns "$PROBE" tcp-open 1 127.0.0.3:3128 127.0.0.3 >/dev/null
sleep 1.5
n=$(nfds "$relay")
t1=$(cputicks "$relay")
echo "descriptors $base -> $n, CPU $((t1 - t0)) ticks after two direct connections"
[ "$n" -le "$base" ] || fail "the relay holds $n descriptors (it had $base): it connected to itself"
[ $((t1 - t0)) -lt 50 ] || fail "the relay used $((t1 - t0)) ticks"
relay_sane relay
# datagrams to its own UDP port, by any local address
in_ns "$PROBE" udp-ask 127.0.0.3:5400 127.0.0.1:3128 "to=127.0.0.1:3128 loop" 300 && fail "an answer to a loop"
in_ns "$PROBE" udp-ask 127.0.0.3:5401 127.0.0.1:3128 "to=127.0.0.5:3128 loop" 300 && fail "an answer to a loop"
# many more: counted, not logged one by one
i=0
while [ $i -lt 30 ]; do
	in_ns "$PROBE" tcp-open 1 127.0.0.1:3128 >/dev/null
	i=$((i + 1))
done
sleep 1.5
n=$(nfds "$relay")
[ "$n" -le "$base" ] || fail "the relay holds $n descriptors (it had $base)"
relay_sane relay
# redirected ones still go through
in_ns "$PROBE" tcp-ask 127.0.0.2:80 fine 127.0.0.3 >"$tmp/ask" || fail "no answer through the relay"
grep -q "^echo:fine" "$tmp/ask" || fail "a wrong answer"
in_ns "$PROBE" udp-ask 127.0.0.3:5402 127.0.0.1:3128 "to=127.0.0.2:5353 fine" 500 >"$tmp/uask" ||
	fail "no UDP answer through the relay"
kill -TERM "$relay"
wait "$relay"
cat "$tmp/relay"
lines=$(grep -c "that is the relay itself" "$tmp/relay")
[ "$lines" -le 2 ] || fail "$lines lines for the refused loops"
loops=$(sed -n "s/.* \([0-9]*\) to the relay itself.*/\1/p" "$tmp/relay" | awk "{ s += \$1 } END { print s }")
[ "$loops" = 34 ] || fail "$loops loops counted, not 34"
grep -q "exiting: 1 connections relayed" "$tmp/relay" || fail "not 1 connection relayed"
echo ok
