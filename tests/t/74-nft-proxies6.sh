#!/bin/sh
# 74-nft-proxies.sh over IPv6.
# tpt-nft-only
TPT_FAMILY=6
. ./74-nft-proxies.sh
