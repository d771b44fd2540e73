#!/usr/bin/env bash
# test_ordinary_traffic.sh — ordinary LAN, browser and client traffic that third-party captures showed
# being called a scan, each built by hand next to a control that differs in the one property
# the sensor must use, so the test fails if that property stops deciding:
#   (a) LLMNR answers (RFC 4795) to a querier's ports, after its queries to 224.0.0.252:
#       quiet; the same answers with no query before them: a UDP scan of the querier;
#   (b) datagrams to a directed broadcast (192.168.199.255, broadcast MAC): quiet; the same
#       datagrams in unicast frames, or in broadcast frames to a host's address: a UDP scan;
#   (c) a browser's QUIC Initials (RFC 9000 17.2, padded to 1200 bytes) to 8 servers on 443,
#       none answered (QUIC blocked): quiet; the same datagrams with a payload that is not a
#       QUIC Initial: a UDP sweep;
#   (d) a connection pool opening 300 connections to one server in 60 ms, 100 of whose
#       SYNs the busy server drops and the clients' kernels retransmit, data 80 ms later:
#       quiet; the same burst whose handshakes never complete (no ACK after the SYN-ACK):
#       a SYN flood;
#   (e) a browser on a lossy link: SYNs (retransmitted) to 8 addresses its resolver had
#       just given it, none answered: quiet; the same SYNs without the DNS answers: a
#       connect scan;
#   (f) a gateway re-resolving 8 hosts that left, each asked again every second: quiet;
#       the same 8 addresses asked once each, as a sweep asks: an ARP sweep;
#   (g) a capture of one direction: a host's ssh session to a peer (its SYN, then its ACK
#       and data: the peer answered out of sight) and its tries of 4 more ports there,
#       no answer visible: quiet; the same tries without the session: a connect scan;
#   (h) a peer-to-peer client working through a stale host cache (Practical Packet
#       Analysis' gnutella.pcap): kernel connects to 40 peers on 6346 scattered over the
#       Internet, 3 answered, the rest refused or silent, each tried again a minute later:
#       quiet; the same connects to 40 hosts of one /24: a connect scan; the scattered
#       peers and then three hosts of one /24: a connect scan (a sweep behind decoys);
#   (i) a LISP router's Map-Requests (RFC 9301) from 4342 to 12 map resolvers in 10
#       networks, unanswered: quiet; the same to 12 hosts of one /24: a UDP sweep;
#   (j) a host whose IPv6 is broken (arkime's ospf.pcap): connects to 8 web servers, each
#       answered by its router with ICMPv6 no route (RFC 4443 3.1, code 0), and the same
#       over IPv4 with net unreachable (RFC 792, code 0): quiet; the same answers with
#       address / host unreachable (code 3 / 1), as a sweep of a routed site meets: a
#       connect scan;
#   (k) a Gnutella node's one UDP socket (nDPI's gnutella.pcap) pinging 30 peers, each at
#       its own port, beside NAT-PMP requests its router leaves unanswered: quiet; the same
#       pings to those ports on 6 hosts, five ports a host as nmap -sU goes: a UDP scan;
#   (l) kernel connects (the same capture) whose SYN-ACKs the capture never shows
#       answered: quiet; the same SYN-ACKs answered by the prober's RST: a SYN scan;
#   (m) one UDP socket querying six ports of one host (a game's server browser), three
#       answering at once and three refused: quiet; the same datagrams with a TTL drawn anew
#       for each, as nmap -sU's raw probes have: a UDP scan;
#   (n) a DHCP server leasing 12 addresses (RFC 2131): each first checked with an echo
#       request without data that nobody answers, then offered to the client from port 67 to
#       port 68 at that address, at once (dnsmasq) or after 1 s (ISC dhcpd): quiet; the
#       same echo requests with no offer after them: an ICMP sweep; the same datagrams that
#       are not BOOTREPLYs (op 1): a UDP sweep; the same server then pinging 12 more
#       addresses it offers to nobody: an ICMP sweep; a server behind a relay agent, its
#       offers relayed from another address and naming it (option 54): quiet; the same
#       offers naming no server: an ICMP sweep of the server;
#   (o) a monitor (Nagios 4's shape) pinging 15 hosts and checking 4 services of each every 5
#       minutes for an hour, 4 hosts down and MySQL refused on the others, the rule's window
#       restarting at the MySQL checks: quiet; the monitor back after an hour at its MySQL
#       checks, 20 down hosts checked once each, or 10 more refused ports of a host
#       that answered: a connect scan; its host checks (pings with data, 4 s apart) finding
#       its first four hosts down: quiet; the same echo requests without data (nmap's): an
#       ICMP sweep; its checks 4 s apart (Nagios' default spread), so that a minute holds
#       the MySQL refusals and nothing else: quiet; the same from a source that checked
#       nothing else there before: a connect scan;
#   (p) a packet builder's script making real connections (TracePcap's demo_all_rules.pcap,
#       written with Scapy): option-less SYNs to 6 servers, each SYN-ACK answered by the ACK
#       that completes the handshake, the requests sent once all six are open: quiet; the
#       same SYNs whose SYN-ACKs the source resets (a raw-socket scanner's kernel): a SYN scan;
#   (q) a small SCTP stack's M3UA associations (Arkime's m3ua_synthetic.pcap): INITs without
#       parameters, as nmap -sY's, to 8 ports of one peer, each association brought up
#       (COOKIE-ECHO, COOKIE-ACK) and carrying DATA: quiet; the same INITs whose INIT-ACKs
#       the source aborts: an SCTP scan;
#   (r) the same associations in a capture that began inside them (the capture's second pair
#       of hosts: DATA first, then the handshake's chunks again): quiet; the same chunks
#       without the DATA before them, a COOKIE-ECHO nobody asked for then an INIT: an SCTP
#       scan (nmap -sZ and -sY);
#   (s) the QUIC Initials of (c) seen through a traffic mirror (Cisco mercury's geneve.pcap: AWS
#       mirroring in GENEVE), each after the client's 0-RTT datagram on the same socket, all
#       at one timestamp: quiet; the 0-RTT datagrams alone: a UDP sweep;
#   (t) a peer-to-peer node's one UDP socket going through its peer list (Skype's, in Cisco
#       mercury's capture2.pcap): 20 peers at 20 ports, most of them in one ISP's /8, the
#       first 7 gone (silent or refused): quiet; the same datagrams to 4 ports of each of 5
#       of those hosts: a UDP scan;
#   (u) a server closing, from its service port, connections to a client's ephemeral ports
#       after the client dropped them (Cisco mercury's emix.pcap): FIN/ACKs with the server's
#       own window, each answered by a RST: quiet; the same FIN/ACKs with nmap's window (a
#       Maimon scan's): a Maimon scan.
set -euo pipefail
: "${SCANWATCH:?}" "${SW_WORK_DIR:?}"
# shellcheck source=tests/captures/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) # make_linktypes.py's directory
cap_init ordinary_traffic

