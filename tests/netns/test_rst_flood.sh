#!/usr/bin/env bash
# test_rst_flood.sh — hping3 --rst flood of 300 packets at one port, captured and replayed: expects rst_flood from the sender.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sw_init rst
sw_require hping3
sw_netns_setup
sw_services http:80
sw_capture_start
# Bounded: exactly 300 packets at 1000/s (-i u1000), hard 60 s limit.
# hping3 prints its statistics on stderr; its exit status is 1 when nothing
# answered, which is what RSTs get, so only a timeout counts as failure.
rc=0
sw_in_scan timeout 60 hping3 --rst -c 300 -i u1000 -p 80 "$SW_TGT4" || rc=$?
((rc != 124)) || sw_fail "hping3 did not finish within 60 s"
sw_capture_stop

sw_expect_pkts "RSTs from the sender to port 80" 300 \
	"src host $SW_SCAN4 and dst host $SW_TGT4 and dst port 80 and tcp[tcpflags] & tcp-rst != 0"
sw_expect_none "replies to the RSTs (RFC 793: a RST is never answered)" "tcp and src host $SW_TGT4"

sw_replay_expect rst_flood "$SW_SCAN4"
