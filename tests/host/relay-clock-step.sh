#!/bin/sh
# The relay's timeouts run on the monotonic clock: the wall clock stepped a
# day forward (as by NTP or an admin) ends no UDP session, and a day back
# freezes none.  (The stand-in build steps what time() and
# clock_gettime(CLOCK_REALTIME) say once a file exists.)
. "$(dirname "$0")/relay-lib"

bg server "$PROBE" udp-echo2 127.0.0.2:5353 -1
export TPT_STANDIN_CLOCKSTEP="$tmp/step+"
start_relay relay -v -l 0.0.0.0 -p 3128 -u 3128 -t 3
ask() {
	in_ns "$PROBE" udp-ask 127.0.0.3:5600 127.0.0.1:3128 "to=127.0.0.2:5353 $1" 500 >"$tmp/ask" ||
		{ cat "$tmp/relay"; fail "no answer ($1)"; }
}
ask one
touch "$tmp/step+"
sleep 1.5
ask two
sessions=$(grep -c "udp 127.0.0.3:5600 ->" "$tmp/relay")
[ "$sessions" = 1 ] || { cat "$tmp/relay"; fail "the step forward ended the session ($sessions sessions)"; }
kill -TERM "$relay"
wait "$relay"

# a day back: the session still ends after its 2 s idle
export TPT_STANDIN_CLOCKSTEP="$tmp/step-"
start_relay relay2 -v -l 0.0.0.0 -p 3128 -u 3128 -t 2
ask three
touch "$tmp/step-"
sleep 4.5
ask four
sessions=$(grep -c "udp 127.0.0.3:5600 ->" "$tmp/relay2")
[ "$sessions" = 2 ] || { cat "$tmp/relay2"; fail "the step back kept the idle session ($sessions sessions)"; }
relay_sane relay2
echo ok
