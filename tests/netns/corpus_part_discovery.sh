# corpus_part_discovery.sh — host discovery as the tools do it by default (sourced by
# corpus.sh): nmap -sn with no probe option over a routed net (an echo request, a SYN to 443,
# an ACK to 80 and a timestamp request to each host), zmap's ICMP echo and UDP modules, and
# masscan --ping, over the whole net and (zmap's and masscan's echo) over its answering /28.
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

# zmap_sweep TARGETS NET MODULE-ARGS... — the capture's zmap run: TARGETS addresses of NET at
# 500 probes/s, raw on the scanner's veth, with the empty blocklist corpus.sh's zmap capture
# made (its default one refuses 198.18.0.0/15).
zmap_sweep() {
	local n=$1 net=$2
	shift 2
	run 60 -- zmap "$@" -i "$SW_IF_SCAN" -G "$MAC_TGT" -S "$SW_SCAN4" \
		-b "$SW_DIR/zmap.blocklist" -n "$n" -r 500 -c 2 -q --disable-syslog \
		-o "$SW_DIR/$CUR.results" "$net"
}

# masscan_ping NET WAIT [ADAPTER-IP] — the capture's masscan --ping run: echo requests from
# its own stack, raw on the scanner's veth with the target's MAC as router, at a low rate (a
# timeout after the scan is accepted, as for masscan's TCP capture in corpus.sh).
masscan_ping() {
	run 15 124 -- masscan --ping "$1" --rate 500 --wait "$2" -e "$SW_IF_SCAN" \
		--adapter-ip "${3:-$SW_SCAN4}" --router-mac "$MAC_TGT"
}

# zmap's ICMP echo and UDP (DNS port) modules over the same net, 64 targets.
begin zmap_icmp
zmap_sweep 64 "$SWEEP_NET" -M icmp_echoscan
finish
sw_expect_distinct "echo requests to distinct hosts" 60 dhost "$in_net and icmp[icmptype] == icmp-echo"
label zmap_icmp.pcap "$SW_SCAN4" icmp_sweep zmap

begin zmap_udp
zmap_sweep 64 "$SWEEP_NET" -M udp -p 53
finish
sw_expect_distinct "datagrams to distinct hosts" 60 dhost "$in_net and udp dst port 53"
label zmap_udp.pcap "$SW_SCAN4" udp_sweep,udp_scan zmap

# masscan --ping over the same net.
begin masscan_ping
masscan_ping "$SWEEP_NET" 3
finish
sw_expect_distinct "echo requests to distinct hosts" 64 dhost "$in_net and icmp[icmptype] == icmp-echo"
label masscan_ping.pcap "$SW_SCAN4" icmp_sweep masscan

# The same two sweeps of the answering /28 alone (and masscan's of the IPv6 /124). Every host
# answers, so no silence counts, and sixteen hosts are fewer than a sweep of live hosts with
# ordinary pings must reach (detect_sweep.c): these are found by their builders' marks
# (classify.c, echo_builder: zmap's IP identification 54321, masscan's data).
echo_replies="dst host $SW_SCAN4 and src net $SWEEP_UP and icmp[icmptype] == icmp-echoreply"
begin zmap_icmp_live
zmap_sweep 16 "$SWEEP_UP" -M icmp_echoscan
finish
sw_expect_distinct "hosts answering" 16 shost "$echo_replies"
sw_expect_none "silent hosts pinged" "src host $SW_SCAN4 and icmp and not dst net $SWEEP_UP"
label zmap_icmp_live.pcap "$SW_SCAN4" icmp_sweep zmap

begin masscan_ping_live
masscan_ping "$SWEEP_UP" 2
finish
sw_expect_distinct "hosts answering" 16 shost "$echo_replies"
sw_expect_none "silent hosts pinged" "src host $SW_SCAN4 and icmp and not dst net $SWEEP_UP"
label masscan_ping_live.pcap "$SW_SCAN4" icmp_sweep masscan

# masscan's ICMPv6 echo sweep of the answering IPv6 /124: the same data as over IPv4.
begin masscan_ping6_live
masscan_ping "$SWEEP6_UP" 2 "$SW_SCAN6"
finish
sw_expect_distinct "hosts answering" 16 shost \
	"ip6 and dst host $SW_SCAN6 and src net $SWEEP6_UP and icmp6 and ip6[40] == 129"
label masscan_ping6_live.pcap "$SW_SCAN6" icmp_sweep masscan
