#!/bin/sh
# The ip6tables extensions explain themselves: ip6tables-legacy -j TPROXY
# --help and -m tproxy --help.  (08's IPv6 twin.)
. ../lib.sh
ip netns add "$R"
ip6t $R -j TPROXY --help >$T/tg 2>&1 || fail "-j TPROXY --help"
ip6t $R -m tproxy --help >$T/mt 2>&1 || fail "-m tproxy --help"
sed -n '/TPROXY target options/,$p' $T/tg
sed -n '/tproxy match options/,$p' $T/mt
expect_not_in $T/tg "not supported" "the TPROXY extension: a revision the kernel lacks"
expect_not_in $T/mt "not supported" "the tproxy extension: the kernel lacks its match"
expect_in $T/tg "TPROXY target options:" "the TPROXY help"
[ "$(grep -c "TPROXY target options" $T/tg)" = 1 ] || fail "the TPROXY help is printed more than once"
expect_in $T/tg "--on-port port" "--on-port in the help"
expect_in $T/tg "--on-ip ip6" "--on-ip in the help"
expect_in $T/tg "::1 for" "the OUTPUT default in the help"
expect_in $T/tg "IP6T_SO_ORIGINAL_DST" "IP6T_SO_ORIGINAL_DST in the help"
expect_in $T/tg "--tproxy-mark" "--tproxy-mark in the help"
expect_in $T/mt "tproxy match options:" "the tproxy help"
expect_in $T/mt "\[!\] --tproxied" "--tproxied in the help"
