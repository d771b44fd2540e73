#!/usr/bin/env python3
"""make_linktypes.py — one small capture per link type and tunnel scanwatch reads, each holding a SYN scan.

  make_linktypes.py OUT_DIR

Writes OUT_DIR/<name>.pcap and OUT_DIR/manifest.tsv (name, LINKTYPE, scanner
address, kind of capture). Every capture here is SYNTHETIC: no ARCNET, token
ring, InfiniBand or Marvell switch was at hand, so the frames are built from
the specifications (and the layouts tcpdump's printers and Wireshark's
dissectors read), byte by byte. test_linktypes.sh has tshark, when present,
dissect each one as an independent check that the encodings are real ones.

In each capture one scanner (its own address, so detections cannot mix
between files) sends nmap-shaped SYNs (window 1024, MSS-only options) to 12
ports of one target, 10 ms apart: default.yaml's SW-TCP-SYN-001 opens at 4.
A benign packet of another kind for the link (802.11 beacon, LCP, SLARP ...)
comes first where the link has one, so skipping it is exercised too.

make_seeds.py (tests/fuzz) imports this file for its frame wrappers.
"""
import os
import struct
import sys

T0 = 1700000000  # capture time of the first packet
TARGET4 = bytes([198, 18, 250, 2])
TARGET6 = bytes.fromhex("20010002000000000000000000fa0002")
MAC_SCAN = bytes.fromhex("02005e000001")
MAC_TGT = bytes.fromhex("02005e0000fe")
VTEP_A, VTEP_B = bytes([198, 18, 249, 1]), bytes([198, 18, 249, 2])
PORTS = [21, 22, 23, 25, 53, 80, 110, 139, 143, 443, 445, 3389]


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(payload, proto, src, dst, ident=0x4d2, ttl=44):
    h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0, ttl, proto, 0, src, dst)
    return h[:10] + struct.pack(">H", csum(h)) + h[12:] + payload


def ipv6(payload, nh, src, dst, hlim=44):
    return struct.pack(">IHBB16s16s", 6 << 28, len(payload), nh, hlim, src, dst) + payload


def syn(sport, dport, seq, src, dst, v6):
    """An nmap -sS probe: window 1024, MSS 1460 only, with a correct checksum."""
    t = struct.pack(">HHIIBBHHH", sport, dport, seq, 0, 6 << 4, 0x02, 1024, 0, 0) + \
        b"\x02\x04\x05\xb4"
    if v6:
        pseudo = src + dst + struct.pack(">IxxxB", len(t), 6)
    else:
        pseudo = src + dst + struct.pack(">xBH", 6, len(t))
    t = t[:16] + struct.pack(">H", csum(pseudo + t)) + t[18:]
    return ipv6(t, 6, src, dst) if v6 else ipv4(t, 6, src, dst, ident=seq & 0xFFFF)


def udp(payload, sport, dport, src, dst):
    return ipv4(struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload, 17, src, dst)


def eth(payload, etype, src=MAC_SCAN, dst=MAC_TGT):
    return dst + src + struct.pack(">H", etype) + payload


def et(v6):
    return 0x86DD if v6 else 0x0800


SNAP = bytes.fromhex("aaaa03000000")


def snap(pkt, v6):
    return SNAP + struct.pack(">H", et(v6)) + pkt


# 802.11 data frame to the distribution system: FC, duration, BSSID, SA, DA, sequence.
def wlan(pkt, v6, qos=False):
    if qos:
        hdr = bytes.fromhex("88010000") + MAC_TGT + MAC_SCAN + MAC_TGT + b"\x10\x00" + b"\x00\x00"
    else:
        hdr = bytes.fromhex("08010000") + MAC_TGT + MAC_SCAN + MAC_TGT + b"\x10\x00"
    return hdr + snap(pkt, v6)


