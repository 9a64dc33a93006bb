#!/bin/sh
# Descriptors run out (ulimit -n 64): 40 UDP flows from distinct ports,
# then TCP clients.  The relay must not spin on a listener that accept()
# cannot serve (CPU time from /proc/PID/stat over 3 s), and with its
# default caps (from the descriptor limit) a TCP client is still relayed.
. "$(dirname "$0")/relay-lib"

bg echo "$PROBE" tcp-echo 127.0.0.2:80
bg userver "$PROBE" udp-echo2 127.0.0.2:5353 -1
# caps above what the descriptors allow: accept() meets EMFILE (-F: one
# more descriptor, so that the sessions leave none)
(ulimit -n 64 && exec ip netns exec "$NS" "$RELAY" -l 0.0.0.0 -p 3128 -u 3128 -F 127.0.0.9:9 ${RELAY_FDS_CAPS--m 1000 -s 1000}) \
	>"$tmp/relay" 2>&1 &
relay=$!
PIDS="$PIDS $relay"
sleep 1
grep -q "listening on" "$tmp/relay" || { cat "$tmp/relay"; fail "the relay did not start"; }
in_ns "$PROBE" udp-flows 40 127.0.0.3 6000 127.0.0.1:3128 "to=127.0.0.2:5353 x"
sleep 0.5
for i in 1 2 3; do
	in_ns "$PROBE" tcp-ask 127.0.0.2:80 "spin-$i" 127.0.0.3 >/dev/null 2>&1 &
done
sleep 0.5
t0=$(cputicks "$relay")
sleep 3
t1=$(cputicks "$relay")
echo "relay CPU in 3 s with descriptors exhausted: $((t1 - t0)) ticks, $(nfds "$relay") descriptors"
[ $((t1 - t0)) -lt 50 ] || { cat "$tmp/relay"; fail "the relay spins: $((t1 - t0)) ticks of CPU in 3 s"; }
relay_sane relay
kill "$relay"
wait "$relay" 2>/dev/null

# The default caps: the same flows, and a TCP client is relayed
(ulimit -n 64 && exec ip netns exec "$NS" "$RELAY" -r 1 -l 0.0.0.0 -p 3128 -u 3128) \
	>"$tmp/relay2" 2>&1 &
relay=$!
PIDS="$PIDS $relay"
sleep 1
grep -q "listening on" "$tmp/relay2" || { cat "$tmp/relay2"; fail "the relay did not start (2)"; }
in_ns "$PROBE" udp-flows 40 127.0.0.3 7000 127.0.0.1:3128 "to=127.0.0.2:5353 x"
sleep 0.5
t0=$(cputicks "$relay")
in_ns "$PROBE" tcp-ask 127.0.0.2:80 capped 127.0.0.3 >"$tmp/ask" ||
	{ cat "$tmp/relay2"; fail "no TCP answer beside 40 UDP flows at ulimit -n 64"; }
grep -q "^echo:capped" "$tmp/ask" || fail "wrong answer: $(cat "$tmp/ask")"
sleep 2
t1=$(cputicks "$relay")
[ $((t1 - t0)) -lt 50 ] || fail "the relay used $((t1 - t0)) ticks"
cat "$tmp/relay2"
grep -q "datagrams at the session cap" "$tmp/relay2" || fail "the flows over the cap were not reported"
relay_sane relay2
echo "ok"