cat >make.py <<'PY'
import struct, sys
sys.path.insert(0, sys.argv[1])
from make_linktypes import csum  # the Internet checksum (RFC 1071)

def ip4(a):
    return bytes(int(x) for x in a.split("."))

def udp4(dmac, src, sport, dst, dport, payload):
    u = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(u), 1, 0, 64, 17, 0, ip4(src), ip4(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return dmac + b"\x02\0\0\0\0\x07" + b"\x08\x00" + h + u

BCAST = b"\xff" * 6
UNI = b"\x02\0\0\0\0\x01"
LLMNR_MAC = b"\x01\x00\x5e\x00\x00\xfc"

def write(name, frames):
    with open(name, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, fr in frames:
            f.write(struct.pack("<IIII", 1700000000 + int(t), int(round(t * 1e6)) % 1000000,
                                len(fr), len(fr)))
            f.write(fr)

Q, R = "192.168.199.133", "192.168.199.1"
query = b"\x12\x34\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04wpad\x00\x00\x01\x00\x01"
answer = query[:2] + b"\x80\x00" + query[4:] + b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x1e\x00\x04\xc0\xa8\xc7\x01"
qs, ans = [], []
for i in range(10):
    port = 50000 + 37 * i
    t = 1.0 + i * 0.5
    qs.append((t, udp4(LLMNR_MAC, Q, port, "224.0.0.252", 5355, query)))
    ans.append((t + 0.002, udp4(UNI, R, 5355, Q, port, answer)))
write("llmnr.pcap", sorted(qs + ans))
write("llmnr_noquery.pcap", ans)

H = "192.168.199.20"
write("bcast.pcap", [(1.0 + i * 0.1, udp4(BCAST, H, 40000, "192.168.199.255", 1 + i, b""))
                     for i in range(8)])
write("bcast_unicast.pcap", [(1.0 + i * 0.1, udp4(UNI, H, 40000, "192.168.199.255", 1 + i, b""))
                             for i in range(8)])
write("bcast_frame_host.pcap", [(1.0 + i * 0.1, udp4(BCAST, H, 40000, "192.168.199.40", 1 + i, b""))
                                for i in range(8)])

C = "192.168.178.25"
def initial(first, version):
    p = bytes([first]) + struct.pack("!I", version) + b"\x08" + bytes(8) + b"\x00"
    return p + bytes(1250 - len(p))
quic = [(1.0 + i * 0.2, udp4(UNI, C, 51000 + i, "142.250.181.%d" % (10 + i), 443,
                             initial(0xC3, 1))) for i in range(8)]
other = [(1.0 + i * 0.2, udp4(UNI, C, 51000 + i, "142.250.181.%d" % (10 + i), 443,
                              initial(0x43, 1))) for i in range(8)]
# Silence is known only once time moves on: a broadcast from another host 10 s later (a
# datagram to a group is never a probe) carries the replay past the probes' timeouts.
later = [(12.0, udp4(BCAST, "192.168.178.1", 68, "255.255.255.255", 67, b"\x01" * 240))]
write("quic.pcap", quic + later)
write("quic_not.pcap", other + later)
# (s) a 0-RTT datagram (long header, version 1, type 1: RFC 9000 17.2.3) first on each socket
zero_rtt = [(1.0 + i * 0.2, udp4(UNI, C, 51000 + i, "142.250.181.%d" % (10 + i), 443,
                                 b"\xd3\x00\x00\x00\x01\x08" + bytes(70))) for i in range(8)]
write("quic_mirror.pcap", [fr for pair in zip(zero_rtt, quic) for fr in pair] + later)
write("quic_0rtt_only.pcap", zero_rtt + later)

def tcp4(src, sport, dst, dport, flags, seq, ack, payload=b"", opts=b"", window=65495):
    off = (20 + len(opts)) // 4
    t = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, window, 0, 0) + opts + payload
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(t), 1, 0x4000, 64, 6, 0, ip4(src), ip4(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return UNI + b"\x02\0\0\0\0\x07" + b"\x08\x00" + h + t

MSS = b"\x02\x04\xff\xd7\x04\x02\x08\x0a\0\0\0\x01\0\0\0\0\x01\x03\x03\x07"
def pool(complete):
    fr = []
    cli, srv = "10.1.0.5", "10.1.0.9"
    for i in range(300):
        port, isn, sisn = 40000 + i, 1000 + 7919 * i, 5000 + 104729 * i
        t = 1.0 + i * 0.0002
        fr.append((t, tcp4(cli, port, srv, 7000, 0x02, isn, 0, opts=MSS)))
        if i < 100:  # dropped by the full backlog; the kernel retransmits after 1 s
            t += 1.0
            fr.append((t, tcp4(cli, port, srv, 7000, 0x02, isn, 0, opts=MSS)))
        fr.append((t + 0.00002, tcp4(srv, 7000, cli, port, 0x12, sisn, isn + 1, opts=MSS)))
        if complete:
            fr.append((t + 0.00003, tcp4(cli, port, srv, 7000, 0x10, isn + 1, sisn + 1)))
            fr.append((t + 0.08, tcp4(cli, port, srv, 7000, 0x18, isn + 1, sisn + 1, b"x")))
            fr.append((t + 0.08002, tcp4(srv, 7000, cli, port, 0x18, sisn + 1, isn + 2, b"x")))
    return sorted(fr)
write("pool.pcap", pool(True))
write("pool_halfopen.pcap", pool(False))

def dns_answer(i, addr):
    q = bytes([2]) + b"h%d" % i + bytes([7]) + b"example" + b"\0" + struct.pack("!HH", 1, 1)
    a = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + ip4(addr)
    return struct.pack("!HHHHHH", 0x1000 + i, 0x8180, 1, 1, 0, 0) + q + a

B, RES = "192.168.100.67", "192.168.100.2"
def browser(with_dns):
    fr = []
    for i in range(8):
        t, dst, port = 1.0 + i * 0.3, "142.250.201.%d" % (20 + i), 57500 + i
        if with_dns:
            fr.append((t - 0.01, udp4(UNI, RES, 53, B, 53000 + i, dns_answer(i, dst))))
        for rto in (0, 3, 9):  # Windows: the SYN again after 3 s, then 6 s more
            fr.append((t + rto, tcp4(B, port, dst, 443, 0x02, 4000000 + i, 0, opts=MSS)))
    fr.append((80.0, udp4(BCAST, "192.168.100.1", 68, "255.255.255.255", 67, b"\x01" * 240)))
    return sorted(fr)
write("browser.pcap", browser(True))
write("browser_nodns.pcap", browser(False))

GW_MAC = b"\x02\0\0\0\0\x02"
def arp_request(spa, tpa):
    a = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + GW_MAC + ip4(spa) + bytes(6) + ip4(tpa)
    return BCAST + GW_MAC + b"\x08\x06" + a + bytes(18)
GW = "192.168.100.2"
gone = ["192.168.100.%d" % h for h in (62, 59, 58, 61, 64, 53, 66, 68)]
asks = []
for i, h in enumerate(gone):  # three tries a second apart, the hosts' episodes overlapping
    for k in range(3):
        asks.append((1.0 + i * 0.4 + k * 1.0, arp_request(GW, h)))
def one_way(session):
    fr, src, dst = [], "192.168.56.10", "192.168.56.24"
    fr.append((1.0, tcp4(src, 34170, dst, 22, 0x02, 798232822, 0, opts=MSS)))
    if session:
        fr.append((1.0002, tcp4(src, 34170, dst, 22, 0x10, 798232823, 3051049339)))
        fr.append((1.002, tcp4(src, 34170, dst, 22, 0x18, 798232823, 3051049339, b"SSH-2.0-x\r\n")))
    for i, port in enumerate((8, 13, 12, 14)):
        fr.append((40.0 + i * 10, tcp4(src, 52289 + i, dst, port, 0x02, 4205904195 + i, 0, opts=MSS)))
    fr.append((120.0, udp4(BCAST, "192.168.56.1", 68, "255.255.255.255", 67, b"\x01" * 240)))
    return sorted(fr)
write("oneway.pcap", one_way(True))
write("oneway_nosession.pcap", one_way(False))

# (h) Peers scattered as a host cache holds them: each in its own /24, over ten /8s.
P2P = "192.168.1.76"
scattered = ["%d.%d.%d.%d" % ((24, 66, 68, 71, 82, 84, 86, 90, 213, 217)[i % 10],
                              (37 * i + 11) % 250 + 1, (53 * i + 7) % 250 + 1, (11 * i) % 200 + 20)
             for i in range(40)]
one_net = ["66.68.99.%d" % (10 + i) for i in range(40)]
def peers(targets):
    fr = []
    for rnd in range(2):  # the host cache again a minute later
        for i, dst in enumerate(targets):
            t, port, isn = 1.0 + rnd * 60 + i * 0.25, 3600 + rnd * 100 + i, 58000000 + 7919 * (i + 40 * rnd)
            fate = 0 if i in (5, 17, 31) else (1 if i % 3 else 2)
            fr.append((t, tcp4(P2P, port, dst, 6346, 0x02, isn, 0, opts=MSS)))
            if fate == 0:  # answered: the Gnutella handshake both ways
                fr.append((t + 0.03, tcp4(dst, 6346, P2P, port, 0x12, 9000, isn + 1, opts=MSS)))
                fr.append((t + 0.031, tcp4(P2P, port, dst, 6346, 0x10, isn + 1, 9001)))
                fr.append((t + 0.032, tcp4(P2P, port, dst, 6346, 0x18, isn + 1, 9001,
                                           b"GNUTELLA CONNECT/0.6\r\n\r\n")))
                fr.append((t + 0.06, tcp4(dst, 6346, P2P, port, 0x18, 9001, isn + 25,
                                          b"GNUTELLA/0.6 200 OK\r\n\r\n")))
            elif fate == 1:  # refused
                fr.append((t + 0.03, tcp4(dst, 6346, P2P, port, 0x14, 0, isn + 1)))
            else:  # silent: the SYN again after 3 s and 6 s more
                for rto in (3, 9):
                    fr.append((t + rto, tcp4(P2P, port, dst, 6346, 0x02, isn, 0, opts=MSS)))
    fr.append((200.0, udp4(BCAST, "192.168.1.1", 68, "255.255.255.255", 67, b"\x01" * 240)))
    return sorted(fr)
write("p2p_stale.pcap", peers(scattered))
write("p2p_one_net.pcap", peers(one_net))
write("p2p_decoys.pcap", peers(scattered[:30] + ["66.68.99.%d" % (10 + i) for i in range(10)]))

# (i) Map-Requests (type 1, RFC 9301 5.2) to map resolvers, two of them pairs in one /24.
XTR = "192.168.1.110"
resolvers = ["147.83.131.33", "202.51.247.10", "203.181.249.172", "158.38.1.92",
             "193.162.145.46", "217.8.98.35", "217.8.98.33", "129.250.1.63", "173.36.193.25",
             "198.6.255.37", "149.20.48.60", "149.20.48.61"]
def map_requests(targets):
    req = b"\x10\x00\x00\x01" + bytes(8) + struct.pack("!HH", 0, 1) + ip4(XTR) + bytes(12)
    fr = [(1.0 + i * 0.0001, udp4(UNI, XTR, 4342, dst, 4342, req)) for i, dst in enumerate(targets)]
    fr.append((120.0, udp4(BCAST, "192.168.1.1", 68, "255.255.255.255", 67, b"\x01" * 240)))
    return fr
write("lisp.pcap", map_requests(resolvers))
write("lisp_one_net.pcap", map_requests(["129.250.1.%d" % (60 + i) for i in range(12)]))

# (j) Unreachables from the host's router, quoting its connects.
def ip6(a):
    import ipaddress
    return ipaddress.IPv6Address(a).packed

OPTS6 = b"\x02\x04\x05\xa0\x04\x02\x08\x0a\x04\x01\x07\x77\0\0\0\0\x01\x03\x03\x07"
def tcp6(src, sport, dst, dport, seq):  # Linux's SYN: mss 1440, sackOK, TS, wscale 7
    t = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 10 << 4, 0x02, 28800, 0, 0) + OPTS6
    return struct.pack("!IHBB", 0x60000000, len(t), 6, 64) + ip6(src) + ip6(dst) + t

def icmp6_unreach(router, host, code, quoted):
    body = struct.pack("!BBHI", 1, code, 0, 0) + quoted
    pseudo = ip6(router) + ip6(host) + struct.pack("!IxxxB", len(body), 58)
    body = body[:2] + struct.pack("!H", csum(pseudo + body)) + body[4:]
    return struct.pack("!IHBB", 0x60000000, len(body), 58, 64) + ip6(router) + ip6(host) + body

def eth6(ip):
    return UNI + b"\x02\0\0\0\0\x07" + b"\x86\xdd" + ip

def icmp4(src, dst, body, ipid):
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), ipid, 0, 64, 1, 0, ip4(src), ip4(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return UNI + b"\x02\0\0\0\0\x07" + b"\x08\x00" + h + body

def icmp4_unreach(router, host, code, quoted):
    return icmp4(router, host, struct.pack("!BBHI", 3, code, 0, 0) + quoted, 7)

H6, R6 = "2001:bef::a00:27ff:fe0d:5c3c", "2001:bef::2"
H4, R4 = "192.168.56.30", "192.168.56.1"
def no_route(v6_code, v4_code):
    fr = []
    for i in range(8):
        t = 1.0 + i * 0.01
        syn = tcp6(H6, 42000 + i, "2a04:4e42:%x::323" % (i * 0x200), 80, 4000 + i)
        fr.append((t, eth6(syn)))
        fr.append((t + 0.002, eth6(icmp6_unreach(R6, H6, v6_code, syn))))
        syn4 = tcp4(H4, 43000 + i, "151.101.%d.%d" % (i, 64 + i), 443, 0x02, 5000 + i, 0, opts=MSS)
        fr.append((t + 0.005, syn4))
        fr.append((t + 0.006, icmp4_unreach(R4, H4, v4_code, syn4[14:14 + 28])))
    fr.append((60.0, udp4(BCAST, "192.168.56.1", 68, "255.255.255.255", 67, b"\x01" * 240)))
    return fr
write("no_route.pcap", no_route(0, 0))
write("no_route_host.pcap", no_route(3, 1))

# (k) A Gnutella node's one UDP socket (nDPI's gnutella.pcap): a ping to each of 30 peers at
# the port it listens on, and NAT-PMP requests (RFC 6886) its router never answers.
NODE, GW4 = "10.0.2.15", "10.0.2.2"
PING = b"\x47\x4e\x44\x02" + bytes(20)
def udp_peers(hosts, ports):
    fr = [(1.0 + i * 0.5, udp4(UNI, NODE, 57619 + i, GW4, 5351, b"\0\0")) for i in range(4)]
    fr += [(4.0 + i * 0.001, udp4(UNI, NODE, 28681, hosts[i], ports[i], PING)) for i in range(30)]
    fr.append((120.0, udp4(BCAST, GW4, 67, "255.255.255.255", 68, b"\x02" * 240)))
    return sorted(fr)
peer_ports = [6346 if i % 4 == 0 else 1024 + (7919 * i) % 60000 for i in range(30)]
write("udp_peers.pcap", udp_peers(scattered[:30], peer_ports))
write("udp_peers_hosts.pcap", udp_peers([scattered[i // 5] for i in range(30)], peer_ports))

# (l) Kernel connects whose SYN-ACKs the capture never sees answered (the same capture: 4 of
# the hundreds its client made behind VirtualBox's NAT); the others completed. Or answered by
# the client's kernel with a reset (no ACK): they came after the socket was closed (a
# connect() timed out, the losing attempt of Happy Eyeballs), and the target did answer.
# After hand-built SYNs (nmap's: MSS as the only option) the same reset is a SYN scan's.
def unanswered_synacks(reset, syn_opts=MSS):
    fr = []
    for i in range(10):
        t, port, isn, dst = 1.0 + i * 0.01, 50190 + i, 2037058738 + 7919 * i, scattered[i]
        dport = 1024 + (104729 * i) % 60000
        fr.append((t, tcp4(NODE, port, dst, dport, 0x02, isn, 0, opts=syn_opts)))
        fr.append((t + 0.05, tcp4(dst, dport, NODE, port, 0x12, 6144001 + 64000 * i, isn + 1,
                                  opts=MSS)))
        if i < 6:
            if reset:  # RFC 9293 3.10.7.1: seq from the SYN-ACK's ACK field, no ACK flag
                fr.append((t + 0.051, tcp4(NODE, port, dst, dport, 0x04, isn + 1, 0)))
            continue
        fr.append((t + 0.051, tcp4(NODE, port, dst, dport, 0x10, isn + 1, 6144002 + 64000 * i)))
        fr.append((t + 0.052, tcp4(NODE, port, dst, dport, 0x18, isn + 1, 6144002 + 64000 * i,
                                   b"GNUTELLA CONNECT/0.6\r\n\r\n")))
    fr.append((120.0, udp4(BCAST, GW4, 67, "255.255.255.255", 68, b"\x02" * 240)))
    return sorted(fr)
write("synack_unanswered.pcap", unanswered_synacks(False))
write("synack_late.pcap", unanswered_synacks(True))
write("synack_reset.pcap", unanswered_synacks(True, b"\x02\x04\x05\xb4"))

# (m) One UDP socket to six ports of one host, three answering at once and three refused: a
# game's server browser querying the servers one host runs (its socket's TTL stays 64), or
# nmap -sU, whose raw probes each draw a TTL from 37 to 59.
def udp4_ttl(src, sport, dst, dport, payload, ttl):
    fr = udp4(UNI, src, sport, dst, dport, payload)
    h = bytearray(fr[14:34])
    h[8], h[10], h[11] = ttl, 0, 0
    h[10:12] = struct.pack("!H", csum(bytes(h)))
    return fr[:14] + bytes(h) + fr[34:]

def one_host(ttls):
    B, S = "192.168.30.5", "192.168.30.9"
    fr, t = [], 1.0
    for i, port in enumerate((27015, 27016, 27017, 27018, 27019, 27020)):
        d = udp4_ttl(B, 41000, S, port, b"\xff\xff\xff\xffTSource Engine Query\x00", ttls[i])
        fr.append((t, d))
        if i < 3:  # answered at once
            fr.append((t + 0.0002, udp4(UNI, S, port, B, 41000, b"\xff\xff\xff\xffI" + bytes(40))))
        else:
            fr.append((t + 0.0002, icmp4_unreach(S, B, 3, d[14:14 + 28])))
        t += 0.001
    fr.append((60.0, udp4(BCAST, "192.168.30.1", 67, "255.255.255.255", 68, b"\x02" * 240)))
    return fr
write("udp_one_host.pcap", one_host([64] * 6))

# (n) A DHCP server's conflict checks (RFC 2131 sections 2.2 and 4.4.1) and its offers.
def icmp4_echo(src, dst, ident):
    # no data, as dnsmasq and ISC dhcpd send
    return icmp4(src, dst, struct.pack("!BBHHH", 8, 0, 0, ident, 0), 9)

def bootp(op, xid, yiaddr, mac, server_id):
    m = struct.pack("!BBBBIHH4s4s4s4s", op, 1, 6, 0, xid, 0, 0, bytes(4), ip4(yiaddr), bytes(4),
                    bytes(4)) + mac + bytes(10) + bytes(64 + 128)
    m += b"\x63\x82\x53\x63" + b"\x35\x01\x02"
    if server_id:
        m += b"\x36\x04" + ip4(server_id)
    return m + b"\xff" + bytes(300 - len(m) - 1)

# S the server, which checks; R the address its offers come from (a relay agent, RFC 1542,
# when not S), naming S in option 54 unless server_id is False.
def dhcp_lan(offers=True, op=2, more=0, S="192.168.40.1", R="192.168.40.1", server_id=True):
    fr = []
    for i in range(12 + more):
        t, mac, yi = 1.0 + 3.0 * i, bytes([2, 0, 0, 0, 1, i]), "192.168.40.%d" % (100 + i)
        fr.append((t, udp4(BCAST, "0.0.0.0", 68, "255.255.255.255", 67, bootp(1, 7 + i, "0.0.0.0", mac, None))))
        fr.append((t + 0.001, icmp4_echo(S, yi, 0x3000 + 17 * i)))
        if offers and i < 12:  # at once as dnsmasq, which waits for ARP; ISC's after 1 s
            fr.append((t + (0.0012 if i % 2 else 1.001),
                       udp4(UNI, R, 67, yi, 68, bootp(op, 7 + i, yi, mac, S if server_id else None))))
    fr.append((120.0, udp4(BCAST, "192.168.40.9", 5678, "255.255.255.255", 5678, b"x")))
    return sorted(fr)
write("dhcp.pcap", dhcp_lan())
write("dhcp_no_offers.pcap", dhcp_lan(offers=False))
write("dhcp_not_replies.pcap", dhcp_lan(op=1))
write("dhcp_then_sweep.pcap", dhcp_lan(more=12))
write("dhcp_relayed.pcap", dhcp_lan(S="10.9.0.5", R="192.168.40.254"))
write("dhcp_relayed_no_id.pcap", dhcp_lan(S="10.9.0.5", R="192.168.40.254", server_id=False))

# (o) A monitor, as real Nagios 4 checked 15 hosts: a round of checks every five minutes,
# one service at a time over the hosts in order (HTTP, PING: 5 echo requests with data,
# MySQL, SMTP, SSH), a check every half second. Hosts .12-.15 are down (nothing answers;
# the kernel sends each SYN 3 times), MySQL is refused everywhere. 13 rounds, so the rule's
# hour-long window restarts in the last one, the rounds timed so that it restarts right at
# the MySQL checks: what the walk learned must survive it, or eleven refusals in a row at hosts
# it no longer knows decide.
MON, MON_NET = "10.20.0.5", "10.20.1.%d"
CLOSED = {3306} | set(range(3320, 3330))
COLUMNS = [80, 0, 3306, 25, 22]
RESTART_AT = 2 * 15  # a round's first MySQL check: eleven refusals follow, one a half second
def monitor(rounds=13, dead=range(12, 16), hosts=range(1, 16), dead_ports=None, extra=None,
            last_gap=None, columns=COLUMNS, data=bytes(range(56)), first_step=0.5, step=0.5):
    fr, t, sport = [], 1.0, 30000
    def check(h, port, step=0.5):
        nonlocal t, sport
        dst, up = MON_NET % h, h not in dead
        sport += 1
        isn = 1000000 + 7919 * sport
        if port == 0:  # check_ping -p 5
            for k in range(5):
                body = struct.pack("!BBHHH", 8, 0, 0, 0x4000 + h, k) + data
                fr.append((t + k, icmp4(MON, dst, body, 100 + k)))
                if up:
                    rep = struct.pack("!BBHHH", 0, 0, 0, 0x4000 + h, k) + data
                    fr.append((t + k + 0.0002, icmp4(dst, MON, rep, 200 + k)))
        elif not up:
            for rto in (0, 1, 3):
                fr.append((t + rto, tcp4(MON, sport, dst, port, 0x02, isn, 0, opts=MSS)))
        elif port in CLOSED:
            fr.append((t, tcp4(MON, sport, dst, port, 0x02, isn, 0, opts=MSS)))
            fr.append((t + 0.0001, tcp4(dst, port, MON, sport, 0x14, 0, isn + 1)))
        else:
            s = 7000000 + 104729 * sport
            req, ok = b"GET / HTTP/1.0\r\n\r\n", b"HTTP/1.0 200 OK\r\n\r\n"
            fr.append((t, tcp4(MON, sport, dst, port, 0x02, isn, 0, opts=MSS)))
            fr.append((t + 0.0001, tcp4(dst, port, MON, sport, 0x12, s, isn + 1, opts=MSS)))
            fr.append((t + 0.0002, tcp4(MON, sport, dst, port, 0x10, isn + 1, s + 1)))
            fr.append((t + 0.0003, tcp4(MON, sport, dst, port, 0x18, isn + 1, s + 1, req)))
            fr.append((t + 0.002, tcp4(dst, port, MON, sport, 0x19, s + 1, isn + 1 + len(req), ok)))
            fr.append((t + 0.0021, tcp4(MON, sport, dst, port, 0x11, isn + 1 + len(req),
                                        s + 2 + len(ok))))
        t += step
    # a round every 5 minutes less RESTART_AT half seconds over the hour: the 13th round's
    # check RESTART_AT is the first past the window the first check opened
    period = (3600.0 - 0.5 * RESTART_AT + 0.25) / 12
    for r in range(rounds):
        t = 1.0 + period * r
        checks = [(h, port) for port in columns for h in hosts
                  if h not in dead or dead_ports is None or port in dead_ports]
        if last_gap is not None and r == rounds - 1:  # the monitor back after a pause, mid-round
            t = fr[-1][0] + last_gap
            checks = checks[RESTART_AT:]
        for i, (h, port) in enumerate(checks):
            check(h, port, first_step if i < len(hosts) else step)
        if extra and r == 0:
            extra(check)
    fr.append((t + 30.0, udp4(BCAST, "10.20.0.1", 5678, "255.255.255.255", 5678, b"x")))
    return sorted(fr)
write("monitor.pcap", monitor())
# controls: the monitor back after more than an hour without a check (the rule keeps an entry
# its window's length: the walk's memory went with it), resuming at the MySQL checks; 20 hosts
# down checked once each
# (HTTP) instead of 4 checked five times; and 10 more ports of a host that answered, refused.
write("monitor_forgot.pcap", monitor(rounds=2, last_gap=3700.0))
write("monitor_dead20.pcap",
      monitor(rounds=1, dead=range(12, 32), hosts=range(1, 32), dead_ports={80}))
write("monitor_vertical.pcap",
      monitor(rounds=1, extra=lambda check: [check(3, p) for p in range(3320, 3330)]))
# the host checks first, 4 s apart as Nagios 4 spaced them, the first four hosts down: quiet;
# the same echo requests without data, as nmap builds them: an ICMP sweep
down_first = dict(rounds=1, dead=range(1, 5), columns=[0, 80, 3306, 25, 22], first_step=4.0)
write("monitor_down_first.pcap", monitor(**down_first))
write("monitor_down_first_nodata.pcap", monitor(data=b"", **down_first))
# a check every 4 s (Nagios 4's default spread of 75 checks over 5 minutes): the MySQL checks
# are eleven refusals in 44 s, a minute without an answer: quiet; the same refusals and down
# hosts from a source that had checked nothing else there before: a connect scan
write("monitor_spread.pcap", monitor(rounds=2, first_step=4.0, step=4.0))
write("monitor_spread_unknown.pcap", monitor(rounds=1, first_step=4.0, step=4.0, columns=[3306]))

write("udp_one_host_ttl.pcap", one_host([41, 53, 38, 57, 44, 49]))

# (t) One socket, 20 peers each at its own port: the first 5 silent and the next 2 refused (a
# cached list's stale head), the other 13 answering; the peers in 86/8 but 4. The control: the
# same 20 datagrams to 4 ports of each of 5 hosts.
def icmp_unreach(router, to, quoted):  # RFC 792: port unreachable, quoting the datagram
    q = quoted[14:14 + 28]
    body = struct.pack("!BBHI", 3, 3, 0, 0) + q
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    return icmp4(router, to, body, 7)
def peer_walk(pairs):
    fr, me = [], "192.168.1.2"
    for i, (peer, port) in enumerate(pairs):
        t = 1.0 + i * 0.1 if i < 7 else 9.0 + (i - 7) * 0.3  # the rest after the first time out
        ping = udp4(UNI, me, 35990, peer, port, bytes((7 * i + 13 * j + 1) % 251 for j in range(18)))
        fr.append((t, ping))
        if i in (5, 6):
            fr.append((t + 0.03, icmp_unreach(peer, me, ping)))
        elif i >= 7:
            fr.append((t + 0.05, udp4(UNI, peer, port, me, 35990, bytes((5 * i + 3 * j) % 253 for j in range(51)))))
    fr.append((30.0, udp4(BCAST, "192.168.1.1", 68, "255.255.255.255", 67, b"\x01" * 240)))
    return sorted(fr)
peers = ["86.%d.%d.%d" % (31 + 7 * i, 70 + i, 81 + i) for i in range(16)] + \
        ["80.216.195.140", "165.124.253.241", "81.236.228.111", "68.206.150.243"]
ports = [1024 + (104729 * i) % 60000 for i in range(20)]
write("p2p_peer_walk.pcap", peer_walk(list(zip(peers, ports))))
write("p2p_peer_ports.pcap", peer_walk([(peers[i // 4], ports[i % 4]) for i in range(20)]))

# (u) Late FIN/ACKs from a server's port 1024 to a client's ephemeral ports, reset by the client.
def late_fins(window):
    fr, srv, cli = [], "192.168.122.3", "192.168.122.145"
    for i, port in enumerate([49159, 49163, 58347, 58351, 58360, 58372]):
        t, seq, ack = 1.0 + i * 0.4, 521654749 + 7919 * i, 2509996890 + 104729 * i
        fr.append((t, tcp4(srv, 1024, cli, port, 0x11, seq, ack, window=window)))
        fr.append((t + 0.002, tcp4(cli, port, srv, 1024, 0x04, ack, 0)))
    return fr
write("late_fins.pcap", late_fins(274))
write("late_fins_nmap.pcap", late_fins(1024))

# (p) Scapy's TCP: window 8192, no options, which no OS stack sends in a SYN.
def scapy_tcp(src, sport, dst, dport, flags, seq, ack, payload=b""):
    return tcp4(src, sport, dst, dport, flags, seq, ack, payload, window=8192)
def builder(complete):
    fr, cli = [], "10.30.0.7"
    for i in range(6):
        t, srv, sp, dp = 1.0 + i * 0.001, "10.30.1.%d" % (1 + i), 56000 + i, (443, 80, 8443)[i % 3]
        isn, sisn = 1000, 5000 + 1000 * i
        fr.append((t, scapy_tcp(cli, sp, srv, dp, 0x02, isn, 0)))
        fr.append((t + 0.0001, tcp4(srv, dp, cli, sp, 0x12, sisn, isn + 1, opts=MSS)))
        if complete:
            fr.append((t + 0.0002, scapy_tcp(cli, sp, srv, dp, 0x10, isn + 1, sisn + 1)))
            fr.append((2.0 + i * 0.01, scapy_tcp(cli, sp, srv, dp, 0x18, isn + 1, sisn + 1,
                                                 b"GET / HTTP/1.0\r\n\r\n")))
        else:  # RFC 9293 3.10.7.1: seq from the SYN-ACK's ACK field, no ACK flag
            fr.append((t + 0.0002, scapy_tcp(cli, sp, srv, dp, 0x04, isn + 1, 0)))
    return sorted(fr)
write("builder.pcap", builder(True))
write("builder_reset.pcap", builder(False))

# (q), (r) SCTP (RFC 9260 3): the common header (its CRC32c left zero: the sensor does not
# check it), then one chunk.
def sctp4(src, sport, dst, dport, vtag, ctype, value):
    c = struct.pack("!BBH", ctype, 0, 4 + len(value)) + value
    c += bytes(-len(c) % 4)
    t = struct.pack("!HHII", sport, dport, vtag, 0) + c
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(t), 1, 0x4000, 64, 132, 0, ip4(src), ip4(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return UNI + b"\x02\0\0\0\0\x07" + b"\x08\x00" + h + t
def init_value(tag, tsn):  # the fixed part alone: no parameter (section 3.3.2)
    return struct.pack("!IIHHI", tag, 65535, 10, 10, tsn)
def m3ua(src, dst, mode):
    fr = []
    for i in range(8):
        port, t = 2904 + i, 1.0 + i * 0.01
        ltag, ptag = 0x12345678 + i, 0x87654321 + i
        init = sctp4(src, port, dst, port, 0, 1, init_value(ltag, 1000))
        init_ack = sctp4(dst, port, src, port, ltag, 2, init_value(ptag, 2000))
        echo = sctp4(src, port, dst, port, ptag, 10, b"cookie%02d" % i)
        cack = sctp4(dst, port, src, port, ltag, 11, b"")
        data = sctp4(src, port, dst, port, ptag, 0, struct.pack("!IHHI", 1000, 0, 0, 3) + bytes(8))
        abort = sctp4(src, port, dst, port, ptag, 6, b"")
        steps = {"up": [init, init_ack, echo, cack, data], "abort": [init, init_ack, abort],
                 "picked": [data, cack, echo, init_ack, init], "unasked": [cack, echo, init_ack, init]}[mode]
        fr += [(t + k * 0.0001, x) for k, x in enumerate(steps)]
    fr.append((12.0, udp4(BCAST, "10.31.0.1", 68, "255.255.255.255", 67, b"\x01" * 240)))
    return sorted(fr)
write("sctp_up.pcap", m3ua("10.31.0.5", "10.31.1.1", "up"))
write("sctp_abort.pcap", m3ua("10.31.0.5", "10.31.1.1", "abort"))
write("sctp_picked.pcap", m3ua("10.32.0.5", "10.32.1.1", "picked"))
write("sctp_unasked.pcap", m3ua("10.32.0.5", "10.32.1.1", "unasked"))
write("gateway.pcap", sorted(asks))
write("gateway_sweep.pcap", [(1.0 + i * 0.01, arp_request(GW, h)) for i, h in enumerate(gone)])
PY
python3 make.py "$here"

# opens FILE: the OPEN records of a replay, one line each ("kind source")
opens() {
	"$SCANWATCH" -r "$1" --no-db --no-sandbox --jsonl - -q 2>/dev/null |
		python3 -c '
import json, sys
for l in sys.stdin:
    d = json.loads(l)
    if d["scanwatch"]["phase"] == "open":
        print(d["event"]["action"], d.get("source", {}).get("ip", "*"))'
}
quiet() {
	local got
	got=$(opens "$1")
	[[ -z $got ]] || fail "$2 raised: $got"
	echo "quiet: $2"
}
loud() {
	local got
	got=$(opens "$1")
	grep -qx "$3" <<<"$got" || fail "the control $2 raised '${got:-nothing}', want '$3'"
	echo "control: $2 -> $3"
}

quiet llmnr.pcap "10 LLMNR answers after their queries"
loud llmnr_noquery.pcap "the same answers without the queries" "udp_scan 192.168.199.1"
quiet bcast.pcap "8 datagrams to a directed broadcast in broadcast frames"
loud bcast_unicast.pcap "the same datagrams in unicast frames" "udp_scan 192.168.199.20"
loud bcast_frame_host.pcap "broadcast frames to a host's address (no directed broadcast)" \
	"udp_scan 192.168.199.20"
quiet quic.pcap "8 unanswered QUIC Initials to 443"
loud quic_not.pcap "the same datagrams, not QUIC Initials" "udp_sweep 192.168.178.25"
quiet pool.pcap "300 connections opened in a burst, 100 SYNs retransmitted"
loud pool_halfopen.pcap "the same burst, handshakes never completed" "syn_flood 10.1.0.5"
quiet browser.pcap "unanswered SYNs to 8 addresses DNS had just given out"
loud browser_nodns.pcap "the same SYNs, no DNS answers" "connect_scan 192.168.100.67"
quiet gateway.pcap "a gateway asking for 8 departed hosts, each every second"
loud gateway_sweep.pcap "the same 8 addresses asked once each" "arp_sweep 192.168.100.2"
quiet oneway.pcap "one direction: a session, then tries of 4 ports of the same peer"
loud oneway_nosession.pcap "the same tries without the session" "connect_scan 192.168.56.10"
quiet p2p_stale.pcap "a P2P client's stale host cache: 40 scattered peers on 6346, 37 failing"
loud p2p_one_net.pcap "the same connects to 40 hosts of one /24" "connect_scan 192.168.1.76"
loud p2p_decoys.pcap "30 scattered peers, then 10 hosts of one /24" "connect_scan 192.168.1.76"
quiet lisp.pcap "a LISP router's Map-Requests to 12 map resolvers, unanswered"
loud lisp_one_net.pcap "the same to 12 hosts of one /24" "udp_sweep 192.168.1.110"
quiet no_route.pcap "8 connects each over IPv6 and IPv4 that the router has no route for"
loud no_route_host.pcap "the same answered host unreachable" "connect_scan 192.168.56.30"
loud no_route_host.pcap "the same answered address unreachable (IPv6)" \
	"connect_scan 2001:bef::a00:27ff:fe0d:5c3c"
quiet udp_peers.pcap "one UDP socket's pings to 30 peers, each at its own port"
loud udp_peers_hosts.pcap "the same pings to the same ports of 6 hosts" "udp_scan 10.0.2.15"
quiet synack_unanswered.pcap "kernel connects, 6 SYN-ACKs never answered in the capture"
quiet synack_late.pcap "the same SYN-ACKs reset by the client's kernel: they came too late"
loud synack_reset.pcap "the same resets after hand-built SYNs (MSS only)" "syn_scan 10.0.2.15"
quiet udp_one_host.pcap "one socket to six ports of a host, three answered first, TTL kept"
loud udp_one_host_ttl.pcap "the same with a TTL drawn anew each datagram" "udp_scan 192.168.30.5"
quiet dhcp.pcap "a DHCP server's echo checks of 12 addresses, each offered after"
loud dhcp_no_offers.pcap "the same echo requests, no offer after them" "icmp_sweep 192.168.40.1"
loud dhcp_not_replies.pcap "the same datagrams, not BOOTREPLYs" "udp_sweep 192.168.40.1"
loud dhcp_then_sweep.pcap "the server, then 12 more pings it offers to nobody" \
	"icmp_sweep 192.168.40.1"
quiet dhcp_relayed.pcap "the same checks by a server behind a relay agent, named in option 54"
loud dhcp_relayed_no_id.pcap "the same offers naming no server" "icmp_sweep 10.9.0.5"
quiet monitor.pcap "a monitor's rounds every 5 minutes for an hour: 4 hosts down, MySQL refused"
loud monitor_forgot.pcap "the monitor back after an hour, at its MySQL checks" \
	"connect_scan 10.20.0.5"
loud monitor_dead20.pcap "20 hosts down checked once each" "connect_scan 10.20.0.5"
loud monitor_vertical.pcap "then 10 more ports of an answering host, refused" \
	"connect_scan 10.20.0.5"
quiet monitor_down_first.pcap "a monitor whose host checks find its first four hosts down"
loud monitor_down_first_nodata.pcap "the same echo requests without data" "icmp_sweep 10.20.0.5"
quiet monitor_spread.pcap "a monitor's checks 4 s apart: 11 refusals and 4 down hosts in a minute"
loud monitor_spread_unknown.pcap "the same from a source that had checked nothing there before" \
	"connect_scan 10.20.0.5"
quiet quic_mirror.pcap "the same Initials, each after a 0-RTT datagram on its socket"
loud quic_0rtt_only.pcap "the 0-RTT datagrams alone" "udp_sweep 192.168.178.25"
quiet p2p_peer_walk.pcap "one socket to 20 peers each at its own port, 7 gone, most in one /8"
loud p2p_peer_ports.pcap "the same datagrams to 4 ports of each of 5 hosts" "udp_scan 192.168.1.2"
quiet late_fins.pcap "a server's late FIN/ACKs to a client's ephemeral ports, each reset"
loud late_fins_nmap.pcap "the same FIN/ACKs with nmap's window" "maimon_scan 192.168.122.3"
quiet builder.pcap "a packet builder's 6 connections, option-less SYNs, handshakes completed"
loud builder_reset.pcap "the same SYNs, SYN-ACKs reset by the source" "syn_scan 10.30.0.7"
quiet sctp_up.pcap "8 SCTP associations from parameterless INITs, each up with DATA"
loud sctp_abort.pcap "the same INITs, INIT-ACKs aborted by the source" "sctp_scan 10.31.0.5"
quiet sctp_picked.pcap "the same associations picked up mid-capture: DATA, then the handshake"
loud sctp_unasked.pcap "the same chunks without the DATA before them" "sctp_scan 10.32.0.5"
echo "PASS"
