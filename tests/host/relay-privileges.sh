#!/bin/sh
# Least privilege: once listening, the relay started as root runs as
# nobody with CAP_NET_ADMIN only (effective, permitted and bounding sets,
# no ambient ones) and no_new_privs, read from /proc/PID/status; --user
# names another user.  Its UDP port is its own: an unprivileged user
# (uid 65534) cannot bind a more specific address on it (with
# SO_REUSEADDR) to take the clients' datagrams.
. "$(dirname "$0")/relay-lib"

NET_ADMIN=0000000000001000
status() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
check_caps() {
	for k in CapEff CapPrm ${2-CapBnd}; do
		v=$(status "$relay" $k)
		[ "$v" = $NET_ADMIN ] || { grep Cap "/proc/$relay/status"; fail "$k is $v, not CAP_NET_ADMIN only ($1)"; }
	done
	[ "$(status "$relay" CapInh)" = 0000000000000000 ] || fail "CapInh ($1)"
	[ "$(status "$relay" CapAmb)" = 0000000000000000 ] || fail "CapAmb ($1)"
	[ "$(status "$relay" NoNewPrivs)" = 1 ] || fail "no no_new_privs ($1)"
}

bg echo "$PROBE" tcp-echo 127.0.0.2:80
start_relay relay -l 0.0.0.0 -p 3128 -u 3128
grep -E "^(Uid|Gid|Groups|Cap|NoNewPrivs)" "/proc/$relay/status"
[ "$(status "$relay" Uid)" = 65534 ] || fail "the relay runs as uid $(status "$relay" Uid), not nobody"
[ "$(status "$relay" Gid)" = 65534 ] || fail "the relay runs as gid $(status "$relay" Gid)"
[ -z "$(awk '$1 == "Groups:" { print $2 }' "/proc/$relay/status")" ] || fail "supplementary groups kept"
check_caps default
# it still relays
in_ns "$PROBE" tcp-ask 127.0.0.2:80 nobody 127.0.0.3 >"$tmp/ask" || fail "no answer through the relay"
grep -q "^echo:nobody" "$tmp/ask" || fail "a wrong answer"

# the UDP port: uid 65534 tries 127.0.0.1:3128 beside the relay's 0.0.0.0:3128
in_ns setpriv --reuid 65534 --regid 65534 --clear-groups "$PROBE" udp-bind 127.0.0.1:3128 \
	>"$tmp/hijack" 2>&1 && { cat "$tmp/hijack"; fail "an unprivileged user bound the relay's UDP port"; }
cat "$tmp/hijack"
grep -q "Address already in use" "$tmp/hijack" || fail "not EADDRINUSE"
kill -TERM "$relay"
wait "$relay" || fail "the relay did not exit 0"

# --user daemon; --user root keeps uid 0 but not the capabilities
start_relay relay2 -l 0.0.0.0 -p 3129 -U daemon
[ "$(status "$relay" Uid)" = "$(id -u daemon)" ] || fail "--user daemon: uid $(status "$relay" Uid)"
check_caps "--user daemon"
kill -TERM "$relay"
start_relay relay3 -l 0.0.0.0 -p 3130 -U root
[ "$(status "$relay" Uid)" = 0 ] || fail "--user root: uid $(status "$relay" Uid)"
check_caps "--user root"
kill -TERM "$relay"
# an unknown user: a clear message, exit 1
in_ns "$RELAY" -l 0.0.0.0 -p 3131 -U no-such-user-tpt >"$tmp/nouser" 2>&1
rc=$?
[ $rc = 1 ] || fail "--user no-such-user-tpt: exit $rc"
grep -q "no user no-such-user-tpt" "$tmp/nouser" || fail "no message for an unknown user"
# started without root but with CAP_NET_ADMIN (as the systemd unit does)
bg relay4 setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps +net_admin \
	--ambient-caps +net_admin "$RELAY" -l 0.0.0.0 -p 3132
relay=$!
sleep 1
grep -q "running as uid 65534" "$tmp/relay4" || { cat "$tmp/relay4"; fail "the relay did not start with an ambient CAP_NET_ADMIN"; }
# without CAP_SETPCAP the bounding set stays (the unit sets it)
check_caps "ambient CAP_NET_ADMIN" ""
echo ok
