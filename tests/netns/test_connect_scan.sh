#!/usr/bin/env bash
# test_connect_scan.sh — nmap -sT (full connect() scan) of 1024 ports, captured and replayed: expects connect_scan from the scanner.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sw_init connect
sw_require nmap
sw_netns_setup
sw_services tcp-echo:22 http:80 tcp-discard:443
sw_capture_start
# Bounded: 1024 explicit ports, one retry, T4 timing, hard 120 s limit.
sw_in_scan timeout 120 nmap -sT -n -Pn -T4 --max-retries 1 -p 1-1024 "$SW_TGT4"
sw_capture_stop

# The capture really holds a connect scan: kernel SYNs (each from its own
# ephemeral port) to nearly every port, RST/ACK from the closed ones, and
# completed three-way handshakes (the scanner's bare ACK) on the open ones.
syn="src host $SW_SCAN4 and dst host $SW_TGT4 and tcp[tcpflags] == tcp-syn"
sw_expect_distinct "SYNs from the scanner to distinct ports" 1000 dport "$syn"
sw_expect_distinct "SYNs from distinct source ports (connect(), not raw)" 500 sport "$syn"
sw_expect_pkts "RST/ACK from closed ports" 1000 \
	"src host $SW_TGT4 and tcp[tcpflags] & (tcp-rst|tcp-ack) == (tcp-rst|tcp-ack)"
sw_expect_distinct "handshakes completed to the open ports" 3 dport \
	"src host $SW_SCAN4 and tcp[tcpflags] == tcp-ack and (dst port 22 or dst port 80 or dst port 443)"

sw_replay_expect connect_scan "$SW_SCAN4"
