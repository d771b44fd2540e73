#!/usr/bin/env bash
# corpus.sh — captures real nmap, masscan, zmap and hping3 scans and benign look-alikes in namespaces and writes the labels file `scanwatch eval` scores them against.
#
# Usage: bash tests/netns/corpus.sh OUTPUT-DIR   (as root)
#
# Writes OUTPUT-DIR/*.pcap (and *.pcapng, Linux SLL2 and 802.1Q variants of a
# few of them) and OUTPUT-DIR/labels.tsv, one line per capture:
#   capture<TAB>scanner-address-or-*<TAB>acceptable-kinds<TAB>expected-tool
# (benign captures: `*` and an empty kind). Each tool's own output and each
# tcpdump's log are kept in OUTPUT-DIR/logs/. labels.tsv is written last, so a
# failed run never leaves a labels file that looks complete.
#
# Every capture is checked after it is taken (packet counts by BPF filter, as
# the other namespace tests do): a failure names the capture and means the
# corpus is wrong, not the sensor.
#
# Network safety, as in lib.sh: two namespaces joined by one veth pair, no
# default route anywhere, addresses only from 198.18.0.0/15 and 2001:2::/48,
# every scan bounded by explicit port/host lists, packet counts (-c, -n) and
# `timeout`; the namespaces are deleted by exact name on exit. The one
# spoofing run (hping3 --rand-source) writes arbitrary source addresses into
# packets sent to the target only; the target has no route back to them, so
# nothing is ever sent to an address outside the ranges.
#
# Layout:
#   scanner 198.18.0.1 / 2001:2::1  (sw-scan)  <->  target 198.18.0.2 / 2001:2::2 (sw-tgt)
#   target services: TCP 22 echo, 80 http, 443 discard, 8080 http on its own
#     addresses, TCP 8000 http on every local address (the pools below);
#     UDP 53 and 123 echo
#   198.18.0.10-14   extra on-link target addresses (ARP sweep, first-contact ARP)
#   198.18.0.53      on-link DNS server (benign DNS capture)
#   198.18.1.0/26    sweep net behind the target: 198.18.1.0/28 answers, the rest is down
#   198.18.1.64/26   server pool behind the target: every address answers
#   2001:2:0:1::/122 IPv6 sweep net behind the target: 2001:2:0:1::/124 answers
set -euo pipefail

# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/netns/corpus_helpers.sh
. "$(dirname "${BASH_SOURCE[0]}")/corpus_helpers.sh"
corpus_init corpus.sh corpus "${1:-}"
sw_require nmap masscan zmap hping3 editcap ping
rm -f -- "$out"/*.pcap "$out"/*.pcapng "$out/labels.tsv" "$out/labels.tsv.new"
LABELS_NEW=$out/labels.tsv.new
: >"$LABELS_NEW"
T_START=$(sw_now_us)

sw_netns_setup
MAC_SCAN=$(sw_mac "$SW_NS_SCAN" "$SW_IF_SCAN")
MAC_TGT=$(sw_mac "$SW_NS_TGT" "$SW_IF_TGT")

# The target answers every UDP and IP-protocol probe: Linux rate-limits ICMP
# errors (1 per second per destination by default), which would hide most of
# a UDP or protocol scan's closed-port replies. These knobs are the target
# namespace's own; the host's are untouched.
sw_in_tgt sh -c 'echo 0 >/proc/sys/net/ipv4/icmp_ratelimit &&
	echo 100000 >/proc/sys/net/ipv4/icmp_msgs_per_sec &&
	echo 0 >/proc/sys/net/ipv6/icmp/ratelimit' || sw_fail "cannot lift the ICMP rate limit in $SW_NS_TGT"

# Extra on-link target addresses and the routed nets (see the layout above).
for i in 10 11 12 13 14 53; do
	ip -n "$SW_NS_TGT" addr add "198.18.0.$i/24" dev "$SW_IF_TGT"
done
SWEEP_NET=198.18.1.0/26
SWEEP_UP=198.18.1.0/28
POOL_NET=198.18.1.64/26
sw_route_sweep_net "$SWEEP_NET" "$SWEEP_UP"
sw_route_sweep_net "$POOL_NET" "$POOL_NET"
SWEEP6_NET=2001:2:0:1::/122
SWEEP6_UP=2001:2:0:1::/124
sw_route_sweep_net6 "$SWEEP6_NET" "$SWEEP6_UP"

sw_services tcp-echo:22 http:80 tcp-discard:443 http:8080 udp-echo:53 udp-echo:123
# The pool listener: bound to the wildcard address, it answers on every local
# address, the AnyIP nets included.
rm -f "$SW_DIR/pool.ready"
sw_bg "$SW_NS_TGT" pool "$SW_PYTHON" "$SW_LIB_DIR/services.py" --bind 0.0.0.0 --http 8000 \
	--ready "$SW_DIR/pool.ready"
POOL_PID=$SW_LAST_PID
pool_ready() {
	kill -0 "$POOL_PID" 2>/dev/null || sw_fail "pool services.py exited early: $(cat "$SW_DIR/pool.err")"
	sw_file_has "$SW_DIR/pool.ready" READY
}
sw_poll "$SW_POLL_DEADLINE" "the pool listener on port 8000" pool_ready

# TCP port list of the port scans: 1-200 plus the open ports above 200.
PORTS=1-200,443,8000,8080
NPORTS=203
# Common nmap options: no DNS, no host discovery (the target is known to be
# up, and discovery probes would be a second scan inside the capture), T4,
# one retry.
NMAP=(nmap -n -Pn -T4 --max-retries 1)

# ---------------------------------------------------------------------------
# Helpers

CUR=
# begin NAME [IFACE [TCPDUMP-OPTION...]] — starts capture NAME.
begin() {
	CUR=$1
	SW_TEST=corpus:$CUR
	sw_log "---- capture $CUR"
	sw_capture_start "$@"
}

# finish — ends the capture and moves it to OUTPUT-DIR/NAME.pcap; the
# sanity checks that follow read it there.
finish() {
	sw_capture_stop
	mv -- "$SW_CAP" "$out/$CUR.pcap"
	SW_CAP=$out/$CUR.pcap
}

# expect_linktype NAME — the capture's link type as tcpdump reports it.
expect_linktype() {
	local want=$1 got
	got=$(tcpdump -r "$SW_CAP" -c 1 2>&1 >/dev/null | sed -n 's/.*link-type \([^ ]*\) .*/\1/p')
	[[ $got == "$want" ]] || sw_fail "capture sanity: $SW_CAP has link type '$got', expected $want"
	sw_log "capture link type $got"
}

