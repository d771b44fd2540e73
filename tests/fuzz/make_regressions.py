#!/usr/bin/env python3
"""make_regressions.py — writes the hand-built regression inputs of tests/fuzz/regressions/.

Every input is built here from the formats' specifications (pcapng: IETF
draft-ietf-opsawg-pcapng; IPv4: RFC 791; TCP: RFC 9293; the store's databases:
SQLite's own library and the repository's schema/*.sql migrations), never copied
from a capture or a fuzzer's corpus, so each one holds only what its bug needs. The files are committed;
run this again (python3 tests/fuzz/make_regressions.py) after changing one.
"""
import glob
import os
import sqlite3
import struct
import tempfile

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "regressions")


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp_syn(src, dst, sport, dport, seq):
    """Ethernet II + IPv4 + a bare 20-byte TCP SYN (the shape hping3 sends)."""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 1024, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0,
                     bytes(src), bytes(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = bytes.fromhex("020000000001" "020000000002") + struct.pack("!H", 0x0800)
    return eth + ip + tcp


def pcapng(frames):
    """One section, one Ethernet interface at the default microsecond resolution, then an
    Enhanced Packet Block per (timestamp in microseconds, frame)."""
    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = len(body) + 12
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", 1, 0, 65535))
    for ts, f in frames:
        out += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(f), len(f)) + f)
    return out


def pcap(records):
    """A classic pcap file (microsecond, Ethernet), the record header's fields given as they
    are: (seconds, microseconds field, original length, frame); the captured length is the
    frame's."""
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for sec, usec, orig, f in records:
        out += struct.pack("<IIII", sec, usec, len(f), orig) + f
    return out


def write(target, name, data):
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# Packet times are microseconds in 64 bits; pcapng can state any of them. The first frame
# (another host) moves packet time past 2^63; the scanner's SYN comes after it in the
# file but is stamped earlier, so its event time (packet time never runs backwards) and
# its own time lie either side of 2^63.
T63 = 1 << 63
OTHER, SCANNER, TARGET = (198, 18, 9, 9), (198, 18, 0, 5), (198, 18, 1, 1)

# The two times are almost 2^63 apart: the held record cannot keep the gap (it is not
# held), but admit.c took the gap as a signed 64-bit difference, which overflowed.
write("fuzz_pipeline", "admit-time-gap-signed-overflow", pcapng([
    (T63 + 1000000, tcp_syn(OTHER, TARGET, 50000, 443, 1)),
    (2000000, tcp_syn(SCANNER, TARGET, 40000, 80, 2)),
]))

# The two times are 5 ms apart across 2^63: held (one service, one shape), then released
# by a SYN to another port, which replays the first one; admit.c rebuilt its packet time
# as a signed sum that overflowed.
write("fuzz_pipeline", "admit-replay-time-signed-overflow", pcapng([
    (T63 + 1000, tcp_syn(OTHER, TARGET, 50000, 443, 1)),
    (T63 - 4000, tcp_syn(SCANNER, TARGET, 40000, 80, 2)),
    (T63 + 2000, tcp_syn(SCANNER, TARGET, 40001, 81, 3)),
]))

# A record whose captured length is above its original length (the pcap format forbids it,
# libpcap passes it through) and microsecond fields of a second and more: the evidence kept
# for the SYN scan these five probes open held packets with caplen > origlen and a
# nanosecond fraction of 10^9 and more, which extract would have written into an invalid
# pcap (capture.c now raises the length and carries the seconds). Found by fuzz_pipeline's
# evidence check.
write("fuzz_pipeline", "evidence-caplen-above-len-and-usec-overflow", pcap([
    (1700000000 + i, [5, 1000000, 1500000, 999999, 4294967295][i],
     len(tcp_syn(SCANNER, TARGET, 40000, 20 + i, i)) - 2,
     tcp_syn(SCANNER, TARGET, 40000, 20 + i, i))
    for i in range(5)
]))


def scanwatch_db(statements=()):
    """A scanwatch database as store_open leaves it (schema/*.sql applied in order, each
    with its PRAGMA user_version), then statements; 512-byte pages, no WAL: one small file."""
    schema = sorted(glob.glob(os.path.join(HERE, "..", "..", "..", "schema", "*.sql")))
    statements = list(statements)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "x.db")
        con = sqlite3.connect(path)
        con.execute("PRAGMA page_size=512")
        for f in schema:
            with open(f) as fh:
                con.executescript(fh.read())
            con.execute("PRAGMA user_version=%d" % int(os.path.basename(f)[:3]))
        for st in statements:
            con.execute(st)
        con.commit()
        con.execute("PRAGMA journal_mode=DELETE")
        con.execute("VACUUM")
        con.close()
        with open(path, "rb") as f:
            return f.read()


# A database without one detection, read as a set (query and report with several --db): the
# merge sorted its empty row array, a NULL pointer, with qsort (UBSan: C11 7.22.5 wants a
# valid pointer even for zero elements). Found by fuzz_store_read.
write("fuzz_store_read", "set-no-rows-qsort-null", scanwatch_db())

# PRAGMA user_version is a signed 32-bit number (SQLite file format, header offset 60): a
# negative one was taken by the reader for an old schema of ours and by the writer for a file
# every migration still had to be applied to. Found by fuzz_store_read.
write("fuzz_store_read", "schema-version-negative", scanwatch_db(["PRAGMA user_version=-9"]))
