#!/usr/bin/env bash
# test_pcapng_interfaces.sh — a pcapng file whose interfaces differ in link type and snapshot
# length (as mergecap and Wireshark's multi-interface captures write them) is read whole.
#
# libpcap stops at the first Interface Description Block that differs from the first one
# (sf-pcapng.c); scanwatch reads such a file as one stream per link type (capture_ng.c). The
# file built here has two sections, the second in big-endian byte order: in the first, SYN
# probes on an Ethernet interface and a raw-IP one and the target's resets on a Linux cooked
# one; in the second, another scan on an Ethernet interface with a smaller snapshot length,
# beside an 802.15.4 interface that carries nothing. The same packets are also written as three
# classic pcap files, one per link type. Wanted:
#   - libpcap itself (tcpdump) refuses the pcapng file: the file does need the new path;
#   - scanwatch reads all of its packets and prints exactly what it prints for the three
#     files replayed together (-r a -r b -r c, merged by time), two syn_scan detections;
#   - the same through gzip, from one big-endian section holding all four interfaces, and
#     with a block longer than the survey's buffer between two interfaces (plain and gzip);
#   - Simple Packet Blocks (no interface, no time, cut to the first interface's snapshot
#     length) beside another interface's packets, as libpcap reads them alone;
#   - sections whose one Ethernet interface changes its snapshot length, read whole;
#   - files that capture nothing (no interface; two link types and no packet; one interface a
#     section) read as empty.
set -euo pipefail
: "${SCANWATCH:?}" "${SW_WORK_DIR:?}"
# shellcheck source=tests/captures/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) # make_linktypes.py's directory
cap_init pcapng_interfaces

cat >make.py <<'PY'
import struct, sys
sys.path.insert(0, sys.argv[1])
from make_linktypes import csum  # the Internet checksum (RFC 1071)

ETH, RAW, SLL, WPAN = 1, 101, 113, 195  # LINKTYPE_ values
T0 = 1700000000

def ip4(a):
    return bytes(int(x) for x in a.split("."))

