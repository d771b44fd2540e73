#!/usr/bin/env python3
"""make_bad_inputs.py — writes the bad-input matrix of test_bad_inputs.sh into a directory.

  make_bad_inputs.py OUT_DIR

Each case is one file plus a line in OUT_DIR/manifest.tsv: file name, then
what scanwatch must do with it:

  error            exit 1 with a message that names the file
  ok               exit 0 (well-formed at the boundary, or a malformation the
                   decoder tolerates by design)
  anomaly:NAME     exit 0 and runs.anomalies counts NAME (decode.h's names)
  note:NAME        exit 0, the summary counts note NAME and no anomaly at all
  error|ok         either, e.g. a file cut exactly between two records

Files: truncations at many offsets, wrong magic, pcapng unknown / oversized /
malformed blocks, zero and huge snaplen, caplen > len and > snaplen, time
going backwards, unknown link types, and one frame per header length field
at its boundary values (Ethernet/VLAN, ARP, IPv4, IPv6 and its extension
chains, TCP, UDP, ICMP, ICMPv6, the other link headers and the tunnels).
"""
import os
import struct
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
manifest = []
T0 = 1700000000  # capture time of every case

MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")
SRC4, DST4 = bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2])
SRC6 = bytes.fromhex("20010002000000000000000000000001")
DST6 = bytes.fromhex("20010002000000000000000000000002")


def case(name, expect, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
    manifest.append((name, expect))


def pcap_hdr(dlt=1, snaplen=65535, magic=0xA1B2C3D4, major=2, minor=4, e="<"):
    return struct.pack(e + "IHHiIII", magic, major, minor, 0, 0, snaplen, dlt)


def rec(data, ts=T0, usec=0, caplen=None, wirelen=None, e="<"):
    cl = len(data) if caplen is None else caplen
    wl = len(data) if wirelen is None else wirelen
    return struct.pack(e + "IIII", ts, usec, cl, wl) + data


def pcap(frames, dlt=1, **kw):
    """A pcap of frames; a frame is bytes or (bytes, dict of rec() arguments)."""
    b = pcap_hdr(dlt, **kw)
    for i, fr in enumerate(frames):
        if isinstance(fr, tuple):
            b += rec(fr[0], **fr[1])
        else:
            b += rec(fr, usec=i)
    return b


def eth(payload, et=0x0800):
    return MAC_B + MAC_A + struct.pack(">H", et) + payload


def ipv4(payload, proto=6, ihl=5, totlen=None, ver=4, frag=0, opts=b""):
    tl = 4 * ihl + len(payload) if totlen is None else totlen
    h = struct.pack(">BBHHHBBH4s4s", (ver << 4) | ihl, 0, tl & 0xFFFF, 1, frag, 64, proto, 0,
                    SRC4, DST4)
    return h + opts + payload


def ipv6(payload, nh=6, plen=None, ver=6):
    pl = len(payload) if plen is None else plen
    return struct.pack(">IHBB16s16s", ver << 28, pl & 0xFFFF, nh, 64, SRC6, DST6) + payload


def tcp(doff=5, flags=0x02, opts=b"", payload=b""):
    return struct.pack(">HHIIBBHHH", 40000, 80, 1, 0, doff << 4, flags, 1024, 0, 0) + opts + payload


def udp(length=None, payload=b""):
    ln = 8 + len(payload) if length is None else length
    return struct.pack(">HHHH", 40000, 53, ln & 0xFFFF, 0) + payload


def icmp(t=8, code=0, body=b"\0\1\0\1"):
    return struct.pack(">BBH", t, code, 0) + body


GOOD_SYN = eth(ipv4(tcp()))
GOOD_SYN6 = eth(ipv6(tcp()), 0x86DD)


def frame_case(name, expect, frame, **kw):
    """One bad frame followed by a good one, so decoding is shown to go on."""
    case(name + ".pcap", expect, pcap([frame, GOOD_SYN], **kw))


# ---- file level -------------------------------------------------------------
case("empty.pcap", "error", b"")
case("magic_zero.pcap", "error", b"\0" * 24 + rec(GOOD_SYN))
case("magic_text.pcap", "error", b"this is not a capture file, it is text\n" * 4)
case("magic_almost.pcap", "error", struct.pack("<I", 0xA1B2C3D5) + pcap([GOOD_SYN])[4:])
case("version_archaic.pcap", "error", pcap([GOOD_SYN], major=1, minor=0))
case("bigendian.pcap", "ok",
     pcap_hdr(e=">") + rec(GOOD_SYN, e=">") + rec(GOOD_SYN6, usec=5, e=">"))
case("nanosecond.pcap", "ok", pcap([GOOD_SYN, (GOOD_SYN, {"usec": 999999999})],
                                   magic=0xA1B23C4D))
case("snaplen_zero.pcap", "ok", pcap([GOOD_SYN, GOOD_SYN6], snaplen=0))
case("snaplen_huge.pcap", "ok", pcap([GOOD_SYN, GOOD_SYN6], snaplen=0xFFFFFFFF))
case("snaplen_small.pcap", "ok", pcap([GOOD_SYN], snaplen=16))
# caplen above snaplen (but sane): libpcap reads the record and keeps snaplen bytes
case("caplen_gt_snaplen.pcap", "error|ok",
     pcap([GOOD_SYN, (GOOD_SYN + b"\0" * 40, {"usec": 1})], snaplen=60))
case("caplen_gt_len.pcap", "ok", pcap([(GOOD_SYN, {"wirelen": 20}), (GOOD_SYN, {"wirelen": 0})]))
case("caplen_huge.pcap", "error",
     pcap_hdr() + rec(GOOD_SYN) + struct.pack("<IIII", T0, 1, 0x7FFFFFFF, 0x7FFFFFFF) + GOOD_SYN)
case("caplen_zero.pcap", "anomaly:link_truncated", pcap([b"", b"", GOOD_SYN]))
case("len_huge.pcap", "ok", pcap([(GOOD_SYN, {"wirelen": 0xFFFFFFFF})]))
case("time_backwards.pcap", "ok",
     pcap([(GOOD_SYN, {"ts": T0 + 100}), (GOOD_SYN6, {"ts": T0}), (GOOD_SYN, {"ts": 0}),
           (GOOD_SYN, {"ts": 0xFFFFFFFF, "usec": 999999}), (GOOD_SYN, {"ts": T0, "usec": 5})]))
case("usec_invalid.pcap", "ok", pcap([(GOOD_SYN, {"usec": 0xFFFFFFFF}), GOOD_SYN]))
case("linktype_unknown.pcap", "error", pcap([GOOD_SYN], dlt=147))
case("linktype_huge.pcap", "error", pcap([GOOD_SYN], dlt=0xFFFF))
case("linktype_fcs_bits.pcap", "error|ok", pcap([GOOD_SYN], dlt=1 | 0x10000000 | 0x04000000))
case("header_only.pcap", "ok", pcap([]))

# truncated at many offsets: every byte of the header and the first records, then a stride
base = pcap([GOOD_SYN, GOOD_SYN6, eth(ipv4(udp())), GOOD_SYN] * 4)
bounds = {24}
off = 24
while off < len(base):
    off += 16 + struct.unpack_from("<I", base, off + 8)[0]
    bounds.add(off)
cuts = sorted(set(range(0, 24 + 16 + len(GOOD_SYN) + 20)) | set(range(0, len(base), 7)))
for cut in cuts:
    if cut >= len(base):
        continue
    expect = "error" if cut < 24 else ("ok" if cut in bounds else "error")
    case("trunc_pcap_%04d.pcap" % cut, expect, base[:cut])


# ---- pcapng -----------------------------------------------------------------
def block(t, body, total=None, pad=True):
    if pad:
        body += b"\0" * (-len(body) % 4)
    n = len(body) + 12 if total is None else total
    return struct.pack("<II", t, n) + body + struct.pack("<I", n)


SHB = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))


