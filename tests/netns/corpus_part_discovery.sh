# corpus_part_discovery.sh — host discovery as the tools do it by default (sourced by
# corpus.sh): nmap -sn with no probe option over a routed net (an echo request, a SYN to 443,
# an ACK to 80 and a timestamp request to each host), zmap's ICMP echo and UDP modules, and
# masscan --ping.
#
# Runs inside corpus.sh's namespaces with its helpers (begin, run, finish, label) and layout
# (see corpus.sh's header): the sweep net 198.18.1.0/26, whose /28 answers and the rest is
# down. Every run is bounded by that net, a target count, a rate and `timeout`.
# shellcheck shell=bash
# shellcheck disable=SC2154 # SWEEP_NET, MAC_TGT ... are corpus.sh's

# nmap -sn's default discovery of hosts off the local link (nmap's host discovery manual:
# -PE -PS443 -PA80 -PP as root).
begin nmap_sn_default
run 60 -- nmap -n -T4 --max-retries 1 -sn "$SWEEP_NET"
finish
in_net="src host $SW_SCAN4 and dst net $SWEEP_NET"
sw_expect_distinct "echo requests to distinct hosts" 64 dhost "$in_net and icmp[icmptype] == icmp-echo"
sw_expect_distinct "SYNs to 443 of distinct hosts" 48 dhost \
	"$in_net and tcp dst port 443 and tcp[tcpflags] == tcp-syn"
sw_expect_distinct "timestamp requests to distinct hosts" 48 dhost \
	"$in_net and icmp[icmptype] == icmp-tstamp"
label nmap_sn_default.pcap "$SW_SCAN4" icmp_sweep,tcp_sweep nmap

# zmap's ICMP echo and UDP (DNS port) modules over the same net, 64 targets at 500 probes/s,
# with the empty blocklist corpus.sh's zmap capture made (its default one refuses
# 198.18.0.0/15).
begin zmap_icmp
run 60 -- zmap -M icmp_echoscan -i "$SW_IF_SCAN" -G "$MAC_TGT" -S "$SW_SCAN4" \
	-b "$SW_DIR/zmap.blocklist" -n 64 -r 500 -c 2 -q --disable-syslog \
	-o "$SW_DIR/zmap_icmp.results" "$SWEEP_NET"
finish
sw_expect_distinct "echo requests to distinct hosts" 60 dhost "$in_net and icmp[icmptype] == icmp-echo"
label zmap_icmp.pcap "$SW_SCAN4" icmp_sweep zmap

begin zmap_udp
run 60 -- zmap -M udp -p 53 -i "$SW_IF_SCAN" -G "$MAC_TGT" -S "$SW_SCAN4" \
	-b "$SW_DIR/zmap.blocklist" -n 64 -r 500 -c 2 -q --disable-syslog \
	-o "$SW_DIR/zmap_udp.results" "$SWEEP_NET"
finish
sw_expect_distinct "datagrams to distinct hosts" 60 dhost "$in_net and udp dst port 53"
label zmap_udp.pcap "$SW_SCAN4" udp_sweep,udp_scan zmap

# masscan --ping: echo requests from its own stack, raw on the scanner's veth with the
# target's MAC as router, at a low rate (a timeout after the scan is accepted, as for
# masscan's TCP capture in corpus.sh).
begin masscan_ping
run 15 124 -- masscan --ping "$SWEEP_NET" --rate 500 --wait 3 -e "$SW_IF_SCAN" \
	--adapter-ip "$SW_SCAN4" --router-mac "$MAC_TGT"
finish
sw_expect_distinct "echo requests to distinct hosts" 64 dhost "$in_net and icmp[icmptype] == icmp-echo"
label masscan_ping.pcap "$SW_SCAN4" icmp_sweep