# Filters used by many checks. tcpdump's tcp[] does not reach into IPv6, so
# the IPv6 checks read the TCP header at its fixed offset 40 (nmap adds no
# extension headers).
from_scan="src host $SW_SCAN4 and dst host $SW_TGT4"
from_tgt="src host $SW_TGT4 and dst host $SW_SCAN4"
tcp_flags_is() { echo "$from_scan and tcp[tcpflags] == ($1)"; }
rst_from_tgt="$from_tgt and tcp[tcpflags] & tcp-rst != 0"
synack_from_tgt="$from_tgt and tcp[tcpflags] == (tcp-syn|tcp-ack)"

# A stealth scan (FIN/NULL/Xmas/Maimon/ACK/window): the probes with exactly
# FLAGS to every port, and the closed ports' RSTs.
stealth() {
	local name=$1 opt=$2 flags=$3 kinds=$4
	begin "$name"
	run 120 -- "${NMAP[@]}" "$opt" -p "$PORTS" "$SW_TGT4"
	finish
	sw_expect_distinct "$opt probes (flags $flags) to distinct ports" "$NPORTS" dport "$(tcp_flags_is "$flags")"
	sw_expect_pkts "RSTs from the target" 190 "$rst_from_tgt"
	label "$name.pcap" "$SW_SCAN4" "$kinds" nmap
}

# syn_checks — the capture holds a SYN scan of the port list from the scanner.
syn_checks() {
	sw_expect_distinct "SYNs to distinct ports" "$NPORTS" dport "$(tcp_flags_is tcp-syn)"
	sw_expect_distinct "SYN/ACKs from the five open ports" 5 sport "$synack_from_tgt"
}

# ---------------------------------------------------------------------------
# nmap port scans

begin nmap_sS
run 120 -- "${NMAP[@]}" -sS -p "$PORTS" "$SW_TGT4"
finish
syn_checks
sw_expect_none "completed handshakes (the scanner's bare ACK)" "$(tcp_flags_is tcp-ack)"
label nmap_sS.pcap "$SW_SCAN4" syn_scan nmap

begin nmap_sT
run 120 -- "${NMAP[@]}" -sT -p "$PORTS" "$SW_TGT4"
finish
syn_checks
sw_expect_pkts "completed handshakes to the open ports" 4 "$(tcp_flags_is tcp-ack)"
label nmap_sT.pcap "$SW_SCAN4" connect_scan nmap

stealth nmap_sF -sF tcp-fin fin_scan
stealth nmap_sN -sN 0 null_scan
stealth nmap_sX -sX 'tcp-fin|tcp-push|tcp-urg' xmas_scan
stealth nmap_sA -sA tcp-ack ack_scan,window_scan
stealth nmap_sM -sM 'tcp-fin|tcp-ack' maimon_scan
stealth nmap_sW -sW tcp-ack window_scan,ack_scan

# nmap run once per technique, one closed port each (nDPI's tcp_scan.pcapng shows this): -sS,
# -sF, -sN, -sX. Neither the SYN nor the stealth rule sees four probes of its own family; the
# stealth probes join the SYN scan's entry (detect_halfopen.c), so it is one SYN scan of four
# ports.
begin nmap_one_port_each
run 60 -- "${NMAP[@]}" -sS -p 3389 "$SW_TGT4"
run 60 -- "${NMAP[@]}" -sF -p 3390 "$SW_TGT4"
run 60 -- "${NMAP[@]}" -sN -p 3391 "$SW_TGT4"
run 60 -- "${NMAP[@]}" -sX -p 3392 "$SW_TGT4"
finish
sw_expect_pkts "the SYN to 3389" 1 "$(tcp_flags_is tcp-syn) and dst port 3389"
sw_expect_pkts "the FIN to 3390" 1 "$(tcp_flags_is tcp-fin) and dst port 3390"
sw_expect_pkts "the NULL probe to 3391" 1 "$(tcp_flags_is 0) and dst port 3391"
sw_expect_pkts "the Xmas probe to 3392" 1 "$(tcp_flags_is 'tcp-fin|tcp-push|tcp-urg') and dst port 3392"
sw_expect_pkts "RSTs from the target" 4 "$rst_from_tgt"
label nmap_one_port_each.pcap "$SW_SCAN4" syn_scan nmap