def idb(dlt=1, snap=65535):
    return block(1, struct.pack("<HHI", dlt, 0, snap))


def epb(data, ifc=0, usec=0, caplen=None, wirelen=None):
    ts = T0 * 1000000 + usec
    cl = len(data) if caplen is None else caplen
    wl = len(data) if wirelen is None else wirelen
    return block(6, struct.pack("<IIIII", ifc, ts >> 32, ts & 0xFFFFFFFF, cl, wl) + data)


NG = SHB + idb() + epb(GOOD_SYN) + epb(GOOD_SYN6, usec=1) + epb(GOOD_SYN, usec=2)
case("ng_ok.pcapng", "ok", NG)
case("ng_unknown_block.pcapng", "ok",
     SHB + idb() + epb(GOOD_SYN) + block(0x0BADBEEF, b"\x55" * 40) + block(0x80000001, b"")
     + epb(GOOD_SYN6, usec=1))
case("ng_oversized_block.pcapng", "error",
     SHB + idb() + epb(GOOD_SYN) + struct.pack("<II", 0x0BADBEEF, 0x7FFFFFF0) + b"\0" * 64)
case("ng_oversized_epb.pcapng", "error",
     SHB + idb() + struct.pack("<II", 6, 0x01000010) + b"\0" * 64)
case("ng_block_len_small.pcapng", "error", SHB + idb() + struct.pack("<III", 6, 8, 8))
case("ng_block_len_odd.pcapng", "error",
     SHB + idb() + struct.pack("<II", 6, 13) + b"\0" * 5 + struct.pack("<I", 13))
case("ng_trailer_mismatch.pcapng", "error",
     SHB + idb() + epb(GOOD_SYN)[:-4] + struct.pack("<I", 12345))
case("ng_no_idb.pcapng", "error", SHB + epb(GOOD_SYN))
case("ng_bad_ifc.pcapng", "error", SHB + idb() + epb(GOOD_SYN) + epb(GOOD_SYN, ifc=7))
case("ng_idb_unknown_dlt.pcapng", "error", SHB + idb(dlt=147) + epb(GOOD_SYN))
# Interfaces of two link types: libpcap alone stops at the second IDB; capture_ng.c reads
# each link type as a stream of its own (test_pcapng_interfaces.sh checks the packets).
case("ng_idb_mixed_dlt.pcapng", "ok", SHB + idb() + idb(dlt=101) + epb(GOOD_SYN)
     + epb(GOOD_SYN[14:], ifc=1))
case("ng_idb_snap_zero.pcapng", "ok", SHB + idb(snap=0) + epb(GOOD_SYN))
# Hostile files of several interfaces, read through capture_ng.c's filter.
MULTI = SHB + idb() + idb(dlt=101)