BEACON = bytes.fromhex("80000000ffffffffffff") + MAC_TGT + MAC_TGT + b"\x00\x00" + b"\0" * 12
RADIOTAP = bytes.fromhex("0000090002000000") + b"\x00"  # Flags only, no FCS
RADIOTAP_FCS = bytes.fromhex("0000090002000000") + b"\x10"  # Flags: FCS at the end
PRISM = struct.pack("<II16s", 0x41, 144, b"wlan0") + b"\0" * 120
AVS = struct.pack(">II", 0x80211001, 64) + b"\0" * 56


def pppoe(ppp_proto_and_payload, code=0):
    return struct.pack(">BBHH", 0x11, code, 0x1234, len(ppp_proto_and_payload)) + \
        ppp_proto_and_payload


def ppp_proto(v6):
    return struct.pack(">H", 0x57 if v6 else 0x21)


def mpls(pkt, v6):
    # a transport label, then the VPN label at the bottom of the stack (TTL 64)
    return struct.pack(">II", (16 << 12) | 64, (1000 << 12) | 0x100 | 64) + pkt


def gre(pkt, v6, flags=0x2000, extra=b"\0\0\0\x2a"):
    inner = struct.pack(">HH", flags, et(v6)) + extra + pkt
    return eth(ipv4(inner, 47, VTEP_A, VTEP_B), 0x0800)


def erspan2(pkt, v6):
    e = struct.pack(">II", (1 << 28) | (100 << 16) | 7, 1)  # version 1, VLAN 100, session 7
    inner = struct.pack(">HHI", 0x1000, 0x88BE, 1) + e + eth(pkt, et(v6))
    return eth(ipv4(inner, 47, VTEP_A, VTEP_B), 0x0800)


def erspan3(pkt, v6):
    e = struct.pack(">IIHH", (2 << 28) | (100 << 16) | 7, 123456, 0, 0)  # version 2, FT 0
    inner = struct.pack(">HHI", 0x1000, 0x22EB, 1) + e + eth(pkt, et(v6))
    return eth(ipv4(inner, 47, VTEP_A, VTEP_B), 0x0800)


def vxlan(pkt, v6):
    inner = bytes.fromhex("0800000000123400") + eth(pkt, et(v6))
    return eth(udp(inner, 51000, 4789, VTEP_A, VTEP_B), 0x0800)


def geneve(pkt, v6):
    inner = struct.pack(">BBH", 0, 0, 0x6558) + b"\x00\x12\x34\x00" + eth(pkt, et(v6))
    return eth(udp(inner, 51000, 6081, VTEP_A, VTEP_B), 0x0800)


def tzsp(pkt, v6, port=37008, tags=b""):
    """TZSP as RouterOS' packet sniffer streams it (decode_tzsp.c): version 1, a received
    packet, Ethernet, the tags and END, then the sniffed frame, from the router's port."""
    inner = bytes.fromhex("01000001") + tags + b"\x01" + eth(pkt, et(v6))
    return eth(udp(inner, 55310, port, VTEP_A, VTEP_B), 0x0800)


def nflog(pkt, v6):
    # family, version 0, resource id; TLVs in the writing host's order (little-endian here)
    hdr = struct.pack(">BBH", 10 if v6 else 2, 0, 5)
    tlv_hdr = struct.pack("<HH", 8, 1) + struct.pack(">HBx", et(v6), 3)  # packet header: hook 3
    prefix = b"scan\0"
    tlv_pfx = struct.pack("<HH", 4 + len(prefix), 10) + prefix + b"\0" * (-len(prefix) % 4)
    tlv_pay = struct.pack("<HH", 4 + len(pkt), 9) + pkt + b"\0" * (-len(pkt) % 4)
    return hdr + tlv_hdr + tlv_pfx + tlv_pay


def pflog(pkt, v6):
    h = struct.pack(">BBBB16s16sIIIiIiB", 61, 24 if v6 else 2, 0, 1, b"em0", b"", 3, 0, 0, 0, 0,
                    0, 1)
    return h + b"\0" * (64 - len(h)) + pkt


JUNIPER_EXT = b"\x01\x07ge-0/0/" + b"\x04\x04\0\0\0\x2a"  # interface name, interface index


