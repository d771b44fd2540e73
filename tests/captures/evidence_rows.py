#!/usr/bin/env python3
"""evidence_rows.py DB [DETECTION_ID] — every evidence packet a scanwatch database holds, one line
each: detection_id|ordinal|ts_sec|ts_nsec|caplen|origlen|linktype|hex(data).

Reads both tables: 009_evidence.sql's `evidence` (a row a packet, older builds) and
010_evidence_pcapng.sql's `evidence_pcapng` (a pcapng section a record). The pcapng blobs are
parsed here, independently of the sensor's reader (sensor/evidence_ng.c), from the format's
definition (draft-ietf-opsawg-pcapng: SHB 4.1, IDB 4.2 with if_tsresol, EPB 4.3 with
epb_packetid, which the writer leaves out where the ordinal is the previous one's plus one).
A blob this parser cannot read entirely is an error (exit 1): the sensor wrote every blob of
the databases the tests give it.
"""
import sqlite3
import struct
import sys

# An IDB holds the LINKTYPE_ value; the sensor (and 009's rows) the capture's DLT_ value. They
# differ for a few old link types (sensor/evidence_ng.c): printed as DLT_ values, as 009 held them.
DLT_OF = {101: 12, 100: 11, 102: 15, 103: 16, 106: 19}


def blob_packets(blob):
    out, at, order, ifaces, nxt = [], 0, "<", [], 0
    while at < len(blob):
        btype = struct.unpack_from("<I", blob, at)[0]
        if btype == 0x0A0D0D0A:
            magic = struct.unpack_from("<I", blob, at + 8)[0]
            order = "<" if magic == 0x1A2B3C4D else ">"
            assert struct.unpack_from(order + "I", blob, at + 8)[0] == 0x1A2B3C4D, "byte order"
            ifaces = []
        btype, blen = struct.unpack_from(order + "II", blob, at)
        assert blen >= 12 and blen % 4 == 0 and at + blen <= len(blob), "block framing"
        assert struct.unpack_from(order + "I", blob, at + blen - 4)[0] == blen, "trailing length"
        body = blob[at + 8:at + blen - 4]
        if btype == 1:
            lt, _, snap = struct.unpack_from(order + "HHI", body, 0)
            units, o = 10**6, 8
            while o + 4 <= len(body):
                code, olen = struct.unpack_from(order + "HH", body, o)
                if code == 0:
                    break
                if code == 9:
                    v = body[o + 4]
                    units = 2 ** (v & 0x7F) if v & 0x80 else 10 ** v
                o += 4 + (olen + 3) // 4 * 4
            ifaces.append((DLT_OF.get(lt, lt), units, snap))
        elif btype == 6:
            ifid, hi, lo, cap, orig = struct.unpack_from(order + "IIIII", body, 0)
            lt, units, snap = ifaces[ifid]
            ts = hi << 32 | lo
            data = body[20:20 + cap]
            assert len(data) == cap and cap <= orig, "lengths"
            ordinal, o = nxt, 20 + (cap + 3) // 4 * 4
            while o + 4 <= len(body):
                code, olen = struct.unpack_from(order + "HH", body, o)
                if code == 0:
                    break
                if code == 5:
                    ordinal = struct.unpack_from(order + "Q", body, o + 4)[0]
                o += 4 + (olen + 3) // 4 * 4
            nxt = ordinal + 1
            out.append((ordinal, ts // units, (ts % units) * 10**9 // units, cap, orig, lt,
                        data.hex().upper()))
        at += blen
    return out


def main():
    db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
    where, args = ("WHERE detection_id = ?", (int(sys.argv[2]),)) if len(sys.argv) > 2 else ("", ())
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    rows = []
    if "evidence" in tables:
        for r in db.execute("SELECT detection_id, ordinal, ts_sec, ts_frac, caplen, origlen,"
                            " linktype, hex(data) FROM evidence " + where, args):
            rows.append(tuple(r))
    if "evidence_pcapng" in tables:
        for det, first, n, blob in db.execute(
                "SELECT detection_id, first_ordinal, packets, pcapng FROM evidence_pcapng "
                + where + " ORDER BY detection_id, first_ordinal", args):
            pk = blob_packets(blob)
            assert len(pk) == n, "detection %d: %d packets, the row says %d" % (det, len(pk), n)
            assert pk and pk[0][0] == first, "detection %d: first ordinal" % det
            rows.extend((det,) + p for p in pk)
    for r in sorted(rows, key=lambda r: (r[0], r[2], r[3], r[1])):
        print("|".join(str(v) for v in r))


if __name__ == "__main__":
    try:
        main()
    except (AssertionError, struct.error, IndexError) as e:
        sys.exit("evidence_rows.py: %s: a blob that is not the pcapng it should be (%s)"
                 % (sys.argv[1], e or type(e).__name__))
