# corpus_part_families.sh — UDP host sweeps, UDP and ICMP floods, an ICMP OS-fingerprint battery and a small IPv6 neighbour-discovery sweep (sourced by corpus.sh).
#
# Runs in corpus.sh's namespaces with its helpers (begin, run, finish, label,
# the sw_expect_* checks of lib.sh); see the layout comment at the top of
# corpus.sh for the addresses. Every run is bounded by a packet count (-c)
# and `timeout`; floods are hping3 with -c and -i u100, never --flood.

# nping (the information request of the ICMP battery) comes with Debian's nmap package.
sw_require nping

# nmap UDP ping sweep (-PU: an empty datagram to port 40125, nmap's default
# DEFAULT_UDP_PROBE_PORT) of the routed /26: the /28 that is up answers with
# ICMP port unreachable, the rest is blackholed and stays silent.
begin nmap_sn_PU
run 120 -- nmap -n -sn -PU -T4 --max-retries 1 "$SWEEP_NET"
finish
sw_expect_distinct "datagrams to port 40125 on distinct hosts" 60 dhost \
	"src host $SW_SCAN4 and dst net $SWEEP_NET and udp dst port 40125"
sw_expect_distinct "port unreachables from the live /28" 16 shost \
	"dst host $SW_SCAN4 and icmp[icmptype] == icmp-unreach"
label nmap_sn_PU.pcap "$SW_SCAN4" udp_sweep nmap

# UDP floods of a closed port (the target answers each with port unreachable,
# its ICMP rate limit being lifted), from the scanner and from forged sources.
begin hping3_udpflood
run 60 1 -- hping3 -n -q --udp -p 9 -c 3000 -i u100 "$SW_TGT4"
finish
sw_expect_pkts "datagrams to port 9" 3000 "$from_scan and udp dst port 9"
label hping3_udpflood.pcap "$SW_SCAN4" udp_flood hping3

begin hping3_udpflood_randsrc
run 60 1 -- hping3 -n -q --udp -p 9 -c 3000 -i u100 --rand-source "$SW_TGT4"
finish
sw_expect_pkts "datagrams to port 9" 3000 "dst host $SW_TGT4 and udp dst port 9"
sw_expect_distinct "spoofed sources" 2900 shost "dst host $SW_TGT4 and udp dst port 9"
sw_expect_none "packets to anything but the target's own link" "not arp and not dst net 198.18.0.0/24 and not ip6"
label hping3_udpflood_randsrc.pcap '*' udp_flood hping3

# ICMP echo floods: the target answers the scanner's; the forged sources'
# answers have no route and are never sent. The single-source flood keeps
# one echo identifier, so all but its first request are repeats of one flow;
# attribute.c still reads their sequence (stepping by 256) as hping3's.
begin hping3_icmpflood
run 60 1 -- hping3 -n -q --icmp -c 3000 -i u100 "$SW_TGT4"
finish
sw_expect_pkts "echo requests" 3000 "$from_scan and icmp[icmptype] == icmp-echo"
label hping3_icmpflood.pcap "$SW_SCAN4" icmp_flood hping3

begin hping3_icmpflood_randsrc
run 60 1 -- hping3 -n -q --icmp -c 3000 -i u100 --rand-source "$SW_TGT4"
finish
sw_expect_pkts "echo requests" 3000 "dst host $SW_TGT4 and icmp[icmptype] == icmp-echo"
sw_expect_distinct "spoofed sources" 2900 shost "dst host $SW_TGT4 and icmp[icmptype] == icmp-echo"
sw_expect_none "packets to anything but the target's own link" "not arp and not dst net 198.18.0.0/24 and not ip6"
label hping3_icmpflood_randsrc.pcap '*' icmp_flood hping3

# An Xprobe2-style ICMP battery against one host, built with hping3 (Xprobe2
# is not in Debian). What it sends, from its source (xprobe2 0.3,
# src/xpmodules/os_probe/*): an echo request with code 123, TOS 6 and DF
# (icmp_echo_id.cc), a timestamp request (icmp_timestamp), an address-mask
# request (icmp_addrmask), an information request (icmp_inforeq) and a
# datagram to a closed UDP port (icmp_port_unreach). Two of each, as a
# prober retries an unanswered one; hping3 builds no information request
# ("Unsupported icmp type"), nping (Debian's nmap package) does.
begin icmp_battery
run 10 1 -- hping3 --icmp --icmpcode 123 --tos 6 -y -c 2 -i u20000 "$SW_TGT4"
run 10 1 -- hping3 --icmp --icmp-ts -c 2 -i u20000 "$SW_TGT4"
run 10 1 -- hping3 --icmp --icmp-addr -c 2 -i u20000 "$SW_TGT4"
run 10 -- nping -q -c 2 --delay 20ms --icmp --icmp-type 15 "$SW_TGT4"
run 10 1 -- hping3 -n --udp -p 65000 -c 2 -i u20000 "$SW_TGT4"
finish
icmp_req="$from_scan and icmp"
sw_expect_pkts "echo requests with code 123" 2 "$icmp_req and icmp[icmptype] == icmp-echo and icmp[icmpcode] == 123"
sw_expect_pkts "timestamp requests" 2 "$icmp_req and icmp[icmptype] == icmp-tstamp"
sw_expect_pkts "address-mask requests" 2 "$icmp_req and icmp[icmptype] == icmp-maskreq"
sw_expect_pkts "information requests" 2 "$icmp_req and icmp[icmptype] == icmp-ireq"
sw_expect_pkts "port unreachable from 65000" 1 "$from_tgt and icmp[icmptype] == icmp-unreach"
label icmp_battery.pcap "$SW_SCAN4" os_fingerprint

# nmap -6 -sn of eight on-link addresses of the target: on a LAN nmap pings by
# neighbour solicitation alone (to each address's solicited-node group), the
# target answers each with an advertisement, and nothing follows. No tool
# column: the solicitations are the kernel's shape.
ND8=()
for i in $(seq 256 263); do
	a=2001:2::$(printf %x "$i")
	ip -n "$SW_NS_TGT" -6 addr add "$a/64" dev "$SW_IF_TGT" nodad
	ND8+=("$a")
done
begin nmap6_nd8
run 60 -- nmap -n -T4 -6 -sn --max-retries 1 "${ND8[@]}"
finish
sw_expect_distinct "neighbour solicitations for the eight addresses" 8 dhost \
	"ip6 and src host $SW_SCAN6 and icmp6 and ip6[40] == 135"
sw_expect_pkts "neighbour advertisements from the target" 8 \
	"ip6 and dst host $SW_SCAN6 and icmp6 and ip6[40] == 136"
label nmap6_nd8.pcap "$SW_SCAN6" icmp_sweep
