#!/bin/sh
# 71-nft-before-dnat.sh over IPv6.
# tpt-nft-only
TPT_FAMILY=6
. ./71-nft-before-dnat.sh
