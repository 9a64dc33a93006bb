#!/bin/sh
# The extensions explain themselves: iptables-legacy -j TPROXY --help and
# -m tproxy --help.
. ../lib.sh
ip netns add "$R"
ipt $R -j TPROXY --help >$T/tg 2>&1 || fail "-j TPROXY --help"
ipt $R -m tproxy --help >$T/mt 2>&1 || fail "-m tproxy --help"
sed -n '/TPROXY target options/,$p' $T/tg
sed -n '/tproxy match options/,$p' $T/mt
expect_in $T/tg "TPROXY target options:" "the TPROXY help"
[ "$(grep -c "TPROXY target options" $T/tg)" = 1 ] || fail "the TPROXY help is printed more than once"
expect_in $T/tg "--on-port port" "--on-port in the help"
expect_in $T/tg "--tproxy-mark" "--tproxy-mark in the help"
expect_in $T/mt "tproxy match options:" "the tproxy help"
expect_in $T/mt "\[!\] --tproxied" "--tproxied in the help"
