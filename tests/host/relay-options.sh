#!/bin/sh
# Every option of the relay is range-checked: a bad value is refused with
# a message and exit status 2, before anything is bound; good ones start it.
. "$(dirname "$0")/relay-lib"

bad() {
	in_ns timeout 5 "$RELAY" -l 0.0.0.0 "$@" >"$tmp/out" 2>&1
	rc=$?
	[ $rc = 2 ] || { cat "$tmp/out"; fail "tproxy-relay $*: exit $rc, not 2"; }
	[ -s "$tmp/out" ] || fail "tproxy-relay $*: no message"
	echo "refused: $* ($(head -n 1 "$tmp/out"))"
}
bad -t 10abc
bad -t 4294967297
bad -t 0
bad -t -5
bad -t " 10"
bad -t ""
bad -p 0
bad -p 65536
bad -p 80x
bad -p 0x50
bad -u 70000
bad -u 0
bad -C 0
bad -C 86401
bad -I 99999999999
bad -H 1e3
bad -m 0
bad -m x
bad -s 18446744073709551617
bad -r 0
bad -U ""
bad -F 1.2.3.4
bad -F 1.2.3.4:70000
bad -l 1.2.3.4:80
bad extra-argument
bad --no-such-option
# good ones: it starts, says its caps, and stops on SIGTERM
start_relay good -l 0.0.0.0 -p 3200 -u 3200 -t 5 -C 3 -I 7 -H 4 -m 5 -s 6 -r 9
grep -q "at most 5 connections and 6 udp sessions" "$tmp/good" || { cat "$tmp/good"; fail "the caps given"; }
kill -TERM "$relay"
wait "$relay" || fail "exit status on SIGTERM"
"$RELAY" --help | grep -q -- "--max-conns" || fail "--help"
echo ok