# -sA of three hosts: nmap probes each port on all three before the next, so
# the first probes look like an ACK sweep of one port; the detection must end
# with the kind its whole evidence supports (a block of ports on 3 hosts).
begin nmap_sA3
run 120 -- "${NMAP[@]}" -sA -p "$PORTS" "$SW_TGT4" 198.18.0.10 198.18.0.11
finish
sw_expect_distinct "ACK probes to three hosts" 3 dhost "src host $SW_SCAN4 and tcp[tcpflags] == tcp-ack"
sw_expect_distinct "ACK probes to distinct ports" "$NPORTS" dport "src host $SW_SCAN4 and tcp[tcpflags] == tcp-ack"
label nmap_sA3.pcap "$SW_SCAN4" ack_scan,window_scan nmap

# UDP: the two UDP services plus 20 closed ports; --max-rate keeps it
# honest even where the target's ICMP limit were in force.
UDP_PORTS=53,123,1001-1020
begin nmap_sU
run 120 -- "${NMAP[@]}" -sU --max-rate 200 -p "$UDP_PORTS" "$SW_TGT4"
finish
sw_expect_distinct "UDP probes to distinct ports" 22 dport "udp and $from_scan"
sw_expect_pkts "ICMP port unreachable from the closed ports" 20 \
	"$from_tgt and icmp[icmptype] == icmp-unreach and icmp[icmpcode] == 3"
sw_expect_distinct "UDP answers from the open ports" 2 sport "udp and $from_tgt"
label nmap_sU.pcap "$SW_SCAN4" udp_scan nmap

begin nmap_sO
run 120 -- "${NMAP[@]}" -sO -p 1,2,4,6,17,41,47,50,51,103,132,255 "$SW_TGT4"
finish
sw_expect_pkts "probes of protocols other than TCP/UDP/ICMP" 6 \
	"$from_scan and not tcp and not udp and not icmp"
sw_expect_pkts "ICMP protocol unreachable from the target" 3 \
	"$from_tgt and icmp[icmptype] == icmp-unreach and icmp[icmpcode] == 2"
label nmap_sO.pcap "$SW_SCAN4" ip_proto_scan nmap

# ---------------------------------------------------------------------------
# nmap host discovery

begin nmap_sn_PE
run 120 -- nmap -n -T4 -sn -PE --send-ip "$SWEEP_NET"
finish
sw_expect_distinct "echo requests to distinct addresses of the /26" 60 dhost \
	"src host $SW_SCAN4 and dst net $SWEEP_NET and icmp[icmptype] == icmp-echo"
sw_expect_distinct "echo replies from the live /28" 16 shost \
	"dst host $SW_SCAN4 and icmp[icmptype] == icmp-echoreply"
label nmap_sn_PE.pcap "$SW_SCAN4" icmp_sweep nmap

begin nmap_sn_PS
run 120 -- nmap -n -T4 -sn -PS --send-ip "$SWEEP_NET"
finish
sw_expect_distinct "SYNs to distinct addresses of the /26" 60 dhost \
	"src host $SW_SCAN4 and dst net $SWEEP_NET and tcp[tcpflags] == tcp-syn"
sw_expect_distinct "RSTs from the live /28" 16 shost "dst host $SW_SCAN4 and tcp[tcpflags] & tcp-rst != 0"
label nmap_sn_PS.pcap "$SW_SCAN4" tcp_sweep,syn_scan nmap

# Plain `nmap -sn` of an on-link /27 is an ARP ping: who-has for each of the
# 32 addresses; .2, .10-.14 answer.
ARP_NET=198.18.0.0/27
arp_checks() {
	sw_expect_pkts "ARP requests from the scanner" 29 "arp and arp[6:2] == 1 and ether src $MAC_SCAN"
	sw_expect_pkts "ARP replies from the live addresses" 6 "arp and arp[6:2] == 2 and ether dst $MAC_SCAN"
}
begin nmap_arp
run 120 -- nmap -n -sn "$ARP_NET"
finish
arp_checks
# No tool column: nmap's ARP requests are byte for byte the kernel's (42-byte
# frame, target MAC zero), so nothing in the packets can name the tool and the
# sensor honestly says `unknown`.
label nmap_arp.pcap "$SW_SCAN4" arp_sweep

# ---------------------------------------------------------------------------
# nmap decoys, OS detection, IPv6, slow timing

DECOYS=(198.18.0.50 198.18.0.51 198.18.0.52)
begin nmap_decoy
run 120 -- "${NMAP[@]}" -sS -D "${DECOYS[0]},${DECOYS[1]},ME,${DECOYS[2]}" -p "$PORTS" "$SW_TGT4"
finish
syn_checks
for d in "${DECOYS[@]}"; do
	sw_expect_distinct "SYNs from decoy $d" "$NPORTS" dport "src host $d and tcp[tcpflags] == tcp-syn"
done
label nmap_decoy.pcap "$SW_SCAN4" decoy_scan,syn_scan nmap

begin nmap_O
run 180 -- "${NMAP[@]}" -O --max-os-tries 1 -p 1-100,443 "$SW_TGT4"
finish
sw_expect_distinct "SYNs to distinct ports (the port scan)" 100 dport "$(tcp_flags_is tcp-syn)"
sw_expect_pkts "the ECN probe (SYN with ECE and CWR)" 1 \
	"$from_scan and tcp[tcpflags] & (tcp-syn|tcp-ece|tcp-cwr) == (tcp-syn|tcp-ece|tcp-cwr)"
