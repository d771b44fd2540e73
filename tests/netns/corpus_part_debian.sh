# corpus_part_debian.sh — captures of the other scanners Debian ships (sourced by corpus.sh):
# netcat's -z port scan, pnscan, nbtscan, onesixtyone, ike-scan, sipvicious' svmap,
# ipv6toolkit's scan6 and netdiscover. None of them is named by the tool attribution,
# so each is labelled with its kinds and no tool (`-`): what is scored is that the scan is found,
# from its real source, as the kind it is.
#
# Runs inside corpus.sh's namespaces with its helpers (begin, run, finish, label) and layout
# (see corpus.sh's header). Every run is bounded by an explicit address range or port list,
# retry counts and `timeout`; targets are the target namespace's own addresses, the shared
# link's /24 (netdiscover's ARP) and the routed sweep nets only.
# shellcheck shell=bash
# shellcheck disable=SC2154 # SWEEP_NET, from_scan ... are corpus.sh's
sw_require nc pnscan nbtscan onesixtyone ike-scan svmap scan6 netdiscover

# netcat (OpenBSD's) -z: one kernel connect after another to ports 1-60 of the target, which
# listens on 22 and refuses the rest. nc exits 0 when a port was open.
begin netcat_z
run 60 -- nc -z -w 1 "$SW_TGT4" 1-60
finish
sw_expect_distinct "connects to distinct ports" 60 dport "$(tcp_flags_is tcp-syn)"
label netcat_z.pcap "$SW_SCAN4" connect_scan -

# pnscan: parallel connects to port 8000 across the sweep net (a /26, less its network and
# broadcast addresses: 62 hosts), whose /28 answers through the pool listener, and whose
# other addresses are down. pnscan closes each connection it opened without a byte of data.
# It gives up on a silent host after its 0.5 s timeout and exits: the capture goes on, as a
# sensor's or an analyst's does, to an ordinary ping of the target 4 s later, past the 3 s
# in which a probe's answer is awaited (a replay learns that a host stayed silent only from
# a later packet's time; at the end of a capture an unanswered probe has no outcome, or a
# browser still retrying its trackers when the capture stops would be a connect scan, as a
# trial on the benign corpus showed). A sweep of one port where as
# many hosts answer as not, the shape of a TCP health checker's first round over its
# backends, stays quiet: failures must outnumber answers two to one (detect_connect.c).
begin pnscan
# shellcheck disable=SC2016 # expanded by the inner shell
run 60 -- sh -c 'pnscan -t 500 "$1" 8000 && sleep 4 && ping -n -q -c 1 -W 2 "$2"' pnscan \
	"$SWEEP_NET" "$SW_TGT4"
finish
sw_expect_distinct "connects to distinct hosts" 62 dhost \
	"src host $SW_SCAN4 and tcp dst port 8000 and tcp[tcpflags] == tcp-syn"
sw_expect_pkts "connections opened" 15 "src host $SW_SCAN4 and tcp dst port 8000 and tcp[tcpflags] == tcp-ack"
label pnscan.pcap "$SW_SCAN4" connect_scan,tcp_sweep -

# nbtscan: a NetBIOS node status query (UDP 137, RFC 1002 section 4.2.17) to each address of
# the sweep net's first 32; the live ones refuse (port unreachable), the rest stay silent.
begin nbtscan
run 60 -- nbtscan -t 500 198.18.1.0/27
finish
sw_expect_distinct "queries to distinct hosts" 32 dhost "src host $SW_SCAN4 and udp dst port 137"
label nbtscan.pcap "$SW_SCAN4" udp_sweep,udp_scan -

# onesixtyone: SNMP GetRequests for sysDescr with three community names to the same 32
# addresses (UDP 161).
printf '%s\n' public private manager >"$SW_DIR/communities.txt"
seq -f '198.18.1.%g' 0 31 >"$SW_DIR/snmp_hosts.txt"
begin onesixtyone
run 60 -- onesixtyone -c "$SW_DIR/communities.txt" -i "$SW_DIR/snmp_hosts.txt" -w 10
finish
sw_expect_distinct "requests to distinct hosts" 32 dhost "src host $SW_SCAN4 and udp dst port 161"
label onesixtyone.pcap "$SW_SCAN4" udp_sweep,udp_scan -

# ike-scan: an IKE main-mode proposal (UDP 500 from port 500) to each of the same 32
# addresses, one retry.
begin ike_scan
run 60 -- ike-scan -r 1 198.18.1.0/27
finish
sw_expect_distinct "proposals to distinct hosts" 32 dhost "src host $SW_SCAN4 and udp dst port 500"
label ike_scan.pcap "$SW_SCAN4" udp_sweep,udp_scan -

# sipvicious' svmap: SIP OPTIONS requests (UDP 5060) to the same 32 addresses.
begin svmap
run 60 -- svmap 198.18.1.0/27
finish
sw_expect_distinct "requests to distinct hosts" 32 dhost "src host $SW_SCAN4 and udp dst port 5060"
label svmap.pcap "$SW_SCAN4" udp_sweep,udp_scan -

# ipv6toolkit's scan6: echo requests across the IPv6 sweep net's 64 addresses (its /124
# answers, the rest is down). THC-IPv6's alive6 is not here: it routes by its own reading of
# the routing table and finds no way to a /122.
begin scan6
run 60 -- scan6 -i "$SW_IF_SCAN" -d 2001:2:0:1::0-3f -r 200pps
finish
sw_expect_distinct "echo requests to distinct hosts" 64 dhost \
	"src host $SW_SCAN6 and dst net $SWEEP6_NET and icmp6 and ip6[40] == 128"
label scan6.pcap "$SW_SCAN6" icmp_sweep -

# netdiscover's active scan of the on-link /24 (one pass; it takes only a /8, /16 or /24):
# ARP requests that claim the sender address .67 of the network scanned (netdiscover's own
# pick, not the scanner's address), which is what the sensor can name; .2, .10-.14 and .53
# answer.
begin netdiscover
run 60 -- netdiscover -i "$SW_IF_SCAN" -r 198.18.0.0/24 -P -c 1
finish
sw_expect_pkts "ARP requests from the scanner's interface" 250 "arp and arp[6:2] == 1 and ether src $MAC_SCAN"
label netdiscover.pcap 198.18.0.67 arp_sweep -