def tcp4(src, sport, dst, dport, flags, seq, ack=0, mss=False):
    opts = b"\x02\x04\x05\xb4" if mss else b""
    t = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (5 + len(opts) // 4) << 4, flags,
                    1024, 0, 0) + opts
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(t))
    t = t[:16] + struct.pack("!H", csum(pseudo + t)) + t[18:]
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(t), 7, 0, 49, 6, 0, ip4(src), ip4(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + t

def frame(lt, ip):
    if lt == ETH:
        return b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00" + ip
    if lt == SLL:  # packet type 0 (to us), ARPHRD_ETHER, 6-byte address, IPv4
        return struct.pack("!HHH8sH", 0, 1, 6, b"\x02\0\0\0\0\x02\0\0", 0x0800) + ip
    return ip

# (time, link type, interface within its section, section, packet)
pkts = []
S1, S2, T1, T2 = "198.18.0.5", "198.18.0.6", "198.18.1.1", "198.18.1.2"
for i in range(20):
    t = 1.0 + i * 0.01
    pkts.append((t, ETH if i % 2 == 0 else RAW, i % 2, 0,
                 tcp4(S1, 40000, T1, 1000 + i, 0x02, 1000 * i, mss=True)))
    pkts.append((t + 0.002, SLL, 2, 0, tcp4(T1, 1000 + i, S1, 40000, 0x14, 0, 1000 * i + 1)))
for i in range(12):
    t = 5.0 + i * 0.01
    pkts.append((t, ETH, 0, 1, tcp4(S2, 41000, T2, 2000 + i, 0x02, 7 * i, mss=True)))
    pkts.append((t + 0.003, ETH, 0, 1, tcp4(T2, 2000 + i, S2, 41000, 0x14, 0, 7 * i + 1)))

def block(order, btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack(order + "II", btype, n) + body + struct.pack(order + "I", n)

def shb(order):
    return block(order, 0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1))

def idb(order, lt, snap):
    return block(order, 1, struct.pack(order + "HHI", lt, 0, snap))

def epb(order, iface, t, data):
    us = T0 * 1000000 + int(round(t * 1e6))
    return block(order, 6, struct.pack(order + "IIIII", iface, us >> 32, us & 0xFFFFFFFF,
                                       len(data), len(data)) + data)

def pcapng(name, sections, pad=0):
    with open(name, "wb") as f:
        for order, ifaces, sec in sections:
            f.write(shb(order))
            for i, (lt, snap) in enumerate(ifaces):
                f.write(idb(order, lt, snap))
                if i == 0 and pad:  # a custom block (0x00000BAD) between the interfaces
                    f.write(block(order, 0x00000BAD, struct.pack(order + "I", 32473) +
                                  b"\x5a" * pad))
            for t, lt, iface, _, ip in sorted(p for p in pkts if p[3] == sec):
                f.write(epb(order, iface, t, frame(lt, ip)))

# Two sections, the second big-endian and with an interface that carries nothing.
pcapng("multi.pcapng", [("<", [(ETH, 65535), (RAW, 262144), (SLL, 8192)], 0),
                        (">", [(ETH, 128), (WPAN, 127)], 1)])
# The same with a block longer than the reader's buffer (256 KiB) before the second
# interface: the survey skips it (with fseeko, or by reading through a decompressor) and
# still sees the interfaces after it.
pcapng("padded.pcapng", [("<", [(ETH, 65535), (RAW, 262144), (SLL, 8192)], 0),
                         (">", [(ETH, 128), (WPAN, 127)], 1)], pad=300000)
# One big-endian section: the second section's packets move to an interface of its own.
pkts = [(t, lt, 3 if sec == 1 else iface, 0, ip) for t, lt, iface, sec, ip in pkts]
pcapng("one_be.pcapng", [(">", [(ETH, 65535), (RAW, 262144), (SLL, 8192), (ETH, 128)], 0)])

# Simple Packet Blocks (section 4.4): no interface ID and no time; they belong to the first
# interface and hold the packet cut to its snapshot length, here 64 of each SYN's 88 bytes.
# spb_multi.pcapng puts them beside a raw-IP interface's EPBs; spb_eth.pcapng holds them
# alone, for libpcap to read as it is.
def spb(order, data, snap):
    return block(order, 3, struct.pack(order + "I", len(data)) + data[:snap])

S3, T3 = "198.18.0.7", "198.18.1.3"
syns = [frame(ETH, tcp4(S3, 42000, T3, 3000 + i, 0x02, 11 * i, mss=True)) + b"\xa5" * 30
        for i in range(25)]
raws = [(5.0 + i * 0.01, tcp4(S2, 41000, T2, 2000 + i, 0x02, 7 * i, mss=True)) for i in range(12)]
for order in ("<", ">"):
    with open("spb_multi%s.pcapng" % ("_be" if order == ">" else ""), "wb") as f:
        f.write(shb(order) + idb(order, ETH, 64) + idb(order, RAW, 65535))
        for i, s in enumerate(syns):
            f.write(spb(order, s, 64))
            if i < len(raws):
                f.write(epb(order, 1, raws[i][0], raws[i][1]))
with open("spb_eth.pcapng", "wb") as f:
    f.write(shb("<") + idb("<", ETH, 64) + b"".join(spb("<", s, 64) for s in syns))
with open("spb_raw.pcap", "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, RAW))
    for t, ip in raws:
        f.write(struct.pack("<IIII", T0 + int(t), int(round(t * 1e6)) % 1000000, len(ip),
                            len(ip)) + ip)
# Captures of nothing: a section with no interface, and interfaces of two link types (one that
# scanwatch does not read) with no packet.
with open("no_idb.pcapng", "wb") as f:
    f.write(shb("<") + block("<", 0x00000BAD, struct.pack("<I", 32473) + b"x" * 8))
with open("idle.pcapng", "wb") as f:
    f.write(shb("<") + idb("<", WPAN, 127) + idb("<", ETH, 65535) + shb(">") + idb(">", SLL, 0))
with open("idle_sections.pcapng", "wb") as f:  # one Ethernet interface a section, no packet
    f.write(shb("<") + idb("<", ETH, 96) + shb("<") + idb("<", ETH, 0))

# One Ethernet interface a section, the second section's with another snapshot length (as a
# capture tool's runs appended to one file): libpcap stops at the second IDB.
eth_pkts = sorted((t, frame(ETH, ip)) for t, _, _, _, ip in pkts)
with open("sections.pcapng", "wb") as f:
    for k, snap in enumerate((65535, 262144)):
        f.write(shb("<") + idb("<", ETH, snap))
        for t, fr in eth_pkts[k * len(eth_pkts) // 2:(k + 1) * len(eth_pkts) // 2]:
            f.write(epb("<", 0, t, fr))
with open("sections_ref.pcap", "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, ETH))
    for t, fr in eth_pkts:
        f.write(struct.pack("<IIII", T0 + int(t), int(round(t * 1e6)) % 1000000, len(fr),
                            len(fr)) + fr)

for lt, name in ((ETH, "eth.pcap"), (RAW, "raw.pcap"), (SLL, "sll.pcap")):
    with open(name, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, lt))
        for t, plt, _, _, ip in sorted(pkts):
            if plt != lt:
                continue
            fr = frame(lt, ip)
            f.write(struct.pack("<IIII", T0 + int(t), int(round(t * 1e6)) % 1000000,
                                len(fr), len(fr)))
            f.write(fr)
PY
python3 make.py "$here"

# The control: libpcap alone stops at the second interface.
if tcpdump -nr multi.pcapng >tcpdump.out 2>tcpdump.err; then
	fail "tcpdump read multi.pcapng whole: this file no longer needs the split"
fi
grep -q 'different from the type of the first interface' tcpdump.err ||
	fail "tcpdump's refusal changed: $(cat tcpdump.err)"

# packets FILE.err: the packet count of the summary line.
packets() { grep -oP '[0-9]+(?= packets,)' "$1" | tail -n 1; }

"$SCANWATCH" -r eth.pcap -r raw.pcap -r sll.pcap --no-db >ref.out 2>ref.err ||
	fail "the three pcap files: $(cat ref.err)"
want=$(packets ref.err)
((want == 64)) || fail "the reference read $want packets, not 64"
opens=$(grep -c ' OPEN  syn_scan ' ref.out || true)
((opens == 2)) || fail "the reference found $opens syn_scan, not 2: $(cat ref.out)"

# read_as REF WANT WHAT FILE... — each FILE is read without error, WANT packets, and
# scanwatch prints exactly REF (what WHAT gave).
read_as() {
	local ref=$1 want=$2 what=$3 f rc got
	shift 3
	for f in "$@"; do
		rc=0
		"$SCANWATCH" -r "$f" --no-db >"$f.out" 2>"$f.err" || rc=$?
		((rc == 0)) || fail "$f: exit $rc: $(cat "$f.err")"
		got=$(packets "$f.err")
		((got == want)) || fail "$f: $got packets read, not $want"
		diff -u "$ref" "$f.out" || fail "$f: not what $what gave"
		echo "$f: $got packets, $(grep -c ' OPEN ' "$f.out") detections, as $what"
	done
}

gzip -c multi.pcapng >multi.pcapng.gz
gzip -c padded.pcapng >padded.pcapng.gz
read_as ref.out "$want" "the three files" multi.pcapng multi.pcapng.gz one_be.pcapng \
	padded.pcapng padded.pcapng.gz
# Simple Packet Blocks: libpcap reads them alone, each cut to the interface's 64 bytes.
tcpdump -enr spb_eth.pcapng >spb.tcpdump 2>spb.tcpdump.err || fail "tcpdump: $(cat spb.tcpdump.err)"
grep -q "length 88:" spb.tcpdump || fail "tcpdump did not see the SPBs' 88-byte SYNs: $(head -n 3 spb.tcpdump)"
"$SCANWATCH" -r spb_eth.pcapng -r spb_raw.pcap --no-db >spb_ref.out 2>spb_ref.err ||
	fail "spb_eth.pcapng and spb_raw.pcap: $(cat spb_ref.err)"
want=$(packets spb_ref.err)
((want == 37)) || fail "the SPB reference read $want packets, not 37"
grep -q ' OPEN  syn_scan .*198\.18\.0\.7' spb_ref.out || fail "no syn_scan from the SPBs' source: $(cat spb_ref.out)"
# The same packets side by side with another interface's: one stream each, merged.
read_as spb_ref.out "$want" "its two halves" spb_multi.pcapng spb_multi_be.pcapng

# Sections whose interfaces differ: read whole.
if tcpdump -nr sections.pcapng >/dev/null 2>sections.tcpdump.err; then
	fail "tcpdump read sections.pcapng whole: the control no longer holds"
fi
"$SCANWATCH" -r sections_ref.pcap --no-db >sections_ref.out 2>sections_ref.err ||
	fail "sections_ref.pcap: $(cat sections_ref.err)"
want=$(packets sections_ref.err)
((want == 64)) || fail "the one-section reference read $want packets, not 64"
read_as sections_ref.out "$want" "one section" sections.pcapng
echo "sections.pcapng: tcpdump: $(head -n 1 sections.tcpdump.err)"

# Captures of nothing read as empty, where libpcap refuses them.
for f in no_idb.pcapng idle.pcapng idle_sections.pcapng; do
	if tcpdump -nr "$f" >/dev/null 2>"$f.tcpdump.err"; then
		fail "tcpdump read $f: the control no longer holds"
	fi
	rc=0
	"$SCANWATCH" -r "$f" --db "$f.db" >"$f.out" 2>"$f.err" || rc=$?
	((rc == 0)) || fail "$f: exit $rc: $(cat "$f.err")"
	got=$(packets "$f.err")
	[[ $got == 0 ]] || fail "$f: '$got' packets read, not 0: $(cat "$f.err")"
	[[ ! -s $f.out ]] || fail "$f: printed detections: $(cat "$f.out")"
	echo "$f: empty (tcpdump: $(head -n 1 "$f.tcpdump.err"))"
done
echo "PASS"
