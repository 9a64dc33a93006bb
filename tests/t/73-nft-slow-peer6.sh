#!/bin/sh
# 28-slow-peer-after-close6.sh with nft rules: tproxy2 beside nft redirect
# and snat controls, in the same boot.  nft alone.
# tpt-nft-only
TPT_RULES=nft
. ./28-slow-peer-after-close6.sh
