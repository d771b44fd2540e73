#!/usr/bin/env python3
"""make_seeds.py — builds the fuzz targets' seed corpora from test captures and rule files.

Nothing it writes is committed: the corpora are derived at test time from
tests/captures/*.pcap[ng], whatever captures earlier tests left in a work
directory, a few small scanprobe dry runs (one per scan kind, so every
classifier path has a seed), and the shipped and test rule files.

  fuzz_decode/    one frame per file: byte 0 (and 1) select the link type as
                  fuzz_decode.c reads it, then the frame. Ethernet frames
                  carrying IP are also re-wrapped in every other link header
                  the decoder supports (SLL, SLL2, NULL, LOOP, raw, and the
                  link types and tunnels of tests/captures/make_linktypes.py).
  fuzz_pipeline/  small whole capture files: pcap and pcapng, several link types,
                  one probe run in every make_linktypes.py link type, gzip and
                  zstd compressed files; and pairs of them of different link types
                  in one input, joined by fuzz_pipeline.c's separator (replayed
                  merged, as -r a -r b).
  fuzz_rules/     YAML rule files.   fuzz_config/  YAML configuration files.
  fuzz_sctp/      the SCTP packets of the captures, behind fuzz_sctp.c's mode byte: alone,
                  behind IPv4 and IPv6, cut by a snap length, as a first fragment.
  fuzz_eval_labels/  the labels files scanprobe writes (--labels) and the repository's.
  fuzz_store_read/   databases the sensor writes (scanwatch -r CAPTURES --db, one run and
                  several runs in one file), rewritten with 512-byte pages so an input is a
                  few kilobytes.
  fuzz_pipeline_gen/ fuzz_pipeline_gen.c programs: one per scan family the engine detects.
  fuzz_linktype/  fuzz_linktype.c stacks: every layer alone, nested tunnels, each limit.
"""
import argparse
import gzip
import hashlib
import os
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time

# The frame wrappers of the link-type capture test: one source of truth for those encodings.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "captures"))
import make_linktypes  # noqa: E402

# fuzz_decode.c's link-type table, by index (byte 0, low nibble).
IDX = {"eth": 0, "sll2": 1, "sll": 2, "raw": 3, "ipv4": 6, "ipv6": 7, "null": 8, "loop": 9}
# fuzz_decode.c's fuzz_dlts_more, in its order: byte 0's low nibble 15, byte 1 the index.
MORE = [9, 50, 51, 166, 204, 104, 205, 112, 226, 10, 6, 105, 127, 119, 163, 192, 11, 19, 7, 129,
        242, 281, 282, 284, 285, 219, 239, 117, 109, 240, 241, 107, 123, 122, 138, 99, 189, 258,
        178, 179, 180, 181, 8, 149]
# LINKTYPE_ numbers of files that libpcap hands over as another DLT_ (pcap-common.c).
LINKTYPE_TO_DLT = {100: 11}


def seed_prefix(link):
    """fuzz_decode's selector bytes for a link name of IDX or a make_linktypes LINKS entry."""
    if link in IDX:
        return bytes([IDX[link]])
    dlt = make_linktypes.LINKS[link][0]
    dlt = LINKTYPE_TO_DLT.get(dlt, dlt)
    if dlt == 1:
        return bytes([IDX["eth"]])  # tunnels, MPLS, PPPoE ... on Ethernet
    return bytes([15, MORE.index(dlt)])
# Seeds per (link type, frame length): length is a cheap proxy for packet shape.
PER_SHAPE = 3
# Packets kept in each small pipeline seed file, and the largest seed file kept whole.
PIPE_PACKETS = 120
PIPE_MAX_WHOLE = 65536
# fuzz_pipeline.c's FUZZ_SEP: the capture files of one input are joined by it.
PIPE_SEP = b"@@SW-NEXT-FILE@@"
# scanprobe dry runs: (name, arguments). Small, so each becomes whole pipeline seeds.
PROBES = [
    ("syn", ["-sS", "-p", "20-40,80,443", "198.18.1.1-3"]),
    ("syn6", ["-sS", "-6", "-p", "20-40", "2001:2::1"]),
    ("connect", ["-sT", "-p", "20-40", "198.18.1.1"]),
    ("fin", ["-sF", "-p", "20-40", "198.18.1.1"]),
    ("null", ["-sN", "-p", "20-40", "198.18.1.1"]),
    ("xmas", ["-sX", "-p", "20-40", "198.18.1.1"]),
    ("ack", ["-sA", "-p", "20-40", "198.18.1.1"]),
    ("maimon", ["-sM", "-p", "20-40", "198.18.1.1"]),
    ("window", ["-sW", "-p", "20-40", "198.18.1.1"]),
    ("udp", ["-sU", "-p", "50-70", "198.18.1.1"]),
    ("udp6", ["-sU", "-6", "-p", "50-70", "2001:2::1"]),
    ("ipproto", ["-sO", "-p", "0-40", "198.18.1.1"]),
    ("ping", ["-sn", "-PE", "198.18.1.0/27"]),
    ("ping6", ["-sn", "-PE", "-6", "2001:2::1-20"]),
    ("tsping", ["-sn", "-PP", "198.18.1.0/28"]),
    ("arp", ["-sn", "-PR", "198.18.1.0/28"]),
    ("tcpping", ["-sn", "-PS80", "198.18.1.0/28"]),
    ("synflood", ["--flood", "syn", "--count", "150", "-p", "80", "198.18.1.1"]),
    ("rstflood", ["--flood", "rst", "--count", "150", "-p", "80", "198.18.1.1"]),
    ("decoys", ["-sS", "--scanners", "4", "-p", "20-40", "198.18.1.1"]),
    ("background", ["-sS", "--background", "30", "-p", "20-30", "198.18.1.1"]),
]