sw_expect_pkts "the T2 probe (no flags, DF)" 1 "$(tcp_flags_is 0) and ip[6] & 0x40 != 0"
sw_expect_pkts "the T3 probe (SYN|FIN|PSH|URG)" 1 "$(tcp_flags_is 'tcp-syn|tcp-fin|tcp-push|tcp-urg')"
sw_expect_pkts "the two IE echo requests" 2 "$from_scan and icmp[icmptype] == icmp-echo"
sw_expect_pkts "the U1 probe" 1 "$from_scan and udp"
label nmap_O.pcap "$SW_SCAN4" os_fingerprint,syn_scan nmap

tcp6="ip6 and src host $SW_SCAN6 and dst host $SW_TGT6 and ip6[6] == 6"
begin nmap6_sS
run 120 -- "${NMAP[@]}" -6 -sS -p "$PORTS" "$SW_TGT6"
finish
sw_expect_distinct "IPv6 SYNs to distinct ports" "$NPORTS" dport "$tcp6 and ip6[53] == 0x02"
sw_expect_pkts "IPv6 SYN/ACKs from the open ports" 4 \
	"ip6 and src host $SW_TGT6 and ip6[6] == 6 and ip6[53] == 0x12"
label nmap6_sS.pcap "$SW_SCAN6" syn_scan nmap

# IPv6 ping sweep of a routed /122 (64 addresses, the first 16 up). Off-link,
# so nmap's discovery is ICMPv6 echo, not neighbour discovery.
begin nmap6_sn
run 120 -- nmap -n -T4 -6 -sn -PE "$SWEEP6_NET"
finish
sw_expect_distinct "ICMPv6 echo requests to distinct addresses" 60 dhost \
	"ip6 and src host $SW_SCAN6 and icmp6 and ip6[40] == 128"
sw_expect_distinct "ICMPv6 echo replies from the live /124" 16 shost \
	"ip6 and dst host $SW_SCAN6 and icmp6 and ip6[40] == 129"
label nmap6_sn.pcap "$SW_SCAN6" icmp_sweep nmap

# IPv6 ping sweep of the scanner's own /64, on-link: nmap discovers by
# neighbour solicitation (ICMPv6, to solicited-node groups), not echo. 2001:2::
# /120 of the link: only the target answers. No tool column: the solicitations
# are the kernel's own shape.
begin nmap6_sn_lan
run 120 -- nmap -n -T4 -6 -sn --max-retries 1 2001:2::/120
finish
sw_expect_pkts "neighbour solicitations from the scanner" 200 \
	"ip6 and src host $SW_SCAN6 and icmp6 and ip6[40] == 135"
label nmap6_sn_lan.pcap "$SW_SCAN6" icmp_sweep

# -T1: 15 s between probes, five ports: the slow-scan case (about 75 s).
begin nmap_T1
run 200 -- nmap -n -Pn -T1 --max-retries 1 -sS -p 21,22,23,80,443 "$SW_TGT4"
finish
sw_expect_distinct "SYNs to the five ports" 5 dport "$(tcp_flags_is tcp-syn)"
expect_span "the SYNs (15 s apart)" 55 "$(tcp_flags_is tcp-syn)"
label nmap_T1.pcap "$SW_SCAN4" syn_scan nmap

# ---------------------------------------------------------------------------
# masscan and zmap: their own packet builders, raw on the scanner's veth,
# with the target's MAC as the "router".

begin masscan
# masscan 1.3.2 now and then never leaves its final wait loop after sending
# everything ("100.00% done, waiting -117-secs"): a timeout after the scan is
# accepted (status 124); syn_checks below still prove the capture holds it.
run 30 124 -- masscan "$SW_TGT4" -p "$PORTS" --rate 1000 --wait 2 -e "$SW_IF_SCAN" \
	--adapter-ip "$SW_SCAN4" --router-mac "$MAC_TGT"
finish
syn_checks
label masscan.pcap "$SW_SCAN4" syn_scan masscan

# zmap refuses 198.18.0.0/15 through its default blocklist: an empty one
# instead. Bounded: 64 targets (-n), 500 probes/s, one port.
: >"$SW_DIR/zmap.blocklist"
begin zmap
run 120 -- zmap -p 8000 -i "$SW_IF_SCAN" -G "$MAC_TGT" -S "$SW_SCAN4" -b "$SW_DIR/zmap.blocklist" \
	-n 64 -r 500 -c 2 -q --disable-syslog -o "$SW_DIR/zmap.results" "$SWEEP_NET"
finish
zsyn="src host $SW_SCAN4 and dst net $SWEEP_NET and tcp[tcpflags] == tcp-syn"
sw_expect_distinct "SYNs to distinct addresses of the /26" 60 dhost "$zsyn"
sw_expect_pkts "zmap's IP id 54321 on its SYNs" 60 "$zsyn and ip[4:2] == 54321"
sw_expect_distinct "SYN/ACKs from the live /28" 16 shost \
	"dst host $SW_SCAN4 and tcp[tcpflags] == (tcp-syn|tcp-ack)"
label zmap.pcap "$SW_SCAN4" syn_scan,tcp_sweep zmap

# ---------------------------------------------------------------------------
# hping3 floods, bounded by -c (hping3 exits 1 when nothing answered).

begin hping3_synflood
run 60 1 -- hping3 -S -p 80 -c 3000 -i u100 "$SW_TGT4"
finish
sw_expect_pkts "SYNs to port 80" 3000 "$(tcp_flags_is tcp-syn) and dst port 80"
label hping3_synflood.pcap "$SW_SCAN4" syn_flood hping3

