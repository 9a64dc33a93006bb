#!/bin/sh
# The IPv6 twin of 33-udp-sessions-zone: test 26-udp-sessions6 with the
# client's datagrams in conntrack zone 5 (ip6tables -j CT --zone): the UDP
# handoff to a session, a connected socket's release and the sweeper find
# the flows' IPv6 conntracks in their own zone.
UDP_ZONE=5
. ./26-udp-sessions6.sh