def read_pcap(buf):
    magic = struct.unpack_from("<I", buf, 0)[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        e = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        e = ">"
    else:
        return None
    dlt = struct.unpack_from(e + "I", buf, 20)[0] & 0xFFFF
    off, pkts = 24, []
    while off + 16 <= len(buf):
        sec, frac, cap, wire = struct.unpack_from(e + "IIII", buf, off)
        off += 16
        if cap > len(buf) - off:
            break
        pkts.append((dlt, sec, frac, buf[off:off + cap], wire))
        off += cap
    return pkts


def read_pcapng(buf):
    pkts, dlts, e, off = [], [], "<", 0
    while off + 12 <= len(buf):
        btype = struct.unpack_from(e + "I", buf, off)[0]
        if btype == 0x0A0D0D0A:
            bom = struct.unpack_from("<I", buf, off + 8)[0]
            e = "<" if bom == 0x1A2B3C4D else ">"
            dlts = []
        blen = struct.unpack_from(e + "I", buf, off + 4)[0]
        if blen < 12 or off + blen > len(buf):
            break
        body = buf[off + 8:off + blen - 4]
        if btype == 1 and len(body) >= 2:
            dlts.append(struct.unpack_from(e + "H", body, 0)[0])
        elif btype == 6 and len(body) >= 20:
            ifc, hi, lo, cap, wire = struct.unpack_from(e + "IIIII", body, 0)
            if ifc < len(dlts) and 20 + cap <= len(body):
                ts = (hi << 32) | lo
                pkts.append((dlts[ifc], ts // 1000000, ts % 1000000, body[20:20 + cap], wire))
        off += blen
    return pkts


def read_capture(path):
    try:
        with open(path, "rb") as f:
            buf = f.read()
    except OSError:
        return None
    if len(buf) < 24:
        return None
    if struct.unpack_from("<I", buf, 0)[0] == 0x0A0D0D0A:
        return read_pcapng(buf)
    return read_pcap(buf)


def ip_of_eth(frame):
    """(ethertype, IP packet) of an untagged Ethernet frame carrying IPv4/IPv6, else None."""
    if len(frame) < 14:
        return None
    et = struct.unpack_from(">H", frame, 12)[0]
    if et not in (0x0800, 0x86DD):
        return None
    return et, frame[14:]


def wraps(dlt, frame, more=True):
    """(link name, frame) variants of one captured frame for fuzz_decode; with more, also in
    every make_linktypes link type and tunnel."""
    out = []
    names = {1: "eth", 113: "sll", 276: "sll2", 12: "raw", 101: "raw", 228: "ipv4",
             229: "ipv6", 0: "null", 108: "loop"}
    if dlt in names:
        out.append((names[dlt], frame))
    if dlt != 1:
        return out
    ip = ip_of_eth(frame)
    if ip is None:
        return out
    et, pkt = ip
    v6 = et == 0x86DD
    out.append(("raw", pkt))
    out.append(("ipv6" if v6 else "ipv4", pkt))
    # DLT_NULL: family in host order (Linux AF_INET6 is 10; BSDs use 24, 28, 30).
    out.append(("null", struct.pack("<I", 10 if v6 else 2) + pkt))
    out.append(("loop", struct.pack(">I", 24 if v6 else 2) + pkt))
    # SLL (16 bytes, protocol last) and SLL2 (20 bytes, protocol first).
    out.append(("sll", struct.pack(">HHH8sH", 0, 1, 6, frame[6:12] + b"\0\0", et) + pkt))
    out.append(("sll2", struct.pack(">HHIHBB8s", et, 0, 2, 1, 0, 6, frame[6:12] + b"\0\0") + pkt))
    # 802.1Q and QinQ tags in front of the ethertype.
    out.append(("eth", frame[:12] + b"\x81\x00\x00\x05" + frame[12:]))
    out.append(("eth", frame[:12] + b"\x88\xa8\x00\x07\x81\x00\x00\x05" + frame[12:]))
    # Every other link header and tunnel the capture test builds.
    for name, (_, wrap, _, _) in make_linktypes.LINKS.items():
        if more and name != "ethernet":
            out.append((name, wrap(pkt, v6)))
    return out


def sctp_of_eth(frame):
    """The SCTP packet (RFC 9260) inside an untagged Ethernet frame's IPv4/IPv6 header (no
    extension headers, not a later fragment), else None."""
    ip = ip_of_eth(frame)
    if ip is None:
        return None
    et, pkt = ip
    if et == 0x0800 and len(pkt) >= 20 and pkt[9] == 132:
        if struct.unpack_from(">H", pkt, 6)[0] & 0x1FFF:
            return None
        hl = (pkt[0] & 15) * 4
        return pkt[hl:struct.unpack_from(">H", pkt, 2)[0]]
    if et == 0x86DD and len(pkt) >= 40 and pkt[6] == 132:
        return pkt[40:40 + struct.unpack_from(">H", pkt, 4)[0]]
    return None


def sctp_seeds(body, d):
    """fuzz_sctp.c's layouts of one SCTP packet: byte 0 is first-fragment (bit 0), a stated
    length longer than the capture by bytes 1-2 (bit 1), and the mode (bits 2-3: alone, behind
    IPv4, behind IPv6)."""
    for mode in (0, 1, 2):
        put(d, bytes([mode << 2]) + body)
        if len(body) > 20:
            cut = len(body) - 20
            put(d, bytes([mode << 2 | 2]) + struct.pack(">H", 20) + body[:cut])
    put(d, bytes([1 << 2 | 1]) + body[:8])  # nmap -f: the first 8 bytes of the packet


def store_seeds(scanwatch, captures, gen, d):
    """Databases the sensor writes from the captures: each capture alone, all of them in one
    run, and two runs in one file; then made compact (512-byte pages, no WAL: one file)."""
    groups = [[c] for c in captures] + [captures, captures[:3]]
    for i, group in enumerate(groups):
        db = os.path.join(gen, "store-%d.db" % i)
        for run in range(2 if i == len(groups) - 1 else 1):
            args = [scanwatch, "--no-sandbox", "-q", "--db", db]
            for c in group:
                args += ["-r", c]
            r = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if r.returncode != 0:
                sys.exit("make_seeds: %s: %s" % (" ".join(args), r.stderr.strip()))
        con = sqlite3.connect(db)
        con.execute("PRAGMA journal_mode=DELETE")
        con.execute("PRAGMA page_size=512")
        con.execute("VACUUM")
        con.close()
        with open(db, "rb") as f:
            put(d, f.read())


# fuzz_pipeline_gen.c programs: (what, source, target, flags/type, port, burst, time, ttl, variant)
# records after a header byte (bit 0: low thresholds). One per family the engine detects.
GEN_TCP, GEN_UDP, GEN_ICMP, GEN_SCTP, GEN_ARP, GEN_RAWIP, GEN_ICMPERR, GEN_CTL = range(8)
GEN_REPLY, GEN_V6 = 8, 16


def gen_rec(what, src, dst, b3, port, burst, step, t, ttl=64, variant=0):
    return bytes([what | step << 5, src, dst, b3, port >> 8, port & 255, burst, t, ttl, variant])


GEN_PROGRAMS = {
    "syn-scan": [gen_rec(GEN_TCP, 1, 5, 0x02, 20, 0x1F, 1, 50, variant=0x21)],
    "syn-scan-answered": [gen_rec(GEN_TCP, 1, 5, 0x02, 20, 0x1F, 1, 50, variant=0x21),
                          gen_rec(GEN_TCP | GEN_REPLY, 1, 5, 0x12, 22, 0, 1, 1),
                          gen_rec(GEN_TCP | GEN_REPLY, 1, 5, 0x14, 23, 0x07, 1, 1)],
    "connect-scan": [gen_rec(GEN_TCP, 2, 6, 0x02, 1, 0x0F, 1, 10, variant=0xA2),
                     gen_rec(GEN_TCP | GEN_REPLY, 2, 6, 0x14, 1, 0x0F, 1, 1),
                     gen_rec(GEN_TCP, 2, 6, 0x10, 80, 0, 1, 1, variant=0xA2)],
    "fin-null-xmas": [gen_rec(GEN_TCP, 3, 7, 0x01, 1, 0x0F, 1, 20),
                      gen_rec(GEN_TCP, 4, 7, 0x00, 1, 0x0F, 1, 20),
                      gen_rec(GEN_TCP, 5, 7, 0x29, 1, 0x0F, 1, 20)],
    "ack-window-maimon": [gen_rec(GEN_TCP, 6, 8, 0x10, 1, 0x0F, 1, 20),
                          gen_rec(GEN_TCP, 7, 8, 0x11, 1, 0x0F, 1, 20)],
    "udp-scan": [gen_rec(GEN_UDP, 8, 9, 0, 50, 0x1F, 2, 5, variant=1),
                 gen_rec(GEN_ICMPERR, 8, 9, 0x0D, 50, 0x1F, 1, 1)],
    "udp-sweep": [gen_rec(GEN_UDP, 9, 1, 0, 161, 0x3F, 2, 5, variant=3)],
    "ping-sweep": [gen_rec(GEN_ICMP, 10, 1, 8, 0, 0x3F, 2, 3)],
    "ping6-sweep": [gen_rec(GEN_ICMP | GEN_V6, 10, 1, 128, 0, 0x3F, 2, 3)],
    "arp-sweep": [gen_rec(GEN_ARP, 11, 1, 1, 0, 0x3F, 1, 20)],
    "ipproto": [gen_rec(GEN_RAWIP, 12, 10, 2, 0, 0x1F, 2, 20)],
    "sctp-init": [gen_rec(GEN_SCTP, 13, 11, 1, 2905, 0x0F, 1, 20),
                  gen_rec(GEN_SCTP | GEN_REPLY, 13, 11, 2, 2905, 0, 1, 1),
                  gen_rec(GEN_SCTP | GEN_REPLY, 13, 11, 6, 2906, 0x03, 1, 1)],
    "syn-flood": [gen_rec(GEN_TCP, 14, 12, 0x02, 80, 0x9F, 2, 0)],
    "syn-flood-spoofed": [gen_rec(GEN_TCP, 0, 12, 0x02, 80, 0xDF, 2, 0)],
    "rst-flood": [gen_rec(GEN_TCP, 15, 13, 0x04, 80, 0x8F, 1, 0)],
    "udp-flood": [gen_rec(GEN_UDP, 16, 14, 0, 53, 0x9F, 1, 0)],
    "icmp-flood": [gen_rec(GEN_ICMP, 17, 15, 8, 0, 0xBF, 1, 0)],
    "distributed": [gen_rec(GEN_TCP, 18, 16, 0x02, 1000, 0x5F, 1, 100)],
    "decoys": [gen_rec(GEN_TCP, 20, 17, 0x02, 20, 0x7F, 1, 10, variant=0x21)],
    "os-fingerprint": [gen_rec(GEN_TCP, 24, 18, f, 22, 0, 1, 10, variant=v) for f, v in
                       ((0x02, 4), (0xC2, 4), (0x00, 4), (0x2B, 4), (0x10, 4), (0x02, 2))]
                      + [gen_rec(GEN_ICMP, 24, 18, 8, 0, 1, 1, 10, variant=0xE0),
                         gen_rec(GEN_UDP, 24, 18, 0, 40125, 0, 1, 10, variant=5)],
    "slow-scan": [gen_rec(GEN_TCP, 25, 19, 0x02, 20, 0x1F, 4, 5)],
    "time-jumps": [gen_rec(GEN_TCP, 26, 20, 0x02, 20, 0x07, 6, 3),
                   gen_rec(GEN_TCP, 26, 20, 0x02, 30, 0x07, 5, 200),
                   gen_rec(GEN_TCP, 26, 20, 0x02, 40, 0x07, 7, 128)],
    "reload": [gen_rec(GEN_TCP, 27, 21, 0x02, 20, 0x1F, 1, 5),
               gen_rec(GEN_CTL, 0, 0, 0x80, 0, 0, 3, 1),
               gen_rec(GEN_TCP, 27, 21, 0x02, 60, 0x1F, 1, 5),
               gen_rec(GEN_CTL, 0, 0, 0x00, 0, 0, 4, 100)],
    "many-sources": [gen_rec(GEN_TCP, 0x80 | s, 22, 0x02, 20, 0x1F, 1, 5) for s in range(12)],
}


# fuzz_linktype.c stacks: (outer link, inner IPv6?, [(op, parameter) innermost first]).
# Ops: 0 Ethernet + tags, 1 MPLS, 2 PPPoE, 3 GRE, 4 VXLAN, 5 GENEVE, 6 TZSP; 7 ends the list.
LINKTYPE_STACKS = [
    (link, v6, ops) for link in range(7) for v6 in (0, 1) for ops in (
        [], [(0, 3)], [(1, 2)], [(2, 0)], [(3, 0)], [(4, 1)], [(5, 0)],
        [(1, 1), (0, 2), (3, 1)], [(0, 1), (4, 0), (1, 3), (0, 1)],
        [(3, 0), (4, 0), (5, 1), (3, 1)], [(0, 4)], [(1, 17)],
        [(4, 0), (4, 0), (4, 0), (4, 0), (4, 0)], [(2, 0), (1, 0), (5, 0), (0, 2)],
        [(6, 0)], [(6, 7)], [(0, 1), (6, 2), (3, 0)])]


def put(d, data):
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def write_pcap(path, dlt, pkts):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, dlt))
        for _, sec, frac, data, wire in pkts:
            f.write(struct.pack("<IIII", sec & 0xFFFFFFFF, frac, len(data), wire) + data)


def write_pcapng(path, dlt, pkts):
    def block(t, body):
        body += b"\0" * (-len(body) % 4)
        n = len(body) + 12
        return struct.pack("<II", t, n) + body + struct.pack("<I", n)

    with open(path, "wb") as f:
        f.write(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        f.write(block(1, struct.pack("<HHI", dlt, 0, 65535)))
        for _, sec, frac, data, wire in pkts:
            ts = sec * 1000000 + frac
            f.write(block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(data), wire)
                          + data))