begin hping3_randsrc
run 60 1 -- hping3 -S -p 80 -c 3000 -i u100 --rand-source "$SW_TGT4"
finish
sw_expect_pkts "SYNs to port 80" 3000 "dst host $SW_TGT4 and dst port 80 and tcp[tcpflags] == tcp-syn"
sw_expect_distinct "spoofed sources" 2900 shost "dst host $SW_TGT4 and dst port 80 and tcp[tcpflags] == tcp-syn"
sw_expect_none "packets to anything but the target's own link" "not arp and not dst net 198.18.0.0/24 and not ip6"
label hping3_randsrc.pcap '*' syn_flood hping3

begin hping3_rstflood
run 60 1 -- hping3 --rst -p 80 -c 1000 -i u200 "$SW_TGT4"
finish
sw_expect_pkts "RSTs to port 80" 1000 "$from_scan and dst port 80 and tcp[tcpflags] & tcp-rst != 0"
label hping3_rstflood.pcap "$SW_SCAN4" rst_flood hping3

# hping3's own port scans: --scan (-8) walks a port range with the flags given (SYN, FIN,
# FIN/PSH/URG, none, ACK), and `-p ++N` counts the destination port up by one a packet, in
# TCP and UDP (-2). hping3 exits 1 when a reply is missing.
hping_scan() {
	local name=$1 kinds=$2 filter=$3
	shift 3
	begin "$name"
	run 60 1 -- hping3 "$@" "$SW_TGT4"
	finish
	sw_expect_distinct "probes to distinct ports" 50 dport "$from_scan and $filter"
	label "$name.pcap" "$SW_SCAN4" "$kinds" hping3
}
hping_scan hping3_scan_syn syn_scan "tcp[tcpflags] == tcp-syn" --scan 1-100 -S
hping_scan hping3_scan_fin fin_scan "tcp[tcpflags] == tcp-fin" --scan 1-100 -F
hping_scan hping3_scan_xmas xmas_scan "tcp[tcpflags] == (tcp-fin|tcp-push|tcp-urg)" \
	--scan 1-100 -F -P -U
hping_scan hping3_scan_null null_scan "tcp[tcpflags] == 0" --scan 1-100
hping_scan hping3_scan_ack ack_scan "tcp[tcpflags] == tcp-ack" --scan 1-100 -A
hping_scan hping3_inc_fin fin_scan "tcp[tcpflags] == tcp-fin" -F -p ++20 -c 60 -i u10000
hping_scan hping3_inc_udp udp_scan "udp" -2 -p ++20 -c 60 -i u10000

# ---------------------------------------------------------------------------
# nmap evasion options

begin nmap_frag
run 120 -- "${NMAP[@]}" -sS -f -p "$PORTS" "$SW_TGT4"
finish
sw_expect_pkts "first fragments (MF set, offset 0)" "$NPORTS" \
	"$from_scan and ip[6:2] & 0x3fff == 0x2000"
sw_expect_pkts "later fragments" "$NPORTS" "$from_scan and ip[6:2] & 0x1fff != 0"
sw_expect_none "unfragmented SYNs" "$(tcp_flags_is tcp-syn) and ip[6:2] & 0x3fff == 0"
sw_expect_distinct "SYN/ACKs from the five open ports" 5 sport "$synack_from_tgt"
label nmap_frag.pcap "$SW_SCAN4" syn_scan nmap

begin nmap_datalen
run 120 -- "${NMAP[@]}" -sS --data-length 40 -p "$PORTS" "$SW_TGT4"
finish
sw_expect_distinct "SYNs with 40 bytes of payload" "$NPORTS" dport \
	"$(tcp_flags_is tcp-syn) and ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) == 40"
label nmap_datalen.pcap "$SW_SCAN4" syn_scan nmap

begin nmap_sport53
run 120 -- "${NMAP[@]}" -sS -g 53 -p "$PORTS" "$SW_TGT4"
finish
sw_expect_distinct "SYNs from source port 53" "$NPORTS" dport "$(tcp_flags_is tcp-syn) and src port 53"
label nmap_sport53.pcap "$SW_SCAN4" syn_scan nmap

begin nmap_ttl3
run 120 -- "${NMAP[@]}" -sS --ttl 3 -p "$PORTS" "$SW_TGT4"
finish
sw_expect_distinct "SYNs with TTL 3" "$NPORTS" dport "$(tcp_flags_is tcp-syn) and ip[8] == 3"
label nmap_ttl3.pcap "$SW_SCAN4" syn_scan nmap

begin nmap_delay
run 120 -- "${NMAP[@]}" -sS --scan-delay 1s -p 21,22,23,25,80,110,143,443 "$SW_TGT4"
finish
sw_expect_distinct "SYNs to the eight ports" 8 dport "$(tcp_flags_is tcp-syn)"
expect_span "the SYNs (1 s apart)" 6 "$(tcp_flags_is tcp-syn)"
label nmap_delay.pcap "$SW_SCAN4" syn_scan nmap

begin nmap_randhosts
run 120 -- "${NMAP[@]}" -sS --randomize-hosts -p 80,443 "$SWEEP_NET"
finish
sw_expect_distinct "SYNs to distinct addresses of the /26" 60 dhost \
	"src host $SW_SCAN4 and dst net $SWEEP_NET and tcp[tcpflags] == tcp-syn"
label nmap_randhosts.pcap "$SW_SCAN4" tcp_sweep,syn_scan nmap