def idb_opts(dlt, opts):
    return block(1, struct.pack("<HHI", dlt, 0, 65535) + opts + b"\0\0\0\0")


case("ng_multi_caplen_gt_block.pcapng", "error",
     MULTI + epb(GOOD_SYN) + epb(GOOD_SYN[14:], ifc=1, caplen=5000))
case("ng_multi_bad_ifc.pcapng", "error", MULTI + epb(GOOD_SYN) + epb(GOOD_SYN, ifc=7))
case("ng_multi_idb_cut.pcapng", "error",
     MULTI + epb(GOOD_SYN) + struct.pack("<II", 1, 64) + b"\0" * 10)
case("ng_multi_epb_cut.pcapng", "error", MULTI + epb(GOOD_SYN) + epb(GOOD_SYN[14:], ifc=1)[:-9])
# if_tsresol 2^-127 and 10^-255, if_tsoffset 2^63 - 1 seconds: times wrap, nothing else.
case("ng_multi_tsresol_extreme.pcapng", "ok",
     SHB + idb_opts(1, struct.pack("<HHB3x", 9, 1, 0xFF))
     + idb_opts(101, struct.pack("<HHB3x", 9, 1, 0x7F) + struct.pack("<HHq", 14, 8, 2**63 - 1))
     + epb(GOOD_SYN, usec=123) + epb(GOOD_SYN[14:], ifc=1, usec=456))
case("ng_multi_option_overrun.pcapng", "ok",
     SHB + idb() + idb_opts(101, struct.pack("<HH", 9, 0xFFF0) + b"\x06\0\0\0")
     + epb(GOOD_SYN) + epb(GOOD_SYN[14:], ifc=1))
case("ng_multi_second_shb_bad_bom.pcapng", "error",
     MULTI + epb(GOOD_SYN) + block(0x0A0D0D0A, struct.pack("<IHHq", 0x11223344, 1, 0, -1))
     + idb() + epb(GOOD_SYN))
case("ng_multi_second_shb_big_endian.pcapng", "ok",
     MULTI + epb(GOOD_SYN) + struct.pack(">II", 0x0A0D0D0A, 28)
     + struct.pack(">IHHq", 0x1A2B3C4D, 1, 0, -1) + struct.pack(">I", 28)
     + struct.pack(">III", 1, 20, 0x0001_0000) + struct.pack(">II", 65535, 20))
# A later section of major version 2 (gopacket's test901): libpcap refuses it after the
# packets before it, through the split too; one of version 1.1 it reads.
case("ng_multi_second_shb_major_2.pcapng", "error",
     MULTI + epb(GOOD_SYN) + block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 2, 0, -1))
     + idb() + epb(GOOD_SYN))
case("ng_multi_second_shb_minor_1.pcapng", "ok",
     MULTI + epb(GOOD_SYN) + block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 1, -1))
     + idb() + epb(GOOD_SYN))
case("ng_multi_packet_before_idb.pcapng", "error",
     SHB + epb(GOOD_SYN) + idb() + idb(dlt=101) + epb(GOOD_SYN))

case("ng_epb_caplen_gt_block.pcapng", "error", SHB + idb() + epb(GOOD_SYN, caplen=5000))
case("ng_epb_caplen_gt_len.pcapng", "ok", SHB + idb() + epb(GOOD_SYN, wirelen=10))
case("ng_shb_major_2.pcapng", "error",
     block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 2, 0, -1)) + idb() + epb(GOOD_SYN))
case("ng_shb_bad_bom.pcapng", "error",
     block(0x0A0D0D0A, struct.pack("<IHHq", 0x11223344, 1, 0, -1)) + idb() + epb(GOOD_SYN))
case("ng_time_backwards.pcapng", "ok",
     SHB + idb() + epb(GOOD_SYN, usec=5000000) + epb(GOOD_SYN6, usec=0) + epb(GOOD_SYN, usec=1))
case("ng_spb.pcapng", "error|ok",
     SHB + idb() + block(3, struct.pack("<I", len(GOOD_SYN)) + GOOD_SYN))
case("ng_second_section.pcapng", "ok", NG + NG)
ng_bounds = set()
off = 0
while off < len(NG):
    off += struct.unpack_from("<I", NG, off + 4)[0]
    ng_bounds.add(off)
for cut in range(0, len(NG), 3):
    case("trunc_ng_%04d.pcapng" % cut, "ok" if cut in ng_bounds and cut > len(SHB) + 20
         else ("error|ok" if cut in ng_bounds else "error"), NG[:cut])