def write_snoop(path, pkts):
    """RFC 1761: big-endian, records padded to 4 bytes; datalink type 4 (Ethernet)."""
    with open(path, "wb") as f:
        f.write(b"snoop\0\0\0" + struct.pack(">II", 2, 4))
        for _, sec, frac, data, wire in pkts:
            pad = -len(data) % 4
            f.write(struct.pack(">IIIIII", wire, len(data), 24 + len(data) + pad, 0,
                                sec & 0xFFFFFFFF, frac) + data + b"\0" * pad)


def write_netmon(path, pkts, major, minor):
    """Network Monitor (Netmon.h): frames located by the frame table at the end; 1.x frames
    carry milliseconds and 16-bit lengths, 2.x microseconds and 32-bit ones; from 2.1 on each
    frame's media type (1: Ethernet) follows its data (2.3: with process index, UTC time and
    time-zone index)."""
    t0 = pkts[0][1] * 1000000 + pkts[0][2]
    t0 -= t0 % 1000
    body, table = bytearray(), []
    trailer = {0: b"", 1: struct.pack("<H", 1), 2: struct.pack("<HI", 1, 0),
               3: struct.pack("<HIQB", 1, 0, 0, 0)}
    for _, sec, frac, data, wire in pkts:
        delta = max(0, sec * 1000000 + frac - t0)  # a test capture's absurd times wrap
        table.append(128 + len(body))
        if major == 1:
            body += struct.pack("<IHH", delta // 1000 & 0xFFFFFFFF, min(wire, 0xFFFF), len(data)) + data
        else:
            body += struct.pack("<QII", delta & (2**64 - 1), wire, len(data)) + data + trailer[min(minor, 3)]
    st = time.gmtime(t0 // 1000000)
    systime = struct.pack("<8H", st.tm_year, st.tm_mon, (st.tm_wday + 1) % 7, st.tm_mday,
                          st.tm_hour, st.tm_min, st.tm_sec, 0)
    hdr = (b"RTSS" if major == 1 else b"GMBU") + bytes([minor, major]) + struct.pack("<H", 1)
    hdr += systime + struct.pack("<II", 128 + len(body), 4 * len(table))
    with open(path, "wb") as f:
        f.write(hdr.ljust(128, b"\0") + body + b"".join(struct.pack("<I", t) for t in table))


def write_erf(path, pkts):
    """Endace ERF: a padding record, then Ethernet records (2 bytes of offset and pad before the
    frame; wire length with the FCS), the third with an extension header."""
    with open(path, "wb") as f:
        def rec(us, rtype, wlen, payload, ext=b""):
            sec, frac = divmod(us, 1000000)
            frac = (frac * 2**32 + 500000) // 1000000
            return (struct.pack("<Q", (sec & 0xFFFFFFFF) << 32 | frac)
                    + struct.pack(">BBHHH", rtype, 4, 16 + len(ext) + len(payload), 0,
                                  wlen & 0xFFFF) + ext + payload)
        f.write(rec(pkts[0][1] * 1000000 + pkts[0][2], 48, 0, bytes(8)))
        for i, (_, sec, frac, data, wire) in enumerate(pkts):
            ext = struct.pack(">Q", 3 << 56) if i == 2 else b""
            f.write(rec(sec * 1000000 + frac, (0x80 if ext else 0) | 2, wire + 4,
                        b"\0\0" + data, ext))


def write_netxray(path, pkts, version, wrapped=False):
    """NetXRay / Sniffer for Windows (capture_foreign.c): a 128-byte header, then records of a
    64-bit tick count and the two lengths (one before 1.0), 16 (1.x) or 28 (2.x) bytes more.
    "VL" (before 1.0: milliseconds), "001.100" (microseconds) or "002.001" (NDIS time unit 2:
    the header's realtick, 2,000,000 here, with 4 bytes of pod junk after every other frame);
    wrapped: the circular buffer went round (the newer half first, from byte 128)."""
    t0 = pkts[0][1]
    recs = []
    for i, (_, sec, frac, data, wire) in enumerate(pkts):
        us = max(0, (sec - t0) * 1000000 + frac)
        if version is None:
            recs.append(struct.pack("<QH", us // 1000, len(data)) + bytes(6) + data)
        elif version.startswith(b"001"):
            recs.append(struct.pack("<QHH", us, min(wire, 0xFFFF), len(data)) + bytes(16) + data)
        else:
            junk = i % 2 == 1
            x = bytearray(28)
            if junk:
                x[2] = x[3] = 0xFF
            recs.append(struct.pack("<QHH", 1000 + us * 2, min(wire + 4 * junk, 0xFFFF),
                                    len(data) + 4 * junk) + bytes(x) + data + b"\xff" * (4 * junk))
    half = len(recs) // 2 if wrapped else 0
    newer, older = b"".join(recs[half:]), b"".join(recs[:half])
    if wrapped:
        start_off, end_off = 128 + len(newer) + 8, 128 + len(newer)
        body = newer + bytes(8) + older
    else:
        start_off, end_off, body = 128, 128 + len(newer), newer
    h = bytearray(128)
    h[0:4] = b"VL\0\0" if version is None else b"XCP\0"
    h[4:12] = version or bytes(8)
    struct.pack_into("<IIIII", h, 12, t0 & 0xFFFFFFFF, len(pkts), 0, start_off, end_off)
    h[48] = 2 if version and version.startswith(b"002") else 0
    struct.pack_into("<Q", h, 52, 1000)
    struct.pack_into("<I", h, 76, 2000000)
    with open(path, "wb") as f:
        f.write(bytes(h) + body)


def linktype_seeds(captures, out):
    """One probe run re-wrapped in every make_linktypes link type, and compressed captures."""
    for path in captures:
        pkts = read_capture(path)
        ips = [(s, f, ip_of_eth(fr), w) for d, s, f, fr, w in (pkts or [])[:PIPE_PACKETS]
               if d == 1 and ip_of_eth(fr)]
        if ips:
            break
    else:
        return
    for name, (lt, wrap, _, _) in make_linktypes.LINKS.items():
        frames = []
        for sec, frac, (et, pkt), wire in ips:
            fr = wrap(pkt, et == 0x86DD)
            frames.append((lt, sec, frac, fr, len(fr)))
        write_pcap(os.path.join(out, "linktype-%s.pcap" % name), lt, frames)
    # The same packets compressed, as scanwatch reads .pcap.gz and .pcapng.zst directly.
    with open(os.path.join(out, "linktype-ethernet.pcap"), "rb") as f:
        plain = f.read()
    with open(os.path.join(out, "compressed.pcap.gz"), "wb") as f:
        f.write(gzip.compress(plain))
    zstd = shutil.which("zstd")
    if zstd:
        with open(os.path.join(out, "compressed.pcap.zst"), "wb") as f:
            f.write(subprocess.run([zstd, "-q", "-c"], input=plain, stdout=subprocess.PIPE,
                                   check=True).stdout)


def sctp_capture(path):
    """A small Ethernet capture of SCTP (RFC 9260 section 3): scanprobe sends none, so the
    decoder's and classifier's SCTP paths get seeds of their own: nmap -sY's INIT and -sZ's
    COOKIE-ECHO over IPv4 and IPv6, the answers (INIT-ACK, ABORT, ICMP protocol unreachable
    quoting the probe) and an INIT split over two fragments (nmap -f)."""
    a4, b4 = bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2])
    a6, b6 = bytes.fromhex("20010002" + "00" * 11 + "01"), bytes.fromhex("20010002" + "00" * 11 + "02")
    mac = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01"

    def v4(body, src, dst, proto=132, frag=0, ident=1):
        return (struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(body), ident, frag, 50, proto, 0)
                + src + dst + body)

    def v6(body, src, dst, nh=132):
        return struct.pack("!IHBB", 0x60000000, len(body), nh, 255) + src + dst + body

    def sctp(sport, dport, vtag, ctype, value):
        return (struct.pack("!HHII", sport, dport, vtag, 0)
                + struct.pack("!BBH", ctype, 0, 4 + len(value)) + value)

    init = struct.pack("!IIHHI", 0x1234, 32768, 10, 2048, 99)
    frames = []
    for port in (22, 80, 2905, 3868):
        frames.append(b"\x08\x00" + v4(sctp(40000, port, 0, 1, init), a4, b4))
        frames.append(b"\x08\x00" + v4(sctp(40000, port, 7, 10, b"\x01\x02\x03\x04"), a4, b4))
        frames.append(b"\x86\xdd" + v6(sctp(40000, port, 0, 1, init), a6, b6))
    probe = v4(sctp(40000, 22, 0, 1, init), a4, b4)
    frames.append(b"\x08\x00" + v4(sctp(80, 40000, 0x1234, 2, init + b"\x00" * 8), b4, a4))
    frames.append(b"\x08\x00" + v4(sctp(2905, 40000, 0x1234, 6, b""), b4, a4))
    frames.append(b"\x08\x00" + v4(b"\x03\x02\x00\x00\x00\x00\x00\x00" + probe[:28], b4, a4, 1))
    frames.append(b"\x86\xdd" + v6(b"\x04\x01\x00\x00\x00\x00\x00\x06"
                                   + v6(sctp(40000, 22, 0, 1, init), a6, b6), b6, a6, 58))
    whole = sctp(40001, 22, 0, 1, init)
    frames.append(b"\x08\x00" + v4(whole[:8], a4, b4, frag=0x2000, ident=9))
    frames.append(b"\x08\x00" + v4(whole[8:], a4, b4, frag=1, ident=9))
    pkts = [(1, 1700000000, i, mac + f, len(mac) + len(f)) for i, f in enumerate(frames)]
    write_pcap(path, 1, pkts)
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--scanprobe")
    ap.add_argument("--scanwatch")
    ap.add_argument("--captures", nargs="*", default=[])
    ap.add_argument("--rules", nargs="*", default=[])
    a = ap.parse_args()

    shutil.rmtree(a.out, ignore_errors=True)
    dirs = {t: os.path.join(a.out, t) for t in
            ("fuzz_decode", "fuzz_pipeline", "fuzz_rules", "fuzz_config", "fuzz_sctp",
             "fuzz_eval_labels", "fuzz_store_read", "fuzz_pipeline_gen", "fuzz_linktype")}
    for d in dirs.values():
        os.makedirs(d)

    captures = []
    for c in a.captures:
        if os.path.isfile(c):
            captures.append(c)
        for root, _, files in os.walk(c):
            # regular files only: a test may leave a FIFO named *.pcap (memory_cap's flood)
            captures += [os.path.join(root, f) for f in sorted(files)
                         if f.endswith((".pcap", ".pcapng"))
                         and os.path.isfile(os.path.join(root, f))]
    gen = tempfile.mkdtemp(prefix="sw-seeds-")
    if a.scanprobe:
        for name, args in PROBES:
            out = os.path.join(gen, name + ".pcap")
            r = subprocess.run([a.scanprobe, *args, "--seed", "7", "--write", out,
                                "--labels", os.path.join(gen, name + ".tsv")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if r.returncode != 0:
                sys.exit("make_seeds: scanprobe %s: %s" % (" ".join(args), r.stderr.strip()))
            captures.append(out)
            with open(os.path.join(gen, name + ".tsv"), "rb") as f:
                put(dirs["fuzz_eval_labels"], f.read())

    captures.append(sctp_capture(os.path.join(gen, "sctp.pcap")))
    if a.scanwatch:
        small_caps = [c for c in captures if os.path.getsize(c) <= PIPE_MAX_WHOLE]
        # a few kinds of scan (runs, detections, exposure, campaigns), not every capture:
        # each is a scanwatch run, and CI pays for them
        want = ("sample", "syn.pcap", "decoys.pcap", "background.pcap", "udp.pcap",
                "sctp.pcap", "arp.pcap")
        picked = [c for c in small_caps if os.path.basename(c).startswith(want)][:7]
        store_seeds(a.scanwatch, picked or small_caps[:6], gen, dirs["fuzz_store_read"])
    for link, v6, ops in LINKTYPE_STACKS:
        put(dirs["fuzz_linktype"], bytes([link, v6]) + b"".join(bytes(o) for o in ops)
            + b"\x07\x00" + b"scan")
    for name, recs in GEN_PROGRAMS.items():
        for header in (0, 1):
            put(dirs["fuzz_pipeline_gen"], bytes([header]) + b"".join(recs))

    shapes, nfiles, small = {}, 0, []
    for path in captures:
        pkts = read_capture(path)
        if not pkts:
            continue
        nfiles += 1
        for dlt, sec, frac, frame, wire in pkts:
            body = sctp_of_eth(frame) if dlt == 1 else None
            if body:
                sctp_seeds(body, dirs["fuzz_sctp"])
            # Wrapping every frame of a large capture in 40-odd headers would take minutes:
            # the other link types get the first frames of each original shape only.
            k = ("original", dlt, len(frame))
            shapes[k] = shapes.get(k, 0) + 1
            for link, data in wraps(dlt, frame, shapes[k] <= PER_SHAPE):
                k = (link, len(data))
                if shapes.get(k, 0) >= PER_SHAPE:
                    continue
                shapes[k] = shapes.get(k, 0) + 1
                put(dirs["fuzz_decode"], seed_prefix(link) + data)
        base = os.path.join(dirs["fuzz_pipeline"], hashlib.sha1(path.encode()).hexdigest()[:12])
        if os.path.getsize(path) <= PIPE_MAX_WHOLE:
            shutil.copyfile(path, base + "-whole")
        head = pkts[:PIPE_PACKETS]
        dlt = head[0][0]
        write_pcap(base + ".pcap", dlt, head)
        write_pcapng(base + ".pcapng", dlt, head)
        small.append((dlt, base + ".pcap"))
        if dlt == 1 and all(len(p[3]) <= 0xFFFF for p in head):
            # The formats libpcap does not read (capture_foreign.c).
            write_snoop(base + ".snoop", head)
            write_netmon(base + "-netmon1.cap", head, 1, 1)
            write_netmon(base + "-netmon23.cap", head, 2, 3)
            if all(len(p[3]) + 18 <= 0xFFFF for p in head):
                write_erf(base + ".erf", head)
            if all(len(p[3]) + 4 <= 0xFFFF for p in head):
                write_netxray(base + "-netxray0.cap", head, None)
                write_netxray(base + "-sniffer11.cap", head, b"001.100\0")
                write_netxray(base + "-sniffer21w.cap", head, b"002.001\0", wrapped=True)
        if dlt == 1:
            # The same packets as raw IP and as Linux cooked capture.
            raw = [(d, s, f, ip_of_eth(fr)[1], w) for d, s, f, fr, w in head if ip_of_eth(fr)]
            if raw:
                write_pcap(base + "-raw.pcap", 101, raw)
                sll = [(d, s, f, dict(wraps(1, fr))["sll"], w) for d, s, f, fr, w in head
                       if ip_of_eth(fr)]
                write_pcap(base + "-sll.pcap", 113, sll)
                small.append((101, base + "-raw.pcap"))
                small.append((113, base + "-sll.pcap"))
    linktype_seeds(captures, dirs["fuzz_pipeline"])
    shutil.rmtree(gen, ignore_errors=True)
    # Merged replays: each small file with the next one of another link type.
    for i, (dlt, path) in enumerate(small):
        other = next((p for d, p in small[i + 1:] if d != dlt), None)
        if other is None:
            continue
        with open(path, "rb") as f1, open(other, "rb") as f2:
            both = f1.read() + PIPE_SEP + f2.read()
        if len(both) <= PIPE_MAX_WHOLE:
            put(dirs["fuzz_pipeline"], both)

    # Labels files kept with the tests (tests/netns writes its own at run time).
    for c in a.captures:
        for root, _, files in os.walk(c):
            for f in sorted(files):
                if f.endswith(".tsv") and os.path.isfile(os.path.join(root, f)):
                    with open(os.path.join(root, f), "rb") as fh:
                        data = fh.read()
                    if len(data) <= 16384:
                        put(dirs["fuzz_eval_labels"], data)
    # Every form the format allows, one line each (eval.h).
    put(dirs["fuzz_eval_labels"], b"# comment\n\na.pcap\t198.18.0.1\tsyn_scan,connect_scan\tnmap\n"
        b"/abs/b.pcapng\t*\t-\n c.pcap \t2001:2::1\tudp_scan\t-\r\nd.pcap\t-\n")
    nyaml = 0
    for r in a.rules:
        for root, _, files in os.walk(r):
            for f in sorted(files):
                if f.endswith((".yaml", ".yml")):
                    with open(os.path.join(root, f), "rb") as fh:
                        data = fh.read()
                    put(dirs["fuzz_rules"], data)
                    put(dirs["fuzz_config"], data)
                    nyaml += 1
    counts = {t: len(os.listdir(d)) for t, d in dirs.items()}
    print("make_seeds: %d capture files, %d YAML files -> %s" % (nfiles, nyaml, counts))
    if counts["fuzz_decode"] == 0 or counts["fuzz_pipeline"] == 0 or counts["fuzz_rules"] == 0:
        sys.exit("make_seeds: a corpus is empty")


if __name__ == "__main__":
    main()
