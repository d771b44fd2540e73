# corpus_part_sctp.sh — SCTP port scans (nmap -sY INIT, -sZ COOKIE-ECHO) over IPv4 and IPv6; sourced by corpus.sh.
#
# Runs in corpus.sh's namespaces with its helpers (begin, run, finish, label,
# NMAP, from_scan/from_tgt). The target's kernel here has no SCTP (no sctp
# module can be loaded on these machines), so it answers every probe with
# ICMP protocol unreachable (IPv4, RFC 1122 3.2.2.1) or parameter problem,
# unrecognised next header (ICMPv6, RFC 4443 3.4): these captures exercise
# the probe shapes, the attribution and the refused path; INIT-ACK, ABORT and
# the association handshake are covered by tests/unit/test_classify.c. 20
# ports, one retry, and timeout bound each run (a few seconds each).

# shellcheck disable=SC2154 # from_scan, from_tgt, NMAP: set by corpus.sh, which sources this
SCTP_PORTS=1-15,80,2905,3868,5060,9899
SCTP_NPORTS=20
sctp4="$from_scan and ip proto 132"
sctp6="ip6 and src host $SW_SCAN6 and dst host $SW_TGT6 and ip6[6] == 132"
# ICMPv6 parameter problem (type 4) code 1 from the target: unrecognised next header.
nh_unknown6="ip6 and src host $SW_TGT6 and dst host $SW_SCAN6 and icmp6 and ip6[40] == 4 and ip6[41] == 1"

# The chunk type is the byte after the 12-byte common header (RFC 9260 section 3).
begin nmap_sY
run 60 -- "${NMAP[@]}" -sY -p "$SCTP_PORTS" "$SW_TGT4"
finish
sw_expect_distinct "SCTP INITs to distinct ports" "$SCTP_NPORTS" dport "$sctp4 and ip[32] == 1"
sw_expect_pkts "ICMP protocol unreachable from the target" "$SCTP_NPORTS" \
	"$from_tgt and icmp[icmptype] == icmp-unreach and icmp[icmpcode] == 2"
label nmap_sY.pcap "$SW_SCAN4" sctp_scan nmap

begin nmap_sZ
run 60 -- "${NMAP[@]}" -sZ -p "$SCTP_PORTS" "$SW_TGT4"
finish
sw_expect_distinct "SCTP COOKIE-ECHOs to distinct ports" "$SCTP_NPORTS" dport "$sctp4 and ip[32] == 10"
sw_expect_pkts "ICMP protocol unreachable from the target" "$SCTP_NPORTS" \
	"$from_tgt and icmp[icmptype] == icmp-unreach and icmp[icmpcode] == 2"
label nmap_sZ.pcap "$SW_SCAN4" sctp_scan nmap

begin nmap6_sY
run 60 -- "${NMAP[@]}" -6 -sY -p "$SCTP_PORTS" "$SW_TGT6"
finish
sw_expect_distinct "IPv6 SCTP INITs to distinct ports" "$SCTP_NPORTS" dport "$sctp6 and ip6[52] == 1"
sw_expect_pkts "ICMPv6 unrecognised next header from the target" "$SCTP_NPORTS" "$nh_unknown6"
label nmap6_sY.pcap "$SW_SCAN6" sctp_scan nmap

begin nmap6_sZ
run 60 -- "${NMAP[@]}" -6 -sZ -p "$SCTP_PORTS" "$SW_TGT6"
finish
sw_expect_distinct "IPv6 SCTP COOKIE-ECHOs to distinct ports" "$SCTP_NPORTS" dport "$sctp6 and ip6[52] == 10"
sw_expect_pkts "ICMPv6 unrecognised next header from the target" "$SCTP_NPORTS" "$nh_unknown6"
label nmap6_sZ.pcap "$SW_SCAN6" sctp_scan nmap
