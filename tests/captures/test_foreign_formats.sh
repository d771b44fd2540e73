#!/usr/bin/env bash
# test_foreign_formats.sh — capture files libpcap does not read, as a responder is handed them:
# Sun snoop (RFC 1761: Solaris snoop, Check Point's fw monitor -o), Microsoft Network Monitor
# 1.x and 2.x (.cap), Endace ERF (DAG cards; a traffic generator's, its clock at the epoch and
# its records padded) and NetXRay / Sniffer for Windows (.cap) give the
# detections of the same packets in pcapng; compressed or piped snoop and Sniffer too; a
# Network Monitor file or a wrapped Sniffer capture through a pipe, a cut file and a Network
# Monitor file with frames of other media types are each said, never a crash nor a silent loss.
#
# The snoop, Network Monitor and Sniffer files are written by Wireshark's editcap (a real
# third-party writer) from the real-tool sample.pcapng. editcap writes Network Monitor 2.0, whose frames
# carry no media type of their own; Network Monitor 3 writes 2.3, where each frame's media type
# follows its data. That file is built here from the same packets (Microsoft's Netmon.h layout,
# with the 2.1-2.3 frame trailer), and tshark must read it as the same Ethernet frames: the
# independent check of the encoding.
set -euo pipefail
: "${SCANWATCH:?}" "${SW_SOURCE_DIR:?}" "${SW_WORK_DIR:?}"
dir="$SW_WORK_DIR/foreign"
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

for tool in tshark editcap gzip python3; do
	command -v "$tool" >/dev/null || {
		echo "$tool is not installed (tests/dev.sh installs it)" >&2
		exit 1
	}
done

fails=0
bad() {
	printf 'FAIL %s\n' "$*" >&2
	fails=$((fails + 1))
}

