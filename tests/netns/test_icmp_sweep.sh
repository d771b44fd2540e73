#!/usr/bin/env bash
# test_icmp_sweep.sh — nmap -sn -PE ping sweep of a /26 where a /28 is up, captured and replayed: expects icmp_sweep from the scanner.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sw_init sweep
sw_require nmap
sw_netns_setup
# 198.18.1.0/26 lies behind the target namespace: its first 16 addresses
# answer (AnyIP), the other 48 are blackholed and look down.
sweep_net=198.18.1.0/26
sweep_up=198.18.1.0/28
sw_route_sweep_net "$sweep_net" "$sweep_up"
sw_capture_start
# Bounded: 64 addresses, echo requests only, hard 120 s limit.
sw_in_scan timeout 120 nmap -sn -PE --send-ip -n -T4 "$sweep_net"
sw_capture_stop

req="src host $SW_SCAN4 and dst net $sweep_net and icmp[icmptype] == icmp-echo"
rep="dst host $SW_SCAN4 and src net $sweep_net and icmp[icmptype] == icmp-echoreply"
sw_expect_distinct "echo requests to distinct addresses of the /26" 60 dhost "$req"
sw_expect_distinct "echo replies from the live /28" 14 shost "$rep"
sw_expect_none "echo replies from the blackholed addresses" "$rep and not src net $sweep_up"

sw_replay_expect icmp_sweep "$SW_SCAN4"