# A scanner sharing its MAC (its interface) with a busy legitimate client:
# the client fetches pages from 198.18.0.3 while nmap scans from 198.18.0.1.
CLIENT_ADDR=198.18.0.3
sw_add_scan_addr "$CLIENT_ADDR"
begin nmap_sharedmac
# (Background jobs read /dev/null, not a here-document: the client is a file.)
cat >"$SW_DIR/sharedmac_client.py" <<'PY'
import http.client, sys, time
src, dst = sys.argv[1], sys.argv[2]
for i in range(150):
    port = (80, 8080, 8000)[i % 3]
    c = http.client.HTTPConnection(dst, port, timeout=5, source_address=(src, 0))
    c.request("GET", "/busy/%d" % i)
    r = c.getresponse()
    assert r.status == 200 and r.read().startswith(b"scanwatch test page"), r.status
    c.close()
    time.sleep(0.02)
print("150 fetches")
PY
sw_bg "$SW_NS_SCAN" sharedmac.client "$SW_PYTHON" "$SW_DIR/sharedmac_client.py" "$CLIENT_ADDR" "$SW_TGT4"
client_pid=$SW_LAST_PID
run 120 -- "${NMAP[@]}" -sS -p "$PORTS" "$SW_TGT4"
wait "$client_pid" || sw_fail "the busy client failed: $(cat "$SW_DIR/sharedmac.client.err")"
finish
syn_checks
sw_expect_pkts "the client's completed fetches" 150 \
	"src host $CLIENT_ADDR and tcp[tcpflags] & tcp-fin != 0"
sw_expect_pkts "the client and the scanner behind one MAC" 150 "ether src $MAC_SCAN and src host $CLIENT_ADDR"
label nmap_sharedmac.pcap "$SW_SCAN4" syn_scan nmap
ip -n "$SW_NS_SCAN" addr del "$CLIENT_ADDR/24" dev "$SW_IF_SCAN"

# ---------------------------------------------------------------------------
# Benign look-alikes: nothing in these may be reported.

# A client fetching a page from each of 40 hosts of a server pool.
begin benign_pool40
run 60 -- "$SW_PYTHON" - "$SW_SCAN4" <<'PY'
import http.client, sys, time
src = sys.argv[1]
for i in range(40):
    host = "198.18.1.%d" % (65 + i)
    c = http.client.HTTPConnection(host, 8000, timeout=5, source_address=(src, 0))
    c.request("GET", "/pool/%d" % i)
    r = c.getresponse()
    assert r.status == 200 and r.read().startswith(b"scanwatch test page"), (host, r.status)
    c.close()
    time.sleep(0.05)
print("40 hosts fetched")
PY
finish
sw_expect_distinct "SYNs to 40 pool hosts" 40 dhost "src host $SW_SCAN4 and tcp[tcpflags] == tcp-syn"
sw_expect_pkts "SYN/ACKs from the pool" 40 "dst host $SW_SCAN4 and tcp[tcpflags] == (tcp-syn|tcp-ack)"
sw_expect_none "resets" "tcp[tcpflags] & tcp-rst != 0"
label benign_pool40.pcap '*' ''

# A monitoring poller: every 4 s, for 36 s, it pings four hosts and checks
# the web service on each.
begin benign_poller
run 90 -- "$SW_PYTHON" - "$SW_SCAN4" <<'PY'
import http.client, subprocess, sys, time
src = sys.argv[1]
hosts = ["198.18.1.65", "198.18.1.66", "198.18.1.67", "198.18.1.68"]
for rnd in range(10):
    t0 = time.monotonic()
    for h in hosts:
        subprocess.run(["ping", "-n", "-q", "-c", "1", "-W", "2", h], check=True,
                       stdout=subprocess.DEVNULL)
        c = http.client.HTTPConnection(h, 8000, timeout=5, source_address=(src, 0))
        c.request("GET", "/health")
        r = c.getresponse()
        assert r.status == 200, r.status
        r.read()
        c.close()
    if rnd < 9:
        time.sleep(max(0.0, 4.0 - (time.monotonic() - t0)))
print("10 polling rounds")
PY
finish
sw_expect_pkts "echo requests" 40 "src host $SW_SCAN4 and icmp[icmptype] == icmp-echo"
sw_expect_pkts "echo replies" 40 "dst host $SW_SCAN4 and icmp[icmptype] == icmp-echoreply"
sw_expect_pkts "service checks answered" 40 "dst host $SW_SCAN4 and tcp[tcpflags] == (tcp-syn|tcp-ack)"
sw_expect_none "resets" "tcp[tcpflags] & tcp-rst != 0"
expect_span "the polling" 30 "src host $SW_SCAN4 and icmp"
label benign_poller.pcap '*' ''

# A DNS server (198.18.0.53) answering 48 clients (198.18.0.100-147), three
# queries each. The server resolves each client's MAC before answering it.
DNS_ADDR=198.18.0.53
rm -f "$SW_DIR/dns.ready"
cat >"$SW_DIR/dns_server.py" <<'PY'
# Minimal authoritative responder: every A query gets one answer (RFC 1035 4.1).
import os, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write("READY\n")
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
while True:
    q, peer = s.recvfrom(512)
    if len(q) < 17:
        continue
    end = 12
    while end < len(q) and q[end]:
        end += q[end] + 1
    question = q[12:end + 5]
    hdr = q[:2] + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0)
    ans = struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4) + bytes([198, 18, 1, 65])
    s.sendto(hdr + question + ans, peer)
