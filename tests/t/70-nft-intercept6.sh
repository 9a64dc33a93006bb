#!/bin/sh
# 70-nft-intercept.sh in an ip6 table.
# tpt-nft-only
TPT_FAMILY=6
. ./70-nft-intercept.sh