def juniper(flags, ext=b""):
    return b"MGC" + bytes([flags]) + (struct.pack(">H", len(ext)) + ext if flags & 0x80 else b"")


def netanalyzer(frame, transparent=False):
    """Header version 1, no error, the frame's length (with FCS); preamble and SFD if transparent."""
    h = (1 << 10) | (len(frame) << 16) | (0x200 if transparent else 0)
    return struct.pack("<I", h) + (b"\x55" * 7 + b"\xd5" if transparent else b"") + frame


# name -> (LINKTYPE in the file, wrapper(ip_packet, v6) -> frame, IPv6 scan?, a benign first frame)
LINKS = {
    "ethernet": (1, lambda p, v6: eth(p, et(v6)), False, None),
    "ppp": (9, lambda p, v6: b"\xff\x03" + ppp_proto(v6) + p, False,
            bytes.fromhex("ff03c021010100040000")),
    "ppp_ipv6_pfc": (9, lambda p, v6: b"\x57" + p, True, None),
    "ppp_serial": (50, lambda p, v6: b"\xff\x03" + ppp_proto(v6) + p, False, None),
    "ppp_ether": (51, lambda p, v6: pppoe(ppp_proto(v6) + p), False,
                  struct.pack(">BBHH", 0x11, 0x09, 0, 0)),
    "pppoe_on_ethernet": (1, lambda p, v6: eth(pppoe(ppp_proto(v6) + p), 0x8864), True, None),
    "ppp_pppd": (166, lambda p, v6: b"\x01\x03" + ppp_proto(v6) + p, False, None),
    "ppp_with_dir": (204, lambda p, v6: b"\x00\xff\x03" + ppp_proto(v6) + p, False, None),
    "c_hdlc": (104, lambda p, v6: struct.pack(">BBH", 0x0F, 0, et(v6)) + p, False,
               bytes.fromhex("8f00803500000000") + b"\0" * 10),
    "c_hdlc_with_dir": (205, lambda p, v6: struct.pack(">BBBH", 1, 0x0F, 0, et(v6)) + p, True, None),
    "ipnet": (226, lambda p, v6: struct.pack(">BBHIIIII", 1, 26 if v6 else 2, 0, len(p), 2, 0, 0, 0)
              + p, True, None),
    # BSD SLIP (tcpdump print-sl.c): direction (1 sent), the RFC 1144 type byte (0x40 plain
    # IP), 14 bytes of the compressed header, then the packet uncompressed
    "slip": (8, lambda p, v6: b"\x01\x40" + b"\0" * 14 + p, True, None),
    "fddi": (10, lambda p, v6: b"\x50" + MAC_TGT + MAC_SCAN + snap(p, v6), False,
             b"\x41" + MAC_TGT + MAC_SCAN + b"\0" * 20),
    "token_ring": (6, lambda p, v6: b"\x10\x40" + MAC_TGT + bytes([MAC_SCAN[0] | 0x80]) +
                   MAC_SCAN[1:] + b"\x06\x30\x00\x11\x00\x22" + snap(p, v6), False, None),
    "ieee802_11": (105, lambda p, v6: wlan(p, v6), False, BEACON),
    "ieee802_11_qos_ipv6": (105, lambda p, v6: wlan(p, v6, qos=True), True, None),
    "radiotap": (127, lambda p, v6: RADIOTAP + wlan(p, v6), False, RADIOTAP + BEACON),
    "radiotap_fcs": (127, lambda p, v6: RADIOTAP_FCS + wlan(p, v6) + b"\x11\x22\x33\x44", False,
                     None),
    "prism": (119, lambda p, v6: PRISM + wlan(p, v6), False, None),
    "avs": (163, lambda p, v6: AVS + wlan(p, v6), False, None),
    "ppi": (192, lambda p, v6: struct.pack("<BBHI", 0, 0, 8, 105) + wlan(p, v6), False, None),
    "llc_snap_8023": (1, lambda p, v6: MAC_TGT + MAC_SCAN + struct.pack(">H", 8 + len(p)) +
                      snap(p, v6), False, None),
    "atm_rfc1483": (100, lambda p, v6: snap(p, v6), False, None),
    "arcnet": (7, lambda p, v6: struct.pack(">BBBBH", 1, 2, 0xC4 if v6 else 0xD4, 0, 1) + p, False,
               None),
    "arcnet_linux": (129, lambda p, v6: struct.pack(">BBHBBH", 1, 2, 0, 0xC4 if v6 else 0xD4, 0, 1)
                     + p, True, None),
    "ipoib": (242, lambda p, v6: b"\0" * 40 + struct.pack(">HH", et(v6), 0) + p, False, None),
    "dsa_brcm": (281, lambda p, v6: MAC_TGT + MAC_SCAN + b"\x20\0\0\x01" +
                 struct.pack(">H", et(v6)) + p, False, None),
    "dsa_brcm_prepend": (282, lambda p, v6: b"\x20\0\0\x01" + eth(p, et(v6)), False, None),
    "dsa_marvell": (284, lambda p, v6: MAC_TGT + MAC_SCAN + b"\x20\x08\x00\x64" +
                    struct.pack(">H", et(v6)) + p, False, None),
    "dsa_edsa": (285, lambda p, v6: MAC_TGT + MAC_SCAN + b"\xda\xda\0\0\x20\x08\x00\x64" +
                 struct.pack(">H", et(v6)) + p, False, None),
    "edsa_on_ethernet": (1, lambda p, v6: eth(b"\0\0\x20\x08\x00\x64" + struct.pack(">H", et(v6))
                                              + p, 0xDADA), False, None),
    "mpls_on_ethernet": (1, lambda p, v6: eth(mpls(p, v6), 0x8847), False, None),
    "gre": (1, gre, False, None),
    "erspan2": (1, erspan2, False, None),
    "erspan3": (1, erspan3, True, None),
    "vxlan": (1, vxlan, False, None),
    "geneve": (1, geneve, False, None),
    "tzsp": (1, tzsp, False, None),
    # a stream to a port of the user's choosing (a public RouterOS capture streams to 31337),
    # with a padding tag and a data rate tag (type 12, length 1)
    "tzsp_ipv6_port_31337": (1, lambda p, v6: tzsp(p, v6, 31337, b"\x00\x0c\x01\x2a"), True,
                             None),
    "nflog": (239, nflog, False, None),
    "nflog_ipv6": (239, nflog, True, None),
    "pflog": (117, pflog, False, None),
    # Apple PKTAP (xnu bsd/net/pktap.h): 108-byte little-endian header, record type 1, DLT 1,
    # interface en0, then the Ethernet frame
    "pktap": (258, lambda p, v6: struct.pack("<III24s", 108, 1, 1, b"en0") + b"\0" * 72 +
              eth(p, et(v6)), True, None),
    # the same as a Mac writes it: macOS's DLT_PKTAP is DLT_USER2 (149)
    "pktap_user2": (149, lambda p, v6: struct.pack("<III24s", 108, 1, 1, b"en0") + b"\0" * 72 +
                    eth(p, et(v6)), False, None),
    # Juniper (tcpdump print-juniper.c): "MGC", flags (0x01 in, 0x02 no L2, 0x80 extensions);
    # extensions are a 2-byte length and TLVs (type 1: interface name), then the frame, or
    # with no L2 four bytes and the IP packet
    "juniper_ether": (178, lambda p, v6: juniper(0x81, JUNIPER_EXT) + eth(p, et(v6)), True,
                      None),
    # no L2: the four bytes are the payload protocol, little-endian (Wireshark: 2 IPv4, 6 IPv6)
    "juniper_ether_no_l2": (178, lambda p, v6: juniper(0x03) + struct.pack("<I", 6 if v6 else 2) + p,
                            False, None),
    "juniper_ppp": (179, lambda p, v6: juniper(0x01) + b"\xff\x03" + ppp_proto(v6) + p, False,
                    None),
    "juniper_frelay": (180, lambda p, v6: juniper(0x81, JUNIPER_EXT) + b"\x0c\x21\x03" +
                       (b"\x8e" if v6 else b"\xcc") + p, False, None),
    "juniper_chdlc": (181, lambda p, v6: juniper(0x01) + struct.pack(">BBH", 0x0F, 0, et(v6)) + p,
                      True, None),
    "enc": (109, lambda p, v6: struct.pack("<I", 24 if v6 else 2) + b"\0\0\x10\0\0\0\x04\0" + p,
            False, None),
    "frame_relay": (107, lambda p, v6: b"\x0c\x21\x03" + (b"\x8e" if v6 else b"\xcc") + p, False,
                    None),
    # RFC 2427 section 3: address, UI, pad, NLPID SNAP, OUI 00-00-00, ethertype
    "frame_relay_snap": (107, lambda p, v6: bytes.fromhex("0c210300800000 00") +
                         struct.pack(">H", et(v6)) + p, True, None),
    "sunatm": (123, lambda p, v6: b"\x82\x00\x00\x20" + snap(p, v6), False, None),
    "ip_over_fc": (122, lambda p, v6: b"\x10\x00" + MAC_TGT + b"\x10\x00" + MAC_SCAN + snap(p, v6),
                   False, None),
    "ap1394": (138, lambda p, v6: bytes(range(8)) + bytes(range(8, 16)) + struct.pack(">H", et(v6))
               + p, False, None),
    "symantec": (99, lambda p, v6: b"\0" * 6 + struct.pack(">H", et(v6)) + b"\0" * 36 + p, False,
                 None),
    "netanalyzer": (240, lambda p, v6: netanalyzer(eth(p, et(v6)) + b"\0\0\0\0"), False, None),
    "netanalyzer_transparent": (241, lambda p, v6: netanalyzer(eth(p, et(v6)) + b"\0\0\0\0", True),
                                False, None),
}


