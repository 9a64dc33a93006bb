#!/bin/sh
# One UDP session's flood does not starve another: 200 answers of one
# server and then one of another are queued while the relay is stopped;
# once it runs, the second client's answer must come before most of the
# flood (the relay reads a few datagrams a session a round).
. "$(dirname "$0")/relay-lib"

bg flood "$PROBE" udp-flood 127.0.0.2:5353 200 1000
bg echo2 "$PROBE" udp-echo2 127.0.0.2:5354 1500
start_relay relay -l 0.0.0.0 -p 3128 -u 3128
in_ns "$PROBE" udp-two 127.0.0.3:5500 127.0.0.3:5501 127.0.0.1:3128 \
	"to=127.0.0.2:5353 A" "to=127.0.0.2:5354 B" 5000 >"$tmp/got" &
client=$!
sleep 0.6
kill -STOP "$relay"
sleep 2.5
kill -CONT "$relay"
wait $client
flood=$(grep -c "^1 f:" "$tmp/got")
before=$(awk '/^2 b:/ { print n + 0; exit } /^1 f:/ { n++ }' "$tmp/got")
echo "flood datagrams relayed: $flood; before the other session's answer: ${before:-none}"
grep -q "^1 a:" "$tmp/got" && grep -q "^2 a:" "$tmp/got" || { cat "$tmp/got"; fail "the first answers"; }
[ -n "$before" ] || fail "the second session's answer never came"
[ "$flood" -ge 100 ] || fail "only $flood of the flood relayed: not a flood"
[ "$before" -lt 64 ] || fail "$before datagrams of one session went before another's one"
relay_sane relay
echo ok