# ---- link layers ------------------------------------------------------------
frame_case("eth_short", "anomaly:link_truncated", GOOD_SYN[:13])
frame_case("eth_header_only", "anomaly:ipv4_truncated", GOOD_SYN[:14])
vlan = b"\x81\x00\x00\x05"
frame_case("vlan_1", "ok", GOOD_SYN[:12] + vlan + GOOD_SYN[12:])
frame_case("vlan_3", "ok", GOOD_SYN[:12] + vlan * 3 + GOOD_SYN[12:])
frame_case("vlan_4", "anomaly:vlan_too_deep", GOOD_SYN[:12] + vlan * 4 + GOOD_SYN[12:])
frame_case("vlan_many", "anomaly:vlan_too_deep", GOOD_SYN[:12] + vlan * 200 + GOOD_SYN[12:])
frame_case("vlan_truncated", "anomaly:link_truncated", GOOD_SYN[:12] + b"\x81\x00\x00")
frame_case("ethertype_unknown", "ok", eth(b"\0" * 40, 0x88CC))
ARP = struct.pack(">HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, MAC_A, SRC4, b"\0" * 6, DST4)
frame_case("arp_ok", "ok", eth(ARP, 0x0806))
frame_case("arp_fixed_truncated", "anomaly:arp_truncated", eth(ARP[:7], 0x0806))
frame_case("arp_addrs_truncated", "anomaly:arp_truncated", eth(ARP[:27], 0x0806))
frame_case("arp_hlen_0", "anomaly:arp_bad_format", eth(ARP[:4] + b"\x00\x04" + ARP[6:], 0x0806))
frame_case("arp_hlen_255", "anomaly:arp_bad_format", eth(ARP[:4] + b"\xff\x04" + ARP[6:], 0x0806))
frame_case("arp_plen_16", "anomaly:arp_bad_format", eth(ARP[:4] + b"\x06\x10" + ARP[6:], 0x0806))

IP4 = ipv4(tcp())
IP6 = ipv6(tcp())
SNAP4 = bytes.fromhex("aaaa030000000800")
SNAP6 = bytes.fromhex("aaaa0300000086dd")
# 802.11 data frame to the distribution system; radiotap with only the Flags field; AVS
WLAN = bytes.fromhex("08010000") + MAC_B + MAC_A + MAC_B + b"\x10\x00"
RADIOTAP = bytes.fromhex("0000090002000000") + b"\x00"
AVS = bytes.fromhex("8021100100000040") + b"\0" * 56
for dlt, name, hdr4, hdr6, minlen in [
        (113, "sll", struct.pack(">HHH8sH", 0, 1, 6, MAC_A + b"\0\0", 0x0800),
         struct.pack(">HHH8sH", 0, 1, 6, MAC_A + b"\0\0", 0x86DD), 16),
        (276, "sll2", struct.pack(">HHIHBB8s", 0x0800, 0, 2, 1, 0, 6, MAC_A + b"\0\0"),
         struct.pack(">HHIHBB8s", 0x86DD, 0, 2, 1, 0, 6, MAC_A + b"\0\0"), 20),
        (0, "null", struct.pack("<I", 2), struct.pack("<I", 24), 4),
        (108, "loop", struct.pack(">I", 2), struct.pack(">I", 24), 4),
        (101, "raw", b"", b"", 0), (12, "dltraw", b"", b"", 0),
        (228, "ipv4", b"", None, 0), (229, "ipv6", None, b"", 0),
        # the link types beyond those (decode_*.c), each header with IPv4 and IPv6 after it
        (9, "ppp", b"\xff\x03\x00\x21", b"\xff\x03\x00\x57", 4),
        (50, "ppp_serial", b"\xff\x03\x00\x21", b"\xff\x03\x00\x57", 4),
        (51, "ppp_ether", bytes.fromhex("11000001ffff0021"), bytes.fromhex("11000001ffff0057"), 8),
        (104, "c_hdlc", b"\x0f\x00\x08\x00", b"\x0f\x00\x86\xdd", 4),
        (226, "ipnet", bytes([1, 2]) + b"\0" * 22, bytes([1, 26]) + b"\0" * 22, 24),
        (10, "fddi", b"\x50" + MAC_B + MAC_A + SNAP4, b"\x50" + MAC_B + MAC_A + SNAP6, 21),
        (6, "token_ring", b"\x10\x40" + MAC_B + MAC_A + SNAP4,
         b"\x10\x40" + MAC_B + MAC_A + SNAP6, 22),
        (105, "ieee802_11", WLAN + SNAP4, WLAN + SNAP6, 32),
        (127, "radiotap", RADIOTAP + WLAN + SNAP4, RADIOTAP + WLAN + SNAP6, 41),
        (119, "prism", b"\0" * 144 + WLAN + SNAP4, None, 176),
        (163, "avs", AVS + WLAN + SNAP4, AVS + WLAN + SNAP6, 96),
        (11, "atm_rfc1483", SNAP4, SNAP6, 8),
        (7, "arcnet", b"\x01\x02\xd4\x00\x00\x01", b"\x01\x02\xc4\x00\x00\x01", 6),
        (129, "arcnet_linux", bytes.fromhex("01020000d4000001"), bytes.fromhex("01020000c4000001"),
         8),
        (242, "ipoib", b"\0" * 40 + b"\x08\x00\0\0", b"\0" * 40 + b"\x86\xdd\0\0", 44),
        (281, "dsa_brcm", MAC_B + MAC_A + b"\x20\0\0\x01\x08\x00",
         MAC_B + MAC_A + b"\x20\0\0\x01\x86\xdd", 18),
        (284, "dsa", MAC_B + MAC_A + b"\x20\x08\x01\x23\x08\x00", None, 18),
        (285, "edsa", MAC_B + MAC_A + bytes.fromhex("dada0000200801230800"), None, 22),
        (219, "mpls", b"\x00\x00\x01\x40", b"\x00\x00\x21\x40", 4),
        (117, "pflog", bytes([61, 2]) + b"\0" * 62, bytes([61, 24]) + b"\0" * 62, 64),
        (107, "frelay", b"\x0c\x21\x03\xcc", b"\x0c\x21\x03\x8e", 4),
        (123, "sunatm", b"\x82\x00\x00\x20" + SNAP4, b"\x82\x00\x00\x20" + SNAP6, 12),
        (122, "ip_over_fc", b"\x10\0" + MAC_B + b"\x10\0" + MAC_A + SNAP4,
         b"\x10\0" + MAC_B + b"\x10\0" + MAC_A + SNAP6, 24),
        (138, "ap1394", b"\0" * 16 + b"\x08\x00", b"\0" * 16 + b"\x86\xdd", 18),
        (99, "symantec", b"\0" * 6 + b"\x08\x00" + b"\0" * 36, b"\0" * 6 + b"\x86\xdd" + b"\0" * 36, 44),
        (240, "netanalyzer", b"\x00\x04\x00\x00" + MAC_B + MAC_A + b"\x08\x00",
         b"\x00\x04\x00\x00" + MAC_B + MAC_A + b"\x86\xdd", 18)]:
    good = [hdr4 + IP4] if hdr4 is not None else [hdr6 + IP6]
    if hdr6 is not None and hdr4 is not None:
        good.append(hdr6 + IP6)
    case("link_%s_ok.pcap" % name, "ok", pcap(good, dlt=dlt))
    if minlen:
        case("link_%s_short.pcap" % name, "anomaly:link_truncated",
             pcap([good[0][:minlen - 1]] + good, dlt=dlt))
    case("link_%s_l3_short.pcap" % name,
         "anomaly:ipv4_truncated" if hdr4 is not None else "anomaly:ipv6_truncated",
         pcap([good[0][:len(good[0]) - len(IP4 if hdr4 is not None else IP6) + 10]] + good,
              dlt=dlt))
case("link_null_bad_family.pcap", "anomaly:null_bad_family",
     pcap([struct.pack("<I", 0x12345678) + IP4], dlt=0))
case("link_null_other_family.pcap", "ok", pcap([struct.pack("<I", 7) + IP4], dlt=0))
case("link_sll_bad.pcap", "anomaly:sll_bad",
     pcap([struct.pack(">HHH8sH", 0, 1, 200, MAC_A + b"\0\0", 0x0800) + IP4], dlt=113))
# the named malformations of the other link layers and tunnels
case("link_pppoe_bad.pcap", "anomaly:pppoe_bad",
     pcap([bytes.fromhex("12000001ffff0021") + IP4], dlt=51))
frame_case("pppoe_session_discovery_code", "anomaly:pppoe_bad",
           eth(bytes.fromhex("11090001ffff0021") + IP4, 0x8864))
case("link_radiotap_bad.pcap", "anomaly:radio_header_bad",
     pcap([bytes.fromhex("0100090002000000") + b"\0" + WLAN + SNAP4 + IP4], dlt=127))
case("link_radiotap_len_4.pcap", "anomaly:radio_header_bad",
     pcap([bytes.fromhex("0000040002000000") + b"\0" + WLAN + SNAP4 + IP4], dlt=127))
case("link_ieee802_11_version.pcap", "anomaly:ieee80211_version_bad",
     pcap([b"\x09" + WLAN[1:] + SNAP4 + IP4], dlt=105))
case("link_ieee802_11_protected.pcap", "note:ieee80211_protected_skipped",
     pcap([WLAN[:1] + b"\x41" + WLAN[2:] + SNAP4 + IP4], dlt=105))
case("link_token_ring_route_bad.pcap", "anomaly:token_ring_route_bad",
     pcap([b"\x10\x40" + MAC_B + b"\x82" + MAC_A[1:] + b"\x07\x30" + SNAP4 + IP4], dlt=6))
case("link_nflog_bad.pcap", "anomaly:nflog_bad",
     pcap([b"\x02\x01\x00\x00" + struct.pack("<HH", 4 + len(IP4), 9) + IP4], dlt=239))
case("link_nflog_tlv_short.pcap", "anomaly:nflog_bad",
     pcap([b"\x02\x00\x00\x00" + struct.pack("<HH", 2, 9) + IP4], dlt=239))
case("link_nflog_ok.pcap", "ok",
     pcap([b"\x02\x00\x00\x00" + struct.pack("<HH", 4 + len(IP4), 9) + IP4], dlt=239))
case("link_pflog_bad.pcap", "anomaly:pflog_header_length_bad",
     pcap([bytes([20, 2]) + b"\0" * 18 + IP4], dlt=117))
case("link_mpls_too_deep.pcap", "anomaly:mpls_label_stack_too_deep",
     pcap([b"\x00\x01\x00\x40" * 40 + b"\x00\x00\x01\x40" + IP4], dlt=219))
frame_case("gre_erspan2_version", "anomaly:erspan_version_bad",
           eth(ipv4(bytes.fromhex("100088be00000001") + bytes.fromhex("2064000100000000") +
                    GOOD_SYN, proto=47)))
frame_case("gre_ipv4_ok", "note:tunnel_inner_analysed",
           eth(ipv4(bytes.fromhex("00000800") + IP4, proto=47)))
VXLAN = bytes.fromhex("0800000000000100")


def vxlan_nest(levels):
    """IP4 inside `levels` VXLAN tunnels: the outermost IPv4 packet."""
    pkt = IP4
    for _ in range(levels):
        inner = VXLAN + MAC_B + MAC_A + b"\x08\x00" + pkt
        pkt = ipv4(struct.pack(">HHHH", 40000, 4789, 8 + len(inner), 0) + inner, proto=17)
    return pkt


frame_case("vxlan_4_deep", "note:tunnel_inner_analysed", eth(vxlan_nest(4)))
frame_case("vxlan_5_deep", "anomaly:encapsulation_too_deep", eth(vxlan_nest(5)))

# ---- IPv4 ---------------------------------------------------------------------
frame_case("ipv4_truncated_19", "anomaly:ipv4_truncated", eth(IP4[:19]))
for v in (0, 1, 5, 6, 15):
    frame_case("ipv4_version_%d" % v, "anomaly:ipv4_bad_version", eth(ipv4(tcp(), ver=v)))
for ihl in range(0, 5):
    frame_case("ipv4_ihl_%d" % ihl, "anomaly:ipv4_ihl_too_small", eth(ipv4(tcp(), ihl=ihl)))
frame_case("ipv4_ihl_6_nop", "ok", eth(ipv4(tcp(), ihl=6, opts=b"\x01" * 4)))
frame_case("ipv4_ihl_15_nop", "ok", eth(ipv4(tcp(), ihl=15, opts=b"\x01" * 40)))
frame_case("ipv4_ihl_15_eol", "ok", eth(ipv4(tcp(), ihl=15, opts=b"\x00" * 40)))
# IHL 15 but the frame ends after 30 bytes of header: the total length is a lie first
frame_case("ipv4_ihl_15_short", "anomaly:ipv4_total_length_bad",
           eth(ipv4(b"", ihl=15, totlen=60, opts=b"\x01" * 10)))
for tl in (1, 19):
    frame_case("ipv4_totlen_%d" % tl, "anomaly:ipv4_total_length_bad", eth(ipv4(tcp(), totlen=tl)))
# total length 0: a TCP segmentation offload segment, its length taken from the capture
frame_case("ipv4_totlen_0", "note:ipv4_total_length_zero_tso", eth(ipv4(tcp(), totlen=0)))
frame_case("ipv4_totlen_0_fragment", "anomaly:ipv4_total_length_bad",
           eth(ipv4(tcp(), totlen=0, frag=0x2000)))
frame_case("ipv4_totlen_20_tcp", "anomaly:tcp_truncated", eth(ipv4(tcp(), totlen=20)))
frame_case("ipv4_totlen_20_other", "ok", eth(ipv4(b"", proto=200, totlen=20)))
frame_case("ipv4_totlen_65535", "anomaly:ipv4_total_length_bad", eth(ipv4(tcp(), totlen=65535)))
# a frame cut by the snap length: total length above what was captured, not above the wire
frame_case("ipv4_totlen_lie", "anomaly:ipv4_total_length_bad",
           eth(ipv4(tcp(payload=b"x" * 100)))[:60])
case("ipv4_totlen_snapcut_ok.pcap", "ok",
     pcap([(eth(ipv4(tcp(payload=b"x" * 100)))[:60], {"wirelen": 14 + 140}), GOOD_SYN]))
frame_case("ipv4_opt_len_0", "anomaly:ipv4_option_bad", eth(ipv4(tcp(), ihl=6, opts=b"\x07\x00\0\0")))
frame_case("ipv4_opt_len_1", "anomaly:ipv4_option_bad", eth(ipv4(tcp(), ihl=6, opts=b"\x07\x01\0\0")))
frame_case("ipv4_opt_len_over", "anomaly:ipv4_option_bad",
           eth(ipv4(tcp(), ihl=6, opts=b"\x07\xff\0\0")))
frame_case("ipv4_opt_type_only", "anomaly:ipv4_option_bad",
           eth(ipv4(tcp(), ihl=6, opts=b"\x01\x01\x01\x83")))
frame_case("ipv4_opt_len_exact", "ok", eth(ipv4(tcp(), ihl=6, opts=b"\x07\x04\0\0")))
frame_case("ipv4_frag_max", "anomaly:ipv4_fragment_bad", eth(ipv4(b"\0" * 8, frag=0x1FFF)))
frame_case("ipv4_frag_edge", "ok", eth(ipv4(b"\0" * 8, frag=(65535 - 28) // 8)))
frame_case("ipv4_frag_first_short", "ok", eth(ipv4(tcp()[:8], frag=0x2000)))
frame_case("ipv4_frag_later", "ok", eth(ipv4(b"\0" * 8, frag=0x2001)))

# ---- TCP ----------------------------------------------------------------------
frame_case("tcp_truncated_19", "anomaly:tcp_truncated", eth(ipv4(tcp()[:19])))
for d in range(0, 5):
    frame_case("tcp_doff_%d" % d, "anomaly:tcp_header_length_too_small", eth(ipv4(tcp(doff=d))))
frame_case("tcp_doff_15", "ok", eth(ipv4(tcp(doff=15, opts=b"\x01" * 40))))
frame_case("tcp_doff_15_short", "anomaly:tcp_truncated", eth(ipv4(tcp(doff=15, opts=b"\x01" * 8))))
case("tcp_doff_15_snapcut.pcap", "anomaly:tcp_truncated",
     pcap([(eth(ipv4(tcp(doff=15, opts=b"\x01" * 40)))[:14 + 20 + 30], {"wirelen": 14 + 80}),
           GOOD_SYN]))
frame_case("tcp_opt_len_0", "anomaly:tcp_option_bad", eth(ipv4(tcp(doff=6, opts=b"\x08\x00\0\0"))))
frame_case("tcp_opt_len_1", "anomaly:tcp_option_bad", eth(ipv4(tcp(doff=6, opts=b"\x08\x01\0\0"))))
frame_case("tcp_opt_len_over", "anomaly:tcp_option_bad", eth(ipv4(tcp(doff=6, opts=b"\x02\x08\0\0"))))
frame_case("tcp_opt_mss_len_3", "anomaly:tcp_option_bad",
           eth(ipv4(tcp(doff=6, opts=b"\x02\x03\x05\x00"))))
frame_case("tcp_opt_ws_len_4", "anomaly:tcp_option_bad",
           eth(ipv4(tcp(doff=6, opts=b"\x03\x04\x07\x00"))))
frame_case("tcp_opt_kind_only", "anomaly:tcp_option_bad", eth(ipv4(tcp(doff=6, opts=b"\x01\x01\x01\x02"))))
frame_case("tcp_opt_many_nops", "ok", eth(ipv4(tcp(doff=15, opts=b"\x01" * 39 + b"\x00"))))
frame_case("tcp_opt_full", "ok", eth(ipv4(tcp(doff=15, opts=(
    b"\x02\x04\x05\xb4\x01\x03\x03\x07\x04\x02\x08\x0a" + b"\0\0\0\1\0\0\0\0" + b"\x01" * 20)))))
frame_case("tcp6_doff_4", "anomaly:tcp_header_length_too_small", eth(ipv6(tcp(doff=4)), 0x86DD))

# ---- UDP ----------------------------------------------------------------------
frame_case("udp_truncated_7", "anomaly:udp_truncated", eth(ipv4(udp()[:7], proto=17)))
for ln in (0, 1, 7):
    frame_case("udp_len_%d" % ln, "anomaly:udp_length_bad", eth(ipv4(udp(length=ln), proto=17)))
frame_case("udp_len_8", "ok", eth(ipv4(udp(length=8), proto=17)))
frame_case("udp_len_short_of_ip", "ok", eth(ipv4(udp(length=8, payload=b"x" * 8), proto=17)))
frame_case("udp_len_65535", "anomaly:udp_length_bad", eth(ipv4(udp(length=65535), proto=17)))
frame_case("udp_len_over_ip", "anomaly:udp_length_bad",
           eth(ipv4(udp(length=17, payload=b"x" * 8), proto=17)))
frame_case("udp6_len_0", "anomaly:udp_length_bad", eth(ipv6(udp(length=0), nh=17), 0x86DD))

# ---- SCTP (RFC 9260 section 3) --------------------------------------------------
def sctp(ctype=1, clen=20, value=b"\0" * 16, vtag=0):
    return struct.pack(">HHIIBBH", 40000, 80, vtag, 0, ctype, 0, clen) + value


frame_case("sctp_init_ok", "ok", eth(ipv4(sctp(), proto=132)))
frame_case("sctp6_cookie_ok", "ok", eth(ipv6(sctp(10, 8, b"abcd", 7), nh=132), 0x86DD))
frame_case("sctp_truncated_11", "anomaly:sctp_truncated", eth(ipv4(sctp()[:11], proto=132)))
frame_case("sctp_no_chunk", "anomaly:sctp_chunk_length_bad", eth(ipv4(sctp()[:12], proto=132)))
for ln in (0, 3, 37, 65535):
    frame_case("sctp_chunk_len_%d" % ln, "anomaly:sctp_chunk_length_bad",
               eth(ipv4(sctp(clen=ln), proto=132)))
frame_case("sctp_init_short", "anomaly:sctp_chunk_length_bad",
           eth(ipv6(sctp(1, 8, b"\0" * 4), nh=132), 0x86DD))

# ---- ICMP ---------------------------------------------------------------------
frame_case("icmp_ok", "ok", eth(ipv4(icmp(), proto=1)))
frame_case("icmp_truncated_3", "anomaly:icmp_truncated", eth(ipv4(icmp()[:3], proto=1)))
QUOTE = ipv4(tcp(), totlen=40)[:28]
frame_case("icmp_unreach_ok", "ok", eth(ipv4(icmp(3, 3, b"\0" * 4 + QUOTE), proto=1)))
frame_case("icmp_unreach_no_quote", "anomaly:icmp_quoted_header_truncated",
           eth(ipv4(icmp(3, 3, b"\0" * 4), proto=1)))
frame_case("icmp_unreach_quote_10", "anomaly:icmp_quoted_header_truncated",
           eth(ipv4(icmp(3, 3, b"\0" * 4 + QUOTE[:10]), proto=1)))
frame_case("icmp_unreach_quote_ihl_0", "error|ok",
           eth(ipv4(icmp(3, 3, b"\0" * 4 + bytes([0x40]) + QUOTE[1:]), proto=1)))
frame_case("icmp_unreach_quote_ihl_15", "error|ok",
           eth(ipv4(icmp(3, 3, b"\0" * 4 + bytes([0x4F]) + QUOTE[1:]), proto=1)))
frame_case("icmp_unreach_quote_v6_in_v4", "error|ok",
           eth(ipv4(icmp(3, 3, b"\0" * 4 + ipv6(tcp())[:48]), proto=1)))
frame_case("icmp_nested_unreach", "error|ok",
           eth(ipv4(icmp(3, 3, b"\0" * 4 + ipv4(icmp(3, 3, b"\0" * 4 + QUOTE), proto=1)),
                    proto=1)))
frame_case("icmpv6_truncated_3", "anomaly:icmpv6_truncated", eth(ipv6(icmp(128)[:3], nh=58), 0x86DD))
frame_case("icmpv6_unreach_quote_cut", "anomaly:icmp_quoted_header_truncated",
           eth(ipv6(icmp(1, 4, b"\0" * 4 + ipv6(tcp())[:20]), nh=58), 0x86DD))
frame_case("icmpv6_unreach_ok", "ok",
           eth(ipv6(icmp(1, 4, b"\0" * 4 + ipv6(tcp())[:48]), nh=58), 0x86DD))

# ---- IPv6 and extension chains --------------------------------------------------
frame_case("ipv6_truncated_39", "anomaly:ipv6_truncated", eth(IP6[:39], 0x86DD))
for v in (0, 4, 15):
    frame_case("ipv6_version_%d" % v, "anomaly:ipv6_bad_version", eth(ipv6(tcp(), ver=v), 0x86DD))
frame_case("ipv6_paylen_0_tcp", "anomaly:tcp_truncated", eth(ipv6(tcp(), plen=0), 0x86DD))
frame_case("ipv6_paylen_65535", "anomaly:ipv6_payload_length_bad", eth(ipv6(tcp(), plen=65535), 0x86DD))
frame_case("ipv6_jumbo", "anomaly:ipv6_payload_length_bad",
           eth(ipv6(b"\x06\x00" + b"\x01" * 6 + tcp(), nh=0, plen=0), 0x86DD))
frame_case("ipv6_nonext", "ok", eth(ipv6(b"", nh=59), 0x86DD))


def ext(nh_next, n8=0):
    return struct.pack(">BB", nh_next, n8) + b"\x01" * (6 + 8 * n8)


frame_case("ipv6_ext_1", "ok", eth(ipv6(ext(6) + tcp(), nh=0), 0x86DD))
frame_case("ipv6_ext_8", "ok", eth(ipv6(ext(60) * 7 + ext(6) + tcp(), nh=0), 0x86DD))
frame_case("ipv6_ext_loop_9", "anomaly:ipv6_exthdr_chain_too_long",
           eth(ipv6(ext(60) * 8 + ext(6) + tcp(), nh=60), 0x86DD))
frame_case("ipv6_ext_loop_forever", "anomaly:ipv6_exthdr_chain_too_long",
           eth(ipv6(ext(60) * 150, nh=60), 0x86DD))
frame_case("ipv6_ext_loop_past_end", "anomaly:ipv6_exthdr_truncated",
           eth(ipv6(ext(60) * 3, nh=60), 0x86DD))
frame_case("ipv6_ext_len_255", "anomaly:ipv6_exthdr_truncated",
           eth(ipv6(struct.pack(">BB", 6, 255) + b"\0" * 30 + tcp(), nh=43), 0x86DD))
frame_case("ipv6_ext_len_past_paylen", "anomaly:ipv6_exthdr_truncated",
           eth(ipv6(ext(6, 1) + tcp(), nh=60, plen=12), 0x86DD))
frame_case("ipv6_ext_1_byte", "anomaly:ipv6_exthdr_truncated", eth(ipv6(b"\x06", nh=0), 0x86DD))
frame_case("ipv6_frag_truncated", "anomaly:ipv6_exthdr_truncated",
           eth(ipv6(b"\x06\x00\x00\x01", nh=44), 0x86DD))
frame_case("ipv6_frag_first", "ok", eth(ipv6(struct.pack(">BBHI", 6, 0, 1, 7) + tcp(), nh=44), 0x86DD))
frame_case("ipv6_frag_later", "ok", eth(ipv6(struct.pack(">BBHI", 6, 0, 0xFFF9, 7) + b"\0" * 8,
                                             nh=44), 0x86DD))
frame_case("ipv6_frag_atomic", "ok", eth(ipv6(struct.pack(">BBHI", 6, 0, 0, 7) + tcp(), nh=44),
                                         0x86DD))
frame_case("ipv6_ah_len_0", "ok", eth(ipv6(struct.pack(">BB", 6, 0) + b"\0" * 6 + tcp(), nh=51),
                                      0x86DD))
frame_case("ipv6_ah_len_255", "anomaly:ipv6_exthdr_truncated",
           eth(ipv6(struct.pack(">BB", 6, 255) + b"\0" * 30, nh=51), 0x86DD))
frame_case("ipv6_frag_chain_loop", "anomaly:ipv6_exthdr_chain_too_long",
           eth(ipv6(struct.pack(">BBHI", 44, 0, 0, 7) * 20, nh=44), 0x86DD))

with open(os.path.join(out, "manifest.tsv"), "w") as f:
    for name, expect in manifest:
        f.write("%s\t%s\n" % (name, expect))
print("make_bad_inputs: %d cases in %s" % (len(manifest), out))