sample=$SW_SOURCE_DIR/tests/captures/sample.pcapng
editcap -F pcap "$sample" sample.pcap
editcap -F snoop "$sample" sample.snoop
editcap -F netmon2 "$sample" sample.netmon2.cap
editcap -F netmon1 "$sample" sample.netmon1.cap
editcap -F ngwsniffer_1_1 "$sample" sample.sniffer11.cap
editcap -F ngwsniffer_2_0 "$sample" sample.sniffer20.cap
gzip -c sample.snoop >sample.snoop.gz
# sample.pcap's frames for the files built here: (microseconds, original length, data)
cat >sample_frames.py <<'PY'
import struct
src = open("sample.pcap", "rb").read()
magic, = struct.unpack("<I", src[:4])
end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
nano = magic in (0xa1b23c4d, 0x4d3cb2a1)
frames, off = [], 24
while off + 16 <= len(src):
    sec, frac, incl, orig = struct.unpack(end + "IIII", src[off:off + 16])
    frames.append((sec * 1000000 + (frac // 1000 if nano else frac), orig, src[off + 16:off + 16 + incl]))
    off += 16 + incl
PY
gzip -c sample.sniffer20.cap >sample.sniffer20.cap.gz

# run NAME ARGS... — replays into NAME.out (JSON lines) and NAME.err; the exit status in rc.
run() {
	local name=$1
	shift
	rc=0
	"$SCANWATCH" "$@" --no-db --json --workers 1 >"$name.out" 2>"$name.err" || rc=$?
	if grep -qE 'Sanitizer|runtime error:' "$name.err"; then
		bad "$name: sanitizer report: $(head -n 5 "$name.err")"
	fi
}

run plain -r "$sample"
((rc == 0)) || bad "the pcapng sample: exit $rc"
[[ $(wc -l <plain.out) -ge 3 ]] || bad "the pcapng sample gave fewer than 3 detections"
packets=$(grep -oE '^scanwatch: [0-9]+ packets' plain.err | grep -oE '[0-9]+')

# ---------------------------------------------------------------- the same records
# snoop and Network Monitor 2.x keep microseconds: the records are the pcapng's to the byte.
for f in sample.snoop sample.netmon2.cap sample.snoop.gz sample.sniffer11.cap sample.sniffer20.cap \
	sample.sniffer20.cap.gz; do
	run "$f" -r "$f"
	((rc == 0)) || bad "$f: exit $rc: $(cat "$f.err")"
	cmp -s plain.out "$f.out" || bad "$f: its detections differ from the pcapng's"
	grep -q "^scanwatch: $packets packets" "$f.err" || bad "$f: not $packets packets: $(tail -n 1 "$f.err")"
done
# from standard input, through a pipe (snoop is read as a stream)
rc=0
"$SCANWATCH" -r - --no-db --json --workers 1 <sample.snoop >pipe.out 2>pipe.err || rc=$?
((rc == 0)) && cmp -s plain.out pipe.out || bad "snoop through a pipe: exit $rc or other detections"
rc=0
# shellcheck disable=SC2002 # a pipe, not a file, is the point
cat sample.snoop | "$SCANWATCH" -r - --no-db --json --workers 1 >fifo.out 2>fifo.err || rc=$?
((rc == 0)) && cmp -s plain.out fifo.out || bad "snoop from cat: exit $rc or other detections"
rc=0
# shellcheck disable=SC2002 # a pipe, not a file, is the point
cat sample.sniffer20.cap | "$SCANWATCH" -r - --no-db --json --workers 1 >sniffpipe.out 2>sniffpipe.err || rc=$?
((rc == 0)) && cmp -s plain.out sniffpipe.out || bad "Sniffer 2.0 from cat: exit $rc or other detections"

# same_but_times A B — the same detections in both JSON-lines files (at least one), times aside.
same_but_times() {
	python3 - "$1" "$2" <<'PY'
import json, sys
def key(path):
    return [(d["phase"], d["src_ip"], d["kind"], d["probes"], d["distinct_ports"])
            for d in map(json.loads, open(path))]
a, b = key(sys.argv[1]), key(sys.argv[2])
sys.exit(0 if a == b and a else 1)
PY
}

# Network Monitor 1.x keeps milliseconds: the same detections, their times cut to the ms.
run netmon1 -r sample.netmon1.cap
((rc == 0)) || bad "sample.netmon1.cap: exit $rc: $(cat netmon1.err)"
same_but_times plain.out netmon1.out || bad "Network Monitor 1.x: other detections than the pcapng's"

# hand_built FILE SKIPPED — FILE, built here from sample.pcap's packets plus one frame that is
# left out: tshark must read the sample's Ethernet frames in it (the encoding is right), and
# scanwatch the pcapng's records, saying once that one frame (SKIPPED) was not read.
hand_built() {
	local f=$1 skipped=$2 want got
	want=$(tshark -r sample.pcap 2>/dev/null | wc -l)
	got=$(tshark -r "$f" -Y eth 2>/dev/null | wc -l)
	((got == want)) || bad "tshark reads $got Ethernet frames in $f, not $want: the encoding is wrong"
	run "$f" -r "$f"
	((rc == 0)) || bad "$f: exit $rc: $(cat "$f.err")"
	cmp -s plain.out "$f.out" || bad "$f: its detections differ from the pcapng's"
	grep -q "^scanwatch: $packets packets" "$f.err" || bad "$f: not $packets packets: $(tail -n 1 "$f.err")"
	grep -qE "^scanwatch: $f: 1 frame\\(s\\) not read: the first is of $skipped" "$f.err" ||
		bad "$f: the frame left out is not said: $(cat "$f.err")"
}

# ---------------------------------------------------------------- Network Monitor 2.3
# The frames of sample.pcap, each followed by its media type (1: Ethernet), process-information
# index, UTC time and time-zone index, as Network Monitor 3 writes them; between them an event
# record (media 0xFFE0: no packet) and an 802.11 frame with Network Monitor's own metadata
# (media 6: no decoder here takes it), which must be counted and said.
python3 - sample.pcap netmon23.cap <<'PY'
import struct, sys
from sample_frames import frames
t0 = frames[0][0] - frames[0][0] % 1000  # the header's SYSTEMTIME holds milliseconds
body, table = bytearray(), []
def frame(delta, orig, data, media):
    table.append(128 + len(body))
    body.extend(struct.pack("<QII", delta, orig, len(data)) + data)
    body.extend(struct.pack("<HIQB", media, 0, 0, 0))  # 2.3 trailer: 15 bytes
for i, (ts, orig, data) in enumerate(frames):
    frame(ts - t0, orig, data, 1)
    if i == 5:
        frame(ts - t0, 40, bytes(40), 0xFFE0)  # an event record
        frame(ts - t0, 60, bytes(60), 6)       # 802.11 with metadata: not read here
import datetime
st = datetime.datetime.fromtimestamp(t0 / 1e6, datetime.timezone.utc)
systime = struct.pack("<8H", st.year, st.month, (st.isoweekday() % 7), st.day, st.hour, st.minute,
                      st.second, st.microsecond // 1000)
table_off = 128 + len(body)
hdr = b"GMBU" + bytes([3, 2]) + struct.pack("<H", 1) + systime
hdr = (hdr + struct.pack("<II", table_off, 4 * len(table))).ljust(128, b"\0")
open(sys.argv[2], "wb").write(hdr + body + b"".join(struct.pack("<I", t) for t in table))
PY
# the independent reading: tshark sees the sample's Ethernet frames (and the 802.11 one)
hand_built netmon23.cap 'media type 6'

# ---------------------------------------------------------------- ERF
# No tool here writes ERF from Ethernet pcap (editcap refuses), so the file is built from the
# same packets as Endace's ERF Types Reference lays a DAG card's records out: a padding record
# first, then each frame as an Ethernet record (2 bytes of offset and pad before the frame, the
# wire length counting the 4-byte FCS, varying-length records), the sixth with an extension
# header, and after it one bare IPv4 record (type 22: another link type than the first frame's,
# which must be counted and said). tshark, which reads ERF, is the independent check.
python3 - sample.pcap sample.erf <<'PY2'
import struct, sys
from sample_frames import frames
out = bytearray()
def rec(ts_us, rtype, flags, wlen, payload, ext=b""):
    sec, us = divmod(ts_us, 1000000)
    frac = (us * 2**32 + 500000) // 1000000
    rlen = 16 + len(ext) + len(payload)
    return struct.pack("<Q", sec << 32 | frac) + struct.pack(">BBHHH", rtype, flags, rlen, 0, wlen) + ext + payload
out += rec(frames[0][0], 48, 0x04, 0, bytes(24))  # a padding record
for i, (ts, orig, data) in enumerate(frames, 1):
    if i == 6:  # with one extension header (bit 7 of the type; this one ends the chain)
        out += rec(ts, 0x80 | 2, 0x04, orig + 4, b"\0\0" + data, ext=struct.pack(">Q", 3 << 56))
        ip = data[14:]
        out += rec(ts, 22, 0x04, len(ip), ip)  # bare IPv4: not read in an Ethernet stream
    else:
        out += rec(ts, 2, 0x04, orig + 4, b"\0\0" + data)
open(sys.argv[2], "wb").write(out)
PY2
hand_built sample.erf 'link type 101'
# A traffic generator's ERF (TRex writes its expected outputs so): the clock starts at the
# epoch, so the first record's time is 0, and each record is padded to 8 bytes after a frame
# that keeps its 4-byte FCS, the wire length counting the FCS. The padding is no part of the
# packet; the detections are the sample's, at other times.
python3 - sample.pcap epoch.erf <<'PY2'
import struct, sys
from sample_frames import frames
out, t0 = bytearray(), frames[0][0]  # the first frame at the epoch: time 0
for ts, orig, data in frames:
    sec, us = divmod(ts - t0, 1000000)
    frac = (us * 2**32 + 500000) // 1000000
    payload = b"\0\0" + data + bytes(4)  # offset and pad, the frame, its FCS
    payload += b"\xee" * (-(16 + len(payload)) % 8)  # to the record's 8-byte boundary
    out += struct.pack("<Q", sec << 32 | frac) + struct.pack(">BBHHH", 2, 0x04, 16 + len(payload),
                                                             0, len(data) + 4) + payload
open(sys.argv[2], "wb").write(out)
PY2
want=$(tshark -r sample.pcap 2>/dev/null | wc -l)
got=$(tshark -r epoch.erf -Y eth 2>/dev/null | wc -l)
((got == want)) || bad "tshark reads $got Ethernet frames in epoch.erf, not $want: the encoding is wrong"
run epoch.erf -r epoch.erf
((rc == 0)) || bad "epoch.erf: exit $rc: $(cat epoch.erf.err)"
grep -q "^scanwatch: $packets packets" epoch.erf.err || bad "epoch.erf: not $packets packets: $(tail -n 1 epoch.erf.err)"
# the detections without their times: kind, phase, source, rule, probes
shape() {
	python3 -c '
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    print(d["kind"], d["phase"], d["src_ip"], d["rule_id"], d["probes"], d["distinct_ports"])' "$1"
}
want=$(shape plain.out) || bad "plain.out: not the JSON records expected"
got=$(shape epoch.erf.out) || bad "epoch.erf.out: not the JSON records expected"
[[ -n $want && $got == "$want" ]] ||
	bad "epoch.erf: its detections differ from the sample's: ${got:-none}"
# The padding stays out of the packets: each evidence packet a detection keeps is its frame
# and FCS, 4 bytes longer on the wire than the same packet in the sample, and no more.
for f in sample.pcap epoch.erf; do
	rm -f "$f.db"*
	"$SCANWATCH" -r "$f" --db "$f.db" -q --workers 1 2>"$f.db.err" &&
		"$SCANWATCH" extract --db "$f.db" --id 1 -w "$f.ev.pcap" 2>>"$f.db.err" ||
		bad "$f: evidence not kept or extracted: $(cat "$f.db.err")"
done
python3 - sample.pcap.ev.pcap epoch.erf.ev.pcap <<'PY2' ||
import struct, sys
def origs(path):
    b, o, out = open(path, "rb").read(), 24, []
    while o + 16 <= len(b):
        incl, orig = struct.unpack("<II", b[o + 8:o + 16])
        out.append(orig)
        o += 16 + incl
    return out
a, e = origs(sys.argv[1]), origs(sys.argv[2])
sys.exit(0 if a and len(a) == len(e) and all(y == x + 4 for x, y in zip(a, e)) else 1)
PY2
	bad "epoch.erf: evidence packets longer than frame and FCS (the record's padding kept)"
# ---------------------------------------------------------------- Sniffer, wrapped; NetXRay
# editcap writes Sniffer files of one shape (NDIS, microsecond ticks, the packets in order).
# A Sniffer Pro capture into a circular buffer that went round is another: the header's first
# packet offset is past its end offset, the oldest packets run from there to the end of the
# file and the rest from byte 128 to the end offset. Built here from the same packets (the
# layout Wireshark's netxray.c reads), with ticks counted as an NDIS adapter with time unit 2
# counts them (the header's realtick: 2,000,000 a second here, from a start tick count that is
# not 0), and 4 bytes of pod junk after every third frame (0xff 0xff in the record header). And
# a NetXRay file from before 1.0 ("VL"): one length, millisecond ticks.
python3 - sample.pcap wrapped.cap netxray0.cap <<'PY3'
import struct, sys
from sample_frames import frames
start_s = frames[0][0] // 1000000
def header(magic, version, start_off, end_off, unit, start_ticks, realtick):
    h = bytearray(128)
    h[0:4] = magic
    h[4:12] = version
    struct.pack_into("<IIIII", h, 12, start_s, len(frames), 0, start_off, end_off)
    h[44], h[45], h[48] = 0, 0, unit  # NDIS medium 0 (Ethernet, less one), time unit
    struct.pack_into("<Q", h, 52, start_ticks)
    struct.pack_into("<I", h, 76, realtick)
    return bytes(h)
t0 = 123456789  # the start tick count
recs = []
for i, (ts, orig, data) in enumerate(frames):
    ticks = t0 + (ts - start_s * 1000000) * 2
    junk = i % 3 == 2
    x = bytearray(28)
    if junk:
        x[2] = x[3] = 0xff
        data = data + b"\xde\xad\xbe\xef"
    recs.append(struct.pack("<QHH", ticks, orig + (4 if junk else 0), len(data)) + bytes(x) + data)
half = len(recs) // 2
newer, older = b"".join(recs[half:]), b"".join(recs[:half])
# the buffer went round: [header][newer ... end_off][older from start_off to the file's end]
start_off, end_off = 128 + len(newer), 128 + len(newer)
# a gap between the two, as a ring leaves one (never read)
gap = bytes(64)
start_off += len(gap)
open(sys.argv[2], "wb").write(header(b"XCP\0", b"002.001\0", start_off, end_off, 2, t0, 2000000)
                              + newer + gap + older)
body = b"".join(struct.pack("<QH", ts // 1000 - start_s * 1000, len(data)) + bytes(6) + data
                for ts, orig, data in frames)
open(sys.argv[3], "wb").write(header(b"VL\0\0", bytes(8), 128, 128 + len(body), 0, 0, 0) + body)
PY3
want=$(tshark -r sample.pcap 2>/dev/null | wc -l)
for f in wrapped.cap netxray0.cap; do
	got=$(tshark -r "$f" -Y eth 2>/dev/null | wc -l)
	((got == want)) || bad "tshark reads $got Ethernet frames in $f, not $want: the encoding is wrong"
	run "$f" -r "$f"
	((rc == 0)) || bad "$f: exit $rc: $(cat "$f.err")"
	grep -q "^scanwatch: $packets packets" "$f.err" || bad "$f: not $packets packets: $(tail -n 1 "$f.err")"
done
cmp -s plain.out wrapped.cap.out || bad "wrapped.cap: its detections differ from the pcapng's"
same_but_times plain.out netxray0.cap.out || bad "NetXRay before 1.0: other detections than the pcapng's"

# not every file without a signature is ERF: text and random bytes are still no capture
printf 'GET / HTTP/1.1\r\nHost: example\r\n\r\n%.0s' {1..40} >text.bin
head -c 65536 /dev/urandom >random.bin
for f in text.bin random.bin; do
	run "$f" -r "$f"
	((rc == 1)) && grep -q "^scanwatch: $f: unknown file format" "$f.err" ||
		bad "$f: exit $rc, taken for a capture? $(head -n 2 "$f.err")"
done

# ---------------------------------------------------------------- what cannot be read is said
# a Network Monitor file needs its frame table (at the end): not through a pipe
rc=0
# shellcheck disable=SC2002 # a pipe, not a file, is the point
cat sample.netmon2.cap | "$SCANWATCH" -r - --no-db >netpipe.out 2>netpipe.err || rc=$?
((rc == 1)) && grep -q 'Network Monitor 2.x: .*give the file itself' netpipe.err ||
	bad "Network Monitor through a pipe: exit $rc, $(cat netpipe.err)"
# standard input redirected from the file itself can seek: read as the file
rc=0
"$SCANWATCH" -r - --no-db --json --workers 1 <sample.netmon2.cap >netstdin.out 2>netstdin.err || rc=$?
((rc == 0)) && cmp -s plain.out netstdin.out || bad "Network Monitor on standard input (a file): exit $rc or other detections"
# a wrapped Sniffer capture is read from two places: not through a pipe
rc=0
# shellcheck disable=SC2002 # a pipe, not a file, is the point
cat wrapped.cap | "$SCANWATCH" -r - --no-db >wrappipe.out 2>wrappipe.err || rc=$?
((rc == 1)) && grep -q 'NetXRay/Sniffer: .*went round.*give the file itself' wrappipe.err ||
	bad "a wrapped Sniffer capture through a pipe: exit $rc, $(cat wrappipe.err)"
# a Sniffer file cut in the middle: its packets before the cut, then the error
size=$(stat -c %s sample.sniffer20.cap)
head -c $((size / 2 + 5)) sample.sniffer20.cap >cut.sniffer.cap
run cutsniffer -r cut.sniffer.cap
((rc == 1)) && grep -qE '^scanwatch: cut.sniffer.cap: broken after packet [0-9]+: NetXRay/Sniffer: record [0-9]+: ' cutsniffer.err ||
	bad "a cut Sniffer file: exit $rc, $(cat cutsniffer.err)"
# an FDDI Sniffer capture (NDIS medium 2): said, not misread
cp sample.sniffer20.cap fddi.cap
printf '\x02' | dd of=fddi.cap bs=1 seek=44 conv=notrunc 2>/dev/null
run fddi -r fddi.cap
((rc == 1)) && grep -q 'network type 3 (capture type 0) is not one scanwatch reads' fddi.err ||
	bad "an FDDI Sniffer capture: exit $rc, $(cat fddi.err)"
# cut in the middle of a record: the packets before it are read, then one error naming it
size=$(stat -c %s sample.snoop)
head -c $((size / 2 + 3)) sample.snoop >cut.snoop
run cut -r cut.snoop
((rc == 1)) && grep -qE '^scanwatch: cut.snoop: broken after packet [0-9]+: snoop: snoop record [0-9]+: (header )?truncated' cut.err ||
	bad "a cut snoop file: exit $rc, $(cat cut.err)"
# a frame table pointing past the end of the file
cp sample.netmon2.cap badtable.cap
printf '\xff\xff\xff\x7f' | dd of=badtable.cap bs=1 seek=24 conv=notrunc 2>/dev/null
run badtable -r badtable.cap
((rc == 1)) && grep -q 'frame table .* runs past the end of the file' badtable.err ||
	bad "a frame table past the end: exit $rc, $(cat badtable.err)"
# a snoop datalink type nobody here decodes
cp sample.snoop hdlc.snoop
printf '\x00\x00\x00\x05' | dd of=hdlc.snoop bs=1 seek=12 conv=notrunc 2>/dev/null
run hdlc -r hdlc.snoop
((rc == 1)) && grep -q 'snoop datalink type 5 is not one scanwatch reads' hdlc.err ||
	bad "snoop datalink type 5: exit $rc, $(cat hdlc.err)"

echo "snoop, Network Monitor, ERF and Sniffer captures: $fails failures"
((fails == 0))
