#!/bin/sh
# Connections that would hold the relay's descriptors for good: 50 clients
# whose server never answers the SYN and who close at once (the connect
# timeout frees them), and 20 whose server accepts and stays silent after
# the client has sent and closed (the half-closed timeout frees them).  The
# descriptors are counted in /proc/PID/fd.
. "$(dirname "$0")/relay-lib"

in_ns iptables-legacy -A INPUT -p tcp --dport 82 --syn -j DROP || fail "filter rule"
bg silent "$PROBE" tcp-silent 127.0.0.2:81
start_relay relay -l 0.0.0.0 -p 3128 -C 2 -H 2 -I 30
base=$(nfds "$relay")
in_ns "$PROBE" tcp-open 50 127.0.0.2:82 127.0.0.3 >"$tmp/open" || fail "tcp-open"
[ "$(cat "$tmp/open")" = 50 ] || fail "only $(cat "$tmp/open") of 50 connected"
sleep 0.5
held=$(nfds "$relay")
echo "descriptors: $base at start, $held with 50 connects pending"
[ "$held" -ge $((base + 50)) ] || fail "the connects were not pending ($held descriptors)"
sleep 4
after=$(nfds "$relay")
echo "descriptors 4 s later (connect timeout 2 s): $after"
[ "$after" -le "$base" ] || { cat "$tmp/relay"; fail "$after descriptors held after the connect timeout (at start $base)"; }

# the client sends and closes; the server accepts and never answers
i=0
while [ $i -lt 20 ]; do
	in_ns "$PROBE" tcp-open 1 127.0.0.2:81 127.0.0.3 >/dev/null
	i=$((i + 1))
done
sleep 0.5
held=$(nfds "$relay")
echo "descriptors with 20 half-closed connections: $held"
[ "$held" -ge $((base + 40)) ] || fail "the half-closed connections were not there ($held)"
sleep 4
after=$(nfds "$relay")
echo "descriptors 4 s later (half-closed timeout 2 s): $after"
[ "$after" -le "$base" ] || { cat "$tmp/relay"; fail "$after descriptors held after the half-closed timeout"; }
relay_sane relay
kill -TERM "$relay"
wait "$relay"
cat "$tmp/relay"
grep -q "50 connect timeouts, 20 half-closed timeouts" "$tmp/relay" || fail "the timeouts were not reported"
echo ok
