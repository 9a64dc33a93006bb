#!/bin/sh
# A UDP session that times out in the same batch of epoll events as one
# that serves it: an answer from the server arrives while the relay is
# stopped (standing for a busy loop) and the 1 s tick fires, and both come
# out of one epoll_wait.  The session must not be used after it is freed
# (the relay is built with ASan and UBSan); the relay serves on.  The same
# for a TCP connection whose idle timeout passes while its client writes.
. "$(dirname "$0")/relay-lib"

bg server "$PROBE" udp-echo2 127.0.0.2:5353 1500
start_relay relay -v -l 0.0.0.0 -p 3128 -u 3128 -t 1 -I 1
sleep 0.2
for round in 1 2 3; do
	in_ns "$PROBE" udp-ask 127.0.0.3:$((5300 + round)) 127.0.0.1:3128 \
		"to=127.0.0.2:5353 q$round" 300 >"$tmp/ask$round" ||
		{ cat "$tmp/relay"; fail "no answer (round $round)"; }
	grep -q "^a:to=127.0.0.2:5353 q$round" "$tmp/ask$round" || fail "a wrong answer: $(cat "$tmp/ask$round")"
	# the second answer comes 1.5 s after the first, into a session
	# whose 1 s timeout passes meanwhile
	kill -STOP "$relay"
	sleep 3
	kill -CONT "$relay"
	sleep 0.5
	relay_sane relay
done
grep -q "runtime error\|AddressSanitizer" "$tmp/relay" && fail "sanitizer"

# TCP: connected, then the relay stops; the 1 s idle timeout passes, and the
# client writes at 2.5 s: the tick and the client's data in one batch
bg echo "$PROBE" tcp-echo 127.0.0.2:80
sleep 0.2
in_ns "$PROBE" tcp-ask 127.0.0.2:80 before 127.0.0.3 >"$tmp/tcp0" || { cat "$tmp/relay"; fail "no TCP answer"; }
in_ns "$PROBE" tcp-late 127.0.0.2:80 127.0.0.3 2500 late >"$tmp/tcp1" 2>&1 &
late=$!
sleep 0.5
kill -STOP "$relay"
sleep 3
kill -CONT "$relay"
wait $late && fail "the connection outlived its idle timeout: $(cat "$tmp/tcp1")"
sleep 0.5
relay_sane relay
in_ns "$PROBE" udp-ask 127.0.0.3:5399 127.0.0.1:3128 "to=127.0.0.2:5353 last" 500 >"$tmp/last" ||
	fail "no answer after the expiries"
relay_sane relay
kill -TERM "$relay"
wait "$relay"
rc=$?
cat "$tmp/relay"
[ "$rc" = 0 ] || fail "the relay exited with $rc"
grep -q "4 udp sessions" "$tmp/relay" || fail "not 4 sessions"
grep -q "1 idle timeouts" "$tmp/relay" || fail "the idle timeout was not counted"
echo "ok: sessions expiring mid-batch, under ASan"