PY
sw_bg "$SW_NS_TGT" dns "$SW_PYTHON" "$SW_DIR/dns_server.py" "$DNS_ADDR" "$SW_DIR/dns.ready"
dns_pid=$SW_LAST_PID
dns_ready() {
	kill -0 "$dns_pid" 2>/dev/null || sw_fail "the DNS responder exited early: $(cat "$SW_DIR/dns.err")"
	sw_file_has "$SW_DIR/dns.ready" READY
}
sw_poll "$SW_POLL_DEADLINE" "the DNS responder" dns_ready
for i in $(seq 100 147); do
	ip -n "$SW_NS_SCAN" addr add "198.18.0.$i/24" dev "$SW_IF_SCAN"
done
begin benign_dns
run 60 -- "$SW_PYTHON" - "$DNS_ADDR" <<'PY'
import random, socket, struct, sys, time
server = sys.argv[1]
clients = ["198.18.0.%d" % i for i in range(100, 148)]
order = [(c, n) for n in range(3) for c in clients]
random.shuffle(order)
answered = 0
for qid, (c, n) in enumerate(order):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((c, 0))
    s.settimeout(2)
    name = b"".join(bytes([len(l)]) + l for l in [b"host%d" % n, b"example", b"test"]) + b"\0"
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + name + struct.pack("!HH", 1, 1)
    s.sendto(q, (server, 53))
    r, _ = s.recvfrom(512)
    assert r[:2] == q[:2], "answer to another query"
    answered += 1
    s.close()
    time.sleep(0.03)
print(answered, "queries answered")
PY
finish
sw_expect_distinct "clients querying the server" 48 shost "udp and dst host $DNS_ADDR and dst port 53"
sw_expect_pkts "answers" 144 "udp and src host $DNS_ADDR and src port 53"
label benign_dns.pcap '*' ''
for i in $(seq 100 147); do
	ip -n "$SW_NS_SCAN" addr del "198.18.0.$i/24" dev "$SW_IF_SCAN"
done

# A client whose connections are occasionally refused: 120 fetches from two
# web services, with four attempts at a port where the service is down.
begin benign_refused
run 60 -- "$SW_PYTHON" - "$SW_SCAN4" "$SW_TGT4" <<'PY'
import http.client, sys, time
src, dst = sys.argv[1], sys.argv[2]
refused = 0
for i in range(124):
    port = 8081 if i % 31 == 30 else (80, 8080)[i % 2]
    try:
        c = http.client.HTTPConnection(dst, port, timeout=5, source_address=(src, 0))
        c.request("GET", "/app/%d" % i)
        r = c.getresponse()
        assert r.status == 200, r.status
        r.read()
        c.close()
    except ConnectionRefusedError:
        assert port == 8081
        refused += 1
    time.sleep(0.04)
assert refused == 4, refused
print("120 fetches, 4 refused")
PY
finish
sw_expect_pkts "successful fetches" 120 "$synack_from_tgt"
n=$(sw_count "$SW_CAP" "$rst_from_tgt")
((n == 4)) || sw_fail "capture sanity: $n refusals (RST from the target), expected 4"
label benign_refused.pcap '*' ''

# The kernel's own ARP resolution: with empty neighbour caches, a host talks
# to four on-link neighbours for the first time.
ip -n "$SW_NS_SCAN" neigh flush all
ip -n "$SW_NS_TGT" neigh flush all
begin benign_arp
run 60 -- "$SW_PYTHON" - "$SW_SCAN4" <<'PY'
import http.client, sys
src = sys.argv[1]
for rnd in range(3):
    for i in range(10, 14):
        host = "198.18.0.%d" % i
        c = http.client.HTTPConnection(host, 8000, timeout=5, source_address=(src, 0))
        c.request("GET", "/first/%d" % rnd)
        r = c.getresponse()
        assert r.status == 200, r.status
        r.read()
        c.close()
print("4 neighbours")
PY
finish
sw_expect_pkts "ARP requests for the four neighbours" 4 "arp and arp[6:2] == 1 and ether src $MAC_SCAN"
sw_expect_pkts "the fetches" 12 "dst host $SW_SCAN4 and tcp[tcpflags] == (tcp-syn|tcp-ack)"
label benign_arp.pcap '*' ''

# ---------------------------------------------------------------------------
# Further families, one file each (corpus_part_*.sh, sourced here in name
# order): they run in these namespaces with the helpers above (begin, run,
# finish, label, the sw_expect_* checks of lib.sh) and add their own labels.
for part in "$SW_LIB_DIR"/corpus_part_*.sh; do
	[[ -e $part ]] || continue
	# shellcheck source=/dev/null
	. "$part"
done

# ---------------------------------------------------------------------------
# Other capture formats: the same kinds of scans as pcapng, as Linux cooked
# v2 (SLL2, from `tcpdump -i any`) and as 802.1Q-tagged Ethernet.

# copy_label FROM TO — labels capture TO as FROM is labelled.
copy_label() {
	local line
	line=$(grep -P "^\Q$1\E\t" "$LABELS_NEW") || sw_fail "no label for $1"
	label "$2" "$(cut -f2 <<<"$line")" "$(cut -f3 <<<"$line")" "$(cut -f4 <<<"$line")"
}

for name in nmap_sS nmap_sU nmap_sn_PE hping3_synflood nmap6_sn; do
	SW_TEST=corpus:$name.pcapng
	editcap -F pcapng "$out/$name.pcap" "$out/$name.pcapng" || sw_fail "editcap cannot convert $name.pcap"
	SW_CAP=$out/$name.pcapng
	# pcapng files open with a Section Header Block, type 0x0A0D0D0A.
	[[ $(od -An -tx1 -N4 "$SW_CAP" | tr -d ' ') == 0a0d0d0a ]] ||
		sw_fail "capture sanity: $name.pcapng is not pcapng"
	a=$(sw_count "$out/$name.pcap" "")
	b=$(sw_count "$SW_CAP" "")
	((a == b)) || sw_fail "capture sanity: $name.pcapng has $b packets, $name.pcap $a"
	expect_linktype EN10MB
	copy_label "$name.pcap" "$name.pcapng"