def scanner(i, v6):
    """The i-th file's scanner: its own address."""
    if v6:
        return bytes.fromhex("200100020000000000000000") + bytes([0, 0, 0x10 + i // 250, i % 250 + 1])
    return bytes([198, 18, 100 + i // 250, i % 250 + 1])


def addr_text(a):
    if len(a) == 4:
        return ".".join(str(x) for x in a)
    import ipaddress
    return str(ipaddress.IPv6Address(a))


def write_pcap(path, linktype, frames):
    """frames: (seconds after T0, bytes)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for t, fr in frames:
            us = int(round(t * 1e6))
            f.write(struct.pack("<IIII", T0 + us // 1000000, us % 1000000, len(fr), len(fr)) + fr)


def scan_frames(i, wrap, v6, benign, start):
    src = scanner(i, v6)
    dst = TARGET6 if v6 else TARGET4
    frames = [(start, benign)] if benign else []
    for k, port in enumerate(PORTS):
        frames.append((start + 0.001 + 0.01 * k, wrap(syn(47000 + i, port, 0x1000 * i + k, src, dst,
                                                          v6), v6)))
    return src, frames


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rows = []
    for i, (name, (lt, wrap, v6, benign)) in enumerate(LINKS.items()):
        # files start 0.5 s apart: merged in a multi-file replay they interleave by time
        src, frames = scan_frames(i, wrap, v6, benign, 0.5 * i)
        write_pcap(os.path.join(out, name + ".pcap"), lt, frames)
        rows.append((name, lt, addr_text(src), "synthetic"))
    # a link type scanwatch does not read (Linux USB): the multi-file test's odd one out
    write_pcap(os.path.join(out, "unsupported_usb.pcap"), 189, [(0, b"\0" * 48)])
    with open(os.path.join(out, "manifest.tsv"), "w") as f:
        for r in rows:
            f.write("%s\t%d\t%s\t%s\n" % r)
    print("make_linktypes: %d captures in %s" % (len(rows), out))


if __name__ == "__main__":
    main()
