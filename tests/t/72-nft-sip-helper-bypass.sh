#!/bin/sh
# 27-sip-helper-bypass.sh with nft rules: the SIP helper (an nft ct helper
# object) keeps off a datagram that tproxy2 redirects, and rewrites one
# that nft redirect sends to the same proxy.  nft alone.
# tpt-nft-only
TPT_RULES=nft
. ./27-sip-helper-bypass.sh
