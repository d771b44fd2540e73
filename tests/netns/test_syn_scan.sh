#!/usr/bin/env bash
# test_syn_scan.sh — nmap -sS (half-open SYN scan) of 1024 ports, captured and replayed: expects syn_scan from the scanner.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sw_init syn
sw_require nmap
sw_netns_setup
sw_services tcp-echo:22 http:80 tcp-discard:443
sw_capture_start
# Bounded: 1024 explicit ports, one retry, T4 timing, hard 120 s limit.
sw_in_scan timeout 120 nmap -sS -n -Pn -T4 --max-retries 1 -p 1-1024 "$SW_TGT4"
sw_capture_stop

# The capture really holds a SYN scan: bare SYNs to (nearly) every port, RST/ACK
# from the closed ones, SYN/ACK from the three open ones, and the scanner's
# own RST tearing down each half-open connection (nmap never completes them).
syn="src host $SW_SCAN4 and dst host $SW_TGT4 and tcp[tcpflags] == tcp-syn"
sw_expect_distinct "SYNs from the scanner to distinct ports" 1000 dport "$syn"
sw_expect_pkts "RST/ACK from closed ports" 1000 \
	"src host $SW_TGT4 and tcp[tcpflags] & (tcp-rst|tcp-ack) == (tcp-rst|tcp-ack)"
sw_expect_distinct "SYN/ACK from the open ports" 3 sport \
	"src host $SW_TGT4 and dst host $SW_SCAN4 and tcp[tcpflags] == (tcp-syn|tcp-ack)"
sw_expect_pkts "scanner RST after SYN/ACK (half-open abort)" 3 \
	"src host $SW_SCAN4 and tcp[tcpflags] == tcp-rst and (dst port 22 or dst port 80 or dst port 443)"
sw_expect_none "completed handshakes (bare ACK from the scanner)" \
	"src host $SW_SCAN4 and tcp[tcpflags] == tcp-ack"

sw_replay_expect syn_scan "$SW_SCAN4"
