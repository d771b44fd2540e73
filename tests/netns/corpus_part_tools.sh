# corpus_part_tools.sh — captures for tool attribution (sourced by corpus.sh): arp-scan, fping,
# nmap -sV, nmap IPv6 -sA/-sU, masscan UDP, and an emulation of Angry IP Scanner's connects.
#
# Runs inside corpus.sh's namespaces with its helpers (begin, run, finish, label) and layout
# (see corpus.sh's header). Every run is bounded by explicit address and port lists, retry
# counts and `timeout`; targets are the target namespace's own addresses and the routed sweep
# net only.
# shellcheck shell=bash
# shellcheck disable=SC2154 # ARP_NET, UDP_PORTS, from_scan, MAC_TGT ... are corpus.sh's
sw_require arp-scan fping

# arp-scan of the on-link /27, two attempts per host: .2 and .10-.14 answer. No tool column:
# its requests are the kernel's and nmap's byte for byte (42-byte broadcast frame, target MAC
# zero, arp-scan.c marshal_arp_pkt); its pace (one request per 1.44 ms at the default 256
# kbit/s) scatters from 15 us to 7 ms on a loaded host, and its request for its own address
# is dropped by classify as gratuitous, so the sensor honestly says `unknown`.
begin arpscan
run 30 -- arp-scan -I "$SW_IF_SCAN" --retry=2 --timeout=200 "$ARP_NET"
finish
arp_checks
label arpscan.pcap "$SW_SCAN4" arp_sweep

# fping over the routed nets, as a generated range (-g) and as a list; one retry. fping exits
# 1 when some host is unreachable. -g 198.18.1.0/25 covers the sweep net (its /28 answers,
# the rest is down) and the server pool (every address answers), less the network and
# broadcast addresses: 126 hosts, 78 of them live. The list: the sweep net's first 32
# addresses and the pool's first 48.
FPING_NET=198.18.1.0/25
begin fping_g
run 30 1 -- fping -q -r 1 -g "$FPING_NET"
finish
sw_expect_distinct "echo requests to distinct addresses of the /25" 126 dhost \
	"src host $SW_SCAN4 and dst net $FPING_NET and icmp[icmptype] == icmp-echo"
sw_expect_distinct "echo replies from the live addresses" 78 shost \
	"dst host $SW_SCAN4 and icmp[icmptype] == icmp-echoreply"
label fping_g.pcap "$SW_SCAN4" icmp_sweep fping

mapfile -t fping_hosts < <(
	for i in $(seq 0 31); do echo "198.18.1.$i"; done
	for i in $(seq 64 111); do echo "198.18.1.$i"; done
)
begin fping_list
run 30 1 -- fping -q -r 1 "${fping_hosts[@]}"
finish
sw_expect_distinct "echo requests to the 80 listed addresses" 80 dhost \
	"src host $SW_SCAN4 and dst net $FPING_NET and icmp[icmptype] == icmp-echo"
label fping_list.pcap "$SW_SCAN4" icmp_sweep fping

# nmap -sV: a SYN scan, then version-detection connects (kernel SYNs) to the open ports
# (22 echo, 80 http); --version-light keeps the probes few.
begin nmap_sV
run 120 -- "${NMAP[@]}" -sV --version-light -p 1-100 "$SW_TGT4"
finish
sw_expect_distinct "raw SYNs to distinct ports" 100 dport "$(tcp_flags_is tcp-syn)"
sw_expect_pkts "version connects completing handshakes" 2 "$(tcp_flags_is tcp-ack)"
label nmap_sV.pcap "$SW_SCAN4" syn_scan,connect_scan nmap

# nmap over IPv6: an ACK scan and a UDP scan with few ports.
from_scan6="src host $SW_SCAN6 and dst host $SW_TGT6"
begin nmap6_sA
run 60 -- "${NMAP[@]}" -6 -sA -p 1-100 "$SW_TGT6"
finish
sw_expect_pkts "ACK probes" 100 "ip6 and $from_scan6 and ip6[40+13] == 0x10"
label nmap6_sA.pcap "$SW_SCAN6" ack_scan,window_scan nmap

begin nmap6_sU
run 60 -- "${NMAP[@]}" -6 -sU --max-rate 200 -p "$UDP_PORTS" "$SW_TGT6"
finish
sw_expect_pkts "UDP probes" 22 "ip6 and udp and $from_scan6"
label nmap6_sU.pcap "$SW_SCAN6" udp_scan nmap

# masscan's UDP scan, raw on the scanner's veth with the target's MAC as router, at a low
# rate (a timeout after the scan is accepted, as for masscan's TCP capture in corpus.sh).
begin masscan_udp
run 30 124 -- masscan "$SW_TGT4" -pU:53,123,1001-1020 --rate 200 --wait 2 -e "$SW_IF_SCAN" \
	--adapter-ip "$SW_SCAN4" --router-mac "$MAC_TGT"
finish
sw_expect_distinct "UDP probes to distinct ports" 22 dport "udp and $from_scan"
label masscan_udp.pcap "$SW_SCAN4" udp_scan masscan

# Angry IP Scanner's default scan, emulated from its source with kernel sockets
# (angryip_like.py says what it reproduces): port-7 pings, then 80/443/8080 connects reset
# with SO_LINGER 0 on the live hosts. It must not be named nmap: tool `-`.
mapfile -t aip_hosts < <(
	echo "$SW_TGT4"
	for i in 10 11 12 13 14; do echo "198.18.0.$i"; done
	for i in $(seq 0 23); do echo "198.18.1.$i"; done
)
begin angryip
run 60 -- "$SW_PYTHON" "$SW_LIB_DIR/angryip_like.py" "${aip_hosts[@]}"
finish
sw_expect_pkts "handshakes completed to the target's open ports" 3 "$(tcp_flags_is tcp-ack)"
sw_expect_pkts "connects reset after the handshake" 3 "$from_scan and tcp[tcpflags] & tcp-rst != 0"
sw_expect_distinct "port-7 pings to distinct hosts" 30 dhost \
	"src host $SW_SCAN4 and tcp dst port 7 and tcp[tcpflags] == tcp-syn"
label angryip.pcap "$SW_SCAN4" connect_scan,tcp_sweep -