done

# On `any` libpcap cannot size its ring slots from an MTU and makes each one
# the snapshot length: at lib.sh's 256 KB the 2 MB ring holds eight packets
# and a scan overflows it. The veth MTU is 1500, so 2048 bytes keep every
# frame whole.
SLL2=(any -y LINUX_SLL2 -s 2048)
# (lib.sh's sw_distinct reads Ethernet-style tcpdump lines; on `any` each
# line starts with the interface and direction, so these checks count.)

begin sll2_nmap_sS "${SLL2[@]}"
run 120 -- "${NMAP[@]}" -sS -p "$PORTS" "$SW_TGT4"
finish
expect_linktype LINUX_SLL2
sw_expect_pkts "SYNs from the scanner" "$NPORTS" "$(tcp_flags_is tcp-syn)"
sw_expect_pkts "SYN/ACKs from the open ports" 4 "$synack_from_tgt"
label sll2_nmap_sS.pcap "$SW_SCAN4" syn_scan nmap

begin sll2_nmap_sX "${SLL2[@]}"
run 120 -- "${NMAP[@]}" -sX -p "$PORTS" "$SW_TGT4"
finish
expect_linktype LINUX_SLL2
sw_expect_pkts "Xmas probes" "$NPORTS" "$(tcp_flags_is 'tcp-fin|tcp-push|tcp-urg')"
label sll2_nmap_sX.pcap "$SW_SCAN4" xmas_scan nmap

begin sll2_nmap_sU "${SLL2[@]}"
run 120 -- "${NMAP[@]}" -sU --max-rate 200 -p "$UDP_PORTS" "$SW_TGT4"
finish
expect_linktype LINUX_SLL2
sw_expect_pkts "UDP probes" 22 "udp and $from_scan"
sw_expect_pkts "ICMP port unreachable" 20 "$from_tgt and icmp[icmptype] == icmp-unreach"
label sll2_nmap_sU.pcap "$SW_SCAN4" udp_scan nmap

begin sll2_nmap_arp "${SLL2[@]}"
run 120 -- nmap -n -sn "$ARP_NET"
finish
expect_linktype LINUX_SLL2
sw_expect_pkts "ARP requests" 29 "arp and arp[6:2] == 1"
label sll2_nmap_arp.pcap "$SW_SCAN4" arp_sweep

begin sll2_hping3_rstflood "${SLL2[@]}"
run 60 1 -- hping3 --rst -p 80 -c 1000 -i u200 "$SW_TGT4"
finish
expect_linktype LINUX_SLL2
sw_expect_pkts "RSTs to port 80" 1000 "$from_scan and dst port 80 and tcp[tcpflags] & tcp-rst != 0"
label sll2_hping3_rstflood.pcap "$SW_SCAN4" rst_flood hping3

# 802.1Q: every frame of a capture re-tagged with VLAN 42 (IEEE 802.1Q: TPID
# 0x8100 and the TCI inserted after the two MAC addresses).
vlan_tag() {
	"$SW_PYTHON" - "$1" "$2" <<'PY'
import struct, sys
src, dst = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()
magic = data[:4]
if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
    e = "<"
elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
    e = ">"
else:
    sys.exit("%s: not a classic pcap file" % src)
if struct.unpack(e + "I", data[20:24])[0] & 0xFFFF != 1:
    sys.exit("%s: link type is not Ethernet" % src)
hdr = bytearray(data[:24])
struct.pack_into(e + "I", hdr, 16, struct.unpack(e + "I", data[16:20])[0] + 4)  # snaplen
res = [bytes(hdr)]
off = 24
while off < len(data):
    if off + 16 > len(data):
        sys.exit("%s: truncated record header" % src)
    sec, frac, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
    frame = data[off + 16:off + 16 + incl]
    if len(frame) != incl:
        sys.exit("%s: truncated record" % src)
    off += 16 + incl
    if incl >= 14:
        frame = frame[:12] + struct.pack("!HH", 0x8100, 42) + frame[12:]
        incl += 4
        orig += 4
    res.append(struct.pack(e + "IIII", sec, frac, incl, orig) + frame)
open(dst, "wb").write(b"".join(res))
PY
}
for name in nmap_sA nmap_sO nmap_arp hping3_rstflood nmap6_sS zmap; do
	SW_TEST=corpus:vlan_$name
	vlan_tag "$out/$name.pcap" "$out/vlan_$name.pcap" || sw_fail "cannot add VLAN tags to $name.pcap"
	SW_CAP=$out/vlan_$name.pcap
	a=$(sw_count "$out/$name.pcap" "")
	b=$(sw_count "$SW_CAP" "vlan 42")
	((a == b)) || sw_fail "capture sanity: vlan_$name.pcap has $b frames tagged VLAN 42, $name.pcap has $a"
	copy_label "$name.pcap" "vlan_$name.pcap"
done

mv -- "$LABELS_NEW" "$out/labels.tsv"
SW_TEST=corpus
sw_log "$(wc -l <"$out/labels.tsv") captures in $out, labels in $out/labels.tsv ($((($(sw_now_us) - T_START) / 1000000)) s)"
