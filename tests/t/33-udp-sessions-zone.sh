#!/bin/sh
# Test 26 with the client's datagrams in conntrack zone 5 (-j CT --zone):
# the UDP handoff to a session, a connected socket's release and the
# sweeper find the flows' conntracks in their own zone.  Had the handoff
# looked in the default zone only, the receivers' conntracks would go on
# steering datagrams to the receivers after their sessions existed.
UDP_ZONE=5
. ./26-udp-sessions.sh
