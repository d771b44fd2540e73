#!/usr/bin/env bash
# test_syn_scan6.sh — nmap -6 -sS (half-open SYN scan over IPv6) of 1024 ports, captured and replayed: expects syn_scan from the scanner.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sw_init syn6
sw_require nmap
sw_netns_setup
sw_services tcp-echo:22 http:80 tcp-discard:443
sw_capture_start
# Bounded: 1024 explicit ports, one retry, T4 timing, hard 120 s limit.
sw_in_scan timeout 120 nmap -6 -sS -n -Pn -T4 --max-retries 1 -p 1-1024 "$SW_TGT6"
sw_capture_stop

# libpcap cannot index tcp[] over IPv6, so the flags are read at their fixed
# offset: 40-byte IPv6 header (nmap adds no extension header) + 13.
flags='ip6[53] & 0x3f'
syn="ip6 and tcp and src host $SW_SCAN6 and dst host $SW_TGT6 and $flags == 0x02"
sw_expect_distinct "SYNs from the scanner to distinct ports" 1000 dport "$syn"
sw_expect_pkts "RST/ACK from closed ports" 1000 "ip6 and tcp and src host $SW_TGT6 and $flags == 0x14"
sw_expect_distinct "SYN/ACK from the open ports" 3 sport "ip6 and tcp and src host $SW_TGT6 and $flags == 0x12"
sw_expect_none "IPv4 scan traffic" "ip and tcp"

sw_replay_expect syn_scan "$SW_SCAN6"
