#!/bin/sh
# The IPv6 twin of 38-pruner-dead-owned: 1,000 SYNs from the server to an
# IPv6 ESTABLISHED sockref's foreign address leave no conntrack dead but
# counted once the pruner has run, as the same SYNs to a port without one.
TPT_FAMILY=6
. ./38-pruner-dead-owned.sh
